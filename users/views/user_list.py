"""The directory's user list (one organization's, or every organization's for company admins) and its CSV
export.

Thin views over scoped selectors: every user is read through ``users.directory.selectors.user_listing``
(another organization's users never reach a page), nothing here calls Auth0, and the list's whole state
is in its URL so a view of it can be bookmarked and shared. The list offers the acts on a selection
(``users.acts.selection``), which is why it is a page above the acts rather than in ``users.directory``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext, npgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from app_roles.catalog import organization_grantable_roles, tenant_role_list
from organizations.models import Organization
from organizations.selectors import operation_list, organization_get, organization_list
from portal.keyset import KeysetPaginator
from portal.models import OperationKind
from portal.principal import Principal, company_admin_from_request, principal_from_request
from portal.web.csv_export import csv_response
from portal.web.followed import operations_followed, operations_following
from portal.web.list_pages import list_page_read, url_with
from users.acts.selection import SELECTION_ACTS
from users.directory import selectors
from users.directory.counts import Tally
from users.directory.selectors import NO_ORGANIZATION, SORTS, UserQuery
from users.views.forms import QuickTextInput, UserListForm

# The list's columns, in order: the sort key the query string uses and the header people read.
COLUMNS = [
    ("name", _("Name")), ("email", _("Email")), ("verified", _("Verified")), ("connection", _("Connection")),
    ("blocked", pgettext_lazy("user status", "Blocked")), ("logins", _("Sign-ins")), ("last_login", _("Last sign-in")),
    ("created", pgettext_lazy("date the user account was created", "Created")),
]
# The CSV export's header row: in English whatever the reader's language, so that a file's columns are the same
# for every program that reads it.
EXPORT_HEADER = ["Name", "Email", "Verified", "Connection", "Blocked", "Sign-ins", "Last sign-in (UTC)",
                 "Created (UTC)"]
# The columns a list page reads: what its rows show (users.templatetags.directory.user_rows), and every
# sort key. An organization's page reads them from its memberships' copies, with the Auth0 id as
# auth0_user_id (a membership's user_id is its key to the user's row).
ROW_FIELDS = ("email", "email_verified", "name", "given_name", "family_name", "connection", "blocked",
              "logins_count", "last_login", "created_at")
LIST_FIELDS = ("user_id", *ROW_FIELDS)
MEMBER_LIST_FIELDS = ("auth0_user_id", *ROW_FIELDS)
EXPORT_CHUNK = 2000


# -- the list -----------------------------------------------------------------------------------------
@dataclass
class ListState:
    """The list's state as the query string gives it: the bound form (errors beside their fields), the
    query made of its valid parts, and those parts again as query parameters for the page's links."""

    form: UserListForm
    query: UserQuery
    params: dict[str, str]


def _list_state(request: HttpRequest, principal: Principal, organization: Organization | None) -> ListState:
    connections = selectors.user_connections(principal=principal, organization=organization)
    organizations = None
    if organization is None:
        organizations = [("", gettext("Any organization")), (NO_ORGANIZATION, gettext("No organization")),
                         *organization_list(principal=principal).values_list("slug", "display_name")]
    form = UserListForm(request.GET, connections=connections, organizations=organizations,
                        app_roles=_app_role_choices(principal, organization),
                        app_roles_of=organization.display_name if organization else "")
    query = form.query()
    for name, field in form.fields.items():
        # A browser's date picker cannot show a value that is not a date: show what was typed, as text.
        if isinstance(field, forms.DateField) and form.has_error(name, "invalid"):
            field.widget = QuickTextInput(attrs={"placeholder": "YYYY-MM-DD"})
    params = {name: request.GET[name] for name in form.fields
              if name not in form.errors and request.GET.get(name, "") != ""}
    return ListState(form=form, query=query, params=params)


