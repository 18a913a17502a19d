"""Reads of the directory, always scoped by the acting principal in the query itself.

``user_list`` is the one query behind the user list page, its CSV export and (later) the REST API: the
organization is a filter of the query, never a check on the results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import BigIntegerField, CharField, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import get_object_or_404

from app_roles.holdings import app_role_holders, app_role_holders_anywhere
from organizations.models import Audience, MetadataField, Organization
from organizations.selectors import AuditQuery, audit_event_list, operation_list, organization_list
from organizations.validation import RESERVED_KEYS
from portal.keyset import SortKey
from portal.models import SELF_SERVICE_KINDS, AuditEvent, Operation, OperationKind
from portal.principal import Principal
from users.directory.counts import Tally, directory_people_read, organization_counts_read
from users.models import (
    DataExport,
    DirectoryUser,
    JoinInvitation,
    Membership,
    OrganizationBlock,
    SyncRun,
    UserActivity,
    UserSearch,
)

# The columns a list can be sorted on: the query string's name -> the model field.
SORTS: dict[str, str] = {
    "email": "email",
    "name": "name",
    "connection": "connection",
    "blocked": "blocked",
    "verified": "email_verified",
    "logins": "logins_count",
    "last_login": "last_login",
    "created": "created_at",
    "updated": "updated_at",
}
DEFAULT_SORT = "email"
PAGE_SIZES = (25, 50, 100, 250, 500)
SEARCH_MAX_LENGTH = 200
SEARCH_MAX_TERMS = 8
NO_ORGANIZATION = "-"  # the organization filter's value for users of no organization


@dataclass(frozen=True)
class UserQuery:
    """What a user list shows: search, filters and order (every part optional)."""

    search_terms: tuple[str, ...] = ()
    blocked: bool | None = None
    email_verified: bool | None = None
    never_signed_in: bool = False
    connection: str = ""
    last_login_from: dt.date | None = None
    last_login_to: dt.date | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    # Company admins across organizations: an organization's slug, or NO_ORGANIZATION.
    organization_slug: str = ""
    # People holding this application role (an Auth0 role id), as the list's organization grants it (in the
    # tenant, or as its Auth0 Organization's member); across organizations, held in any way.
    app_role: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = False
    page_size: int = PAGE_SIZES[0]
    extra: dict = field(default_factory=dict)

    @property
    def sort_keys(self) -> list[SortKey]:
        return [SortKey(SORTS[self.sort], descending=self.descending), SortKey("pk", descending=self.descending)]

    @property
    def filters(self) -> UserQuery:
        """The query with only what changes its total: no order or page size, nor the company admins'
        organization."""
        return replace(self, sort=DEFAULT_SORT, descending=False, page_size=PAGE_SIZES[0], organization_slug="")


def search_terms_split(text: str) -> tuple[str, ...]:
    """Lower-cased terms of a free-text search; each must appear (in any field) for a user to match."""
    return tuple(dict.fromkeys(t for t in text.lower().split() if t))[:SEARCH_MAX_TERMS]


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _filters(query: UserQuery) -> Q:
    """The filters on the user's own columns."""
    condition = Q()
    if query.blocked is not None:
        condition &= Q(blocked=query.blocked)
    if query.email_verified is not None:
        condition &= Q(email_verified=query.email_verified)
    if query.never_signed_in:
        condition &= Q(last_login__isnull=True)
    if query.connection:
        condition &= Q(connection=query.connection)
    if query.last_login_from:
        condition &= Q(last_login__gte=_day_start(query.last_login_from))
    if query.last_login_to:
        condition &= Q(last_login__lt=_day_start(query.last_login_to + dt.timedelta(days=1)))
    if query.created_from:
        condition &= Q(created_at__gte=_day_start(query.created_from))
    if query.created_to:
        condition &= Q(created_at__lt=_day_start(query.created_to + dt.timedelta(days=1)))
    return condition


