"""Writing the directory: the one place that turns Auth0's user JSON into mirror rows and memberships.

Every path that learns about users goes through here: the full and delta syncs, the refresh of one user
(pushed events, an admin opening a page) and the write-through after the portal's own operations. So
membership is derived by one rule (``organizations.membership``), search text is built one way, an older
copy of a user never overwrites a newer one, a user seen deleted does not come back, and every copy of a
user's email (their memberships', and ``users.directory.copies``': roles, blocks, invitations to join,
sign-in) follows the address Auth0 has, in the same transaction. So too the organizations' and the tenant's
counts (``users.directory.counts``): each write adds what it changed, having locked the users it writes first.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from auth0_gateway import Auth0User
from organizations.membership import membership_of, user_belongs
from organizations.models import MetadataField, Organization
from organizations.webhooks.services import user_changed_record
from portal.celery import app
from users.directory.copies import email_copies_follow
from users.directory.counts import (
    Tally,
    counts_change,
    directory_people_add,
    directory_people_lock,
    organization_counts_add,
)
from users.models import COPIED_COLUMNS, DirectoryUser, Membership, Tombstone, UserSearch

# Columns the upsert writes (everything but the id and user_id it matches on).
_COLUMNS = [
    "email", "email_verified", "name", "given_name", "family_name", "nickname", "picture", "connection",
    "identities", "blocked", "logins_count", "last_login", "last_ip", "created_at", "updated_at",
    "user_metadata", "app_metadata", "synced_at",
]


def auth0_time(value: object) -> dt.datetime | None:
    """Auth0's ``2024-01-31T12:00:00.000Z`` as an aware datetime (None when absent or unreadable)."""
    if not isinstance(value, str) or not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _searchable_values(metadata: dict, key: str) -> list[str]:
    value = metadata.get(key)
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int | float)]
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [str(value)]
    return []


@dataclass
class Organizations:
    """The organizations as membership rules need them, read once per batch of users."""

    all: list[Organization]
    # organization id -> the (target, key) of its searchable metadata fields
    searchable: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Organizations:
        organizations = list(Organization.objects.all())
        searchable: dict[int, list[tuple[str, str]]] = {}
        for organization_id, target, key in MetadataField.objects.filter(searchable=True).values_list(
            "organization_id", "target", "key"
        ):
            searchable.setdefault(organization_id, []).append((target, key))
        return cls(all=organizations, searchable=searchable)

    def derived(self) -> list[Organization]:
        """Organizations whose membership follows from the user's own data (not an Auth0 Organization)."""
        return [o for o in self.all if not membership_of(o).in_auth0_organizations]

    def by_pk(self) -> dict[int, Organization]:
        return {o.pk: o for o in self.all}

    def by_auth0_id(self) -> dict[str, Organization]:
        return {o.auth0_organization_id: o for o in self.all if o.auth0_organization_id}

    def search_values(self, organization_id: int, user: Auth0User) -> list[str]:
        values: list[str] = []
        for target, key in self.searchable.get(organization_id, []):
            values += _searchable_values(user.get(target) or {}, key)  # type: ignore[arg-type]
        return values


def _search_text(parts: Iterable[str]) -> str:
    return " ".join(p.strip().lower() for p in parts if p and p.strip())


def _base_search_parts(user: Auth0User) -> list[str]:
    return [user.get("email") or "", user.get("name") or "", user.get("given_name") or "",
            user.get("family_name") or "", user.get("nickname") or ""]


def _user_search_text(user: Auth0User, organization_ids: Iterable[int], organizations: Organizations) -> str:
    """A user's own search text: their names and email, and the searchable values of every organization
    they belong to (what a company admin's search across organizations looks in)."""
    extra: list[str] = []
    for organization_id in organization_ids:
        extra += organizations.search_values(organization_id, user)
    return _search_text([*_base_search_parts(user), *extra])


def _searches_write(searches: Iterable[UserSearch]) -> None:
    UserSearch.objects.bulk_create(list(searches), update_conflicts=True, unique_fields=["user"],
                                   update_fields=["text"])