def _app_role_choices(principal: Principal, organization: Organization | None) -> list[tuple[str, str]]:
    """The role filter's choices: the roles the organization may grant, by their label there; across
    organizations (company admins), every role of the tenant."""
    if organization is None:
        return list(tenant_role_list(principal=principal).values_list("pk", "name"))
    return list(organization_grantable_roles(organization).values_list("role_id", "label"))


@dataclass(frozen=True)
class Header:
    key: str
    label: str
    url: str
    # "ascending" or "descending" on the column the list is sorted by (aria-sort), else "".
    sorted: str


def _headers(list_url: str, state: ListState) -> list[Header]:
    """Each column's header links to the list sorted by it: ascending first, then the other way."""
    base = {k: v for k, v in state.params.items() if k != "sort"}
    headers = []
    for key, label in COLUMNS:
        current = state.query.sort == key
        target = f"-{key}" if current and not state.query.descending else key
        direction = ("descending" if state.query.descending else "ascending") if current else ""
        headers.append(Header(key=key, label=label, url=url_with(list_url, base, sort=target), sorted=direction))
    return headers


def _total_label(total: int) -> str:
    return ngettext("%(count)s user", "%(count)s users", total) % {"count": f"{total:,}"}


@dataclass(frozen=True)
class Fact:
    text: str
    url: str


def _facts(list_url: str, counts: Tally) -> list[Fact]:
    """The organization's quick facts, kept by the directory's writes (no count per request): how many of its
    members are blocked and never signed in, each linking to the list filtered so."""
    if not counts.members:
        return []
    return [
        Fact(npgettext("members of an organization", "%(count)s blocked", "%(count)s blocked", counts.blocked)
             % {"count": f"{counts.blocked:,}"}, url_with(list_url, {"blocked": "yes"})),
        Fact(ngettext("%(count)s never signed in", "%(count)s never signed in", counts.never_signed_in)
             % {"count": f"{counts.never_signed_in:,}"}, url_with(list_url, {"never": "on"})),
    ]


def _filters_open(state: ListState) -> bool:
    """Whether the filters are shown unfolded: when one is in use or has an error."""
    return bool(state.form.errors) or any(k not in ("q", "sort", "size") for k in state.params)


def _listing_columns(listing: QuerySet, organization: Organization | None, query: UserQuery) -> QuerySet:
    """Only what the rows show and the sort key (cursors read it): not the metadata, identities or search
    text. An organization's page is read from its memberships alone (their copies of the user's columns),
    so however broad the search, no user row is joined or read."""
    sort_field = SORTS[query.sort]
    if organization is None:
        return listing.only(*LIST_FIELDS, sort_field)
    return listing.only(*MEMBER_LIST_FIELDS, sort_field)


def _list_render(request: HttpRequest, principal: Principal, organization: Organization | None) -> HttpResponse:
    state = _list_state(request, principal, organization)
    listing = selectors.user_listing(principal=principal, organization=organization, query=state.query)
    paginator = KeysetPaginator(_listing_columns(listing, organization, state.query), state.query.sort_keys,
                                state.query.page_size)
    if organization is None:
        list_url, export_url = reverse("directory_user_list"), reverse("directory_user_export")
    else:
        list_url = reverse("user_list", kwargs={"slug": organization.slug})
        export_url = reverse("user_export", kwargs={"slug": organization.slug})
    params = state.params
    page = list_page_read(request, paginator, list_url, params)
    users = page.items
    counts = (selectors.organization_counts_get(principal=principal, organization=organization)
              if organization is not None else Tally())
    total = selectors.user_list_count(principal=principal, organization=organization, query=state.query,
                                      counts=counts if organization is not None else None)
    if organization is None:  # the organization column, read in one query for the whole page
        organizations_of = selectors.users_organizations(principal=principal, users=users)
        for user in users:
            user.organizations_shown = organizations_of.get(user.pk, [])
    can_act = organization is not None and principal.can_admin(organization.pk)
    context = {
        "organization": organization,
        "form": state.form,
        "filters_open": _filters_open(state),
        "headers": _headers(list_url, state),
        "users": users,
        "total": total,
        "total_label": _total_label(total),
        "listing": page,
        "members_shown": f"{counts.members:,}",
        "facts": _facts(list_url, counts),
        "list_url": list_url,
        "export_url": url_with(export_url, params),
        "reset_url": list_url,
        "searching": bool(state.query.search_terms) or _filters_open(state),
        "detail_route": "directory_user_detail" if organization is None else "user_detail",
        "can_invite": can_act,
        "can_act": can_act,
        # The application roles' acts where the organization may grant some.
        "selection_acts": [act for act in SELECTION_ACTS.values() if not act.role_verb or (
            can_act and state.form.fields.get("app_role") is not None)],
        # Invitations this browser sent: shown until their outcome has been seen once.
        "followed_invites": operations_followed(request, operation_list(
            principal=principal, organization=organization).filter(kind=OperationKind.USER_INVITE))
        if organization is not None and operations_following(request) else [],
    }
    return render(request, "users/list.html", context)