def user_list(*, principal: Principal, organization: Organization | None, query: UserQuery) -> QuerySet[DirectoryUser]:
    """The users ``principal`` may see, matching ``query``.

    With an organization: its members, if the principal may see that organization (else nothing), the
    search looking also into that organization's searchable metadata fields. Without one: every user,
    for company admins only (anyone else gets nothing), optionally narrowed to one organization.
    """
    users = DirectoryUser.objects.filter(_filters(query))
    if organization is not None:
        visible = organization_list(principal=principal).filter(pk=organization.pk)
        # One filter() call, so the membership conditions all apply to the same membership row.
        membership = Q(memberships__organization__in=visible)
        for term in query.search_terms:
            # Search text is stored lower-cased; LIKE is case-sensitive on PostgreSQL.
            membership &= Q(memberships__search_text__contains=term.lower())
        if query.app_role:
            users = users.filter(app_role_holders(organization, query.app_role, outer="pk"))
        return users.filter(membership)
    if not principal.is_company_admin:
        return DirectoryUser.objects.none()
    for term in query.search_terms:
        # A user's own search text holds every organization's searchable values (users.directory.mirror).
        users = users.filter(search__text__contains=term.lower())
    if query.app_role:
        users = users.filter(app_role_holders_anywhere(query.app_role))
    if query.organization_slug == NO_ORGANIZATION:
        users = users.filter(~Exists(Membership.objects.filter(user=OuterRef("pk"))))
    elif query.organization_slug:
        users = users.filter(Exists(Membership.objects.filter(
            user=OuterRef("pk"), organization__slug=query.organization_slug)))
    return users


def user_get(*, principal: Principal, organization: Organization | None, user_id: str) -> DirectoryUser:
    """One user of ``organization`` (or, for company admins with no organization, any user); else 404."""
    return get_object_or_404(user_list(principal=principal, organization=organization, query=UserQuery()),
                             user_id=user_id)


def user_organizations(*, principal: Principal, user: DirectoryUser) -> QuerySet[Organization]:
    """The user's organizations that the principal may see."""
    return organization_list(principal=principal).filter(memberships__user=user)


def member_list(*, principal: Principal, organization: Organization, query: UserQuery) -> QuerySet[Membership]:
    """An organization's memberships whose user matches ``query``, read from the memberships' copies of
    the user's listed columns: one table, an index per sort, however large the organization.

    The same filters as ``user_list`` (one ``_filters``, on columns of the same names). Scoping: nothing
    unless the principal may see the organization (their roles, read from the database); the organization
    is then an equality the list indexes begin with, not a subquery they could not seek with."""
    if not principal.can_view(organization.pk):
        return Membership.objects.none()
    # A bigint, not a bare number (which PostgreSQL reads as integer): the (organization, search text) index
    # is btree_gin's, whose operators compare same types only (migration users 0006).
    members = Membership.objects.filter(organization_id=Cast(Value(organization.pk), BigIntegerField()))
    members = members.filter(_filters(query))
    for term in query.search_terms:
        members = members.filter(search_text__contains=term.lower())
    if query.app_role:
        members = members.filter(app_role_holders(organization, query.app_role))
    return members


def user_listing(
    *, principal: Principal, organization: Organization | None, query: UserQuery
) -> QuerySet[Membership] | QuerySet[DirectoryUser]:
    """What a list page (and its export) pages through: an organization's memberships, whose copies of the
    user's columns are what its rows show; or, for company admins across organizations, the users themselves.
    Either way an item has the row's columns under the user's names (a membership's Auth0 id is
    ``auth0_user_id``)."""
    if organization is None:
        return user_list(principal=principal, organization=None, query=query)
    return member_list(principal=principal, organization=organization, query=query)


# The totals an organization's counts hold (users.directory.counts), by the only filters they answer: none,
# blocked or not, never signed in.
_COUNTED: tuple[tuple[UserQuery, Callable[[Tally], int]], ...] = (
    (UserQuery(), lambda counts: counts.members),
    (UserQuery(blocked=True), lambda counts: counts.blocked),
    (UserQuery(blocked=False), lambda counts: counts.members - counts.blocked),
    (UserQuery(never_signed_in=True), lambda counts: counts.never_signed_in),
)


