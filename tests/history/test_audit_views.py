"""The audit trail page and its CSV: for an organization's admins and viewers (company admins: every
organization's), newest first, filtered by actor, action, target (an email finds the events about the
users who have it) and days, the filters in the URL; bad filter input is explained beside its field and
never breaks the page; the CSV is the filtered trail, every page of it, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse

from organizations.selectors import AUDIT_NEWEST_FIRST, principal_for_user_id
from portal.keyset import KeysetPaginator
from portal.models import AuditEvent
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory, UserFactory
from tests.support.history import event_at, pages_walked
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def signed_in(organization, role: str) -> Client:
    client = Client()
    granted = RoleFactory(organization=organization, role=role)
    client.force_login(UserFactory(auth0_user_id=granted.user_id))
    return client


def company_admin() -> Client:
    client = Client()
    client.force_login(UserFactory(auth0_user_id=CompanyAdminFactory().user_id))
    return client


@pytest.fixture
def world():
    acme = OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users")
    beta = OrganizationFactory(slug="beta", display_name="Beta", connection_name="beta-users")
    ada = auth0_user(connection="acme-users", email="ada@acme.test", name="Ada Lovelace")
    bob = auth0_user(connection="acme-users", email="bob@acme.test", name="Bob")
    directory_users_upsert([ada, bob])
    boss = principal_for_user_id("auth0|boss", "Grace Boss")
    event_at(T0 - dt.timedelta(days=2), actor=boss, action="user.invite_requested", organization=acme,
             target_type="user", target_id="ada@acme.test", summary="Invited ada@acme.test to Acme")
    event_at(T0, actor=boss, action="user_block.requested", organization=acme, target_type="user",
             target_id=ada["user_id"], summary="Blocked Ada Lovelace")
    event_at(T0 + dt.timedelta(minutes=1), action="user_block.succeeded", organization=acme, target_type="operation",
             target_id=ada["user_id"], summary="Block a user: done")
    event_at(T0 + dt.timedelta(hours=1), actor=boss, action="user_block.requested", organization=acme,
             target_type="user", target_id=bob["user_id"], summary="Blocked Bob")
    event_at(T0, actor=boss, action="organization.updated", organization=beta, target_type="organization",
             target_id="beta", summary="Updated Beta's settings")
    event_at(T0, actor=boss, action="company_admin.granted", target_type="user", target_id="auth0|new",
             summary="Made someone a company admin")
    return {"acme": acme, "beta": beta, "ada": ada, "bob": bob}


def summaries(response) -> list[str]:
    return [row.event.summary for row in response.context["rows"]]


def trail(client: Client, **params):
    return client.get(reverse("audit_event_list", kwargs={"slug": "acme"}), params)


def test_admins_and_viewers_see_their_organizations_trail_newest_first(world) -> None:
    for role in ("admin", "viewer"):
        response = trail(signed_in(world["acme"], role))
        assert response.status_code == 200
        assert summaries(response) == ["Blocked Bob", "Block a user: done", "Blocked Ada Lovelace",
                                       "Invited ada@acme.test to Acme"]
        html = response.content.decode()
        # Labels and names, never codes or raw ids.
        for text in ("Block a user: requested", "Block a user: done", "Invitation requested", "Grace Boss",
                     "Ada Lovelace (ada@acme.test)", "2026-03-10 12:00:00"):
            assert text in html, text
        assert world["ada"]["user_id"] not in html and "user_block.requested" not in html.split("<select")[0]
    assert trail(signed_in(world["beta"], "admin")).status_code == 404


def test_each_filter_narrows_the_trail_and_stays_in_the_links(world) -> None:
    viewer = signed_in(world["acme"], "viewer")
    assert summaries(trail(viewer, actor="grace")) == ["Blocked Bob", "Blocked Ada Lovelace",
                                                       "Invited ada@acme.test to Acme"]
    assert summaries(trail(viewer, actor="system")) == ["Block a user: done"]
    assert summaries(trail(viewer, action="user_block.requested")) == ["Blocked Bob", "Blocked Ada Lovelace"]
    # An email finds the events recorded with it and those about the users who have it.
    assert summaries(trail(viewer, target="ADA@acme.test")) == ["Block a user: done", "Blocked Ada Lovelace",
                                                                 "Invited ada@acme.test to Acme"]
    assert summaries(trail(viewer, target=world["bob"]["user_id"])) == ["Blocked Bob"]
    day = T0.date().isoformat()
    assert summaries(trail(viewer, occurred_from=day, occurred_to=day)) == [
        "Blocked Bob", "Block a user: done", "Blocked Ada Lovelace"]
    response = trail(viewer, action="user_block.requested", occurred_from=day)
    assert response.context["export_url"] == (
        "/o/acme/audit/export.csv?action=user_block.requested&occurred_from=2026-03-10")
    assert 'value="2026-03-10"' in response.content.decode()
    assert '<option value="user_block.requested" selected>Block a user: requested</option>' in (
        response.content.decode())


def newest_first(events: list[AuditEvent]) -> list[int]:
    return [e.pk for e in sorted(events, key=lambda e: (e.occurred_at, e.pk), reverse=True)]


def event_key(row):
    return row.event.pk


@pytest.fixture
def long_trail(world, monkeypatch) -> list[AuditEvent]:
    """60 more events in Acme and Beta, three to a minute (ties broken by id), two actions; 7 a page."""
    monkeypatch.setattr("history.audit_views.AUDIT_EVENTS_PER_PAGE", 7)
    return [event_at(T0 + dt.timedelta(days=1, minutes=n // 3), action="role.granted" if n % 2 else "role.revoked",
                     organization=world["acme"] if n % 4 else world["beta"], summary=f"role {n}")
            for n in range(60)]


@pytest.mark.parametrize(("params", "kept"), [
    ({}, lambda e: True),
    ({"action": "role.granted"}, lambda e: e.action == "role.granted"),
    ({"actor": "system", "occurred_from": "2026-03-11"}, lambda e: e.summary.startswith("role ")),
])
def test_every_page_forward_and_back_shows_each_event_once_in_order(world, long_trail, params, kept) -> None:
    viewer = signed_in(world["acme"], "viewer")
    forward, backward = pages_walked(viewer, reverse("audit_event_list", kwargs={"slug": "acme"}), params, event_key)
    expected = newest_first([e for e in AuditEvent.objects.filter(organization=world["acme"]) if kept(e)])
    assert forward == backward == expected and len(expected) > 7


@pytest.mark.parametrize("params", [{}, {"org": "beta"}, {"org": "-"}])
def test_a_company_admin_walks_every_organizations_trail(world, long_trail, params) -> None:
    forward, backward = pages_walked(company_admin(), reverse("company_audit_event_list"), params, event_key)
    events = AuditEvent.objects.all()
    if params.get("org") == "beta":
        events = events.filter(organization=world["beta"])
    elif params:
        events = events.filter(organization=None)
    assert forward == backward == newest_first(list(events))


def test_a_forged_cursor_or_another_organizations_shows_only_this_trail(world, long_trail) -> None:
    viewer = signed_in(world["acme"], "viewer")
    response = trail(viewer, after="forged-and-unsigned")
    assert response.status_code == 200
    message = "This page link is damaged or out of date. Showing the first page."
    assert f'<div class="alert alert-warning" role="alert">{message}</div>' in response.content.decode()
    assert summaries(response) == summaries(trail(viewer))
    # A cursor after one of Beta's events (as the company page makes them): on Acme's trail only a position.
    beta_event = next(e for e in reversed(long_trail) if e.organization == world["beta"])
    cursor = KeysetPaginator(AuditEvent.objects.all(), AUDIT_NEWEST_FIRST, 7).cursor(beta_event)
    shown = trail(viewer, after=cursor)
    acme_events = newest_first(list(AuditEvent.objects.filter(organization=world["acme"])))
    everything = newest_first(list(AuditEvent.objects.all()))
    after = [pk for pk in everything[everything.index(beta_event.pk) + 1:] if pk in acme_events]
    assert [r.event.pk for r in shown.context["rows"]] == after[:7]
    assert signed_in(world["beta"], "admin").get(
        reverse("audit_event_list", kwargs={"slug": "acme"}), {"after": cursor}).status_code == 404


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"occurred_from": "2026-02-30"}, "occurred_from", "Enter a valid date."),
    ({"occurred_to": "yesterday"}, "occurred_to", "Enter a valid date."),
    ({"occurred_from": "2026-03-08", "occurred_to": "2026-03-07"}, "occurred_to", "The range ends before it starts."),
    ({"actor": "x" * 500}, "actor", "Ensure this value has at most 200 characters (it has 500)."),
    ({"target": "y" * 400}, "target", "Ensure this value has at most 320 characters (it has 400)."),
    ({"action": "drop table"}, "action", "Select a valid choice. drop table is not one of the available choices."),
])
def test_bad_filter_input_is_explained_beside_its_field(world, params, field, message) -> None:
    response = trail(signed_in(world["acme"], "admin"), **params)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert "Some filters could not be used (marked below): the trail is shown without them." in html
    assert len(response.context["rows"]) == 4  # the bad filter left out, the good ones kept
    if field == "occurred_from":
        assert f'value="{params[field]}"' in html  # shown as typed, to correct it


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_csv_is_the_filtered_trail_and_safe_in_a_spreadsheet(world) -> None:
    event_at(T0 + dt.timedelta(hours=2), actor=principal_for_user_id("auth0|evil", '=HYPERLINK("http://evil.test")'),
             action="user_block.requested", organization=world["acme"], target_type="user", target_id="+1-evil",
             summary="@SUM(A1:A9)")
    admin = signed_in(world["acme"], "viewer")
    response = admin.get(reverse("audit_event_export", kwargs={"slug": "acme"}), {"action": "user_block.requested"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="acme-audit-trail-')
    header, *rows = csv_rows(response)
    assert header == ["Time (UTC)", "Actor", "Actor user id", "Action", "Target", "Target id", "What happened"]
    assert rows[0] == ["2026-03-10 14:00:00", "'=HYPERLINK(\"http://evil.test\")", "auth0|evil",
                       "Block a user: requested", "'+1-evil", "'+1-evil", "'@SUM(A1:A9)"]
    assert [r[6] for r in rows[1:]] == ["Blocked Bob", "Blocked Ada Lovelace"]
    assert rows[2][4] == "Ada Lovelace (ada@acme.test)"


def test_a_csv_with_bad_filters_goes_back_to_the_page_showing_them(world) -> None:
    admin = signed_in(world["acme"], "admin")
    response = admin.get(reverse("audit_event_export", kwargs={"slug": "acme"}), {"occurred_to": "soon"},
                         follow=True)
    assert response.redirect_chain[0][0] == "/o/acme/audit/?occurred_to=soon"
    assert response.context["form"].errors["occurred_to"] == ["Enter a valid date."]
    assert "Correct the filters marked below, then download again." in response.content.decode()


def test_company_admins_see_every_organization_and_what_happened_outside_any(world) -> None:
    company = company_admin()
    response = company.get(reverse("company_audit_event_list"))
    assert len(response.context["rows"]) == 6
    html = response.content.decode()
    assert "Beta" in html and "Made someone a company admin" in html
    assert summaries(company.get(reverse("company_audit_event_list"), {"org": "beta"})) == ["Updated Beta's settings"]
    assert summaries(company.get(reverse("company_audit_event_list"), {"org": "-"})) == [
        "Made someone a company admin"]
    export = company.get(reverse("company_audit_event_export"), {"org": "beta"})
    assert export["Content-Disposition"].startswith('attachment; filename="beta-audit-trail-')
    header, *rows = csv_rows(export)
    assert header[1] == "Organization" and rows == [
        ["2026-03-10 12:00:00", "Beta", "Grace Boss", "auth0|boss", "Organization settings changed", "Beta", "beta",
         "Updated Beta's settings"]]
    for name in ("company_audit_event_list", "company_audit_event_export"):
        assert signed_in(world["acme"], "admin").get(reverse(name)).status_code == 404


def test_the_trail_is_paged_newest_first_with_links_between_pages(world) -> None:
    from history.audit_views import AUDIT_EVENTS_PER_PAGE

    acme = world["acme"]
    boss = principal_for_user_id("auth0|boss", "Grace Boss")
    for n in range(AUDIT_EVENTS_PER_PAGE + 5):
        event_at(T0 + dt.timedelta(minutes=n + 1), actor=boss, action="user_unblock.requested", organization=acme,
                 target_type="user", target_id=f"auth0|paged{n}", summary=f"Paged event {n}")
    viewer = signed_in(acme, "viewer")
    response = viewer.get(reverse("audit_event_list", kwargs={"slug": "acme"}))
    first = response.content.decode()
    assert f"Paged event {AUDIT_EVENTS_PER_PAGE + 4}" in first and "Paged event 0<" not in first
    assert 'rel="next">Older</a>' in first and '>Oldest</a>' in first and f"{AUDIT_EVENTS_PER_PAGE + 9} events" in first
    assert '<span class="page-link" aria-disabled="true">Newest</span>' in first
    second = viewer.get(response.context["listing"].next_url).content.decode()
    assert "Paged event 0<" in second and 'rel="prev">Newer</a>' in second and '>Newest</a>' in second
    assert '<span class="page-link" aria-disabled="true">Older</span>' in second
