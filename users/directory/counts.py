"""The directory's counts: each organization's members, blocked members and members who never signed in, and
the tenant's number of people, kept by the mirror's writes so that an unfiltered list reads its total from one
row instead of counting a large organization's memberships (or a million users) on every request.

How they stay exact when writes run at once:

- **A write changes the counts by what it changed**, in its own transaction: each writer of memberships
  (``users.directory.mirror``) reads the rows it replaces (organization, blocked, last sign-in) and adds the
  difference between what it wrote and what was there, with one ``INSERT … ON CONFLICT DO UPDATE SET n = n +
  change`` per batch (organizations in order, so two batches never wait on each other's rows crosswise). The
  database applies increments one after the other on the row, so two writes at once both count.
- **What it replaces is read under the users' row locks**: every writer of memberships first locks the
  users whose memberships it writes (``SELECT … FOR UPDATE``, or the upsert of their rows), so no two writers
  read the same "before" and both count the same change.
- **Creating and deleting users takes the tenant's counts row first** (``directory_people_lock``): creators
  queue on it, so each knows exactly which of its users did not exist (two writes of one new user at once
  would both think they created it otherwise: an upsert does not say whether it inserted). Updating users
  that exist does not take it, and every lock is taken in the same order (the tenant's row, the users, the
  organizations' rows), so the paths do not deadlock each other.
- **A count maintained by hand must be verifiable**: ``directory_counts_check`` recounts (``manage.py
  directory_counts_check``, and every full sync when it ends), reports any drift and puts it right, under the
  row's lock so that a write under way is neither lost nor counted twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, Q

from organizations.models import Organization
from users.models import DirectoryCounts, DirectoryUser, Membership, OrganizationCounts

log = logging.getLogger(__name__)

# The tenant's counts row: there is one.
PEOPLE_ROW = 1


@dataclass(frozen=True)
class Tally:
    """Members, blocked members and members who never signed in (a count, or a change of one)."""

    members: int = 0
    blocked: int = 0
    never_signed_in: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.members + other.members, self.blocked + other.blocked,
                     self.never_signed_in + other.never_signed_in)

    def __neg__(self) -> Tally:
        return Tally(-self.members, -self.blocked, -self.never_signed_in)

    def __bool__(self) -> bool:
        return bool(self.members or self.blocked or self.never_signed_in)

    def __str__(self) -> str:
        return f"{self.members} members, {self.blocked} blocked, {self.never_signed_in} never signed in"

    @classmethod
    def of(cls, blocked: bool, last_login: dt.datetime | None) -> Tally:
        """One membership: blocked or not, signed in or never (no last sign-in, as the list's filter says)."""
        return cls(1, int(bool(blocked)), int(last_login is None))


# A membership as the counts see it: (organization id, blocked, last sign-in).
Counted = tuple[int, bool, dt.datetime | None]


def counts_change(*, before: Iterable[Counted], after: Iterable[Counted]) -> dict[int, Tally]:
    """What a write changes in each organization's counts: the memberships it leaves (``after``) less those
    it replaces (``before``), both of the same users. Organizations left as they were are left out."""
    change: dict[int, Tally] = {}
    for rows, sign in ((after, 1), (before, -1)):
        for organization_id, blocked, last_login in rows:
            one = Tally.of(blocked, last_login)
            change[organization_id] = change.get(organization_id, Tally()) + (one if sign > 0 else -one)
    return {organization_id: tally for organization_id, tally in change.items() if tally}


_COLUMNS = ("members", "blocked", "never_signed_in")


def organization_counts_add(change: dict[int, Tally]) -> None:
    """Add ``change`` to the organizations' counts in one statement (a row made where there is none yet).
    Called last in the transaction of the write it counts, so the rows stay locked for as short a time as
    can be."""
    rows = sorted((organization_id, tally) for organization_id, tally in change.items() if tally)
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(OrganizationCounts._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    increments = ", ".join(f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}" for c in _COLUMNS)
    params = [value for organization_id, t in rows for value in (organization_id, t.members, t.blocked,
                                                                  t.never_signed_in)]
    # The ORM's upsert can only set a column to the value inserted, not add to it. Names are the model's,
    # quoted; every value is a parameter.
    sql = (f"INSERT INTO {table} ({quote('organization_id')}, {', '.join(map(quote, _COLUMNS))}) "  # noqa: S608
           f"VALUES {values} ON CONFLICT ({quote('organization_id')}) DO UPDATE SET {increments}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def directory_people_lock() -> None:
    """Take the tenant's counts row (made if missing) until the transaction ends: what a creation or deletion
    of users does before it looks at which of its users exist."""
    locked = DirectoryCounts.objects.select_for_update().filter(pk=PEOPLE_ROW)
    if not list(locked.values_list("pk", flat=True)):
        DirectoryCounts.objects.bulk_create([DirectoryCounts(pk=PEOPLE_ROW)], ignore_conflicts=True)
        list(locked.values_list("pk", flat=True))


def directory_people_add(change: int) -> None:
    """Add ``change`` to the tenant's number of people (its row locked by ``directory_people_lock``)."""
    if change:
        DirectoryCounts.objects.filter(pk=PEOPLE_ROW).update(people=F("people") + change)


# -- reading ------------------------------------------------------------------------------------------------
def organization_counts_read(organization_id: int) -> Tally:
    row = OrganizationCounts.objects.filter(organization_id=organization_id).values_list(*_COLUMNS).first()
    return Tally(*row) if row else Tally()


def directory_people_read() -> int:
    return DirectoryCounts.objects.filter(pk=PEOPLE_ROW).values_list("people", flat=True).first() or 0


# -- checking -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Drift:
    """A count that was not what a recount found: what it counts, what was kept, what was counted."""

    what: str
    kept: Tally | int
    counted: Tally | int

    def __str__(self) -> str:
        return f"{self.what}: kept {self.kept}, counted {self.counted}"


_TALLY = {"members": Count("pk"), "blocked": Count("pk", filter=Q(blocked=True)),
          "never_signed_in": Count("pk", filter=Q(last_login__isnull=True))}


def _organizations_recounted() -> dict[int, Tally]:
    return {row.pop("organization_id"): Tally(**row)
            for row in Membership.objects.order_by().values("organization_id").annotate(**_TALLY)}


def directory_counts_check(*, fix: bool = True) -> list[Drift]:
    """Recount every organization's counts and the tenant's people; the drifts found (put right with ``fix``).

    A first pass counts without locks and compares; an organization that differs is counted again holding
    its counts row, so that a write under way is not taken for a drift: a write adds its change to the row
    last in its transaction, so once the row is held either the write has committed (its memberships are in
    the recount) or its change has yet to be added (and its memberships are not). The people are counted
    holding the tenant's row, which creations and deletions take before they begin."""
    drifts: list[Drift] = []
    kept = {row.pop("organization_id"): Tally(**row)
            for row in OrganizationCounts.objects.values("organization_id", *_COLUMNS)}
    counted = _organizations_recounted()
    suspects = sorted(o for o in set(kept) | set(counted) if kept.get(o, Tally()) != counted.get(o, Tally()))
    slugs = dict(Organization.objects.filter(pk__in=suspects).values_list("pk", "slug"))
    for organization_id in suspects:
        if organization_id not in slugs:
            continue  # deleted since: its counts went with it
        with transaction.atomic():
            OrganizationCounts.objects.bulk_create([OrganizationCounts(organization_id=organization_id)],
                                                   ignore_conflicts=True)
            row = OrganizationCounts.objects.select_for_update().get(organization_id=organization_id)
            now = Tally(**Membership.objects.filter(organization_id=organization_id).aggregate(**_TALLY))
            was = Tally(row.members, row.blocked, row.never_signed_in)
            if was != now:
                drifts.append(Drift(f"organization {slugs[organization_id]}", was, now))
                if fix:
                    OrganizationCounts.objects.filter(pk=organization_id).update(
                        members=now.members, blocked=now.blocked, never_signed_in=now.never_signed_in)
    with transaction.atomic():
        directory_people_lock()
        was_people, people = directory_people_read(), DirectoryUser.objects.count()
        if was_people != people:
            drifts.append(Drift("people", was_people, people))
            if fix:
                DirectoryCounts.objects.filter(pk=PEOPLE_ROW).update(people=people)
    for drift in drifts:
        log.warning("directory counts drifted (%s): %s", "put right" if fix else "reported only", drift)
    return drifts
