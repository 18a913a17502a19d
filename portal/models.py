from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Case, Value, When
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PortalUserManager(UserManager):
    """Users exist only through Auth0 sign-in: no local passwords, keyed by the Auth0 ``sub``."""

    def create_user(self, auth0_user_id: str, email: str = "", **extra) -> User:  # type: ignore[override]
        user = self.model(auth0_user_id=auth0_user_id, email=self.normalize_email(email), **extra)
        user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, *args, **kwargs):  # type: ignore[override]
        raise NotImplementedError("Portal roles live in organizations; use manage.py company_admin_create.")


class User(AbstractUser):
    """A person who signed in through Auth0. Portal roles are granted by ``auth0_user_id``."""

    username = None  # type: ignore[assignment]
    auth0_user_id = models.CharField(_("Auth0 user id"), max_length=255, unique=True)
    # Two Auth0 users in different connections may share an email: it is not an identifier here.
    email = models.EmailField(blank=True)
    # The language the person chose on their profile (one of settings.LANGUAGES); empty: none chosen, their
    # organization's default or their browser's applies (portal.web.language).
    language = models.CharField(max_length=8, blank=True, default="", choices=settings.LANGUAGES)

    USERNAME_FIELD = "auth0_user_id"
    REQUIRED_FIELDS: list[str] = []

    objects = PortalUserManager()

    def __str__(self) -> str:
        return self.email or self.auth0_user_id

    @property
    def display_name(self) -> str:
        return user_display(self) or "Your account"


def user_display(user: User) -> str:
    """How pages name a signed-in person: their name or email, never the raw Auth0 user id ("" when the
    provider told us neither)."""
    return user.get_full_name() or user.email


class ProcessHeartbeat(models.Model):
    """When a background process last proved it works (beat's tick, run by a worker)."""

    name = models.CharField(max_length=100, primary_key=True)
    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class RateBucket(models.Model):
    """One Management API rate-limit bucket (:mod:`portal.ratelimit`'s database store): the tokens
    left at ``stamp`` (epoch seconds), refilled at the group's rate since."""

    group = models.CharField(max_length=40, primary_key=True)
    tokens = models.FloatField()
    stamp = models.FloatField()
    # When Auth0 last refused a call of the group (429): the tokens booked until then are void.
    refused_at = models.FloatField(default=0.0)
    # When the last waiter queued (``Store.queue``) comes back (epoch seconds): the next comes one refill later.
    queue_tail = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"{self.group}: {self.tokens:.1f}"


class QuotaCount(models.Model):
    """One person's requests of one kind in the current window (:mod:`portal.quota`'s database store): the
    window began at ``started`` (epoch seconds) and ``used`` requests were counted in it. One row per key, made
    again in place when a window ends."""

    key = models.CharField(max_length=255, primary_key=True)
    started = models.FloatField()
    used = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.key}: {self.used}"


class OutboxMessage(models.Model):
    """An email the embedded mode kept instead of sending (:mod:`portal.outbox.backend`)."""

    sender = models.CharField(max_length=254)
    recipients = models.TextField()
    subject = models.CharField(max_length=998)
    text = models.TextField()
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipients}"


