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
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy
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

def _person_guide() -> dict[str, tuple[str, str, str]]:
    """The person's columns as the guide explains them: meaning, type, rules (in the page's language)."""
    up_to = _("Optional, up to %(max)s characters.") % {"max": NAME_MAX}
    text, yes_no = pgettext("metadata field type", "Text"), pgettext("metadata field type", "Yes/no")
    return {
        "email": (_("Email address"), pgettext("metadata field type", "Email"),
                  _("Required. One row per person: a second row with the same email is an error.")),
        "given_name": (_("Given name"), text, up_to),
        "family_name": (_("Family name"), text, up_to),
        "name": (_("Full name"), text, up_to),
        "block": (pgettext("bulk file column", "Block"), yes_no,
                  _("Optional: yes blocks an existing user, no unblocks them, empty leaves them as they are. Someone "
                    "new cannot be invited blocked.")),
    }


# The filters of a preview (before the run) and of a report (once it has started), with their labels.
PREVIEW_FILTERS = [("errors", pgettext_lazy("bulk rows filter", "Errors")),
                   ("invite", pgettext_lazy("bulk rows filter", "Invite")),
                   ("add", pgettext_lazy("bulk rows filter", "Add")),
                   ("update", pgettext_lazy("bulk rows filter", "Update")),
                   ("nothing", pgettext_lazy("bulk rows filter", "Nothing to do"))]
REPORT_FILTERS = [("failed", pgettext_lazy("bulk rows filter", "Failed")),
                  ("done", pgettext_lazy("bulk rows filter", "Done")),
                  ("skipped", pgettext_lazy("bulk rows filter", "Skipped")),
                  ("cancelled", pgettext_lazy("bulk rows filter", "Cancelled"))]
RUNNING_FILTERS = [*REPORT_FILTERS, ("under_way", pgettext_lazy("bulk rows filter", "Under way"))]
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
    rules = [_("Required for new people.") if field.required else _("Optional.")]
    if field.type == MetadataField.Type.ENUM and field.choices:
        rules.append(_("One of: %(choices)s.") % {"choices": ", ".join(str(c) for c in field.choices)})
    elif field.type == MetadataField.Type.BOOLEAN:
        rules.append(_("yes or no."))
    elif field.type == MetadataField.Type.DATE:
        rules.append(_("A date as YYYY-MM-DD."))
    if field.max_length:
        rules.append(_("Up to %(max)s characters.") % {"max": field.max_length})
    if field.pattern:
        rules.append(_("Must match the pattern %(pattern)s.") % {"pattern": field.pattern})
    return " ".join(rules)