def _row(user: Auth0User, now: dt.datetime) -> DirectoryUser:
    identities = [i for i in (user.get("identities") or []) if isinstance(i, dict)]
    return DirectoryUser(
        user_id=user["user_id"],
        email=_text(user.get("email"), 320),
        email_verified=bool(user.get("email_verified")),
        name=_text(user.get("name"), 300),
        given_name=_text(user.get("given_name"), 150),
        family_name=_text(user.get("family_name"), 150),
        nickname=_text(user.get("nickname"), 300),
        picture=_text(user.get("picture"), 2000),
        connection=_text(identities[0].get("connection") if identities else "", 128),
        identities=[{k: i.get(k) for k in ("connection", "provider", "user_id", "isSocial") if k in i}
                    for i in identities],
        blocked=bool(user.get("blocked")),
        logins_count=max(0, int(user.get("logins_count") or 0)),
        last_login=auth0_time(user.get("last_login")),
        last_ip=_text(user.get("last_ip"), 64),
        created_at=auth0_time(user.get("created_at")),
        updated_at=auth0_time(user.get("updated_at")),
        user_metadata=user.get("user_metadata") or {},
        app_metadata=user.get("app_metadata") or {},
        synced_at=now,
    )


@dataclass
class UpsertCounts:
    seen: int = 0
    written: int = 0
    memberships_added: int = 0
    memberships_removed: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.seen += other.seen
        self.written += other.written
        self.memberships_added += other.memberships_added
        self.memberships_removed += other.memberships_removed


def directory_users_upsert(
    users: Sequence[Auth0User], *, organizations: Organizations | None = None,
    auth0_organization_ids: dict[str, list[str]] | None = None, force: bool = False,
) -> UpsertCounts:
    """Write a batch of Auth0 users and their memberships, in one transaction.

    A copy older than the mirror's (by ``updated_at``) is skipped unless ``force`` (the write-through,
    which has just read the user); a user with a tombstone is skipped unless created after it.
    Memberships of organizations derived from the user's data are set to exactly what the data says;
    Auth0 Organization memberships only for users in ``auth0_organization_ids`` (user id -> Auth0
    organization ids), since the users' own JSON does not carry them.
    """
    organizations = organizations or Organizations.load()
    auth0_organization_ids = auth0_organization_ids or {}
    counts = UpsertCounts(seen=len(users))
    if not users:
        return counts
    now = timezone.now()
    by_id = {u["user_id"]: u for u in users if isinstance(u.get("user_id"), str) and u["user_id"]}
    with transaction.atomic():
        # A batch that may create users takes the tenant's counts row before it locks any user, so that it
        # alone creates them and counts exactly those it did (users.directory.counts).
        people_locked = DirectoryUser.objects.filter(user_id__in=by_id).count() < len(by_id)
        if people_locked:
            directory_people_lock()
        existing = dict(DirectoryUser.objects.select_for_update().filter(user_id__in=by_id).order_by("pk")
                        .values_list("user_id", "updated_at"))
        if not people_locked and len(existing) < len(by_id):
            # Deleted since the look above (rare): this batch creates them again, so it takes the row now.
            directory_people_lock()
            people_locked = True
        tombstones = dict(Tombstone.objects.filter(user_id__in=by_id).values_list("user_id", "deleted_at"))
        fresh: dict[str, Auth0User] = {}
        older: list[str] = []
        for user_id, user in by_id.items():
            updated = auth0_time(user.get("updated_at"))
            if not force and existing.get(user_id) and updated and updated < existing[user_id]:
                older.append(user_id)
                continue
            if user_id in tombstones:
                created = auth0_time(user.get("created_at"))
                if created is None or created <= tombstones[user_id]:
                    continue
                Tombstone.objects.filter(user_id=user_id).delete()
            fresh[user_id] = user
        if older:
            # Seen, though the mirror already has a newer copy: a full sync's reconcile must keep them.
            DirectoryUser.objects.filter(user_id__in=older).update(synced_at=now)
        if not fresh:
            return counts
        final, carried = _memberships_final(fresh, organizations, auth0_organization_ids)
        rows = [_row(user, now) for user in fresh.values()]
        DirectoryUser.objects.bulk_create(rows, update_conflicts=True, unique_fields=["user_id"],
                                          update_fields=_COLUMNS)
        counts.written = len(rows)
        pks = dict(DirectoryUser.objects.filter(user_id__in=fresh).values_list("user_id", "pk"))
        _searches_write(UserSearch(user_id=pks[user_id], text=_user_search_text(user, final[user_id], organizations))
                        for user_id, user in fresh.items())
        rows_by_id = {row.user_id: row for row in rows}
        counts.memberships_added, counts.memberships_removed, change = _memberships_set(
            fresh, final, carried, pks, rows_by_id, organizations, now)
        # The rest of the portal's copies of each address (roles, blocks, invitations, sign-in), by user id.
        email_copies_follow(rows)
        organization_counts_add(change)
        if people_locked:
            directory_people_add(sum(1 for user_id in fresh if user_id not in existing))
    return counts