class OperationKind(models.TextChoices):
    """Every kind of change the portal carries out in Auth0, with the label pages and the audit trail show."""

    ORGANIZATION_PROVISION = "organization_provision", _("Connect the organization to Auth0")
    ROLE_GRANT = "role_grant", _("Appoint an admin or viewer")
    USER_INVITE = "user_invite", _("Invite a user")
    USER_BLOCK = "user_block", _("Block a user")
    USER_UNBLOCK = "user_unblock", _("Unblock a user")
    USER_BLOCKS_CLEAR = "user_blocks_clear", _("Clear failed sign-in blocks")
    USER_PASSWORD_EMAIL = "user_password_email", _("Send a change-password email")
    USER_VERIFICATION_EMAIL = "user_verification_email", _("Resend the verification email")
    USER_MFA_RESET = "user_mfa_reset", _("Reset multi-factor authentication")
    USER_REMOVE = "user_remove", _("Remove a user from the organization")
    USER_DELETE = "user_delete", _("Delete a user")
    USER_INVITE_RESEND = "user_invite_resend", _("Resend an invitation")
    USER_INVITE_REVOKE = "user_invite_revoke", _("Revoke an invitation")
    USER_METADATA_EDIT = "user_metadata_edit", _("Edit metadata")
    USER_EMAIL_CHANGE = "user_email_change", _("Change the email address")
    USER_BLOCK_HERE = "user_block_here", _("Block a user in the organization")
    USER_UNBLOCK_HERE = "user_unblock_here", _("Unblock a user in the organization")
    USER_JOIN_RESEND = "user_join_resend", _("Resend an invitation to join")
    # Asked for by the invited person themselves, signed in as the account invited (users.acts.join).
    USER_JOIN_ACCEPT = "user_join_accept", _("Accept an invitation to join")
    # Application roles (app_roles): a person's roles in the company's applications, and the tenant's roles.
    APP_ROLE_ASSIGN = "app_role_assign", _("Assign an application role")
    APP_ROLE_REMOVE = "app_role_remove", _("Remove an application role")
    APP_ROLES_REFRESH = "app_roles_refresh", _("Refresh the application roles from Auth0")
    # An organization's own identity provider (sso): the Auth0 enterprise connection, its changes, on and off.
    SSO_CONNECTION_CREATE = "sso_connection_create", _("Create an SSO connection")
    SSO_CONNECTION_UPDATE = "sso_connection_update", _("Change an SSO connection")
    SSO_CONNECTION_SWITCH = "sso_connection_switch", _("Turn an SSO connection on or off")
    # SCIM provisioning (scim): a provider's change to a person, carried out through the acts above.
    SCIM_USER_SYNC = "scim_user_sync", _("Apply an identity provider's change (SCIM)")
    # Asked for by the person themselves, on their profile page (users.profile.acts).
    PROFILE_METADATA_EDIT = "profile_metadata_edit", _("Edit own details (self-service)")
    PROFILE_PASSWORD_EMAIL = "profile_password_email", _("Send a change-password email (self-service)")
    PROFILE_VERIFICATION_EMAIL = "profile_verification_email", _("Resend the verification email (self-service)")
    PROFILE_SESSIONS_REVOKE = "profile_sessions_revoke", _("Sign out everywhere (self-service)")
    PROFILE_DATA_EXPORT = "profile_data_export", _("Export own data (self-service)")


# The kinds only the person they concern may ask for, and so ask for again: an admin's retry would run them
# under the admin's name, which their tasks refuse.
SELF_SERVICE_KINDS = frozenset({
    OperationKind.PROFILE_METADATA_EDIT, OperationKind.PROFILE_PASSWORD_EMAIL, OperationKind.PROFILE_VERIFICATION_EMAIL,
    OperationKind.PROFILE_SESSIONS_REVOKE, OperationKind.PROFILE_DATA_EXPORT, OperationKind.USER_JOIN_ACCEPT,
})


# The constraint that keeps one invitation per organization and email unfinished at a time.
INVITATION_ON_ITS_WAY = "operation_one_unfinished_invitation"
EMAIL_CHANGE_ON_ITS_WAY = "operation_one_unfinished_email_change"
DATA_EXPORT_ON_ITS_WAY = "operation_one_unfinished_data_export"
# The kinds of operation the database holds to one unfinished at a time per target (and organization, for an
# invitation): a second is refused, however close behind the first (portal.operations.operation_create_alone).
ONE_AT_A_TIME = ("user_invite", "user_email_change", "profile_data_export")


class Attention(models.IntegerChoices):
    """How much an operation asks for someone's attention, most first: the operations page's order and groups."""

    FAILED = 0, pgettext_lazy("operation status", "Failed")
    UNFINISHED = 1, pgettext_lazy("operation status", "Pending or running")
    SUCCEEDED = 2, pgettext_lazy("operation status", "Succeeded")