def user_list_count(*, principal: Principal, organization: Organization | None, query: UserQuery,
                    counts: Tally | None = None) -> int:
    """The exact number of users a list shows. With no search and no filter, or only the quick facts' (blocked
    or not, never signed in), it is read from the counts the directory's writes keep (``users.directory.counts``):
    an organization's (also a company admin's list of every user narrowed to one organization), or, unfiltered,
    the tenant's people for the list of every user. Anything else is counted (an organization's list on its
    memberships alone), as is "no organization", which no count holds. ``counts``: the organization's, if the
    caller has read them already (``organization_counts_get``)."""
    held = next((held for filters, held in _COUNTED if filters == query.filters), None)
    if held is not None and organization is not None:
        return held(counts if counts is not None else organization_counts_get(principal=principal,
                                                                             organization=organization))
    if held is not None and principal.is_company_admin and query.organization_slug != NO_ORGANIZATION:
        if query.organization_slug:
            narrowed = Organization.objects.filter(slug=query.organization_slug).values_list("pk", flat=True).first()
            return held(organization_counts_read(narrowed)) if narrowed is not None else 0
        if query.filters == UserQuery():
            return directory_people_read()
    if organization is None and principal.is_company_admin and replace(query.filters, search_terms=()) == UserQuery() \
            and not query.organization_slug:
        # A bare search of every user: counted in the narrow search table alone (users.models.UserSearch), as
        # nothing else narrows it and every search row is a user's.
        searches = UserSearch.objects.all()
        for term in query.search_terms:
            searches = searches.filter(text__contains=term.lower())
        return searches.count()
    if organization is None:
        return user_list(principal=principal, organization=None, query=query).count()
    return member_list(principal=principal, organization=organization, query=query).count()


def organization_counts_get(*, principal: Principal, organization: Organization) -> Tally:
    """The organization's members, blocked members and members who never signed in, as the directory's writes
    keep them: zeros (as its list would be empty) unless the principal may see the organization."""
    if not principal.can_view(organization.pk):
        return Tally()
    return organization_counts_read(organization.pk)


def user_count(*, principal: Principal, organization: Organization) -> int:
    return user_list_count(principal=principal, organization=organization, query=UserQuery())


# The connection filter's choices change only when users move between connections: read them at most
# this often (they take a scan of every user otherwise).
CONNECTIONS_CACHE_SECONDS = 600


def user_connections(*, principal: Principal, organization: Organization | None) -> list[str]:
    """The connections the principal's users are in (the connection filter's choices)."""
    allowed = principal.can_view(organization.pk) if organization is not None else principal.is_company_admin
    if not allowed:
        return []
    key = f"directory:connections:{organization.pk if organization else 'all'}"
    connections = cache.get(key)
    if connections is None:
        users = user_list(principal=principal, organization=organization, query=UserQuery())
        connections = sorted(set(users.order_by().values_list("connection", flat=True).distinct()) - {""})
        cache.set(key, connections, CONNECTIONS_CACHE_SECONDS)
    return connections


def user_activity_get(*, principal: Principal, organization: Organization | None, user_id: str) -> UserActivity | None:
    """The cached Auth0 log events of a user the principal may see (None until first fetched)."""
    user = user_get(principal=principal, organization=organization, user_id=user_id)
    return UserActivity.objects.filter(user_id=user.user_id).first()


@dataclass(frozen=True)
class MemberLookup:
    """What the directory knows about an email in an organization (settings: PORTAL_MEMBER_LOOKUP)."""

    # The members with that email (Auth0 user id, email, name); several is an ambiguity.
    members: tuple[tuple[str, str, str], ...]
    # Whether "no member" can be believed: the mirror has been fully synced since the organization existed.
    authoritative: bool


def organization_member_lookup(organization: Organization, email: str) -> MemberLookup:
    """The organization's users with ``email`` according to the mirror (unscoped: the caller, a service,
    has checked the actor's rights to the organization)."""
    members = tuple(DirectoryUser.objects.filter(memberships__organization=organization, email__iexact=email)
                    .values_list("user_id", "email", "name")[:5])
    synced = SyncRun.objects.filter(kind=SyncRun.Kind.FULL, status=SyncRun.Status.SUCCEEDED,
                                    started_at__gt=organization.created_at).filter(
        Q(organization=None) | Q(organization=organization)).exists()
    return MemberLookup(members=members, authoritative=synced)