def _organizations_of(user: Auth0User, organizations: Organizations,
                      auth0_ids: list[str] | None) -> list[Organization]:
    """The organizations the user belongs to: derived ones by the rule, Auth0 Organizations by ``auth0_ids``
    (None: unknown, left as they are)."""
    found = [o for o in organizations.derived() if user_belongs(o, user)]
    if auth0_ids:
        by_auth0_id = organizations.by_auth0_id()
        found += [by_auth0_id[i] for i in auth0_ids if i in by_auth0_id]
    return found


def _memberships_final(
    fresh: dict[str, Auth0User], organizations: Organizations, auth0_organization_ids: dict[str, list[str]]
) -> tuple[dict[str, set[int]], set[tuple[str, int]]]:
    """The organizations each user belongs to after this write: derived ones by the rule, Auth0
    Organizations as given, or as they were when nobody said (the user's JSON does not carry them). Also
    the (user id, organization) pairs carried over that way: this write does not confirm them."""
    current: dict[str, set[int]] = {}
    for user_id, organization_id in Membership.objects.filter(user__user_id__in=fresh).values_list(
        "user__user_id", "organization_id"
    ):
        current.setdefault(user_id, set()).add(organization_id)
    by_pk = organizations.by_pk()
    final: dict[str, set[int]] = {}
    carried: set[tuple[str, int]] = set()
    for user_id, user in fresh.items():
        ids = {o.pk for o in _organizations_of(user, organizations, auth0_organization_ids.get(user_id))}
        if user_id not in auth0_organization_ids:
            kept = {o for o in current.get(user_id, ()) if o in by_pk
                    and membership_of(by_pk[o]).in_auth0_organizations}
            carried |= {(user_id, o) for o in kept - ids}
            ids |= kept
        final[user_id] = ids
    return final, carried


def _listed(user: DirectoryUser) -> dict:
    """The user's columns a membership carries a copy of (the organization's list reads them)."""
    return {"auth0_user_id": user.user_id, **{column: getattr(user, column) for column in COPIED_COLUMNS}}


_MEMBERSHIP_UPDATE_FIELDS = ["search_text", "auth0_user_id", *COPIED_COLUMNS]


def _memberships_set(
    fresh: dict[str, Auth0User], final: dict[str, set[int]], carried: set[tuple[str, int]], pks: dict[str, int],
    rows: dict[str, DirectoryUser], organizations: Organizations, now: dt.datetime,
) -> tuple[int, int, dict[int, Tally]]:
    """Make the users' memberships ``final``, each with its search text and the user's listed columns, and
    stamped as confirmed unless ``carried``; (added, removed, the change to each organization's counts).
    The caller holds the users' rows, so the memberships read here are the ones this write replaces."""
    before = list(Membership.objects.filter(user_id__in=pks.values()).values_list(
        "user_id", "organization_id", "blocked", "last_login"))
    current = {(user_pk, organization_id) for user_pk, organization_id, _, _ in before}
    wanted = {(pks[user_id], organization_id) for user_id, ids in final.items() for organization_id in ids}
    confirmed, kept = [], []
    for user_id, user in fresh.items():
        base, listed = _base_search_parts(user), _listed(rows[user_id])
        for organization_id in final[user_id]:
            search_text = _search_text([*base, *organizations.search_values(organization_id, user)])
            membership = Membership(organization_id=organization_id, user_id=pks[user_id], search_text=search_text,
                                    **listed)
            if (user_id, organization_id) in carried:
                kept.append(membership)
            else:
                membership.confirmed_at = now
                confirmed.append(membership)
    for memberships, fields in ((confirmed, [*_MEMBERSHIP_UPDATE_FIELDS, "confirmed_at"]),
                                (kept, _MEMBERSHIP_UPDATE_FIELDS)):
        if memberships:
            Membership.objects.bulk_create(memberships, update_conflicts=True, unique_fields=["organization", "user"],
                                           update_fields=fields)
    stale = current - wanted
    for user_pk, organization_id in stale:
        Membership.objects.filter(user_id=user_pk, organization_id=organization_id).delete()
    change = counts_change(before=((o, blocked, last_login) for _, o, blocked, last_login in before),
                           after=((m.organization_id, m.blocked, m.last_login) for m in (*confirmed, *kept)))
    return len(wanted - current), len(stale), change


