"""Bulk onboarding over the API: a job from JSON rows or a CSV file, checked by its task, started, its rows'
operations run against the emulator (their own tasks, ``.apply()``), the job finished with each row's outcome
and a report; pause, resume, cancel and discard; Idempotency-Key; bad input is a 400 that keeps nothing."""

from __future__ import annotations

import csv
import io

import pytest

from api.models import IdempotentRequest
from app_roles.catalog import tenant_roles_refresh
from app_roles.models import GrantableRole
from auth0_emulator.seed import demo_role_id
from auth0_gateway import gateway
from onboarding.models import BulkJob, BulkRow
from onboarding.tasks import bulk_job_check
from organizations.models import MembershipMode
from portal.models import AuditEvent, Operation
from tests.factories import OrganizationFactory, RoleFactory
from tests.onboarding.conftest import job_run, member_create, schema_add, unique_email
from tests.support.api_tokens import register, tool_token

pytestmark = pytest.mark.django_db

BASE = "/api/v1/organizations/acme/bulk-jobs/"


@pytest.fixture
def acme(api_on_changing_emulator):
    organization = OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                                       membership_mode=MembershipMode.ISOLATED_CONNECTION,
                                       auth0_connection_id="con_a")
    schema_add(organization)
    RoleFactory(organization=organization, role="admin")  # Acme keeps another admin: its guardrails allow blocks
    return organization


@pytest.fixture
def tool(acme, api_on_changing_emulator, changing_emulator):
    """A client registered for Acme alone, with every permission."""
    register(organizations=[acme])
    return api_on_changing_emulator(tool_token(changing_emulator))


def checked(tool, response) -> dict:
    """The job a 202 answered, after its check task ran: polled at its Location until ready."""
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == f"{BASE}{job['id']}/" == job["url"]
    bulk_job_check.apply(args=[job["id"]])
    polled = tool.get(response["Location"])
    assert polled.status_code == 200
    return polled.json()


