"""The dry run: a file read as spreadsheets export it, every row checked and planned against the directory, and
nothing sent to Auth0 (no operation exists until the admin confirms)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from onboarding.models import BulkJob, BulkRow
from onboarding.services import bulk_job_create
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from tests.factories import CompanyAdminFactory, RoleFactory
from tests.onboarding.conftest import csv_file, job_checked, member_create, unique_email

pytestmark = pytest.mark.django_db


def plans(job: BulkJob) -> dict[int, tuple[str, str]]:
    return {row.line: (row.action, row.message) for row in job.rows.order_by("line")}


def test_each_row_is_planned_and_nothing_is_sent(acme, admin) -> None:
    ada = member_create(acme, unique_email("ada"), user_metadata={"department": "Sales"})
    bob = member_create(acme, unique_email("bob"))
    new1, new2 = unique_email(), unique_email()
    job = job_checked(admin, acme, "\n".join([
        "Email,First name,Last name,department,seats,region,cost_centre,block",
        f"{new1},Grace,Hopper,Engineering,3,emea,,",
        "not-an-email,X,Y,,,,,",
        f"{new1.upper()},Again,Hopper,,,,,",
        f"{ada['email']},,,Sales,,,,",
        f"{ada['email'].replace('ada', 'ADA')},,,,,,,",
        f"{bob['email']},,,Support,,apac,,yes",
        f"{new2},Alan,Turing,,,,CC-1,",
        f"{unique_email()},,,,many,nowhere,,",
        f"{unique_email()},,,,,,,yes",
    ]))
    assert job.status == BulkJob.Status.READY and job.total_rows == job.checked_rows == 9
    got = plans(job)
    assert got[2] == ("invite", "")
    assert got[3] == ("error", "“not-an-email” is not a valid email address.")
    assert got[4] == ("error", f"{new1} is also on line 2: each person once per file.")
    assert got[5] == ("nothing", "Already a user of Acme, as this row says.")
    assert got[6][0] == "error" and "also on line 5" in got[6][1]
    assert got[7] == ("update", "Already a user of Acme: metadata and block.")
    assert got[8] == ("error", "Column “cost_centre”: Only company admins may change Cost centre.")
    assert got[9][0] == "error" and "Column “seats”: Enter a whole number, like 42." in got[9][1] \
        and "Column “region”: Choose one of: emea, apac, amer." in got[9][1]
    assert got[10] == ("error", "Someone new cannot be invited blocked: leave block empty for them.")
    grace = job.rows.get(line=2)
    assert (grace.given_name, grace.family_name) == ("Grace", "Hopper")
    assert grace.values == {"user_metadata": {"department": "Engineering", "seats": "3"},
                            "app_metadata": {"region": "emea"}}
    assert not Operation.objects.exists()
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["bulk.job_uploaded"]


def test_a_company_admin_may_set_their_fields_and_learns_of_accounts_elsewhere(acme) -> None:
    company = principal_for_user_id(CompanyAdminFactory().user_id, "Chief")
    elsewhere = unique_email("elsewhere")
    directory_user = {"user_id": "auth0|elsewhere", "email": elsewhere,
                      "identities": [{"connection": "globex-users", "provider": "auth0", "user_id": "elsewhere"}]}
    from users.directory.mirror import directory_users_upsert

    directory_users_upsert([directory_user])
    job = job_checked(company, acme, f"email,cost_centre\n{unique_email()},CC-9\n{elsewhere},\n")
    assert plans(job)[2] == ("invite", "")
    assert plans(job)[3] == ("invite", "Also has an account in globex-users: this invitation makes a separate one "
                                       "in acme-users.")
    admin = principal_for_user_id(RoleFactory(organization=acme, role="admin").user_id, "Boss")
    assert plans(job_checked(admin, acme, f"email\n{elsewhere}\n"))[2] == ("invite", ""), \
        "an organization's admin must not learn of an account in another organization's connection"


def test_an_existing_account_in_the_connection_is_added_not_invited(acme, admin) -> None:
    from users.directory.mirror import directory_users_upsert

    email = unique_email("known")
    # In the organization's connection, but (the shared-connection case) not one of its members.
    directory_users_upsert([{"user_id": "auth0|known", "email": email, "identities": [
        {"connection": "acme-users", "provider": "auth0", "user_id": "known"}]}])
    from users.models import Membership

    Membership.objects.filter(user__user_id="auth0|known").delete()
    assert plans(job_checked(admin, acme, f"email\n{email}\n"))[2] == (
        "add", "Already has an account: they get an invitation to join and become a member when they accept it.")


@pytest.mark.parametrize(("text", "bom"), [
    ("email;given_name;department\n{e};Ada;Sales, EMEA\n", False),
    ('email,given_name,department\n{e},Ada,"Sales, EMEA"\n', True),
    ('email,given_name,department\r\n{e},Ada,"Sales, EMEA"\r\n\r\n,,\r\n', False),
])
def test_comma_or_semicolon_with_or_without_a_byte_order_mark(acme, admin, text, bom) -> None:
    email = unique_email()
    job = bulk_job_create(actor=admin, organization=acme, file=csv_file(text.format(e=email), bom=bom))
    assert job.total_rows == 1
    row = job.rows.get()
    assert (row.line, row.email, row.cells) == (2, email, {"email": email, "given_name": "Ada",
                                                           "department": "Sales, EMEA"})


def test_a_quoted_cell_over_several_lines_keeps_the_line_the_row_starts_on(acme, admin) -> None:
    job = job_checked(admin, acme, f'email,department\n{unique_email()},"Two\nlines"\nbad,\n')
    assert [(r.line, r.action) for r in job.rows.order_by("line")] == [(2, "invite"), (4, "error")]
    assert job.rows.get(line=2).values == {"user_metadata": {"department": "Two\nlines"}}


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The file is empty"),
    (b"name,department\nAda,Sales\n", "the file has no email column"),
    (b"email,departmnt\na@acme.test,Sales\n", "“departmnt” is not a column the portal knows"),
    (b"email,Email\na@acme.test,b@acme.test\n", "these are given twice: email"),
    (b"email\n", "The file has a header but no rows."),
    (b"email,name\na@acme.test,Ad\xe9\n", "Line 2 is not UTF-8 text"),
    (b'email,name\na@acme.test,"Ada\n', "Line 2 cannot be read as CSV"),
])
def test_a_file_that_cannot_be_read_is_refused_whole_and_nothing_is_kept(acme, admin, content, message) -> None:
    with pytest.raises(ValidationError) as caught:
        bulk_job_create(actor=admin, organization=acme, file=io.BytesIO(content))
    assert message in " ".join(caught.value.messages)
    assert not BulkJob.objects.exists() and not BulkRow.objects.exists() and not AuditEvent.objects.exists()


def test_the_size_and_row_limits(acme, admin, settings) -> None:
    settings.BULK_MAX_ROWS = 3
    with pytest.raises(ValidationError, match="more than 3 rows"):
        bulk_job_create(actor=admin, organization=acme, file=csv_file("email\n" + "a@acme.test\n" * 4))
    settings.BULK_UPLOAD_MAX_BYTES = 1_000_000
    with pytest.raises(ValidationError, match="the limit is 1 MB"):
        bulk_job_create(actor=admin, organization=acme, file=csv_file("email\na@acme.test\n"), size=2_500_000)
    assert not BulkJob.objects.exists()


def test_only_the_organizations_admins_may_upload(acme) -> None:
    viewer = principal_for_user_id(RoleFactory(organization=acme, role="viewer").user_id, "Vic")
    with pytest.raises(PermissionDenied):
        bulk_job_create(actor=viewer, organization=acme, file=csv_file("email\na@acme.test\n"))
    assert not BulkJob.objects.exists()


def test_json_rows_are_checked_as_a_file_is(acme, admin) -> None:
    email = unique_email()
    job = bulk_job_create(actor=admin, organization=acme, rows=[
        {"email": email, "given_name": "Ada", "user_metadata": {"seats": 4}, "app_metadata": {"region": "apac"}},
        {"email": email},
    ])
    from onboarding.processing.check import bulk_job_check

    bulk_job_check(job.pk)
    assert plans(job) == {1: ("invite", ""), 2: ("error", f"{email} is also on line 1: each person once per file.")}
    assert job.rows.get(line=1).values == {"user_metadata": {"seats": 4}, "app_metadata": {"region": "apac"}}
    with pytest.raises(ValidationError, match="keys the portal does not know: password"):
        bulk_job_create(actor=admin, organization=acme, rows=[{"email": email, "password": "x"}])


def test_an_idempotency_key_returns_its_job_and_is_never_another_organizations(acme, admin) -> None:
    from tests.factories import OrganizationFactory

    first = bulk_job_create(actor=admin, organization=acme, rows=[{"email": unique_email()}], idempotency_key="k1")
    again = bulk_job_create(actor=admin, organization=acme, rows=[{"email": unique_email()}], idempotency_key="k1")
    assert again.pk == first.pk and BulkJob.objects.count() == 1
    other = OrganizationFactory(slug="globex", display_name="Globex", auth0_connection_id="con_g")
    company = principal_for_user_id(CompanyAdminFactory().user_id, "Chief")
    with pytest.raises(ValidationError, match="used for a job of another organization"):
        bulk_job_create(actor=company, organization=other, rows=[{"email": unique_email()}], idempotency_key="k1")
    assert BulkJob.objects.count() == 1


def test_a_required_field_the_admin_may_set_is_asked_of_everyone_invited_not_of_members(acme, admin) -> None:
    from organizations.models import MetadataField

    # Department the organization's admins set; Cost centre only company admins (not asked of this admin).
    MetadataField.objects.filter(organization=acme, key__in=["department", "cost_centre"]).update(required=True)
    ada = member_create(acme, unique_email("ada"), user_metadata={"department": "Sales"})
    bob = member_create(acme, unique_email("bob"))  # holds none: a member's row is an edit, not an invitation
    new1, new2, new3 = unique_email(), unique_email(), unique_email()
    with_column = job_checked(admin, acme, "\n".join([
        "email,department,seats",
        f"{new1},Engineering,",
        f"{new2},,3",
        f"{ada['email']},Sales,",
        f"{bob['email']},,2",
    ]))
    assert plans(with_column) == {
        2: ("invite", ""),
        3: ("error", "Column “department”: Enter a value: this field is required."),
        4: ("nothing", "Already a user of Acme, as this row says."),
        5: ("update", "Already a user of Acme: metadata."),
    }
    without_column = job_checked(admin, acme, f"email,seats\n{new3},3\n")
    assert plans(without_column) == {
        2: ("error", "Column “department” (not in the file): Enter a value: this field is required.")}
    assert not Operation.objects.exists()
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["bulk.job_uploaded"] * 2


def test_emails_match_whatever_their_case_as_the_invitation_matches_them(acme, admin) -> None:
    """``Ann@Acme.test`` in the directory, an invitation or a block is the row ``ann@acme.test``: a member, someone
    invited already, someone blocked; and a repeat in the file whatever its case."""
    import datetime as dt

    from django.utils import timezone

    from users.directory.mirror import directory_users_upsert
    from users.models import JoinInvitation, Membership, OrganizationBlock

    def in_connection(user_id: str, email: str) -> dict:
        return {"user_id": f"auth0|{user_id}", "email": email,
                "identities": [{"connection": "acme-users", "provider": "auth0", "user_id": user_id}]}

    directory_users_upsert([in_connection("ann", "Ann@Acme.test"), in_connection("dee", "Dee@Acme.test")])
    Membership.objects.filter(user__user_id="auth0|dee").delete()  # in the connection, not a member
    now = timezone.now()
    JoinInvitation.objects.create(organization=acme, user_id="auth0|jo", email="Jo@Acme.test", sent_at=now,
                                  expires_at=now + dt.timedelta(days=7))
    OrganizationBlock.objects.create(organization=acme, user_id="auth0|cy", email="Cy@Acme.test")
    job = job_checked(admin, acme, "email\nann@acme.test\nANN@acme.test\njo@acme.test\ncy@ACME.test\nDEE@acme.test\n")
    assert plans(job) == {
        2: ("nothing", "Already a user of Acme, as this row says."),
        3: ("error", "ann@acme.test is also on line 2: each person once per file."),
        4: ("error", "An invitation to jo@acme.test is already on its way."),
        5: ("error", "cy@acme.test is blocked in Acme: lift the block (the blocked people page) to let them back in."),
        6: ("add", "Already has an account: they get an invitation to join and become a member when they accept it."),
    }
    assert job.rows.get(line=2).user_id == "auth0|ann"
    assert not Operation.objects.exists()