def person_organization_ids(user_id: str) -> set[int]:
    """The organizations ``user_id`` belongs to by the directory (members) or was blocked in
    (settings: PORTAL_PERSON_ORGANIZATIONS; the guardrails add portal roles)."""
    members = Membership.objects.filter(user__user_id=user_id).values_list("organization_id", flat=True)
    blocked = OrganizationBlock.objects.filter(user_id=user_id).values_list("organization_id", flat=True)
    return set(members) | set(blocked)


def people_blocked(user_ids: Iterable[str]) -> set[str]:
    """Which of ``user_ids`` the directory has blocked in Auth0 (settings: PORTAL_PEOPLE_BLOCKED; the
    guardrails count no blocked admin as one an organization keeps)."""
    return set(DirectoryUser.objects.filter(user_id__in=list(user_ids), blocked=True).values_list("user_id", flat=True))


def organization_block_list(*, principal: Principal, organization: Organization) -> QuerySet[OrganizationBlock]:
    """The people blocked in the organization (``users.acts.block_here``), newest first: nothing unless the principal
    may see the organization."""
    if not principal.can_view(organization.pk):
        return OrganizationBlock.objects.none()
    return OrganizationBlock.objects.filter(organization=organization)


def organization_block_get(*, principal: Principal, organization: Organization, user_id: str) -> OrganizationBlock:
    return get_object_or_404(organization_block_list(principal=principal, organization=organization),
                             user_id=user_id)


def join_invitation_list(*, principal: Principal, organization: Organization) -> QuerySet[JoinInvitation]:
    """The organization's invitations waiting for an existing account's answer (``users.acts.join``), newest
    sending first: nothing unless the principal may see the organization."""
    if not principal.can_view(organization.pk):
        return JoinInvitation.objects.none()
    return JoinInvitation.objects.filter(organization=organization, status=JoinInvitation.Status.PENDING)


def join_invitation_get(*, principal: Principal, organization: Organization, invitation_id) -> JoinInvitation:
    return get_object_or_404(join_invitation_list(principal=principal, organization=organization),
                             pk=invitation_id)


def profile_join_invitation_list(*, principal: Principal) -> QuerySet[JoinInvitation]:
    """The invitations to join organizations waiting for the signed-in person's own answer."""
    if not principal.is_authenticated or principal.is_machine:
        return JoinInvitation.objects.none()
    return (JoinInvitation.objects.filter(user_id=principal.user_id, status=JoinInvitation.Status.PENDING)
            .select_related("organization"))


def profile_join_invitation_get(*, principal: Principal, invitation_id) -> JoinInvitation:
    """One of the signed-in person's own invitations, whatever became of it (so a second click on its link
    says what happened); 404 for anyone else's."""
    if not principal.is_authenticated or principal.is_machine:
        raise Http404
    return get_object_or_404(JoinInvitation.objects.select_related("organization"), pk=invitation_id,
                             user_id=principal.user_id)


class OrganizationShown(NamedTuple):
    """An organization as a list row names it."""

    slug: str
    display_name: str


def users_organizations(*, principal: Principal, users: Sequence[DirectoryUser]) -> dict[int, list[OrganizationShown]]:
    """The organizations the principal may see of each of ``users`` (by the user's primary key), read in one
    query: the organization column of a list page or of a chunk of its CSV export."""
    found: dict[int, list[OrganizationShown]] = {}
    memberships = (Membership.objects.filter(user__in=[u.pk for u in users],
                                             organization__in=organization_list(principal=principal))
                   .order_by("organization__display_name", "organization__pk")
                   .values_list("user_id", "organization__slug", "organization__display_name"))
    for user_pk, slug, display_name in memberships:
        found.setdefault(user_pk, []).append(OrganizationShown(slug, display_name))
    return found


# Who sees a metadata field (MetadataField.visible_to) by the viewer's role in its organization.
_AUDIENCES_SEEN: dict[str, tuple[str, ...]] = {
    "viewer": (Audience.END_USER, Audience.ORG_VIEWER),
    "admin": (Audience.END_USER, Audience.ORG_VIEWER, Audience.ORG_ADMIN),
    "company_admin": tuple(Audience.values),
}


