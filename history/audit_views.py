"""The audit trail: an organization's (its admins and viewers) or every organization's (company admins),
newest first, filtered by actor, action, target and days, paged by keyset (the last page costs what the
first does), and downloadable as CSV with the same filters. The filters live in the URL, so a view of the
trail can be bookmarked and shared.

Thin views over the scoped selector ``organizations.selectors.audit_event_list``; a target given as an
email is looked up in the directory (the users the viewer may see with it), and the people events name
are shown by the directory's scoped selector too.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET

from history.forms import AuditFilterForm
from history.rows import event_rows_html
from organizations.models import Organization
from organizations.selectors import (
    AUDIT_NEWEST_FIRST,
    NO_ORGANIZATION,
    AuditQuery,
    audit_event_list,
    organization_get,
    organization_list,
)
from portal.audit import audit_action_label
from portal.keyset import KeysetPaginator
from portal.models import AuditEvent
from portal.principal import Principal, company_admin_from_request, principal_from_request
from portal.web.csv_export import csv_response
from portal.web.list_pages import list_page_read, list_total, url_with
from users.directory.selectors import user_ids_with_email, users_named

AUDIT_EVENTS_PER_PAGE = 50
EXPORT_CHUNK = 2000


@dataclass
class TrailState:
    """The trail's state as the query string gives it: the bound form (errors beside their fields), the
    query made of its valid parts, and those parts again as query parameters for the page's links."""

    form: AuditFilterForm
    query: AuditQuery
    params: dict[str, str]


def _targets(principal: Principal, organization: Organization | None, target: str) -> tuple[str, ...]:
    """The target ids a target filter stands for: an email itself (invitations and appointments record the
    email they were asked with) and the users who have it; anything else, as typed."""
    target = target.strip()
    if "@" not in target:
        return (target,) if target else ()
    email = target.lower()
    return (email, *user_ids_with_email(principal=principal, organization=organization, email=email))


def _trail_state(request: HttpRequest, principal: Principal, organization: Organization | None) -> TrailState:
    organizations = None
    if organization is None:
        organizations = list(organization_list(principal=principal).values_list("slug", "display_name"))
    form = AuditFilterForm(request.GET, organizations=organizations)
    target = form.valid_data().get("target") or ""
    query = form.query(targets=_targets(principal, organization, target))
    params = {name: request.GET[name] for name in form.fields
              if name not in form.errors and request.GET.get(name, "") != ""}
    return TrailState(form=form, query=query, params=params)


def _urls(organization: Organization | None) -> tuple[str, str]:
    if organization is None:
        return reverse("company_audit_event_list"), reverse("company_audit_event_export")
    return (reverse("audit_event_list", kwargs={"slug": organization.slug}),
            reverse("audit_event_export", kwargs={"slug": organization.slug}))


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    action: str
    target: str


def _rows(principal: Principal, organization: Organization | None, events: list[AuditEvent]) -> list[EventRow]:
    """The events with their action's label and their target as people read it (a user's name and email
    where the directory knows them and the viewer may see them, an organization's name)."""
    named = users_named(principal=principal, organization=organization,
                        user_ids=[e.target_id for e in events if e.target_id and "@" not in e.target_id])
    rows = []
    for event in events:
        if event.target_type == "organization" and event.organization is not None:
            target = event.organization.display_name
        else:
            target = named.get(event.target_id) or event.target_id
        rows.append(EventRow(event=event, action=audit_action_label(event.action), target=target))
    return rows


def _with_organization(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """Each event's organization in the same query (its name is shown), without its logo."""
    return events.select_related("organization").defer("organization__logo")


def _total_label(events: QuerySet[AuditEvent]) -> str:
    """"1 event", "50 events", "More than 1,000 events"."""
    count, more = list_total(events)
    shown = {"count": number_format(count, force_grouping=True)}
    if more:
        return ngettext("More than %(count)s event", "More than %(count)s events", count) % shown
    return ngettext("%(count)s event", "%(count)s events", count) % shown


def _trail_render(request: HttpRequest, principal: Principal, organization: Organization | None) -> HttpResponse:
    state = _trail_state(request, principal, organization)
    events = audit_event_list(principal=principal, organization=organization, query=state.query)
    paginator = KeysetPaginator(_with_organization(events), AUDIT_NEWEST_FIRST, AUDIT_EVENTS_PER_PAGE)
    list_url, export_url = _urls(organization)
    params = state.params
    page = list_page_read(request, paginator, list_url, params)
    rows = _rows(principal, organization, page.items)
    return render(request, "users/audit.html", {
        "organization": organization,
        "form": state.form,
        "listing": page,
        "rows": rows,
        "rows_html": event_rows_html(rows, organization),
        "total_label": _total_label(events),
        "list_url": list_url,
        "export_url": url_with(export_url, params),
        "filtered": bool(params) or bool(state.form.errors),
    })


@login_required
@require_GET
def audit_event_list_page(request: HttpRequest, slug: str) -> HttpResponse:
    """An organization's audit trail: its admins and viewers."""
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    return _trail_render(request, principal, organization)


@login_required
@require_GET
def company_audit_event_list(request: HttpRequest) -> HttpResponse:
    """Every organization's audit trail, and what happened outside any: company admins only."""
    return _trail_render(request, company_admin_from_request(request), None)


# -- the CSV export ---------------------------------------------------------------------------------------
def _when(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _export_header(organization: Organization | None) -> list[str]:
    """The export's first line, in the language of the page that asked (read before the rows stream)."""
    return [_("Time (UTC)"), *([_("Organization")] if organization is None else []), _("Actor"), _("Actor user id"),
            pgettext("column: what was done", "Action"), _("Target"), _("Target id"), _("What happened")]


def _export_rows(principal: Principal, organization: Organization | None, events: QuerySet[AuditEvent],
                 header: list[str]) -> Iterator[list]:
    yield header
    stream = events.iterator(chunk_size=EXPORT_CHUNK)
    while chunk := list(itertools.islice(stream, EXPORT_CHUNK)):
        for row in _rows(principal, organization, chunk):
            event = row.event
            where = [event.organization.display_name if event.organization else ""] if organization is None else []
            yield [_when(event.occurred_at), *where, event.actor_display, event.actor_user_id, str(row.action),
                   row.target, event.target_id, event.summary]


def _export(request: HttpRequest, principal: Principal, organization: Organization | None) -> HttpResponse:
    """The whole filtered trail (every page) as CSV, streamed: the same query and scoping as the page."""
    state = _trail_state(request, principal, organization)
    list_url, _export_url = _urls(organization)
    if state.form.errors:  # the file would not match what the filters say: show them with their errors
        messages.error(request, _("Correct the filters marked below, then download again."))
        return redirect(f"{list_url}?{request.GET.urlencode()}")
    if organization is not None:
        who = organization.slug
    else:
        slug = state.query.organization_slug
        who = {"": "all-organizations", NO_ORGANIZATION: "no-organization"}.get(slug, slug)
    events = _with_organization(audit_event_list(principal=principal, organization=organization, query=state.query))
    return csv_response(_export_rows(principal, organization, events, _export_header(organization)),
                        filename=f"{who}-audit-trail-{timezone.now():%Y-%m-%d}.csv")


@login_required
@require_GET
def audit_event_export(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    return _export(request, principal, organization)


@login_required
@require_GET
def company_audit_event_export(request: HttpRequest) -> HttpResponse:
    return _export(request, company_admin_from_request(request), None)