@login_required
@require_GET
def user_list(request: HttpRequest, slug: str) -> HttpResponse:
    """An organization's users: admins and viewers alike."""
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    return _list_render(request, principal, organization)



@login_required
@require_GET
def directory_user_list(request: HttpRequest) -> HttpResponse:
    """Every user of the tenant, in any organization or none: company admins only."""
    return _list_render(request, company_admin_from_request(request), None)


# -- the CSV export ---------------------------------------------------------------------------------------
def _when(value) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _export_rows(listing: QuerySet, principal: Principal, with_organizations: bool) -> Iterator[list]:
    yield EXPORT_HEADER + (["Organizations"] if with_organizations else [])
    rows = listing.iterator(chunk_size=EXPORT_CHUNK)
    while chunk := list(itertools.islice(rows, EXPORT_CHUNK)):
        organizations = (selectors.users_organizations(principal=principal, users=chunk)
                         if with_organizations else {})
        for user in chunk:
            row = [
                user.name or " ".join(p for p in (user.given_name, user.family_name) if p), user.email,
                _yes_no(user.email_verified), user.connection, _yes_no(user.blocked), user.logins_count,
                _when(user.last_login) or "Never", _when(user.created_at),
            ]
            if with_organizations:
                row.append("; ".join(o.display_name for o in organizations.get(user.pk, [])))
            yield row


def _export_filename(organization: Organization | None, query: UserQuery) -> str:
    if organization is not None:
        who = organization.slug
    elif query.organization_slug == NO_ORGANIZATION:
        who = "no-organization"
    else:
        who = query.organization_slug or "all-organizations"
    return f"{who}-users-{timezone.now():%Y-%m-%d}.csv"


def _export(request: HttpRequest, principal: Principal, organization: Organization | None) -> HttpResponse:
    """The whole current result (every page) as CSV, streamed: the same query and scoping as the list."""
    state = _list_state(request, principal, organization)
    if state.form.errors:  # exporting would not match what the filters say: show them with their errors
        messages.error(request, gettext("Correct the filters marked below, then export again."))
        list_url = reverse("directory_user_list") if organization is None else reverse(
            "user_list", kwargs={"slug": organization.slug})
        return redirect(f"{list_url}?{request.GET.urlencode()}")
    listing = _listing_columns(
        selectors.user_listing(principal=principal, organization=organization, query=state.query), organization,
        state.query)
    ordering = [F(k.field).desc(nulls_last=True) if k.descending else F(k.field).asc(nulls_last=True)
                for k in state.query.sort_keys]
    return csv_response(_export_rows(listing.order_by(*ordering), principal, organization is None),
                        filename=_export_filename(organization, state.query))


@login_required
@require_GET
def user_export(request: HttpRequest, slug: str) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    return _export(request, principal, organization)


@login_required
@require_GET
def directory_user_export(request: HttpRequest) -> HttpResponse:
    return _export(request, company_admin_from_request(request), None)
