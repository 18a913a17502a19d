"""The directory: a local, indexed mirror of the tenant's users and of who belongs to which organization.

Auth0 stays the source of truth. The mirror exists so that lists and searches are instant, scoped in
the query and not capped at Auth0 search's 1,000 results (DESIGN.md section 4). It is written only by
``users.directory.mirror`` (the upsert every sync path shares) and read through ``users.directory.selectors``.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def person_display_name(person: DirectoryUser | Membership) -> str:
    """How a person is named on a page: their name, else their given and family names, else their email."""
    return person.name or " ".join(p for p in (person.given_name, person.family_name) if p) or person.email


class DirectoryUser(models.Model):
    """One Auth0 user as the portal last saw them."""

    user_id = models.CharField(_("Auth0 user id"), max_length=255, unique=True)
    email = models.CharField(max_length=320, blank=True)
    email_verified = models.BooleanField(default=False)
    name = models.CharField(max_length=300, blank=True)
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    nickname = models.CharField(max_length=300, blank=True)
    picture = models.CharField(max_length=2000, blank=True)
    # The connection of the user's primary identity (identities[0]); every identity is in ``identities``.
    connection = models.CharField(max_length=128, blank=True)
    identities = models.JSONField(default=list, blank=True)
    blocked = models.BooleanField(default=False)
    logins_count = models.PositiveIntegerField(default=0)
    last_login = models.DateTimeField(null=True, blank=True)
    last_ip = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    user_metadata = models.JSONField(default=dict, blank=True)
    app_metadata = models.JSONField(default=dict, blank=True)
    # When the mirror last wrote this row, from whichever sync path.
    synced_at = models.DateTimeField()

    class Meta:
        # Every sortable column with the id as tie-breaker, so keyset paging reads the index in order.
        indexes = [
            models.Index(fields=["email", "id"], name="diruser_email"),
            models.Index(fields=["name", "id"], name="diruser_name"),
            models.Index(fields=["connection", "id"], name="diruser_connection"),
            models.Index(fields=["created_at", "id"], name="diruser_created"),
            models.Index(fields=["updated_at", "id"], name="diruser_updated"),
            models.Index(fields=["last_login", "id"], name="diruser_last_login"),
            models.Index(fields=["logins_count", "id"], name="diruser_logins"),
            models.Index(fields=["blocked", "id"], name="diruser_blocked"),
            models.Index(fields=["email_verified", "id"], name="diruser_verified"),
            models.Index(fields=["synced_at"], name="diruser_synced"),
            # Finding people by email whatever its case, many at once (bulk onboarding's dry run).
            models.Index(Lower("email"), name="diruser_email_lower"),
            # And on PostgreSQL, descending orders of the columns that may be empty (migration users 0014).
        ]

    def __str__(self) -> str:
        return self.email or self.name or self.user_id

    @property
    def display_name(self) -> str:
        return person_display_name(self)


class UserSearch(models.Model):
    """A user's search text, in a narrow table of its own: lower-cased email, names and nickname, and the
    values of the searchable metadata fields of every organization the user belongs to. It is what a company
    admin's search across organizations looks in (trigram-indexed on PostgreSQL). An organization's own
    search uses Membership.search_text, which holds only that organization's searchable values.

    Apart from the user's wide row (identities, metadata) because a broad search has to re-read every row its
    index names to confirm the match and to count them exactly: read from here, that costs a few narrow rows
    per page instead of one wide row each (a third of the time at a million users)."""

    user = models.OneToOneField(DirectoryUser, primary_key=True, on_delete=models.CASCADE, related_name="search")
    text = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.text


# The user columns an organization's list filters and sorts on, copied onto each of the user's
# memberships (users.directory.mirror keeps them equal), so that list reads one table with an index per sort
# instead of joining every user of a large organization.
LISTED_COLUMNS = ("email", "name", "connection", "blocked", "email_verified", "logins_count", "last_login",
                  "created_at", "updated_at")
# Copied too, with no index: the rest of what a row of that list shows (the name's parts), so a page of it
# reads the memberships alone. The user's Auth0 id is copied as Membership.auth0_user_id.
SHOWN_COLUMNS = ("given_name", "family_name")
COPIED_COLUMNS = (*LISTED_COLUMNS, *SHOWN_COLUMNS)


class Membership(models.Model):
    """A user's membership of an organization, derived by the organization's mode (DESIGN.md section 2)."""

    # No index of its own: the unique constraint and every list index begin with it.
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE,
                                     related_name="memberships", db_index=False)
    user = models.ForeignKey(DirectoryUser, on_delete=models.CASCADE, related_name="memberships")
    # The user's search text plus the values of this organization's searchable metadata fields: what an
    # organization's own search looks in, so a field searchable in one organization is never searched
    # in another's list.
    search_text = models.TextField(blank=True)
    # Copies of the user's COPIED_COLUMNS and Auth0 id (users.directory.mirror keeps them equal).
    auth0_user_id = models.CharField(_("Auth0 user id"), max_length=255, blank=True)
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    email = models.CharField(max_length=320, blank=True)
    name = models.CharField(max_length=300, blank=True)
    connection = models.CharField(max_length=128, blank=True)
    blocked = models.BooleanField(default=False)
    email_verified = models.BooleanField(default=False)
    logins_count = models.PositiveIntegerField(default=0)
    last_login = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    # When the portal last learned from Auth0 that this membership holds. A full pass over an Auth0
    # Organization's members stamps the ones it reads and then removes those it did not (they ended),
    # without holding the whole organization's member list in memory.
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_org")]
        # Also, on PostgreSQL, one for each descending order of a column that may be empty (migration users
        # 0014: SQLite cannot make them).
        indexes = [
            models.Index(fields=["organization", column, "id"], name=f"member_{column[:12]}")
            for column in LISTED_COLUMNS
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.organization_id}"

    @property
    def display_name(self) -> str:
        return person_display_name(self)


class OrganizationCounts(models.Model):
    """How many members an organization has, how many of them are blocked and how many never signed in:
    what its unfiltered list shows without counting a large organization's memberships on every request.

    Kept by ``users.directory.counts`` in the same transaction as every write of the organization's
    memberships (an increment of what the write changed); ``manage.py directory_counts_check`` and each full
    sync recount them and put right any drift. No row means zero: it is made by the first membership written.
    Signed integers, not positive ones: a count gone wrong must not make the directory's writes fail, the
    check puts it right."""

    organization = models.OneToOneField("organizations.Organization", primary_key=True, on_delete=models.CASCADE,
                                        related_name="directory_counts")
    members = models.BigIntegerField(default=0)
    blocked = models.BigIntegerField(default=0)
    # Members with no last sign-in: the list's "Never signed in" filter, whose total this is.
    never_signed_in = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"counts of {self.organization_id}"


class DirectoryCounts(models.Model):
    """The tenant's number of people (directory users, in any organization or none), for the company admins'
    unfiltered list of every user: one row (pk 1), kept by ``users.directory.counts`` as users are created and
    deleted in the mirror. A sum of the organizations' counts would not do: a person may belong to several
    organizations or to none. Its row is also the lock every creation and deletion of users takes first."""

    people = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.people} people"


class Tombstone(models.Model):
    """A user the portal saw deleted in Auth0: an export or a lagging search that still lists them must
    not bring the row back."""

    user_id = models.CharField(max_length=255, unique=True)
    deleted_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.user_id


class SyncRun(models.Model):
    """One run of a directory sync: what it did, how far it got, and how it ended."""

    class Kind(models.TextChoices):
        FULL = "full", _("Full import and reconcile")
        DELTA = "delta", _("Changes since the last run")

    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("status of a directory sync run", "Running")
        SUCCEEDED = "succeeded", pgettext_lazy("status of a directory sync run", "Succeeded")
        FAILED = "failed", pgettext_lazy("status of a directory sync run", "Failed")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # A full sync of one organization only; None for the whole tenant.
    organization = models.ForeignKey("organizations.Organization", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="sync_runs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    # Where the run is (its export job, the delta's windows still to read, …), so the next step can go on.
    state = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    users_seen = models.PositiveIntegerField(default=0)
    users_written = models.PositiveIntegerField(default=0)
    users_deleted = models.PositiveIntegerField(default=0)
    memberships_added = models.PositiveIntegerField(default=0)
    memberships_removed = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["kind", "status", "-started_at"], name="syncrun_kind_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class StreamEvent(models.Model):
    """An event Auth0 pushed (event stream or log stream), kept by id so a redelivery does nothing twice."""

    event_id = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=64)
    user_id = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.user_id}"


class UserActivity(models.Model):
    """A user's recent Auth0 log events and brute-force blocks, fetched by a task (``users.directory.activity``)
    and shown with their "as of"."""

    user_id = models.CharField(max_length=255, unique=True)
    events = models.JSONField(default=list, blank=True)
    # The user's brute-force protection blocks (identifier, IP, connection), read with the events.
    blocks = models.JSONField(default=list, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"activity of {self.user_id}"


class DataExport(models.Model):
    """A person's "export my data": the JSON a task builds of what the portal and Auth0 hold about them
    (``users.profile.data_export``), kept here until it expires so that any web process can hand it to its owner,
    whichever machine the worker that built it ran on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The Auth0 user id of the person it is about: the only one who may download it.
    user_id = models.CharField(max_length=255, db_index=True)
    operation = models.OneToOneField("portal.Operation", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="data_export")
    content = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"data export of {self.user_id}"


