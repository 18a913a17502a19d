"""The bulk onboarding pages of an organization, for its admins (and company admins): the upload page (the
template, the columns' guide, the earlier jobs), a job's page (the check's progress, the preview to confirm or
discard, the run's progress to pause, resume or cancel, the report), its progress as JSON (static/portal/bulk.js
polls it), the report's CSV, and the confirmations of each act.

Thin views: jobs are read through ``onboarding.selectors`` (another organization's job is a 404, a viewer is
refused), and every act is a service of ``onboarding.services``, which checks the actor's rights and the job's
status itself (a refusal is shown as a message on the job's page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from app_roles.catalog import organization_grantable_roles
from onboarding import services
from onboarding.forms import BulkRowFilterForm, BulkUploadForm
from onboarding.intake.columns import (
    PERSON_COLUMNS,
    ROLES,
    ROLES_SEPARATOR,
    field_labels_not_settable,
    template_headers,
)
from onboarding.models import BulkJob, BulkRow
from onboarding.processing.progress import BulkProgress, bulk_job_progress
from onboarding.processing.report import bulk_report_filename, bulk_report_rows
from onboarding.selectors import bulk_action_counts, bulk_job_get, bulk_job_list, bulk_row_list
from organizations.access.authorization import require_org_admin
from organizations.models import MetadataField, Organization
from organizations.selectors import organization_get
from portal.principal import Principal, principal_from_request
from portal.web.csv_export import csv_response
from portal.web.refusals import refusal_message
from users.acts.invite import NAME_MAX
from users.directory.selectors import user_metadata_fields_editable

ROWS_PER_PAGE = 50
JOBS_PER_PAGE = 20

# The person's columns as the guide explains them: meaning, type, rules.
PERSON_GUIDE = {
    "email": ("Email address", "Email", "Required. One row per person: a second row with the same email is an error."),
    "given_name": ("Given name", "Text", f"Optional, up to {NAME_MAX} characters."),
    "family_name": ("Family name", "Text", f"Optional, up to {NAME_MAX} characters."),
    "name": ("Full name", "Text", f"Optional, up to {NAME_MAX} characters."),
    "block": ("Block", "Yes/no", "Optional: yes blocks an existing user, no unblocks them, empty leaves them as they "
                                 "are. Someone new cannot be invited blocked."),
}
# The filters of a preview (before the run) and of a report (once it has started), with their labels.
PREVIEW_FILTERS = [("errors", "Errors"), ("invite", "Invite"), ("add", "Add"), ("update", "Update"),
                   ("nothing", "Nothing to do")]
REPORT_FILTERS = [("failed", "Failed"), ("done", "Done"), ("skipped", "Skipped"), ("cancelled", "Cancelled")]
RUNNING_FILTERS = [*REPORT_FILTERS, ("under_way", "Under way")]
ACTION_ORDER = [BulkRow.Action.INVITE, BulkRow.Action.ADD, BulkRow.Action.UPDATE, BulkRow.Action.NOTHING,
                BulkRow.Action.ERROR]


def _upload_url(organization: Organization) -> str:
    return reverse("bulk_upload", kwargs={"slug": organization.slug})


def _job_url(job: BulkJob) -> str:
    return reverse("bulk_job", kwargs={"slug": job.organization.slug, "job_id": job.pk})


def _admin_get(request: HttpRequest, slug: str) -> tuple[Principal, Organization]:
    """Who asks and the organization (404 outside their scope), for its admins only (403 for viewers)."""
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    require_org_admin(principal, organization)
    return principal, organization


def _job_get(request: HttpRequest, slug: str, job_id) -> tuple[Principal, BulkJob]:
    principal, organization = _admin_get(request, slug)
    return principal, bulk_job_get(principal=principal, organization=organization, job_id=job_id)


# -- the upload page ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnGuide:
    header: str
    label: str
    kind: str
    rules: str


def _field_rules(field: MetadataField) -> str:
    rules = ["Required for new people." if field.required else "Optional."]
    if field.type == MetadataField.Type.ENUM and field.choices:
        rules.append("One of: " + ", ".join(str(c) for c in field.choices) + ".")
    elif field.type == MetadataField.Type.BOOLEAN:
        rules.append("yes or no.")
    elif field.type == MetadataField.Type.DATE:
        rules.append("A date as YYYY-MM-DD.")
    if field.max_length:
        rules.append(f"Up to {field.max_length} characters.")
    if field.pattern:
        rules.append(f"Must match the pattern {field.pattern}.")
    return " ".join(rules)


def _column_guide(principal: Principal, organization: Organization) -> list[ColumnGuide]:
    headers = template_headers(actor=principal, organization=organization)
    guide = [ColumnGuide(h, *PERSON_GUIDE[h]) for h in PERSON_COLUMNS]
    if ROLES in headers:
        labels = ", ".join(organization_grantable_roles(organization).values_list("label", flat=True))
        guide.append(ColumnGuide(ROLES, "Application roles", "List", (
            f"Optional: roles {organization.display_name} may grant ({labels}), by label, separated by "
            f"{ROLES_SEPARATOR}. Someone new gets them once their account is ready; a member gets those not "
            "granted yet (none is taken away).")))
    fields = list(user_metadata_fields_editable(principal=principal, organization=organization))
    for header, field in zip(headers[len(guide):], fields, strict=True):
        guide.append(ColumnGuide(header=header, label=field.label, kind=field.get_type_display(),
                                 rules=_field_rules(field)))
    return guide


@login_required
@require_http_methods(["GET", "POST"])
def bulk_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the upload form, the columns' guide and the earlier jobs. POST: the file becomes a job (its check
    queued) and its page follows; a problem with the whole file is shown beside the field, nothing kept."""
    principal, organization = _admin_get(request, slug)
    form = BulkUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.bulk_job_create(actor=principal, organization=organization, file=upload,
                                           file_name=upload.name, size=upload.size)
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            messages.success(request, f"{job.file_name or 'The file'}: {job.total_rows:,} "
                                      f"row{'s' if job.total_rows != 1 else ''} received. Checking them now.")
            return redirect(_job_url(job))
    jobs = Paginator(bulk_job_list(principal=principal, organization=organization), JOBS_PER_PAGE).get_page(
        request.GET.get("page"))
    not_yours = field_labels_not_settable(actor=principal, organization=organization)
    here = _upload_url(organization)
    return render(request, "onboarding/upload.html", {
        "organization": organization, "form": form, "guide": _column_guide(principal, organization),
        "not_yours": not_yours, "jobs": jobs,
        "max_megabytes": f"{settings.BULK_UPLOAD_MAX_BYTES / 1_000_000:g}", "max_rows": f"{settings.BULK_MAX_ROWS:,}",
        "previous_url": f"{here}?page={jobs.previous_page_number()}" if jobs.has_previous() else "",
        "next_url": f"{here}?page={jobs.next_page_number()}" if jobs.has_next() else "",
    }, status=400 if form.errors else 200)


