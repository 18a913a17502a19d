"""The operations pages: an organization's operations (and, for company admins, every organization's),
failures first, then those under way, then the rest, newest first, paged by keyset (the last page costs
what the first does); and sending a failed one again.

Thin views: operations are read through ``organizations.selectors`` (another organization's operation is
a 404), the people they act on are named through the directory's scoped selector, and a retry is the
service ``history.retry.operation_retry``, which checks the actor's rights itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from history import retry
from history.forms import OperationFilterForm
from history.rows import operation_rows_html
from history.selectors import ATTENTION_FIRST, operation_list_attention_first
from organizations.models import Organization
from organizations.selectors import operation_get, organization_get
from portal.keyset import KeysetPaginator
from portal.models import Operation, OperationKind
from portal.principal import Principal, company_admin_from_request, principal_from_request
from portal.web.list_pages import list_page_read, list_total
from portal.web.refusals import refusal_message
from users.directory.selectors import users_named

OPERATIONS_PER_PAGE = 25

# Kinds whose second run does nothing anyone notices beyond what was asked the first time (the same
# connection, role or block): they are sent again at once. Every other kind is confirmed first, on a page
# that says what it does again (an email sent twice, a user removed).
RETRY_WITHOUT_CONFIRMATION = frozenset({
    OperationKind.ORGANIZATION_PROVISION, OperationKind.ROLE_GRANT, OperationKind.USER_BLOCK,
    OperationKind.USER_UNBLOCK, OperationKind.USER_BLOCKS_CLEAR, OperationKind.APP_ROLE_ASSIGN,
    OperationKind.APP_ROLES_REFRESH,
})
# What trying a kind again does that people notice (kinds that other packages add later get the general
# sentence below until they are named here).
RETRY_NOTICES: dict[str, Any] = {
    OperationKind.USER_INVITE: gettext_lazy("The invitation is sent again: if the first attempt got as far as the "
                                            "email, they receive a second one."),
    OperationKind.USER_PASSWORD_EMAIL: gettext_lazy("The change-password email is sent again: they may receive it "
                                                    "twice."),
    OperationKind.USER_VERIFICATION_EMAIL: gettext_lazy("The verification email is sent again: they may receive it "
                                                        "twice."),
    OperationKind.USER_MFA_RESET: gettext_lazy("Their enrolled second factors are removed: they enrol again at their "
                                               "next sign-in."),
    "user_email_change": gettext_lazy("Their email address is changed and a verification email sent to the new "
                                      "address: they may receive it twice."),
    "user_remove": gettext_lazy("They are removed from the organization."),
    "user_delete": gettext_lazy("The user is deleted from Auth0, for good."),
    "user_invite_resend": gettext_lazy("The invitation is sent again: they may receive it twice."),
    "user_invite_revoke": gettext_lazy("Their invitation is revoked."),
    "app_role_remove": gettext_lazy("The organization's grant of the application role is taken away: they lose the "
                                    "role unless another grant keeps it."),
}
RETRY_NOTICE_DEFAULT = gettext_lazy("It is carried out again as it was first asked.")


def retry_notice(operation: Operation) -> str:
    """What the confirmation page says trying ``operation`` again does; "" when no confirmation is needed."""
    if operation.kind in RETRY_WITHOUT_CONFIRMATION:
        return ""
    return RETRY_NOTICES.get(operation.kind, RETRY_NOTICE_DEFAULT)


def operation_target_label(operation: Operation, named: dict[str, str]) -> str:
    """Whom or what an operation acts on, as a person reads it: the person's name and email where the
    directory knows them, else the email it was asked with, else the organization or the raw target."""
    if operation.kind == OperationKind.ORGANIZATION_PROVISION and operation.organization is not None:
        return operation.organization.display_name
    if operation.kind == OperationKind.APP_ROLES_REFRESH:
        return gettext("The tenant's application roles")
    return named.get(operation.target) or operation.payload.get("email") or operation.target


@dataclass(frozen=True)
class OperationRow:
    operation: Operation
    target: str
    retry: bool
    # Confirmed on a page of its own first (a link to it), instead of a button that sends it at once.
    confirm_first: bool


def _rows(principal: Principal, organization: Organization | None, operations: list[Operation]) -> list[OperationRow]:
    user_ids = [op.target for op in operations if op.target and "@" not in op.target]
    named = users_named(principal=principal, organization=organization, user_ids=user_ids)
    return [
        OperationRow(
            operation=op, target=operation_target_label(op, named),
            retry=op.status == Operation.Status.FAILED and retry.operation_retry_allowed(actor=principal,
                                                                                           operation=op),
            confirm_first=bool(retry_notice(op)),
        )
        for op in operations
    ]


def _total_label(operations) -> str:
    """"1 operation", "25 operations", "More than 1,000 operations"."""
    count, more = list_total(operations)
    shown = {"count": number_format(count, force_grouping=True)}
    if more:
        return ngettext("More than %(count)s operation", "More than %(count)s operations", count) % shown
    return ngettext("%(count)s operation", "%(count)s operations", count) % shown


def _operations_render(request: HttpRequest, principal: Principal, organization: Organization | None) -> HttpResponse:
    form = OperationFilterForm(request.GET)
    operations = operation_list_attention_first(principal=principal, organization=organization, group=form.group())
    paginator = KeysetPaginator(operations.select_related("organization").defer("organization__logo"),
                                ATTENTION_FIRST, OPERATIONS_PER_PAGE)
    if organization is None:
        list_url = reverse("company_operation_list")
    else:
        list_url = reverse("operation_list", kwargs={"slug": organization.slug})
    params = {"status": form.group()} if form.group() else {}
    page = list_page_read(request, paginator, list_url, params)
    rows = _rows(principal, organization, page.items)
    return render(request, "users/operations.html", {
        "organization": organization,
        "form": form,
        "listing": page,
        "rows": rows,
        "rows_html": operation_rows_html(rows, organization, here=page.here, csrf_token=get_token(request)),
        "total_label": _total_label(operations),
        "list_url": list_url,
        "filtered": bool(params),
    })


@login_required
@require_GET
def operation_list(request: HttpRequest, slug: str) -> HttpResponse:
    """An organization's operations: its admins and viewers (only admins are offered retries)."""
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    return _operations_render(request, principal, organization)