def _column_guide(principal: Principal, organization: Organization) -> list[ColumnGuide]:
    headers = template_headers(actor=principal, organization=organization)
    person_guide = _person_guide()
    guide = [ColumnGuide(h, *person_guide[h]) for h in PERSON_COLUMNS]
    if ROLES in headers:
        labels = ", ".join(organization_grantable_roles(organization).values_list("label", flat=True))
        guide.append(ColumnGuide(ROLES, _("Application roles"), pgettext("bulk file column type", "List"), _(
            "Optional: roles %(organization)s may grant (%(roles)s), by label, separated by %(separator)s. Someone "
            "new gets them once their account is ready; a member gets those not granted yet (none is taken away).")
            % {"organization": organization.display_name, "roles": labels, "separator": ROLES_SEPARATOR}))
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
            messages.success(request, ngettext("%(file)s: %(count)s row received. Checking them now.",
                                               "%(file)s: %(count)s rows received. Checking them now.",
                                               job.total_rows) % {
                "file": job.file_name or _("The file"), "count": _count(job.total_rows)})
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
def _count(n: int) -> str:
    """A count as the page's language writes it: 12,345 in English."""
    return number_format(n, force_grouping=True)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes = round(seconds / 60)
    if minutes < 1:
        return _("less than a minute")
    if minutes < 90:
        return ngettext("about %(minutes)s minute", "about %(minutes)s minutes", minutes) % {"minutes": minutes}
    hours = round(minutes / 60, 1)  # 1.5 or more: "hours" whatever the number
    return _("about %(hours)s hours") % {"hours": number_format(hours, 1) if hours % 1 else number_format(int(hours))}


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
def _sending(counts: dict[str, int]) -> str:
    """What confirming sends, as a sentence."""
    parts = []
    if n := counts.get(BulkRow.Action.INVITE, 0):
        parts.append(ngettext("%(count)s invitation (a set-password email each)",
                              "%(count)s invitations (a set-password email each)", n) % {"count": _count(n)})
    if n := counts.get(BulkRow.Action.ADD, 0):
        parts.append(ngettext("%(count)s existing user added (a sign-in email each)",
                              "%(count)s existing users added (a sign-in email each)", n) % {"count": _count(n)})
    if n := counts.get(BulkRow.Action.UPDATE, 0):
        parts.append(ngettext("%(count)s update of a member", "%(count)s updates of members", n) % {"count": _count(n)})
    skipped = counts.get(BulkRow.Action.ERROR, 0) + counts.get(BulkRow.Action.NOTHING, 0)
    sent = "; ".join(parts) if parts else _("nothing: no row has anything to send")
    sentences = [_("Confirming sends %(what)s.") % {"what": sent}]
    if skipped:
        sentences.append(ngettext("%(count)s row with an error or nothing to do will be skipped.",
                                  "%(count)s rows with an error or nothing to do will be skipped.", skipped)
                         % {"count": _count(skipped)})
    sentences.append(_("Nothing has been sent yet."))
    return " ".join(sentences)


@dataclass(frozen=True)
class BulkAct:
    slug: str
    title: str
    button: str
    danger: bool
    service: Callable[..., object]
    done: str


ACTS = {
    "confirm": BulkAct("confirm", gettext_lazy("Confirm and send"), gettext_lazy("Confirm and send"), False,
                       services.bulk_job_start,
                       gettext_lazy("Confirmed: the rows are being sent. Their progress shows below.")),
    "discard": BulkAct("discard", gettext_lazy("Discard this file"), gettext_lazy("Discard"), True,
                       services.bulk_job_discard, gettext_lazy("Discarded: nothing of the file was sent.")),
    "pause": BulkAct("pause", gettext_lazy("Pause"), gettext_lazy("Pause"), False, services.bulk_job_pause,
                     gettext_lazy("Paused: no more rows are sent; those under way finish.")),
    "resume": BulkAct("resume", gettext_lazy("Resume"), gettext_lazy("Resume"), False, services.bulk_job_resume,
                      gettext_lazy("Resumed.")),
    "cancel": BulkAct("cancel", gettext_lazy("Cancel the rest"), gettext_lazy("Cancel the rest"), True,
                      services.bulk_job_cancel, gettext_lazy("Cancelled: the rows not sent yet will not be sent.")),
}


def _consequence(act: BulkAct, job: BulkJob, progress: BulkProgress) -> str:
    if act.slug == "confirm":
        return _sending(bulk_action_counts(job))
    if act.slug == "discard":
        return ngettext("The file and its preview of %(count)s row are deleted. Nothing of it was sent to Auth0, and "
                        "nothing will be.",
                        "The file and its preview of %(count)s rows are deleted. Nothing of it was sent to Auth0, and "
                        "nothing will be.", job.total_rows) % {"count": _count(job.total_rows)}
    if act.slug == "cancel":
        return _("The rows not sent yet (%(not_sent)s) are never sent; the report marks them cancelled. Rows already "
                 "under way (%(under_way)s) finish. This cannot be undone.") % {
            "not_sent": _count(progress.left - progress.under_way), "under_way": _count(progress.under_way)}
    if act.slug == "pause":
        return _("No more rows are sent until you resume; rows already under way finish.")
    return _("Sending the remaining rows starts again.")


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