class OrganizationBlock(models.Model):
    """A person an organization's admins blocked in that organization alone (``users.acts.block_here``): their
    membership ended in Auth0 (so every application that honours membership refuses them there) and their
    portal roles in it with it, while their account, sign-in and other organizations are left alone. Kept
    so that the organization's admins see who they blocked and can let them back without asking them."""

    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE,
                                     related_name="person_blocks")
    user_id = models.CharField(_("Auth0 user id"), max_length=255)
    email = models.CharField(max_length=320, blank=True)
    name = models.CharField(max_length=300, blank=True)
    blocked_by = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "user_id"], name="one_block_per_org_and_user")]
        indexes = [models.Index(fields=["user_id"], name="org_block_user")]

    def __str__(self) -> str:
        return f"{self.email or self.user_id} blocked in {self.organization_id}"

    @property
    def display_name(self) -> str:
        return self.name or self.email or "Unnamed user"


class JoinInvitation(models.Model):
    """An invitation to join an organization sent to someone who already has an account
    (``users.acts.join``): they become a member only when they accept it, signed in as that account. An
    admin's act alone never adds an existing account to their organization (it could be another
    organization's member, or a company admin)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", pgettext_lazy("status of an invitation to join", "Accepted")
        DECLINED = "declined", pgettext_lazy("status of an invitation to join", "Declined")
        REVOKED = "revoked", pgettext_lazy("status of an invitation to join", "Revoked")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE,
                                     related_name="join_invitations")
    # The account invited (found in the organization's connection by the invitation's email): the only one
    # that may accept.
    user_id = models.CharField(_("Auth0 user id"), max_length=255, db_index=True)
    email = models.CharField(max_length=320)
    name = models.CharField(max_length=300, blank=True)
    # What the inviting admin asked to set as they join ({"user_metadata": {…}, "app_metadata": {…}}).
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    invited_by_user_id = models.CharField(max_length=255, blank=True)
    invited_by = models.CharField(max_length=255, blank=True)
    # The invitation operation that made it (one invitation per run, however often the run is retried).
    operation = models.OneToOneField("portal.Operation", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="join_invitation")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user_id"], condition=models.Q(status="pending"),
                                    name="one_pending_join_per_org_and_user"),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization_id} ({self.status})"

    @property
    def display_name(self) -> str:
        return self.name or self.email