def rows_of(tool, job: dict, **params) -> list[dict]:
    response = tool.get(job["rows_url"], params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_json_rows_are_checked_started_and_run_to_the_end(tool, acme) -> None:
    member = member_create(acme, unique_email("member"))
    new = unique_email()
    response = tool.post(BASE, {"rows": [
        {"email": new, "given_name": "Grace", "family_name": "Hopper", "user_metadata": {"department": "Sales"},
         "app_metadata": {"region": "emea"}},
        {"email": member["email"], "block": True},
        {"email": "not-an-email"},
    ]}, format="json")
    assert response.json()["status"] == "checking" and response.json()["source"] == "api"
    job = checked(tool, response)
    assert job["status"] == "ready" and job["status_label"] == "Checked: waiting for confirmation"
    assert job["actions"] == {"invite": 1, "add": 0, "update": 1, "nothing": 0, "error": 1}
    assert job["progress"]["rows_to_send"] == 2 and job["progress"]["total_rows"] == 3
    planned = rows_of(tool, job)
    assert [(r["line"], r["email"], r["action"]) for r in planned] == [
        (1, new, "invite"), (2, member["email"], "update"), (3, "not-an-email", "error")]
    assert planned[1]["user_id"] == member["user_id"]
    errors = rows_of(tool, job, show="errors")
    assert [r["line"] for r in errors] == [3] and "not a valid email" in errors[0]["message"]
    assert not Operation.objects.exists()  # the check sent nothing

    started = tool.post(f"{job['url']}start/")
    assert started.status_code == 202, started.content
    assert started.json()["status"] == "running" and started["Location"] == job["url"]
    job_run(BulkJob.objects.get(pk=job["id"]))

    finished = tool.get(job["url"]).json()
    assert finished["status"] == "finished" and finished["finished_at"]
    assert finished["progress"]["done"] == 2 and finished["progress"]["skipped"] == 1
    assert finished["progress"]["percent"] == 100 and finished["progress"]["finished"] is True
    outcomes = {r["line"]: (r["outcome"], r["outcome_message"]) for r in rows_of(tool, finished)}
    assert outcomes == {1: ("done", "Invited: a set-password email was sent."), 2: ("done", "Updated."),
                        3: ("skipped", "")}
    invited = gateway().users_by_email(email=new)
    assert len(invited) == 1 and invited[0]["given_name"] == "Grace"
    assert invited[0]["user_metadata"] == {"department": "Sales"} and invited[0]["app_metadata"] == {"region": "emea"}
    assert rows_of(tool, finished, show="done")[0]["user_id"] == invited[0]["user_id"]
    assert gateway().user_get(user_id=member["user_id"])["blocked"] is True
    # Whoever asked is the actor of every operation and audit event.
    assert set(Operation.objects.values_list("actor_user_id", flat=True)) == {"portal-tool-dev@clients"}
    assert AuditEvent.objects.filter(action="bulk.job_started", actor_user_id="portal-tool-dev@clients").exists()

    report = tool.get(finished["report_url"])
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert lines[0][:7] == ["line", "planned", "check", "outcome", "outcome_detail", "auth0_user_id", "email"]
    assert lines[1][:6] == ["1", "Invite", "", "Done", "Invited: a set-password email was sent.",
                            invited[0]["user_id"]]
    assert [line[3] for line in lines[1:]] == ["Done", "Done", "Skipped"]


def test_a_csv_file_upload_and_the_job_list(tool, acme, settings) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # written to a temporary file, as a large upload is, and read from it
    new = unique_email()
    upload = io.BytesIO(f"Email;First name;department\n{new};Ada;Support\n".encode())
    upload.name = "people.csv"
    job = checked(tool, tool.post(BASE, {"file": upload}, format="multipart"))
    assert job["file_name"] == "people.csv" and job["total_rows"] == 1 and job["source"] == "api"
    assert job["actions"]["invite"] == 1
    assert rows_of(tool, job)[0]["line"] == 2  # the file's line (the header is line 1)
    listed = tool.get(BASE, {"size": 1})
    assert listed.status_code == 200
    assert [j["id"] for j in listed.json()["results"]] == [job["id"]]
    assert listed.json()["next_cursor"] is None


def test_json_rows_may_be_more_than_other_requests_up_to_the_upload_limit(tool, acme, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # every other route's limit on a request body
    rows = [{"email": unique_email(), "given_name": "Someone"} for _ in range(40)]
    assert len(str(rows)) > 1000
    assert checked(tool, tool.post(BASE, {"rows": rows}, format="json"))["actions"]["invite"] == 40
    settings.BULK_UPLOAD_MAX_BYTES = 1000
    refused = tool.post(BASE, {"rows": rows}, format="json")
    assert refused.status_code == 400 and "over the limit of" in refused.json()["errors"]["rows"][0]
    assert BulkJob.objects.count() == 1


def test_pause_resume_cancel_and_refusals_for_the_status(tool, acme) -> None:
    job = checked(tool, tool.post(BASE, {"rows": [{"email": unique_email()}, {"email": unique_email()}]},
                                  format="json"))
    # The request is right, the job's status is not: a 409 Conflict that says why.
    refused = tool.post(f"{job['url']}pause/")
    assert refused.status_code == 409
    assert refused.json() == {"error": "conflict",
                              "detail": "This job cannot be paused now: it is checked: waiting for confirmation."}
    assert tool.post(f"{job['url']}start/").json()["status"] == "running"
    assert tool.post(f"{job['url']}start/").status_code == 409
    assert tool.post(f"{job['url']}pause/").json()["status"] == "paused"
    assert tool.post(f"{job['url']}resume/").json()["status"] == "running"
    cancelled = tool.post(f"{job['url']}cancel/")
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
    # The start sent its rows on commit; nothing ran them yet: each row was under way or is now cancelled.
    assert tool.delete(job["url"]).status_code == 409  # only a job that never started is discarded
    assert BulkJob.objects.filter(pk=job["id"]).exists()


def test_discard_deletes_a_job_that_has_not_started(tool, acme) -> None:
    job = checked(tool, tool.post(BASE, {"rows": [{"email": unique_email()}]}, format="json"))
    assert tool.delete(job["url"]).status_code == 204
    assert not BulkJob.objects.exists() and not BulkRow.objects.exists()
    assert tool.get(job["url"]).status_code == 404
    assert AuditEvent.objects.filter(action="bulk.job_discarded").exists()


def test_idempotency_key_returns_the_same_job(tool, acme) -> None:
    body = {"rows": [{"email": unique_email()}]}
    first = tool.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")
    assert first.status_code == 202
    bulk_job_check.apply(args=[first.json()["id"]])
    again = tool.post(BASE, body, format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and again.json()["status"] == "ready"  # as it is now
    assert BulkJob.objects.count() == 1
    other = tool.post(BASE, {"rows": [{"email": unique_email()}]}, format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")
    assert other.status_code == 422 and BulkJob.objects.count() == 1


def test_idempotency_key_with_a_file_tells_files_of_one_name_apart(tool, acme) -> None:
    def upload(email: str) -> io.BytesIO:
        file = io.BytesIO(f"email\n{email}\n".encode())
        file.name = "people.csv"
        return file

    email = unique_email()
    first = tool.post(BASE, {"file": upload(email)}, format="multipart", HTTP_IDEMPOTENCY_KEY="file-1")
    again = tool.post(BASE, {"file": upload(email)}, format="multipart", HTTP_IDEMPOTENCY_KEY="file-1")
    assert first.status_code == again.status_code == 202 and again.json()["id"] == first.json()["id"]
    other = tool.post(BASE, {"file": upload(unique_email())}, format="multipart", HTTP_IDEMPOTENCY_KEY="file-1")
    assert other.status_code == 422 and BulkJob.objects.count() == 1
    assert BulkJob.objects.get().rows.get().email == email


def test_bad_input_is_a_400_and_keeps_nothing(tool, acme, settings) -> None:
    def refused(response, field: str) -> str:
        assert response.status_code == 400, response.content
        assert list(response.json()["errors"]) == [field], response.json()
        return " ".join(response.json()["errors"][field])

    audit_before = AuditEvent.objects.count()
    assert "at least one row" in refused(tool.post(BASE, {"rows": []}, format="json"), "rows")
    assert "Send" in refused(tool.post(BASE, {}, format="json"), "rows")
    assert "Not a field of a row" in refused(
        tool.post(BASE, {"rows": [{"email": unique_email(), "phone": "1"}]}, format="json"), "rows[0].phone")
    # The rows' shape is the schema's: a row's email must be text, block true, false or null.
    assert "valid string" in refused(tool.post(BASE, {"rows": [{"email": 5}]}, format="json"), "rows[0].email")
    assert "boolean" in refused(
        tool.post(BASE, {"rows": [{"email": unique_email(), "block": "yes"}]}, format="json"), "rows[0].block")
    assert refused(tool.post(BASE, {"rows": [{"email": unique_email()}], "dry_run": True}, format="json"), "dry_run")
    assert "no email column" in refused(
        tool.post(BASE, {"file": io.BytesIO(b"name,department\nAda,Sales\n")}, format="multipart"), "file")
    assert "header but no rows" in refused(
        tool.post(BASE, {"file": io.BytesIO(b"email\n")}, format="multipart"), "file")
    assert "multipart field file" in refused(tool.post(BASE, {"other": "x"}, format="multipart"), "file")
    settings.BULK_UPLOAD_MAX_BYTES = 100
    oversize = io.BytesIO(b"email\n" + b"".join(f"{unique_email()}\n".encode() for _ in range(10)))
    assert "the limit is" in refused(tool.post(BASE, {"file": oversize}, format="multipart"), "file")
    huge = io.BytesIO(b"email\n" + b"x" * 70_000)
    assert "over the limit" in refused(tool.post(BASE, {"file": huge}, format="multipart"), "file")
    assert not BulkJob.objects.exists() and not BulkRow.objects.exists()
    assert AuditEvent.objects.count() == audit_before and not IdempotentRequest.objects.exists()

    job = checked(tool, tool.post(BASE, {"rows": [{"email": unique_email()}]}, format="json"))
    assert refused(tool.get(job["rows_url"], {"show": "everything"}), "show")
    assert tool.get(f"{BASE}not-a-uuid/").status_code == 404


def test_reads_need_users_read_and_writes_users_write(acme, api_on_changing_emulator, changing_emulator) -> None:
    register(organizations=[acme])
    reader = api_on_changing_emulator(tool_token(changing_emulator, scope="users:read"))
    response = reader.post(BASE, {"rows": [{"email": unique_email()}]}, format="json")
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"
    assert not BulkJob.objects.exists()
    assert reader.get(BASE).status_code == 200
    auditor = api_on_changing_emulator(tool_token(changing_emulator, scope="audit:read"))
    refused = auditor.get(BASE)
    assert refused.status_code == 403 and 'scope="users:read"' in refused["WWW-Authenticate"]


def test_a_viewer_client_is_refused_bulk_jobs(acme, api_on_changing_emulator, changing_emulator) -> None:
    """Bulk onboarding is the organization's admins' (as on its page): a client registered to read only is
    Acme's viewer, and is refused even the list."""
    register(organizations=[acme], permissions=["users:read"])
    viewer = api_on_changing_emulator(tool_token(changing_emulator))
    refused = viewer.get(BASE)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert viewer.get("/api/v1/organizations/acme/users/").status_code == 200


def test_a_row_of_the_schemas_shape_is_taken_as_given_and_its_problems_reported_per_row(tool, acme) -> None:
    # "\u0085" is text of one character (the schema's minLength 1), which Python's strip() would have made blank
    # and a 400: the job takes it, and its check says what is wrong with the row.
    job = checked(tool, tool.post(BASE, {"rows": [{"email": "\u0085"}, {"email": unique_email()}]}, format="json"))
    assert job["actions"]["error"] == 1 and job["actions"]["invite"] == 1
    assert [row["line"] for row in rows_of(tool, job, show="errors")] == [1]


def test_rows_with_application_roles_are_checked_per_row(tool, acme) -> None:
    """A row's roles are the organization's grantable roles by label: one outside the set is that row's error,
    naming it; a list of anything but names is a 400 that keeps nothing."""
    tenant_roles_refresh()
    GrantableRole.objects.create(organization=acme, role_id=demo_role_id("Editor"), label="Writer")
    new, outside = unique_email(), unique_email()
    job = checked(tool, tool.post(BASE, {"rows": [{"email": new, "roles": ["writer"]},
                                                  {"email": outside, "roles": ["Writer", "Billing admin"]}]},
                                  format="json"))
    planned = {row["email"]: (row["action"], row["message"]) for row in rows_of(tool, job)}
    assert planned[new] == ("invite", "Application roles once their account is ready: Writer.")
    assert planned[outside] == ("error", "Column “roles”: “Billing admin” is not an application role Acme may grant.")
    assert BulkRow.objects.get(email=new).app_role_ids == [demo_role_id("Editor")]
    jobs = BulkJob.objects.count()
    response = tool.post(BASE, {"rows": [{"email": unique_email(), "roles": "Writer"}]}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["rows[0].roles"]
    assert BulkJob.objects.count() == jobs
