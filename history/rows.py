"""The rows of the operations and audit pages, written directly.

Through the template engine (a variable, a filter, a ``{% url %}`` or an include at a time) a page's 25 or
50 rows cost several times its queries, once paging by keyset made those cheap; as for the user list
(``users.templatetags.directory.user_rows``), these functions write the same markup. Every value from the
database goes through ``html.escape`` (quotes included), as the template's autoescape did.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from organizations.models import Organization
from portal.models import Operation, OperationKind

_KIND_LABELS = dict(OperationKind.choices)
_STATUS_LABELS = dict(Operation.Status.choices)
# Stand-ins that reverse() accepts, replaced by each row's own slug and id.
_SLUG, _ID = "__slug__", "00000000-0000-4000-8000-000000000000"


def _url_maker(route: str, *, with_id: bool = True) -> Callable[..., str]:
    """``route``'s URL for an organization's slug (and an operation's id), reversed once."""
    kwargs: dict[str, Any] = {"slug": _SLUG, **({"operation_id": _ID} if with_id else {})}
    template_url = reverse(route, kwargs=kwargs)
    return lambda slug, operation_id="": template_url.replace(_SLUG, slug).replace(_ID, str(operation_id))


def _time(value: dt.datetime, fmt: str) -> tuple[str, str]:
    """The ISO 8601 form (a <time>'s datetime) and ``fmt``'s, in the current time zone."""
    local = timezone.localtime(value)
    return local.isoformat(), local.strftime(fmt)


def _kind(operation: Operation) -> str:
    return html.escape(str(_KIND_LABELS.get(operation.kind, operation.kind)))


def _status(operation: Operation, detail_url: Callable[..., str]) -> str:
    """As templates/organizations/_operation_status.html (an unfinished one is followed by operations.js)."""
    error = f": {html.escape(operation.last_error)}" if operation.last_error else ""
    label = html.escape(str(_STATUS_LABELS.get(operation.status, operation.status)))
    if operation.organization is None:
        return f'<span class="status-{html.escape(operation.status)}">{label}{error}</span>'
    poll = "" if operation.is_finished else (
        f' data-operation-poll="{detail_url(operation.organization.slug, operation.pk)}?format=json"')
    attempt = ""
    if operation.attempts > 1:
        attempt = " " + html.escape(_("(attempt %(attempt)s)") % {"attempt": operation.attempts})
    return (f'<span class="status-{html.escape(operation.status)}"{poll} role="status">\n'
            f"  {label}{attempt}{error}\n</span>")


def operation_rows_html(rows: Sequence[Any], organization: Organization | None, *, here: str,
                        csrf_token: str) -> SafeString:
    """The operations page's rows (``history.operation_views.OperationRow``); ``here`` is where a retry
    comes back to, ``csrf_token`` its form's."""
    detail_url, retry_url = _url_maker("operation_detail"), _url_maker("operation_retry")
    list_url = _url_maker("operation_list", with_id=False)
    back, back_quoted, csrf = html.escape(here), html.escape(quote(here, safe="/")), html.escape(csrf_token)
    # The words of the rows, in the page's language, looked up once for every row.
    said = {name: html.escape(text) for name, text in {
        "no_organization": _("No organization"), "organization": _("Organization"), "acts_on": _("Acts on"),
        "status": _("Status"), "attempts": _("Attempts"),
        "asked": pgettext("column: when the operation was asked for", "Asked"),
        "finished": pgettext("column: when the operation finished", "Finished"),
        "try_again_confirm": _("Try again…"), "try_again": _("Try again"),
    }.items()}
    by = _("by %(who)s")
    out = []
    for row in rows:
        op: Operation = row.operation
        slug = op.organization.slug if op.organization else ""
        kind, target = _kind(op), html.escape(row.target)
        kind_cell = f'<a href="{detail_url(slug, op.pk)}">{kind}</a>' if slug else kind
        where = ""
        if organization is None:
            named = (f'<a href="{list_url(slug)}">{html.escape(op.organization.display_name)}</a>' if slug
                     else said["no_organization"])
            where = f'<td role="cell" data-label="{said["organization"]}">{named}</td>'
        asked_iso, asked = _time(op.created_at, "%Y-%m-%d %H:%M")
        finished = "—"
        if op.finished_at:
            finished_iso, finished_text = _time(op.finished_at, "%Y-%m-%d %H:%M")
            finished = f'<time datetime="{finished_iso}">{finished_text}</time>'
        action = ""
        hidden = f'<span class="visually-hidden"> {kind}: {target}</span>'
        if row.retry and row.confirm_first:
            action = (f'<a class="btn btn-sm btn-outline-primary" href="{retry_url(slug, op.pk)}?next={back_quoted}">'
                      f"{said['try_again_confirm']}{hidden}</a>")
        elif row.retry:
            action = (f'<form method="post" action="{retry_url(slug, op.pk)}" class="d-inline">'
                      f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
                      f'<input type="hidden" name="next" value="{back}">'
                      f'<button class="btn btn-sm btn-outline-primary" type="submit">{said["try_again"]}{hidden}'
                      "</button></form>")
        out.append(
            f'<tr role="row" class="operation-row operation-{html.escape(op.status)}">'
            f'<td role="cell" class="operation-kind">{kind_cell}</td>{where}'
            f'<td role="cell" data-label="{said["acts_on"]}" class="wrap-anywhere">{target or "—"}</td>'
            f'<td role="cell" data-label="{said["status"]}" class="operation-status">{_status(op, detail_url)}</td>'
            f'<td role="cell" data-label="{said["attempts"]}">{op.attempts}</td>'
            f'<td role="cell" data-label="{said["asked"]}" class="operation-time"><time datetime="{asked_iso}">'
            f'{asked}</time><span class="d-block small text-body-secondary">'
            f'{html.escape(by % {"who": op.actor_display})}</span></td>'
            f'<td role="cell" data-label="{said["finished"]}" class="operation-time">{finished}</td>'
            f'<td role="cell" class="operation-actions text-sm-end">{action}</td></tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value escaped above


def event_rows_html(rows: Sequence[Any], organization: Organization | None) -> SafeString:
    """The audit trail's rows (``history.audit_views.EventRow``)."""
    detail_url, trail_url = _url_maker("operation_detail"), _url_maker("audit_event_list", with_id=False)
    # The words of the rows, in the page's language, looked up once for every row.
    said = {name: html.escape(text) for name, text in {
        "no_organization": _("No organization"), "organization": _("Organization"), "actor": _("Actor"),
        "action": pgettext("column: what was done", "Action"), "target": _("Target"),
        "what_happened": _("What happened"),
    }.items()}
    # The link to the event's operation, named for a screen reader (the catalog's markup, the values escaped).
    operation_link = _('operation<span class="visually-hidden">: %(action)s at %(when)s</span>')
    out = []
    for row in rows:
        event = row.event
        slug = event.organization.slug if event.organization else ""
        when_iso, when = _time(event.occurred_at, "%Y-%m-%d %H:%M:%S")
        action = html.escape(str(row.action))
        where = ""
        if organization is None:
            named = (f'<a href="{trail_url(slug)}">{html.escape(event.organization.display_name)}</a>' if slug
                     else said["no_organization"])
            where = f'<td role="cell" data-label="{said["organization"]}">{named}</td>'
        operation = ""
        if event.operation_id and slug:
            link_text = operation_link % {"action": action, "when": html.escape(when)}
            operation = f' · <a href="{detail_url(slug, event.operation_id)}">{link_text}</a>'
        out.append(
            f'<tr role="row"><td role="cell" class="audit-time"><time datetime="{when_iso}">{when}</time></td>{where}'
            f'<td role="cell" data-label="{said["actor"]}" class="wrap-anywhere">'
            f"{html.escape(event.actor_display)}</td>"
            f'<td role="cell" data-label="{said["action"]}">{action}</td>'
            f'<td role="cell" data-label="{said["target"]}" class="wrap-anywhere">{html.escape(row.target) or "—"}</td>'
            f'<td role="cell" data-label="{said["what_happened"]}" class="wrap-anywhere">{html.escape(event.summary)}'
            f"{operation}</td></tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value escaped above, the catalog's markup trusted