@login_required
@require_GET
def bulk_template(request: HttpRequest, slug: str) -> HttpResponse:
    """The template CSV: its header names the person's columns and each field the admin may set."""
    principal, organization = _admin_get(request, slug)
    return csv_response([template_headers(actor=principal, organization=organization)],
                        filename=f"bulk-{organization.slug}-template.csv")


# -- a job's page ---------------------------------------------------------------------------------------------
def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    return f"about {round(minutes / 60, 1):g} hours"


def _phase(job: BulkJob, progress: BulkProgress) -> str:
    """What the page shows: the check, the preview, the run, or the report."""
    if job.status == BulkJob.Status.CHECKING:
        return "checking"
    if job.status == BulkJob.Status.READY:
        return "preview"
    return "report" if progress.finished else "running"


@login_required
@require_GET
def bulk_job(request: HttpRequest, slug: str, job_id) -> HttpResponse:
    principal, job = _job_get(request, slug, job_id)
    progress = bulk_job_progress(job)
    phase = _phase(job, progress)
    filters = {"preview": PREVIEW_FILTERS, "running": RUNNING_FILTERS}.get(phase, REPORT_FILTERS)
    form = BulkRowFilterForm(request.GET)
    show = form.show_value() if form.show_value() in dict(filters) else ""
    here = _job_url(job)
    rows = Paginator(bulk_row_list(job=job, show=show), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    query = f"show={show}&" if show else ""
    counts = bulk_action_counts(job) if phase == "preview" else {}
    labels = dict(BulkRow.Action.choices)
    return render(request, "onboarding/job.html", {
        "organization": job.organization, "job": job, "progress": progress, "phase": phase,
        "action_counts": [(a, labels[a], counts.get(a, 0)) for a in ACTION_ORDER],
        "sending": _sending(counts) if phase == "preview" else "",
        "rows": rows, "show": show, "show_label": dict(filters).get(show, ""),
        "filters": [(key, label, f"{here}?show={key}") for key, label in filters], "here": here,
        "rate": f"{progress.rows_per_minute:g}" if progress.rows_per_minute is not None else "",
        "time_left": _duration(progress.seconds_left),
        "progress_url": reverse("bulk_job_progress", kwargs={"slug": job.organization.slug, "job_id": job.pk}),
        "previous_url": f"{here}?{query}page={rows.previous_page_number()}" if rows.has_previous() else "",
        "next_url": f"{here}?{query}page={rows.next_page_number()}" if rows.has_next() else "",
        "started": phase in ("running", "report"),
        "finished_rows": progress.to_send - progress.left,
    })


@login_required
@require_GET
def bulk_job_progress_json(request: HttpRequest, slug: str, job_id) -> JsonResponse:
    """The job's progress, which its page polls while the check or the run is under way."""
    _principal, job = _job_get(request, slug, job_id)
    return JsonResponse(bulk_job_progress(job).as_json())


@login_required
@require_GET
def bulk_job_report(request: HttpRequest, slug: str, job_id) -> HttpResponse:
    """The report as CSV: each row of the file, what was planned and what happened."""
    _principal, job = _job_get(request, slug, job_id)
    return csv_response(bulk_report_rows(job), filename=bulk_report_filename(job))


# -- acting on a job ------------------------------------------------------------------------------------------
def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _sending(counts: dict[str, int]) -> str:
    """What confirming sends, as a sentence."""
    parts = []
    if n := counts.get(BulkRow.Action.INVITE, 0):
        parts.append(_plural(n, "invitation", "invitations") + " (a set-password email each)")
    if n := counts.get(BulkRow.Action.ADD, 0):
        parts.append(_plural(n, "existing user added", "existing users added") + " (a sign-in email each)")
    if n := counts.get(BulkRow.Action.UPDATE, 0):
        parts.append(_plural(n, "update of a member", "updates of members"))
    skipped = counts.get(BulkRow.Action.ERROR, 0) + counts.get(BulkRow.Action.NOTHING, 0)
    sent = "; ".join(parts) if parts else "nothing: no row has anything to send"
    return (f"Confirming sends {sent}. " + (f"{_plural(skipped, 'row', 'rows')} with an error or nothing to do "
                                           "will be skipped. " if skipped else "")
            + "Nothing has been sent yet.")


@dataclass(frozen=True)
class BulkAct:
    slug: str
    title: str
    button: str
    danger: bool
    service: Callable[..., object]
    done: str


ACTS = {
    "confirm": BulkAct("confirm", "Confirm and send", "Confirm and send", False, services.bulk_job_start,
                       "Confirmed: the rows are being sent. Their progress shows below."),
    "discard": BulkAct("discard", "Discard this file", "Discard", True, services.bulk_job_discard,
                       "Discarded: nothing of the file was sent."),
    "pause": BulkAct("pause", "Pause", "Pause", False, services.bulk_job_pause,
                     "Paused: no more rows are sent; those under way finish."),
    "resume": BulkAct("resume", "Resume", "Resume", False, services.bulk_job_resume, "Resumed."),
    "cancel": BulkAct("cancel", "Cancel the rest", "Cancel the rest", True, services.bulk_job_cancel,
                      "Cancelled: the rows not sent yet will not be sent."),
}


def _consequence(act: BulkAct, job: BulkJob, progress: BulkProgress) -> str:
    if act.slug == "confirm":
        return _sending(bulk_action_counts(job))
    if act.slug == "discard":
        return (f"The file and its preview of {_plural(job.total_rows, 'row', 'rows')} are deleted. Nothing of it "
                "was sent to Auth0, and nothing will be.")
    if act.slug == "cancel":
        return (f"The rows not sent yet ({progress.left - progress.under_way:,}) are never sent; the report marks "
                f"them cancelled. Rows already under way ({progress.under_way:,}) finish. This cannot be undone.")
    if act.slug == "pause":
        return "No more rows are sent until you resume; rows already under way finish."
    return "Sending the remaining rows starts again."


@login_required
@require_http_methods(["GET", "POST"])
def bulk_job_act(request: HttpRequest, slug: str, job_id, act: str) -> HttpResponse:
    """GET asks for confirmation, saying what the act does; POST does it and returns to the job's page (or to
    the upload page once discarded). A refusal (the job's status has moved on) is shown as a message."""
    principal, job = _job_get(request, slug, job_id)
    chosen = ACTS.get(act)
    if chosen is None:
        raise Http404("No such act.")
    if request.method == "POST":
        try:
            chosen.service(actor=principal, job=job)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, refusal_message(exc))
        else:
            messages.success(request, chosen.done)
            if act == "discard":
                return redirect(_upload_url(job.organization))
        return redirect(_job_url(job))
    return render(request, "onboarding/act_confirm.html", {
        "organization": job.organization, "job": job, "act": chosen,
        "consequence": _consequence(chosen, job, bulk_job_progress(job)), "job_url": _job_url(job),
    })