def _users_search_text_refresh(user_pks: Iterable[int], organizations: Organizations, *, batch: int = 2000) -> None:
    """Recompute users' own search text from their memberships (after memberships or a schema changed)."""
    user_pks = sorted(set(user_pks))
    for start in range(0, len(user_pks), batch):
        chunk = list(DirectoryUser.objects.filter(pk__in=user_pks[start:start + batch]).only(*_PROFILE_FIELDS))
        memberships: dict[int, list[int]] = {}
        for user_pk, organization_id in Membership.objects.filter(user__in=chunk).values_list(
            "user_id", "organization_id"
        ):
            memberships.setdefault(user_pk, []).append(organization_id)
        _searches_write(UserSearch(user_id=user.pk, text=_user_search_text(
            _profile_of(user), memberships.get(user.pk, []), organizations)) for user in chunk)


def _organization_ids_of(user_ids: Iterable[str]) -> dict[str, set[int]]:
    memberships: dict[str, set[int]] = {}
    for user_id, organization_id in Membership.objects.filter(user__user_id__in=list(user_ids)).values_list(
        "user__user_id", "organization_id"
    ):
        memberships.setdefault(user_id, set()).add(organization_id)
    return memberships


def directory_user_write_through(user: Auth0User, *, auth0_organization_ids: list[str] | None = None) -> None:
    """Record what an operation (or a refresh, as Auth0 pushes a change) has just read from Auth0 about one
    user; the organizations they are or were in get a user.changed event (the API's feed and webhooks)."""
    with transaction.atomic():
        before = _organization_ids_of([user["user_id"]]).get(user["user_id"], set())
        directory_users_upsert([user], auth0_organization_ids=(
            {user["user_id"]: auth0_organization_ids} if auth0_organization_ids is not None else None), force=True)
        after = _organization_ids_of([user["user_id"]]).get(user["user_id"], set())
        user_changed_record(user["user_id"], before | after)


def directory_users_delete(user_ids: Iterable[str], *, when: dt.datetime | None = None) -> int:
    """Remove users Auth0 no longer has (their memberships go with them) and leave a tombstone."""
    user_ids = list(user_ids)
    if not user_ids:
        return 0
    when = when or timezone.now()
    with transaction.atomic():
        # The tenant's counts row, then the users, as every creation and deletion takes them
        # (users.directory.counts): what their memberships were is then what this removes.
        directory_people_lock()
        pks = list(DirectoryUser.objects.select_for_update().filter(user_id__in=user_ids).order_by("pk")
                   .values_list("pk", flat=True))
        change = counts_change(before=Membership.objects.filter(user_id__in=pks).values_list(
            "organization_id", "blocked", "last_login"), after=())
        # Their organizations get a user.deleted event (the API's feed and webhooks).
        for user_id, organization_ids in _organization_ids_of(user_ids).items():
            user_changed_record(user_id, organization_ids, deleted=True)
        _, by_model = DirectoryUser.objects.filter(pk__in=pks).delete()
        Tombstone.objects.bulk_create([Tombstone(user_id=u, deleted_at=when) for u in user_ids],
                                      update_conflicts=True, unique_fields=["user_id"], update_fields=["deleted_at"])
        deleted = by_model.get(DirectoryUser._meta.label, 0)
        organization_counts_add(change)
        directory_people_add(-deleted)
    return deleted


_PROFILE_FIELDS = (*COPIED_COLUMNS, "pk", "user_id", "nickname", "user_metadata",
                   "app_metadata")


def _profile_of(user: DirectoryUser) -> Auth0User:
    """The parts of a mirrored user that search text is made of, shaped as Auth0's JSON."""
    return {"email": user.email, "name": user.name, "given_name": user.given_name, "family_name": user.family_name,
            "nickname": user.nickname, "user_metadata": user.user_metadata, "app_metadata": user.app_metadata}


def _membership_search_text(user: DirectoryUser, organization: Organization, organizations: Organizations) -> str:
    profile = _profile_of(user)
    return _search_text([*_base_search_parts(profile), *organizations.search_values(organization.pk, profile)])


