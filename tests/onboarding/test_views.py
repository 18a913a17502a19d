"""The bulk onboarding pages: the upload page (template, guide, errors beside the file field with nothing kept),
a job's page through its phases, the confirmations, each act's refusal as a message, the downloads, and who may
open them (an organization's viewer is refused)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from onboarding.models import BulkJob
from onboarding.processing.check import bulk_job_check
from onboarding.processing.run import bulk_job_advance
from onboarding.services import bulk_job_start
from portal.models import Operation
from tests.factories import CompanyAdminFactory, RoleFactory, UserFactory
from tests.onboarding.conftest import job_checked, job_run, member_create, unique_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of(admin):
    def make(user_id: str) -> Client:
        client = Client()
        client.force_login(UserFactory(auth0_user_id=user_id))
        return client
    return make


@pytest.fixture
def admin_client(admin, client_of) -> Client:
    return client_of(admin.user_id)


def upload(client: Client, slug: str, text: str | bytes, name: str = "people.csv"):
    content = text if isinstance(text, bytes) else text.encode()
    return client.post(reverse("bulk_upload", kwargs={"slug": slug}),
                       {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def csv_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_the_upload_page_states_the_limits_the_columns_and_the_template(acme, admin_client, settings) -> None:
    settings.BULK_UPLOAD_MAX_BYTES, settings.BULK_MAX_ROWS = 5_000_000, 2500
    response = admin_client.get(reverse("bulk_upload", kwargs={"slug": "acme"}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Up to 5 MB and 2,500 rows" in page and "commas or semicolons" in page and "UTF-8" in page
    guide = {c.header: c for c in response.context["guide"]}
    assert list(guide) == ["email", "given_name", "family_name", "name", "block", "department", "seats", "region"]
    assert guide["region"].label == "Region" and guide["region"].kind == "Choice"
    assert (guide["email"].kind, guide["block"].kind) == ("Email", "Yes/no")
    assert "One of: emea, apac, amer." in guide["region"].rules
    assert "Up to 20 characters." in guide["department"].rules
    assert "Only company admins may set Cost centre" in page  # not in their template, and said so

    template = admin_client.get(reverse("bulk_template", kwargs={"slug": "acme"}))
    assert template["Content-Disposition"] == 'attachment; filename="bulk-acme-template.csv"'
    assert csv_of(template) == [["email", "given_name", "family_name", "name", "block", "department", "seats",
                                 "region"]]
    # The organization's user list links here for its admins.
    users = admin_client.get(reverse("user_list", kwargs={"slug": "acme"})).content.decode()
    assert reverse("bulk_upload", kwargs={"slug": "acme"}) in users


@pytest.mark.parametrize(("text", "expected"), [
    ("email,shoe_size\nada@acme.test,9\n", "“shoe_size” is not a column the portal knows"),
    ("given_name\nAda\n", "the file has no email column"),
    ("email\n", "The file has a header but no rows."),
    ("email\nzoë@acme.test\n".encode("latin-1"), "Line 2 is not UTF-8 text"),
])
def test_a_whole_file_problem_is_shown_beside_the_field_and_nothing_is_kept(acme, admin_client, published_tasks,
                                                                            text, expected) -> None:
    response = upload(admin_client, "acme", text)
    assert response.status_code == 400
    assert expected in " ".join(response.context["form"].errors["file"])
    assert 'id="id_file_error"' in response.content.decode()
    assert not BulkJob.objects.exists() and published_tasks == []


def test_a_file_too_large_is_refused_before_it_is_read(acme, admin_client, settings) -> None:
    settings.BULK_UPLOAD_MAX_BYTES = 10
    response = upload(admin_client, "acme", "email\nada@acme.test\nbob@acme.test\n")
    assert response.status_code == 400
    assert "the limit is" in " ".join(response.context["form"].errors["file"])
    assert not BulkJob.objects.exists()


def test_an_upload_becomes_a_job_checked_then_previewed_with_labels_and_filters(
        acme, admin_client, published_tasks, django_capture_on_commit_callbacks) -> None:
    ada = member_create(acme, unique_email("ada"))
    new = unique_email()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, "acme", "\n".join([
            "email,department,cost_centre", f"{new},Sales,", "not-an-email,,", f"{new},,", f"{ada['email']},,",
            f"{unique_email()},,CC-9",
        ]))
    job = BulkJob.objects.get()
    url = reverse("bulk_job", kwargs={"slug": "acme", "job_id": job.pk})
    assert response.status_code == 302 and response["Location"] == url
    assert published_tasks == ["onboarding.tasks.bulk_job_check"]

    checking = admin_client.get(url).content.decode()
    assert "Checking the file… <span data-bulk-field=\"checked_rows\">0</span> of 5 rows" in checking
    assert "portal/bulk.js" in checking
    progress = admin_client.get(reverse("bulk_job_progress", kwargs={"slug": "acme", "job_id": job.pk})).json()
    assert progress["status"] == "checking" and progress["total_rows"] == 5

    bulk_job_check(job.pk)
    preview = admin_client.get(url)
    page = preview.content.decode()
    assert preview.context["phase"] == "preview" and "portal/bulk.js" not in page
    counts = {label: n for _a, label, n in preview.context["action_counts"]}
    assert counts == {"Invite": 1, "Add an existing user to the organization": 0, "Update": 0, "Nothing to do": 1,
                      "Error": 3}
    assert "Confirming sends 1 invitation (a set-password email each). 4 rows with an error or nothing to do " \
           "will be skipped. Nothing has been sent yet." in page
    assert ">error<" not in page and ">invite<" not in page  # labels, not values
    errors = admin_client.get(url, {"show": "errors"})
    assert [r.line for r in errors.context["rows"]] == [3, 4, 6]
    assert "is not a valid email address" in errors.content.decode()
    assert "also on line 2" in errors.content.decode()
    assert [r.line for r in admin_client.get(url, {"show": "invite"}).context["rows"]] == [2]
    assert [r.line for r in admin_client.get(url, {"show": "nothing"}).context["rows"]] == [5]
    # An unknown filter shows every row.
    assert len(admin_client.get(url, {"show": "bogus"}).context["rows"]) == 5


def test_rows_are_paged(acme, admin, admin_client) -> None:
    job = job_checked(admin, acme, "email\n" + "\n".join(f"p{i}@acme.test" for i in range(60)))
    url = reverse("bulk_job", kwargs={"slug": "acme", "job_id": job.pk})
    first = admin_client.get(url)
    assert len(first.context["rows"]) == 50 and first.context["next_url"] == f"{url}?page=2"
    second = admin_client.get(url, {"page": "2"})
    assert [r.line for r in second.context["rows"]] == list(range(52, 62))
    assert admin_client.get(url, {"show": "invite", "page": "2"}).context["previous_url"] == f"{url}?show=invite&page=1"


def test_confirming_goes_through_a_confirmation_that_says_what_is_sent(acme, admin, admin_client,
                                                                       published_tasks) -> None:
    job = job_checked(admin, acme, f"email\n{unique_email()}\n{unique_email()}\nbad\n")
    act = reverse("bulk_job_act", kwargs={"slug": "acme", "job_id": job.pk, "act": "confirm"})
    confirm = admin_client.get(act).content.decode()
    assert "Confirming sends 2 invitations" in confirm and "Nothing has been sent yet." in confirm
    job.refresh_from_db()
    assert job.status == BulkJob.Status.READY and published_tasks == []  # the GET changed nothing
    response = admin_client.post(act)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == BulkJob.Status.RUNNING
    running = admin_client.get(response["Location"])
    page = running.content.decode()
    assert running.context["phase"] == "running"
    assert "<progress" in page and "portal/bulk.js" in page and ">Pause</button>" in page
    assert "Confirmed: the rows are being sent." in page
    kwargs = {"slug": "acme", "job_id": job.pk}
    progress = admin_client.get(reverse("bulk_job_progress", kwargs=kwargs)).json()
    assert (progress["status"], progress["rows_to_send"], progress["rows_left"]) == ("running", 2, 2)
    bulk_job_advance(job.pk)  # the rows are sent as operations, under way until they finish
    under_way = admin_client.get(reverse("bulk_job", kwargs=kwargs), {"show": "under_way"})
    assert [r.line for r in under_way.context["rows"]] == [2, 3]
    assert "Under way" in under_way.content.decode()


@pytest.mark.parametrize(("act", "status", "said"), [
    ("confirm", BulkJob.Status.RUNNING, "This job cannot be started now: it is running."),
    ("discard", BulkJob.Status.RUNNING, "This job cannot be discarded now: it is running."),
    ("pause", BulkJob.Status.READY, "This job cannot be paused now: it is checked: waiting for confirmation."),
    ("resume", BulkJob.Status.RUNNING, "This job cannot be resumed now: it is running."),
    ("cancel", BulkJob.Status.FINISHED, "This job cannot be cancelled now: it is finished."),
])
def test_an_act_the_status_refuses_is_shown_as_a_message(acme, admin, admin_client, act, status, said) -> None:
    job = job_checked(admin, acme, f"email\n{unique_email()}\n")
    BulkJob.objects.filter(pk=job.pk).update(status=status)
    url = reverse("bulk_job_act", kwargs={"slug": "acme", "job_id": job.pk, "act": act})
    response = admin_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("bulk_job", kwargs={"slug": "acme", "job_id": job.pk})
    assert said in [str(m) for m in response.context["messages"]]
    job.refresh_from_db()
    assert job.status == status and not Operation.objects.exists()


def test_discarding_deletes_the_checked_file(acme, admin, admin_client) -> None:
    job = job_checked(admin, acme, f"email\n{unique_email()}\n")
    url = reverse("bulk_job_act", kwargs={"slug": "acme", "job_id": job.pk, "act": "discard"})
    assert "Nothing of it was sent to Auth0" in admin_client.get(url).content.decode()
    response = admin_client.post(url)
    assert response["Location"] == reverse("bulk_upload", kwargs={"slug": "acme"})
    assert not BulkJob.objects.exists()


def test_pause_resume_and_cancel_from_the_page(acme, admin, admin_client) -> None:
    job = bulk_job_start(actor=admin, job=job_checked(admin, acme, f"email\n{unique_email()}\n{unique_email()}\n"))
    kwargs = {"slug": "acme", "job_id": job.pk}
    admin_client.post(reverse("bulk_job_act", kwargs={**kwargs, "act": "pause"}))
    page = admin_client.get(reverse("bulk_job", kwargs=kwargs)).content.decode()
    assert ">Resume</button>" in page and "Paused" in page
    admin_client.post(reverse("bulk_job_act", kwargs={**kwargs, "act": "resume"}))
    cancel = reverse("bulk_job_act", kwargs={**kwargs, "act": "cancel"})
    assert "The rows not sent yet (2) are never sent" in admin_client.get(cancel).content.decode()
    admin_client.post(cancel)
    job.refresh_from_db()
    assert job.status == BulkJob.Status.CANCELLED
    # Cancelled, its last rows may still be finishing: the page follows them until the run marks it ended.
    assert admin_client.get(reverse("bulk_job", kwargs=kwargs)).context["phase"] == "running"
    bulk_job_advance(job.pk)
    report = admin_client.get(reverse("bulk_job", kwargs=kwargs), {"show": "cancelled"})
    assert report.context["phase"] == "report"
    assert [r.line for r in report.context["rows"]] == [2, 3]
    assert "Cancelled: Not sent: the job was cancelled." in report.content.decode()


def test_the_report_page_and_csv_say_what_happened(acme, admin, admin_client) -> None:
    new = unique_email()
    job = bulk_job_start(actor=admin, job=job_checked(admin, acme, f"email,department\n{new},Sales\nbad,\n"))
    job_run(job)
    kwargs = {"slug": "acme", "job_id": job.pk}
    report = admin_client.get(reverse("bulk_job", kwargs=kwargs))
    page = report.content.decode()
    assert report.context["phase"] == "report" and "portal/bulk.js" not in page
    assert "Done: a set-password email was sent" not in page  # the outcome reads as its label and message:
    assert "Done: Invited: a set-password email was sent." in page
    assert [r.line for r in admin_client.get(reverse("bulk_job", kwargs=kwargs), {"show": "skipped"})
            .context["rows"]] == [3]
    download = admin_client.get(reverse("bulk_job_report", kwargs=kwargs))
    assert download["Content-Disposition"].startswith('attachment; filename="bulk-acme-')
    lines = csv_of(download)
    assert lines[0][:6] == ["line", "planned", "check", "outcome", "outcome_detail", "auth0_user_id"]
    assert lines[1][:4] == ["2", "Invite", "", "Done"] and lines[1][6:] == [new, "Sales"]
    assert lines[2][1] == "Error" and lines[2][3] == "Skipped"


@pytest.mark.parametrize("role", ["viewer", "end user"])
def test_a_viewer_or_an_end_user_is_refused(acme, admin, client_of, role) -> None:
    job = job_checked(admin, acme, f"email\n{unique_email()}\n")
    user_id = RoleFactory(organization=acme, role="viewer").user_id if role == "viewer" else "auth0|nobody"
    client = client_of(user_id)
    kwargs = {"slug": "acme", "job_id": job.pk}
    expected = 403 if role == "viewer" else 404
    for url in (reverse("bulk_upload", kwargs={"slug": "acme"}), reverse("bulk_template", kwargs={"slug": "acme"}),
                reverse("bulk_job", kwargs=kwargs), reverse("bulk_job_progress", kwargs=kwargs),
                reverse("bulk_job_report", kwargs=kwargs),
                reverse("bulk_job_act", kwargs={**kwargs, "act": "confirm"})):
        assert client.get(url).status_code == expected, url
    assert client.post(reverse("bulk_job_act", kwargs={**kwargs, "act": "confirm"})).status_code == expected
    assert upload(client, "acme", f"email\n{unique_email()}\n").status_code == expected
    job.refresh_from_db()
    assert job.status == BulkJob.Status.READY and BulkJob.objects.count() == 1
    # Their list of users offers no bulk upload.
    if role == "viewer":
        users = client.get(reverse("user_list", kwargs={"slug": "acme"})).content.decode()
        assert reverse("bulk_upload", kwargs={"slug": "acme"}) not in users


def test_an_unknown_act_is_404(acme, admin, admin_client) -> None:
    job = job_checked(admin, acme, f"email\n{unique_email()}\n")
    url = reverse("bulk_job_act", kwargs={"slug": "acme", "job_id": job.pk, "act": "explode"})
    assert admin_client.post(url).status_code == 404


def test_a_company_admin_may_set_every_field_and_sees_it_in_the_guide_and_template(acme, client_of) -> None:
    client = client_of(CompanyAdminFactory().user_id)
    page = client.get(reverse("bulk_upload", kwargs={"slug": "acme"}))
    assert page.status_code == 200
    assert [c.header for c in page.context["guide"]][-1] == "cost_centre"
    assert "Only company admins may set" not in page.content.decode()
    assert csv_of(client.get(reverse("bulk_template", kwargs={"slug": "acme"})))[0][-1] == "cost_centre"


def test_the_upload_page_says_which_fields_new_people_need(acme, admin_client) -> None:
    from organizations.models import MetadataField

    MetadataField.objects.filter(organization=acme, key__in=["department", "cost_centre"]).update(required=True)
    response = admin_client.get(reverse("bulk_upload", kwargs={"slug": "acme"}))
    guide = {c.header: c for c in response.context["guide"]}
    assert guide["department"].rules.startswith("Required for new people.")
    assert guide["seats"].rules.startswith("Optional.")
    page = " ".join(response.content.decode().split())
    assert "a field “Required for new people” of every row that invites someone" in page
    assert "Only company admins may set Cost centre: a file that sets it shows an error on those rows; new people " \
           "are invited without it, required or not, for a company admin to fill in." in page
