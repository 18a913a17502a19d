"""Bulk onboarding in a browser: an organization's admin uploads a CSV with good rows, a bad email, a repeated
email, an existing member and a row setting a field only company admins may set; the check runs; the preview
says what will happen to each row; after confirming and running the operations, the invitation emails are in the
outbox for the good rows alone, and the report (page and CSV) says the same."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from auth0_gateway import gateway
from onboarding.models import BulkJob
from onboarding.tasks import bulk_job_advance, bulk_job_check
from organizations.models import Audience, MetadataField
from portal.celery import app
from portal.models import Operation, OutboxMessage
from tests.e2e.pages import check_page, sign_in
from users import tasks as _users_tasks  # noqa: F401 - registers the operations' tasks
from users.acts.invite import password_random
from users.directory.mirror import directory_user_write_through

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def run_until_finished(job: BulkJob, rounds: int = 30) -> BulkJob:
    """What the workers would do: advance the job, run each operation it queued, until it has ended."""
    for _ in range(rounds):
        bulk_job_advance.apply(args=[str(job.pk)])
        pending = Operation.objects.filter(idempotency_key__startswith=f"bulk:{job.pk}:",
                                           status=Operation.Status.PENDING).order_by("created_at")
        for operation in pending:
            app.tasks[operation.task_name].apply(args=[str(operation.pk)])
        job.refresh_from_db()
        if job.finished_at is not None and not pending.exists():
            return job
    raise AssertionError(f"the job did not end: {job.status}")


def test_an_admin_onboards_a_file_and_only_the_good_rows_are_invited(portal, page: Page, acme, created_users,
                                                                     tmp_path: Path) -> None:
    MetadataField.objects.create(organization=acme, key="department", label="Department", max_length=20, position=0)
    MetadataField.objects.create(organization=acme, key="cost_centre", label="Cost centre", target="app_metadata",
                                 editable_by=Audience.COMPANY_ADMIN, visible_to=Audience.ORG_ADMIN, position=1)
    tag = uuid.uuid4().hex[:8]
    grace, alan, member, sneaky = (f"{who}-{tag}@acme.test" for who in ("grace", "alan", "member", "sneaky"))
    created_users.extend([grace, alan, member, sneaky])
    directory_user_write_through(gateway().user_create(connection="acme-users", email=member,
                                                       password=password_random(), name="Mo Member"))
    lines = [
        "email;given_name;family_name;department;cost_centre",  # semicolons, as some spreadsheets write
        f"{grace};Grace;Hopper;Engineering;",
        f"{alan};Alan;Turing;;",
        "not-an-email;Bad;Row;;",
        f"{grace.upper()};Grace;Again;;",
        f"{member};;;;",
        f"{sneaky};;;;CC-42",
    ]
    upload = tmp_path / "people.csv"
    upload.write_text("\n".join(lines) + "\n", encoding="utf-8")

    sign_in(page, portal, "admin@acme.test")
    check_page(page)
    page.goto(f"{portal}/o/acme/users/")
    check_page(page)
    page.get_by_role("link", name="Add users in bulk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add users in bulk to Acme")
    expect(page.get_by_role("region", name="The columns of the file")).to_contain_text("department")
    expect(page.get_by_text("Only company admins may set Cost centre")).to_be_visible()
    check_page(page)

    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_text("Checking the file… 0 of 6 rows")).to_be_visible()
    check_page(page)
    job = BulkJob.objects.get(organization=acme)
    bulk_job_check.apply(args=[str(job.pk)])
    # bulk.js sees the check end and reloads the page onto the preview.
    expect(page.get_by_role("heading", name="What will happen")).to_be_visible(timeout=15000)
    check_page(page)

    counts = page.get_by_role("list", name="Rows by planned action")
    expect(counts).to_contain_text("Invite: 2")
    expect(counts).to_contain_text("Nothing to do: 1")
    expect(counts).to_contain_text("Error: 3")
    table = page.get_by_role("region", name="Rows of the file")
    expected = {
        grace: ("Invite", ""),
        alan: ("Invite", ""),
        "not-an-email": ("Error", "is not a valid email address"),
        f"{grace} is also": ("Error", "also on line 2: each person once per file"),
        member: ("Nothing to do", "Already a user of Acme, as this row says."),
        sneaky: ("Error", "Cost centre"),
    }
    for line, (planned, message) in zip(range(2, 8), expected.values(), strict=True):
        row = table.locator("tbody tr").nth(line - 2)
        expect(row.locator("td[data-label='Line']")).to_have_text(str(line))
        expect(row.locator("td[data-label='Planned']")).to_have_text(planned)
        if message:
            expect(row.locator("td[data-label='Check']")).to_contain_text(message)
    assert not OutboxMessage.objects.exists()  # nothing sent before confirming

    page.get_by_role("link", name="Confirm…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirm and send")
    expect(page.get_by_text("Confirming sends 2 invitations")).to_be_visible()
    expect(page.get_by_text("Nothing has been sent yet.")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Confirm and send").click()
    expect(page.get_by_role("heading", name="Progress: Running")).to_be_visible()
    expect(page.locator("progress")).to_be_visible()
    check_page(page)

    job = run_until_finished(job)
    assert job.status == BulkJob.Status.FINISHED
    # bulk.js sees the run end and reloads the page onto the report.
    expect(page.get_by_role("heading", name="Report: Finished")).to_be_visible(timeout=15000)
    check_page(page)
    outcomes = page.get_by_role("list", name="Rows by outcome")
    expect(outcomes).to_contain_text("Done: 2")
    expect(outcomes).to_contain_text("Skipped: 4")
    table = page.get_by_role("region", name="Rows of the file")
    for line in (2, 3):
        expect(table.locator("tbody tr").nth(line - 2).locator("td[data-label='Outcome']")).to_have_text(
            "Done: Invited: a set-password email was sent.")
    for line in (4, 5, 6, 7):
        expect(table.locator("tbody tr").nth(line - 2).locator("td[data-label='Outcome']")).to_contain_text(
            "Skipped")

    invited = {r for m in OutboxMessage.objects.all() for r in m.recipients.split(",")
               if tag in r}
    assert {r.strip().lower() for r in invited} == {grace, alan}
    assert OutboxMessage.objects.filter(recipients__icontains=grace).count() == 1
    assert [u["email"] for u in gateway().users_by_email(email=sneaky)] == []

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report (CSV)").click()
    with open(download.value.path(), encoding="utf-8-sig", newline="") as report:
        rows = list(csv.reader(report))
    assert rows[0] == ["line", "planned", "check", "outcome", "outcome_detail", "auth0_user_id",
                       "email", "given_name", "family_name", "department", "cost_centre"]
    by_line = {row[0]: row for row in rows[1:]}
    assert [by_line[str(n)][1] for n in range(2, 8)] == ["Invite", "Invite", "Error", "Error", "Nothing to do",
                                                         "Error"]
    assert [by_line[str(n)][3] for n in range(2, 8)] == ["Done", "Done", "Skipped", "Skipped", "Skipped",
                                                         "Skipped"]
    grace_id = gateway().users_by_email(email=grace)[0]["user_id"]
    assert by_line["2"][5] == grace_id and by_line["2"][6:] == [grace, "Grace", "Hopper", "Engineering", ""]
    assert "CC-42" in by_line["7"] and "Cost centre" in by_line["7"][2]
