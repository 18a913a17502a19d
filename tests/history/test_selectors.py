"""The operations and audit-trail selectors: scoping in the query (an organization's admin or viewer sees
only theirs; company admins see every organization's and what happened outside any), failures first,
and each audit filter."""

from __future__ import annotations

import datetime as dt

import pytest

from history.selectors import operation_list_attention_first
from organizations.selectors import (
    NO_ORGANIZATION,
    AuditQuery,
    audit_event_list,
    principal_for_user_id,
)
from portal.principal import ANONYMOUS
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory
from tests.support.history import event_at, operation_in

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def world():
    acme, beta = OrganizationFactory(slug="acme"), OrganizationFactory(slug="beta")
    admin = principal_for_user_id(RoleFactory(organization=acme, role="admin").user_id)
    viewer = principal_for_user_id(RoleFactory(organization=acme, role="viewer").user_id)
    beta_admin = principal_for_user_id(RoleFactory(organization=beta, role="admin").user_id)
    company = principal_for_user_id(CompanyAdminFactory().user_id)
    return {"acme": acme, "beta": beta, "admin": admin, "viewer": viewer, "beta_admin": beta_admin,
            "company": company}


def test_operations_come_failures_first_then_unfinished_then_the_rest_newest_first(world) -> None:
    acme = world["acme"]
    made = [("succeeded", "old done"), ("failed", "old failure"), ("pending", "waiting"), ("succeeded", "new done"),
            ("running", "running"), ("failed", "new failure")]
    for minutes, (status, name) in enumerate(made):
        operation_in(status, kind="user_block", organization=acme, target=name,
                     created=T0 + dt.timedelta(minutes=minutes))
    operation_in("failed", kind="user_block", organization=world["beta"], target="beta's failure")
    for who in ("admin", "viewer", "company"):
        shown = [op.target for op in operation_list_attention_first(principal=world[who], organization=acme)]
        assert shown == ["new failure", "old failure", "running", "waiting", "new done", "old done"], who
    assert [op.target for op in operation_list_attention_first(
        principal=world["admin"], organization=acme, group="unfinished")] == ["running", "waiting"]
    # Scoping: nothing of Acme's for Beta's admin, whatever organization they name.
    assert not operation_list_attention_first(principal=world["beta_admin"], organization=acme).exists()
    assert not operation_list_attention_first(principal=ANONYMOUS, organization=acme).exists()
    # Across organizations: company admins see both; an organization's admin only their own.
    everywhere = {op.target for op in operation_list_attention_first(principal=world["company"], organization=None)}
    assert "beta's failure" in everywhere and "new failure" in everywhere
    assert {op.target for op in operation_list_attention_first(principal=world["beta_admin"], organization=None)} == {
        "beta's failure"}


def test_audit_events_are_scoped_in_the_query(world) -> None:
    acme, beta = world["acme"], world["beta"]
    event_at(T0, action="role.granted", organization=acme, summary="acme 1")
    event_at(T0 + dt.timedelta(hours=1), action="role.granted", organization=acme, summary="acme 2")
    event_at(T0, action="role.granted", organization=beta, summary="beta")
    event_at(T0, action="company_admin.granted", summary="outside")
    for who in ("admin", "viewer", "company"):
        assert [e.summary for e in audit_event_list(principal=world[who], organization=acme)] == ["acme 2", "acme 1"]
    assert not audit_event_list(principal=world["beta_admin"], organization=acme).exists()
    assert not audit_event_list(principal=ANONYMOUS, organization=None).exists()
    assert {e.summary for e in audit_event_list(principal=world["company"], organization=None)} == {
        "acme 1", "acme 2", "beta", "outside"}
    assert {e.summary for e in audit_event_list(principal=world["beta_admin"], organization=None)} == {"beta"}
    by_org = AuditQuery(organization_slug="beta")
    assert [e.summary for e in audit_event_list(principal=world["company"], organization=None, query=by_org)] == [
        "beta"]
    outside = AuditQuery(organization_slug=NO_ORGANIZATION)
    assert [e.summary for e in audit_event_list(principal=world["company"], organization=None, query=outside)] == [
        "outside"]


def test_audit_filters(world) -> None:
    acme = world["acme"]
    ada = principal_for_user_id("auth0|ada", "Ada Lovelace")
    event_at(T0 - dt.timedelta(days=1), actor=ada, action="role.granted", organization=acme, target_id="auth0|x",
             summary="day before")
    event_at(T0, actor=ada, action="user_block.requested", organization=acme, target_id="auth0|x", summary="blocked x")
    event_at(T0 + dt.timedelta(hours=11, minutes=59), action="user_block.succeeded", organization=acme,
             target_id="auth0|x", summary="done x")
    event_at(T0 + dt.timedelta(days=1), actor=ada, action="user_block.requested", organization=acme,
             target_id="auth0|y", summary="blocked y")

    def shown(**query) -> list[str]:
        return [e.summary for e in audit_event_list(principal=world["viewer"], organization=acme,
                                                    query=AuditQuery(**query))]

    assert shown(actor="lovelace") == ["blocked y", "blocked x", "day before"]
    assert shown(actor="auth0|ada") == ["blocked y", "blocked x", "day before"]
    assert shown(actor="system") == ["done x"]
    assert shown(action="user_block.requested") == ["blocked y", "blocked x"]
    assert shown(targets=("auth0|x",)) == ["done x", "blocked x", "day before"]
    assert shown(targets=("auth0|y", "ada@acme.test")) == ["blocked y"]
    # Days are whole (UTC), both ends included.
    assert shown(occurred_from=T0.date(), occurred_to=T0.date()) == ["done x", "blocked x"]
    assert shown(occurred_from=T0.date()) == ["blocked y", "done x", "blocked x"]
    assert shown(occurred_to=T0.date() - dt.timedelta(days=1)) == ["day before"]
    assert shown(actor="ada", action="user_block.requested", targets=("auth0|x",), occurred_from=T0.date()) == [
        "blocked x"]