def organization_members_confirm(
    organization: Organization, member_ids: Sequence[str], *, when: dt.datetime, organizations: Organizations
) -> tuple[int, list[str]]:
    """Record that Auth0 listed ``member_ids`` (a batch of an Auth0 Organization's members) at ``when``:
    memberships added where missing, every one stamped as confirmed. Returns (added, members not in the
    mirror yet: the caller refreshes them)."""
    with transaction.atomic():
        # The users' rows held, as every writer of memberships holds them (users.directory.counts).
        users = list(DirectoryUser.objects.select_for_update().filter(user_id__in=set(member_ids)).order_by("pk")
                     .only(*_PROFILE_FIELDS))
        pks = {user.pk for user in users}
        before = list(Membership.objects.filter(organization=organization, user_id__in=pks)
                      .values_list("user_id", "blocked", "last_login"))
        current = {user_pk for user_pk, _, _ in before}
        Membership.objects.bulk_create(
            [Membership(organization=organization, user=user, **_listed(user), confirmed_at=when,
                        search_text=_membership_search_text(user, organization, organizations)) for user in users],
            update_conflicts=True, unique_fields=["organization", "user"],
            update_fields=[*_MEMBERSHIP_UPDATE_FIELDS, "confirmed_at"],
        )
        added = pks - current
        if added and organizations.searchable.get(organization.pk):
            _users_search_text_refresh(added, organizations)
        organization_counts_add(counts_change(
            before=((organization.pk, blocked, last_login) for _, blocked, last_login in before),
            after=((organization.pk, user.blocked, user.last_login) for user in users)))
    return len(added), sorted(set(member_ids) - {user.user_id for user in users})


def organization_members_prune(organization: Organization, *, confirmed_before: dt.datetime,
                               organizations: Organizations, batch: int = 2000) -> int:
    """Remove the organization's memberships that Auth0 has not confirmed since ``confirmed_before`` (when
    a full pass over its members began): they ended. Returns how many."""
    stale = Membership.objects.filter(organization=organization).filter(
        Q(confirmed_at__lt=confirmed_before) | Q(confirmed_at__isnull=True))
    removed = 0
    while True:
        with transaction.atomic():
            chunk = list(stale.values_list("pk", "user_id")[:batch])
            if not chunk:
                return removed
            # The users' rows held first (users.directory.counts), then what is still stale among them is
            # what this removes and counts.
            list(DirectoryUser.objects.select_for_update().filter(pk__in={user_pk for _, user_pk in chunk})
                 .order_by("pk").values_list("pk", flat=True))
            gone = list(stale.filter(pk__in=[pk for pk, _ in chunk]).values_list("pk", "user_id", "blocked",
                                                                                  "last_login"))
            Membership.objects.filter(pk__in=[pk for pk, _, _, _ in gone]).delete()
            if organizations.searchable.get(organization.pk):
                _users_search_text_refresh([user_pk for _, user_pk, _, _ in gone], organizations)
            organization_counts_add(counts_change(
                before=((organization.pk, blocked, last_login) for _, _, blocked, last_login in gone), after=()))
        removed += len(gone)


def organization_members_replace(
    organization: Organization, member_ids: Iterable[str], *,
    on_missing: Callable[[list[str]], None] = lambda user_ids: None, batch: int = 1000,
) -> tuple[int, int]:
    """Make an Auth0 Organization's memberships exactly ``member_ids`` (Auth0's members API, read lazily),
    a batch at a time, so memory does not grow with the organization. Members not in the mirror yet go to
    ``on_missing`` a batch at a time (the caller refreshes them). Returns (added, removed)."""
    organizations = Organizations.load()
    started = timezone.now()
    added = 0
    member_ids = iter(member_ids)
    while chunk := list(itertools.islice(member_ids, batch)):
        chunk_added, missing = organization_members_confirm(organization, chunk, when=started,
                                                            organizations=organizations)
        added += chunk_added
        if missing:
            on_missing(missing)
    removed = organization_members_prune(organization, confirmed_before=started, organizations=organizations)
    return added, removed


def organization_search_text_rebuild(organization: Organization, *, batch: int = 2000) -> int:
    """Recompute an organization's memberships' search text (its searchable fields changed)."""
    organizations = Organizations.load()
    done = 0
    memberships = Membership.objects.filter(organization=organization).select_related("user").order_by("pk")
    last = 0
    while True:
        chunk = list(memberships.filter(pk__gt=last)[:batch])
        if not chunk:
            return done
        for membership in chunk:
            membership.search_text = _membership_search_text(membership.user, organization, organizations)
        Membership.objects.bulk_update(chunk, ["search_text"])
        _users_search_text_refresh([m.user_id for m in chunk], organizations)
        done += len(chunk)
        last = chunk[-1].pk


def search_text_rebuild_request(*, organization: Organization, **_signal) -> None:
    """Queue the rebuild of an organization's search text once the change that called for it commits."""
    organization_id = organization.pk
    transaction.on_commit(lambda: app.send_task("users.tasks.organization_search_text_rebuild",
                                                args=[organization_id]))