class Operation(models.Model):
    """One change the portal makes in Auth0, recorded before the Celery task that carries it out.

    Services create it in the same transaction as the local change and its audit event; the task claims
    it with a conditional update, so a redelivered message never runs the same work twice at once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("operation status", "Pending")
        RUNNING = "running", pgettext_lazy("operation status", "Running")
        SUCCEEDED = "succeeded", pgettext_lazy("operation status", "Succeeded")
        FAILED = "failed", pgettext_lazy("operation status", "Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=64, choices=OperationKind.choices)
    organization = models.ForeignKey(
        "organizations.Organization", null=True, blank=True, on_delete=models.CASCADE,
        related_name="operations",
    )
    target = models.CharField(max_length=255, blank=True, help_text=_("What it acts on, e.g. an Auth0 user id"))
    actor_user_id = models.CharField(max_length=255, blank=True)
    actor_display = models.CharField(max_length=255, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    # The Celery task that carries it out, so the sweeper can send it again if its message was lost.
    task_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Kept by the database from the status (every path that changes a status, ``update()`` included, keeps
    # it true), so the operations page's order, failures first, has an index to page by.
    attention = models.GeneratedField(
        expression=Case(When(status=Status.FAILED, then=Value(int(Attention.FAILED))),
                        When(status__in=[Status.PENDING, Status.RUNNING], then=Value(int(Attention.UNFINISHED))),
                        default=Value(int(Attention.SUCCEEDED))),
        output_field=models.PositiveSmallIntegerField(), db_persist=True,
    )

    class Meta:
        ordering = ["-created_at"]
        # Each list's order with the id as tie-breaker, so keyset paging (portal.keyset) seeks in an index:
        # newest first (the REST API), and failures first (the operations pages), in an organization and
        # across every one.
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="operation_org_newest"),
            models.Index(fields=["organization", "attention", "-created_at", "-id"], name="operation_org_attention"),
            models.Index(fields=["attention", "-created_at", "-id"], name="operation_attention"),
            models.Index(fields=["status", "updated_at"]),
            # The claim's check that no earlier operation on the same target is unfinished.
            models.Index(fields=["target", "created_at"], name="operation_unfinished_target",
                         condition=models.Q(status__in=["pending", "running"])),
        ]
        constraints = [
            # One invitation per organization and email on its way at a time (an invitation's target is the
            # invited email): a second, however close behind the first, is refused (users.acts.invite).
            models.UniqueConstraint(Lower("target"), "organization", name=INVITATION_ON_ITS_WAY,
                                    condition=models.Q(kind="user_invite", status__in=["pending", "running"])),
            # One change of a person's email address on its way at a time (users.acts.email_change), and one
            # export of a person's data being prepared (users.profile.data_export); the target is the person.
            models.UniqueConstraint("target", name=EMAIL_CHANGE_ON_ITS_WAY, condition=models.Q(
                kind="user_email_change", status__in=["pending", "running"])),
            models.UniqueConstraint("target", name=DATA_EXPORT_ON_ITS_WAY, condition=models.Q(
                kind="profile_data_export", status__in=["pending", "running"])),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.target} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


AUDIT_APPEND_ONLY = "Audit events are append-only: they are never changed or deleted."


class AuditEventQuerySet(models.QuerySet):
    """Refuses the bulk paths that would change or remove recorded events (``update``, ``delete`` and
    ``bulk_update``, which updates through ``update``)."""

    def update(self, **kwargs):
        raise ValueError(AUDIT_APPEND_ONLY)

    def delete(self):
        raise ValueError(AUDIT_APPEND_ONLY)


class AuditEvent(models.Model):
    """An administrative act, as the portal saw it: who, in which organization, did what to whom.

    Append-only, enforced here: ``save`` writes a new row only, and neither the model nor its querysets
    update or delete one. (Deleting an organization or an operation still unlinks its events through
    Django's base manager, ``on_delete=SET_NULL``: the event stays, its summary naming what it was about.)
    """

    occurred_at = models.DateTimeField(auto_now_add=True)
    actor_user_id = models.CharField(max_length=255, blank=True)
    actor_display = models.CharField(max_length=255, blank=True)
    organization = models.ForeignKey(
        "organizations.Organization", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=32, blank=True)
    target_id = models.CharField(max_length=255, blank=True)
    summary = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    operation = models.ForeignKey(Operation, null=True, blank=True, on_delete=models.SET_NULL)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        # The trail's order with the id as tie-breaker, so keyset paging (portal.keyset) seeks in an index:
        # an organization's trail, and every organization's.
        indexes = [
            models.Index(fields=["organization", "-occurred_at", "-id"], name="audit_org_newest"),
            models.Index(fields=["-occurred_at", "-id"], name="audit_newest"),
            # A user's page lists the events about them.
            models.Index(fields=["target_id", "-occurred_at"], name="audit_target"),
        ]

    def __str__(self) -> str:
        return self.summary

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError(AUDIT_APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(AUDIT_APPEND_ONLY)