def user_metadata_fields(*, principal: Principal, organization: Organization) -> QuerySet[MetadataField]:
    """The fields of the organization's metadata schema that the principal may see on a user's page:
    viewers those visible to end users or viewers, admins also admins', company admins all."""
    audiences = _AUDIENCES_SEEN.get(principal.role_in(organization.pk) or "", ())
    return MetadataField.objects.filter(organization=organization, visible_to__in=audiences)


# Who may edit a metadata field (MetadataField.editable_by) by the editor's role in its organization: admins
# the fields their users and viewers may edit as well as their own, company admins every field. Viewers
# edit nothing (they only read); the user's own edits are the self-service profile's.
_AUDIENCES_EDITED: dict[str, tuple[str, ...]] = {
    "admin": (Audience.END_USER, Audience.ORG_VIEWER, Audience.ORG_ADMIN),
    "company_admin": tuple(Audience.values),
}


def user_metadata_fields_editable(*, principal: Principal, organization: Organization) -> QuerySet[MetadataField]:
    """The fields of the organization's metadata schema that the principal may change on its users, never a
    key the portal reserves (the schema refuses those; this holds even if one got in)."""
    audiences = _AUDIENCES_EDITED.get(principal.role_in(organization.pk) or "", ())
    return _reserved_excluded(MetadataField.objects.filter(organization=organization, editable_by__in=audiences))


def _reserved_excluded(fields: QuerySet[MetadataField]) -> QuerySet[MetadataField]:
    for target, keys in RESERVED_KEYS.items():
        fields = fields.exclude(target=target, key__in=keys)
    return fields


def user_audit_event_list(*, principal: Principal, user: DirectoryUser) -> QuerySet[AuditEvent]:
    """The portal's audit events about the user, in the organizations the principal may see (and, for
    company admins, those recorded outside any organization): the audit trail's own selector and scoping."""
    return audit_event_list(principal=principal, organization=None, query=AuditQuery(targets=(user.user_id,)))


def user_ids_with_email(*, principal: Principal, organization: Organization | None, email: str) -> list[str]:
    """The Auth0 user ids of the users the principal may see (in ``organization``, or any for company
    admins) with ``email``: how the audit trail finds the events about a person by their email."""
    users = user_list(principal=principal, organization=organization, query=UserQuery())
    return list(users.filter(email__iexact=email.strip()).values_list("user_id", flat=True)[:20])


def users_named(*, principal: Principal, organization: Organization | None, user_ids: Sequence[str]) -> dict[str, str]:
    """How pages name each of ``user_ids`` that the principal may see: "Name (email)", or whichever of the
    two the directory has; the others are left out (the caller says what it knows of them)."""
    users = user_list(principal=principal, organization=organization, query=UserQuery())
    named = {}
    for user_id, email, name in users.filter(user_id__in=set(user_ids)).values_list("user_id", "email", "name"):
        if name and email and name != email:
            named[user_id] = f"{name} ({email})"
        elif name or email:
            named[user_id] = name or email
    return named


# -- pending invitations ------------------------------------------------------------------------------------
# What sends an invitation's set-password link: the invitation itself, and each resend.
INVITATION_SENDING_KINDS = (OperationKind.USER_INVITE, OperationKind.USER_INVITE_RESEND)


def invitations_sent(*, principal: Principal, organization: Organization) -> QuerySet[Operation]:
    """The organization's invitations that went out (first sendings and resends that succeeded), each with
    the Auth0 user id it reached as ``invited_user_id`` (their result names it)."""
    return (operation_list(principal=principal, organization=organization)
            .filter(kind__in=INVITATION_SENDING_KINDS, status=Operation.Status.SUCCEEDED)
            # Cast to plain text: a JSON key's own lookups would compare a given id as JSON (SQLite).
            .annotate(invited_user_id=Cast(KeyTextTransform("user_id", "result"), CharField())))