@login_required
@require_GET
def company_operation_list(request: HttpRequest) -> HttpResponse:
    """Every organization's operations: company admins only."""
    return _operations_render(request, company_admin_from_request(request), None)


def _back_url(request: HttpRequest, organization: Organization) -> str:
    """Where to return after a retry: the page that offered it (a path on this site), else the
    organization's operations page."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                                 require_https=request.is_secure()):
        return back
    return reverse("operation_list", kwargs={"slug": organization.slug})


@login_required
@require_http_methods(["GET", "POST"])
def operation_retry(request: HttpRequest, slug: str, operation_id) -> HttpResponse:
    """GET asks for confirmation, saying what trying again does; POST sends the operation again (an
    operation whose second run nobody notices is sent from the list's button without that page)."""
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    operation = operation_get(principal=principal, organization=organization, operation_id=operation_id)
    if not principal.can_admin(organization.pk):
        raise PermissionDenied
    back = _back_url(request, organization)
    notice = retry_notice(operation)
    error = ""
    if request.method == "POST" and (not notice or request.POST.get("confirm") == "yes"):
        try:
            retry.operation_retry(actor=principal, organization=organization, operation_id=operation.pk)
        except (ValidationError, PermissionDenied) as exc:
            error = refusal_message(exc)
        else:
            messages.success(request, gettext("%(kind)s: trying again.") % {"kind": operation.get_kind_display()})
            return redirect(back)
    named = users_named(principal=principal, organization=organization, user_ids=[operation.target])
    return render(request, "users/operation_retry.html", {
        "organization": organization, "operation": operation, "notice": notice or RETRY_NOTICE_DEFAULT,
        "target": operation_target_label(operation, named), "error": error, "back": back,
    }, status=400 if error else 200)
