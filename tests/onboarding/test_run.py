"""Running a confirmed job against the emulator over HTTP: each row through its service's own operation (run
here with ``.apply()``), every outcome recorded on its row, the job finished with a report and an audit trail;
pause, resume and cancel; a job advanced twice sends nothing twice."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from auth0_gateway import gateway
from onboarding.models import BulkJob, BulkRow
from onboarding.processing.progress import bulk_job_progress
from onboarding.processing.report import bulk_report_rows
from onboarding.processing.run import bulk_job_advance
from onboarding.services import bulk_job_cancel, bulk_job_discard, bulk_job_pause, bulk_job_resume, bulk_job_start
from portal.models import AuditEvent, Operation
from tests.onboarding.conftest import job_checked, job_run, member_create, unique_email
from users.acts import invite as invitations
from users.acts.invite import user_invite_request
from users.models import DirectoryUser

pytestmark = pytest.mark.django_db


def outbox_to(email: str) -> list:
    return [m for m in mail.outbox if email in m.to]


def test_a_job_invites_updates_and_blocks_each_row_once_and_reports_it(acme, admin, settings) -> None:
    settings.BULK_IN_FLIGHT = 2  # several windows
    ada = member_create(acme, unique_email("ada"), user_metadata={"department": "Sales"})
    bob = member_create(acme, unique_email("bob"))
    new1, new2, new3 = unique_email(), unique_email(), unique_email()
    job = job_checked(admin, acme, "\n".join([
        "email,given_name,family_name,department,seats,region,block",
        f"{new1},Grace,Hopper,Engineering,3,emea,",
        f"{new2},Alan,Turing,,,,",
        f"{ada['email']},,,Support,,apac,",
        f"{bob['email']},,,,,,yes",
        f"{new3},,,,lots,,",
        f"{new1},,,,,,",
    ]))
    assert [r.action for r in job.rows.order_by("line")] == ["invite", "invite", "update", "update", "error", "error"]
    job = bulk_job_start(actor=admin, job=job)
    assert job.status == BulkJob.Status.RUNNING
    job = job_run(job)
    assert job.status == BulkJob.Status.FINISHED
    outcomes = {r.line: (r.outcome, r.outcome_message) for r in job.rows.order_by("line")}
    assert outcomes[2] == outcomes[3] == ("done", "Invited: a set-password email was sent.")
    assert outcomes[4] == outcomes[5] == ("done", "Updated.")
    assert outcomes[6][0] == outcomes[7][0] == "skipped"

    grace = gateway().users_by_email(email=new1)
    assert len(grace) == 1 and grace[0]["given_name"] == "Grace" and grace[0]["family_name"] == "Hopper"
    assert grace[0]["user_metadata"] == {"department": "Engineering", "seats": 3}
    assert grace[0]["app_metadata"] == {"region": "emea"}
    assert DirectoryUser.objects.get(email=new1).user_metadata == {"department": "Engineering", "seats": 3}
    assert len(outbox_to(new1)) == len(outbox_to(new2)) == 1 and not outbox_to(new3)
    ada_now = gateway().user_get(user_id=ada["user_id"])
    assert ada_now["user_metadata"]["department"] == "Support" and ada_now["app_metadata"]["region"] == "apac"
    assert gateway().user_get(user_id=bob["user_id"])["blocked"] is True
    assert Operation.objects.filter(idempotency_key__startswith=f"bulk:{job.pk}:").count() == 4

    report = list(csv.reader(io.StringIO("\n".join(",".join(f'"{c}"' for c in row) for row in
                                                   ([str(v) for v in r] for r in bulk_report_rows(job))))))
    assert report[0][:6] == ["line", "planned", "check", "outcome", "outcome_detail", "auth0_user_id"]
    assert report[1][:4] == ["2", "Invite", "", "Done"] and report[1][5].startswith("auth0|")
    assert report[5][1] == "Error" and report[5][3] == "Skipped" and "Enter a whole number" in report[5][2]

    actions = list(AuditEvent.objects.filter(target_type="bulk_job").values_list("action", flat=True))
    assert sorted(actions) == ["bulk.job_finished", "bulk.job_started", "bulk.job_uploaded"]
    finished = AuditEvent.objects.get(action="bulk.job_finished")
    assert finished.details["outcomes"] == {"done": 4, "skipped": 2}
    progress = bulk_job_progress(job)
    assert (progress.to_send, progress.done, progress.left, progress.percent, progress.finished) == (4, 4, 0, 100, True)


def test_advancing_again_and_again_sends_each_row_once(acme, admin, settings) -> None:
    settings.BULK_IN_FLIGHT = 3
    job = job_checked(admin, acme, "email\n" + "\n".join(unique_email() for _ in range(5)))
    bulk_job_start(actor=admin, job=job)
    assert [bulk_job_advance(job.pk) for _ in range(3)] == [3, 0, 0]
    assert job.rows.filter(outcome=BulkRow.Outcome.QUEUED).count() == 3
    job = job_run(job)
    keys = list(Operation.objects.filter(idempotency_key__startswith=f"bulk:{job.pk}:")
                .values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys)) == 5 and job.status == BulkJob.Status.FINISHED


def test_pause_stops_sending_resume_carries_on_and_cancel_sends_no_more(acme, admin, settings) -> None:
    settings.BULK_IN_FLIGHT = 2
    job = job_checked(admin, acme, "email\n" + "\n".join(unique_email() for _ in range(6)))
    with pytest.raises(ValidationError, match="cannot be paused now: it is checked"):
        bulk_job_pause(actor=admin, job=job)
    bulk_job_start(actor=admin, job=job)
    bulk_job_advance(job.pk)
    bulk_job_pause(actor=admin, job=job)
    assert bulk_job_advance(job.pk) == 0
    for operation in Operation.objects.filter(status=Operation.Status.PENDING):
        from portal.celery import app

        app.tasks[operation.task_name].apply(args=[str(operation.pk)])
    job.refresh_from_db()
    assert job.status == BulkJob.Status.PAUSED and job.rows.filter(outcome="done").count() == 2
    assert bulk_job_progress(job).left == 4
    bulk_job_resume(actor=admin, job=job)
    assert bulk_job_advance(job.pk) == 2
    bulk_job_cancel(actor=admin, job=job)
    job = job_run(job)
    assert job.status == BulkJob.Status.CANCELLED and job.finished_at is not None
    counts = {o: job.rows.filter(outcome=o).count() for o in ("done", "cancelled")}
    assert counts == {"done": 4, "cancelled": 2}
    assert Operation.objects.filter(idempotency_key__startswith=f"bulk:{job.pk}:").count() == 4
    assert AuditEvent.objects.get(action="bulk.job_finished").summary.startswith("Bulk onboarding cancelled")


def test_a_row_refused_at_run_time_is_skipped_with_the_reason(acme, admin) -> None:
    email = unique_email()
    job = job_checked(admin, acme, f"email\n{email}\n")
    member_create(acme, email)  # someone else made them a user after the preview
    bulk_job_start(actor=admin, job=job)
    job = job_run(job)
    row = job.rows.get()
    assert (row.outcome, row.outcome_message) == ("skipped", f"{email} is already a user of Acme.")
    assert job.status == BulkJob.Status.FINISHED


@pytest.mark.parametrize("arrival", ["before the row is sent", "at the same instant as the row"])
def test_a_row_whose_person_has_an_invitation_on_its_way_is_skipped_and_records_nothing(acme, admin, monkeypatch,
                                                                                       arrival) -> None:
    """Someone invited the person on the page after the preview: the row is skipped with the reason, whether the
    service's check sees that invitation or (asked for at the same instant) the database's index refuses the
    row's at its insert; the job carries on with the other rows and finishes."""
    email, other = unique_email(), unique_email()
    job = job_checked(admin, acme, f"email\n{email}\n{other}\n")
    on_the_page = user_invite_request(actor=admin, organization=acme, email=email.upper())
    if arrival == "at the same instant as the row":
        real_check, first_call = invitations.invitation_on_its_way, iter([True])
        monkeypatch.setattr(invitations, "invitation_on_its_way", lambda organization, address: False if next(
            first_call, False) else real_check(organization, address))
    events = AuditEvent.objects.count()
    bulk_job_start(actor=admin, job=job)
    bulk_job_advance(job.pk)
    row = job.rows.get(line=2)
    assert (row.outcome, row.outcome_message) == ("skipped", f"An invitation to {email} is already on its way.")
    assert row.operation is None and row.finished_at is not None
    assert list(Operation.objects.filter(target=email).values_list("pk", flat=True)) == [on_the_page.pk]
    # Only the other row's invitation and the job's start were recorded.
    assert AuditEvent.objects.count() == events + 2
    job = job_run(job)
    assert job.status == BulkJob.Status.FINISHED and job.rows.get(line=3).outcome == "done"