def invitation_pending_list(*, principal: Principal, organization: Organization) -> QuerySet[Membership]:
    """The organization's pending invitations: members the portal invited who never signed in, newest
    sending first, each with when the newest invitation went out (``sent_at``) and who sent it
    (``sent_by``); their user comes with them. Nothing unless the principal may see the organization."""
    sent = invitations_sent(principal=principal, organization=organization)
    newest = sent.filter(invited_user_id=OuterRef("user__user_id")).order_by("-created_at")
    # Driven by the invitations (a few), not by the members who never signed in (a synced tenant may
    # have a great many): only those the portal invited are looked at further.
    never_signed_in = member_list(principal=principal, organization=organization,
                                  query=UserQuery(never_signed_in=True)).filter(
        logins_count=0, user__user_id__in=sent.values("invited_user_id"))
    return (never_signed_in
            .annotate(sent_at=Subquery(newest.values("created_at")[:1]),
                      sent_by=Subquery(newest.values("actor_display")[:1]))
            .filter(sent_at__isnull=False).select_related("user").order_by("-sent_at", "-pk"))


def invitation_expires_at(organization: Organization, sent_at: dt.datetime) -> dt.datetime:
    """When the set-password link of an invitation sent at ``sent_at`` stops working."""
    return sent_at + dt.timedelta(days=organization.invite_link_lifetime_days)


# -- the self-service profile: one's own, found by one's own Auth0 user id, never by an id in a URL --------
def profile_person(*, principal: Principal) -> DirectoryUser | None:
    """The signed-in person as the directory has them; None until it has read them from Auth0."""
    if not principal.is_authenticated:
        return None
    return DirectoryUser.objects.filter(user_id=principal.user_id).first()


def profile_organizations(*, principal: Principal) -> QuerySet[Organization]:
    """The organizations the signed-in person belongs to (the directory's memberships, whatever portal role they
    hold or not), by name."""
    if not principal.is_authenticated:
        return Organization.objects.none()
    return (Organization.objects.defer("logo").filter(memberships__user__user_id=principal.user_id)
            .order_by("display_name", "pk"))


def profile_organization_get(*, principal: Principal, slug: str) -> Organization:
    """One of the signed-in person's own organizations, else 404."""
    return get_object_or_404(profile_organizations(principal=principal), slug=slug)


def profile_metadata_fields(*, organization: Organization) -> QuerySet[MetadataField]:
    """The fields of the organization's schema its users see on their own profile (visible to end users)."""
    return _reserved_excluded(MetadataField.objects.filter(organization=organization, visible_to=Audience.END_USER))


def profile_metadata_fields_editable(*, organization: Organization) -> QuerySet[MetadataField]:
    """The fields its users may change themselves: user_metadata marked editable by end users. Never
    app_metadata (the schema refuses it for end users; this holds even if one got in) nor a reserved key."""
    return _reserved_excluded(MetadataField.objects.filter(
        organization=organization, target=MetadataField.Target.USER_METADATA, editable_by=Audience.END_USER))


def profile_activity_get(*, principal: Principal) -> UserActivity | None:
    """The signed-in person's cached Auth0 activity (None until first fetched)."""
    if not principal.is_authenticated:
        return None
    return UserActivity.objects.filter(user_id=principal.user_id).first()


def profile_operation_list(*, principal: Principal) -> QuerySet[Operation]:
    """What the signed-in person asked for on their profile: the self-service operations they asked for about
    themselves."""
    if not principal.is_authenticated:
        return Operation.objects.none()
    return Operation.objects.filter(kind__in=SELF_SERVICE_KINDS, actor_user_id=principal.user_id,
                                    target=principal.user_id)


def profile_operation_get(*, principal: Principal, operation_id) -> Operation:
    return get_object_or_404(profile_operation_list(principal=principal), pk=operation_id)


def profile_data_export_list(*, principal: Principal) -> QuerySet[DataExport]:
    """The signed-in person's data exports, newest first (with their operation)."""
    if not principal.is_authenticated:
        return DataExport.objects.none()
    return DataExport.objects.filter(user_id=principal.user_id).select_related("operation").order_by("-created_at")


def profile_data_export_get(*, principal: Principal, export_id, now: dt.datetime) -> DataExport:
    """One of the signed-in person's exports that is ready and not expired, else 404."""
    return get_object_or_404(profile_data_export_list(principal=principal), pk=export_id, ready_at__isnull=False,
                             expires_at__gt=now)
