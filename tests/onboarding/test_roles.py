"""The ``roles`` column of bulk onboarding: the organization's grantable roles by label (or Auth0 name or id),
separated by ``|``; the dry run names, per row, a role outside the set; the run gives someone new the roles with
their invitation and a member the roles not granted yet, each an assignment operation (run here with ``.apply()``
against the emulator), the row done once they all are; the upload page and the template offer the column only
where the organization may grant roles."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from app_roles.acts import app_role_assign_request
from app_roles.catalog import tenant_roles_refresh
from app_roles.models import AppRoleGrant, GrantableRole
from app_roles.tasks import app_role_assign
from auth0_emulator.seed import demo_role_id
from auth0_gateway import gateway
from onboarding.models import BulkJob
from onboarding.processing.report import bulk_report_rows
from onboarding.services import bulk_job_start
from portal.models import Operation
from tests.factories import UserFactory
from tests.onboarding.conftest import job_checked, job_run, member_create, unique_email

pytestmark = pytest.mark.django_db
VIEWER, EDITOR, BILLING = (demo_role_id(name) for name in ("Viewer", "Editor", "Billing admin"))


@pytest.fixture
def grantable(acme) -> None:
    """Acme may grant Viewer as "Reader" and Editor as "Writer" (the tenant's roles mirrored)."""
    tenant_roles_refresh()
    GrantableRole.objects.create(organization=acme, role_id=VIEWER, label="Reader")
    GrantableRole.objects.create(organization=acme, role_id=EDITOR, label="Writer")


@pytest.fixture
def admin_client(admin) -> Client:
    client = Client()
    client.force_login(UserFactory(auth0_user_id=admin.user_id))
    return client


def plans(job: BulkJob) -> dict[int, tuple[str, str, list[str]]]:
    return {row.line: (row.action, row.message, row.app_role_ids) for row in job.rows.order_by("line")}


def auth0_roles(user_id: str) -> set[str]:
    return {role["id"] for role in gateway().user_roles(user_id=user_id)}


def test_the_dry_run_checks_each_rows_roles_and_names_one_outside_the_set(acme, admin, grantable) -> None:
    reader = member_create(acme, unique_email("reader"))
    plain = member_create(acme, unique_email("plain"))
    assign = app_role_assign_request(actor=admin, organization=acme, user_id=reader["user_id"], role_id=VIEWER)
    app_role_assign.apply(args=[str(assign.pk)])
    new = [unique_email() for _ in range(5)]
    job = job_checked(admin, acme, "\n".join([
        "email,roles",
        f"{new[0]},Reader|Writer",
        f"{new[1]}, reader |Editor ",  # a label whatever its case; the Auth0 name of a role Acme may grant
        f"{new[2]},Reader|Billing admin",
        f"{new[3]},Reader;Writer",
        f"{new[4]},{EDITOR}",
        f"{reader['email']},Reader|Writer",
        f"{plain['email']},",
        f"{reader['email'].upper()},Reader",
    ]))
    got = plans(job)
    assert got[2] == ("invite", "Application roles once their account is ready: Reader, Writer.", [VIEWER, EDITOR])
    assert got[3] == ("invite", "Application roles once their account is ready: Reader, Writer.", [VIEWER, EDITOR])
    assert got[4] == ("error", "Column “roles”: “Billing admin” is not an application role Acme may grant.", [])
    assert got[5] == ("error", "Column “roles”: “Reader;Writer” is not an application role Acme may grant.", [])
    assert got[6] == ("invite", "Application roles once their account is ready: Writer.", [EDITOR])
    # A member gets the roles Acme has not granted them yet; one with none to give has nothing to do.
    assert got[7] == ("update", "Already a user of Acme: application roles Writer.", [EDITOR])
    assert got[8] == ("nothing", "Already a user of Acme, as this row says.", [])
    assert got[9][0] == "error" and "also on line 7" in got[9][1]
    assert Operation.objects.filter(idempotency_key__startswith="bulk:").count() == 0  # the check sent nothing


def test_the_run_gives_the_roles_and_checks_them_again(acme, admin, grantable) -> None:
    member, other = member_create(acme, unique_email("member")), member_create(acme, unique_email("other"))
    new = unique_email()
    job = job_checked(admin, acme, f"email,roles\n{new},Writer\n{member['email']},Reader|Writer\n"
                                   f"{other['email']},Writer\n")
    assert [row.action for row in job.rows.order_by("line")] == ["invite", "update", "update"]
    # Between the preview and the run, another admin gives the other member Writer: the run's own check refuses it.
    ahead = app_role_assign_request(actor=admin, organization=acme, user_id=other["user_id"], role_id=EDITOR)
    app_role_assign.apply(args=[str(ahead.pk)])
    job = job_run(bulk_job_start(actor=admin, job=job))
    outcomes = {row.line: (row.outcome, row.outcome_message) for row in job.rows.order_by("line")}
    assert outcomes[2] == ("done", "Invited: a set-password email was sent.")
    assert outcomes[3] == ("done", "Updated.")
    assert outcomes[4][0] == "skipped" and "already holds Writer" in outcomes[4][1]
    # The member's two assignments, keyed by the job's row, ran as the row's.
    assert auth0_roles(member["user_id"]) == {VIEWER, EDITOR}
    assert sorted(Operation.objects.filter(idempotency_key__startswith=f"bulk:{job.pk}:3:").values_list(
        "kind", "status")) == [("app_role_assign", "succeeded")] * 2
    # The invitation's role follows once the person is ready, as a single invitation's does.
    [invited] = gateway().users_by_email(email=new)
    [follow_up] = Operation.objects.filter(kind="app_role_assign", target=invited["user_id"])
    assert follow_up.payload["via"] == "invitation"
    app_role_assign.apply(args=[str(follow_up.pk)])
    assert auth0_roles(invited["user_id"]) == {EDITOR}
    assert set(AppRoleGrant.objects.filter(user__user_id=invited["user_id"]).values_list(
        "role_id", "organization__slug")) == {(EDITOR, "acme")}
    report = list(bulk_report_rows(job))
    assert report[0][-1] == "roles" and report[2][-1] == "Reader|Writer"


def test_the_upload_page_and_template_offer_the_column_where_roles_may_be_granted(acme, admin_client) -> None:
    page = admin_client.get(reverse("bulk_upload", kwargs={"slug": "acme"}))
    assert "roles" not in [column.header for column in page.context["guide"]]
    tenant_roles_refresh()
    GrantableRole.objects.create(organization=acme, role_id=VIEWER, label="Reader")
    GrantableRole.objects.create(organization=acme, role_id=EDITOR, label="Writer")
    guide = {column.header: column for column in admin_client.get(
        reverse("bulk_upload", kwargs={"slug": "acme"})).context["guide"]}
    assert list(guide)[:6] == ["email", "given_name", "family_name", "name", "block", "roles"]
    assert "(Reader, Writer), by label, separated by |" in guide["roles"].rules
    template = b"".join(admin_client.get(reverse("bulk_template", kwargs={"slug": "acme"})).streaming_content)
    assert template.decode("utf-8-sig").splitlines()[0].startswith("email,given_name,family_name,name,block,roles,")