def test_a_job_is_discarded_only_before_it_runs(acme, admin) -> None:
    job = job_checked(admin, acme, f"email\n{unique_email()}\n")
    bulk_job_discard(actor=admin, job=job)
    assert not BulkJob.objects.exists() and not BulkRow.objects.exists()
    assert AuditEvent.objects.filter(action="bulk.job_discarded").exists()
    job = job_checked(admin, acme, f"email\n{unique_email()}\n")
    bulk_job_start(actor=admin, job=job)
    with pytest.raises(ValidationError, match="cannot be discarded now: it is running"):
        bulk_job_discard(actor=admin, job=job)
    with pytest.raises(ValidationError, match="cannot be started now"):
        bulk_job_start(actor=admin, job=job)


def test_the_sweeper_sends_stalled_checks_and_active_jobs_again(acme, admin, published_tasks) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from onboarding.services import bulk_job_create
    from onboarding.tasks import bulk_jobs_sweep
    from tests.onboarding.conftest import csv_file

    stalled = bulk_job_create(actor=admin, organization=acme, file=csv_file(f"email\n{unique_email()}\n"))
    fresh = bulk_job_create(actor=admin, organization=acme, file=csv_file(f"email\n{unique_email()}\n"))
    running = job_checked(admin, acme, f"email\n{unique_email()}\n")
    bulk_job_start(actor=admin, job=running)
    BulkJob.objects.filter(pk=stalled.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    published_tasks.clear()
    assert bulk_jobs_sweep.apply().get() == 2
    assert sorted(published_tasks) == ["onboarding.tasks.bulk_job_advance", "onboarding.tasks.bulk_job_check"]
    assert fresh.status == BulkJob.Status.CHECKING


def test_a_field_made_required_after_the_check_skips_an_invitation_without_it_at_run_time(acme, admin) -> None:
    """The run asks the invitation service again: a row the preview passed before a field became required is
    skipped with the service's reason, naming the field, and nothing is sent for it."""
    from organizations.models import MetadataField

    without, given = unique_email("without"), unique_email("given")
    job = job_checked(admin, acme, f"email,department\n{without},\n{given},Sales\n")
    assert [r.action for r in job.rows.order_by("line")] == ["invite", "invite"]
    MetadataField.objects.filter(organization=acme, key="department").update(required=True)
    job = job_run(bulk_job_start(actor=admin, job=job))
    outcomes = {r.line: (r.outcome, r.outcome_message) for r in job.rows.order_by("line")}
    assert outcomes[2] == ("skipped", "user_metadata.department: Enter a value: this field is required.")
    assert outcomes[3] == ("done", "Invited: a set-password email was sent.")
    assert gateway().users_by_email(email=without) == [] and not outbox_to(without)
    assert not Operation.objects.filter(target=without).exists()
    assert gateway().users_by_email(email=given)[0]["user_metadata"] == {"department": "Sales"}
