from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from organizations import validation


class MembershipMode(models.TextChoices):
    ISOLATED_CONNECTION = "isolated_connection", _("Isolated connection (its own database connection)")
    SHARED_CONNECTION = "shared_connection", _("Shared connection (app_metadata.organizations)")
    AUTH0_ORGANIZATION = "auth0_organization", _("Auth0 Organization")


class Organization(models.Model):
    """A customer organization and how its users belong to it in Auth0 (DESIGN.md section 2)."""

    slug = models.SlugField(
        max_length=40, unique=True,
        validators=[RegexValidator(validation.SLUG_RE, validation.SLUG_MESSAGE)],
        error_messages={"unique": _("Another organization already uses this slug.")},
        help_text=_("Short name used in URLs and in app_metadata.organizations; it cannot change later."),
    )
    display_name = models.CharField(max_length=120)
    membership_mode = models.CharField(max_length=32, choices=MembershipMode.choices)
    connection_name = models.CharField(
        max_length=validation.CONNECTION_NAME_MAX, blank=True,
        validators=[RegexValidator(validation.CONNECTION_NAME_RE, validation.CONNECTION_NAME_MESSAGE)],
        help_text=_("The Auth0 database connection its users sign in with."),
    )
    auth0_connection_id = models.CharField(max_length=64, blank=True)
    auth0_organization_id = models.CharField(max_length=64, blank=True)
    # The organization's own identity providers that are on (sso.SsoConnection, kept by its services): people
    # who sign in through one belong to the organization as its connection's people do.
    sso_connection_names = models.JSONField(default=list, blank=True, editable=False)
    invite_link_lifetime_days = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("How long an invitation's set-password link stays valid (1 to 30 days)."),
    )
    accent_colour = models.CharField(
        max_length=7, default="#3b5bdb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB, e.g. #3b5bdb."))],
    )
    # The language of its people's pages and emails unless a person chose their own (one of settings.LANGUAGES);
    # empty: each browser's (portal.web.language).
    default_language = models.CharField(max_length=8, blank=True, default="", choices=settings.LANGUAGES)
    logo = models.BinaryField(null=True, blank=True, editable=False)
    # Empty exactly when there is no logo: pages test this, so they never load the logo's bytes.
    logo_content_type = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_provisioned(self) -> bool:
        """Whether the Auth0 side this mode needs exists and its ids are known."""
        if self.membership_mode == MembershipMode.AUTH0_ORGANIZATION:
            return bool(self.auth0_organization_id)
        return bool(self.auth0_connection_id)

    @property
    def accent_text_colour(self) -> str:
        return validation.contrast_text_colour(self.accent_colour)


class OrganizationDomain(models.Model):
    """An email domain that home-realm discovery routes to one organization (a domain has one owner)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class Audience(models.TextChoices):
    """Who may do something, from the widest to the narrowest group; each includes those after it."""

    END_USER = "end_user", _("The user themselves (and admins)")
    ORG_VIEWER = "org_viewer", _("Organization viewers and admins")
    ORG_ADMIN = "org_admin", _("Organization admins")
    COMPANY_ADMIN = "company_admin", _("Company admins only")


class MetadataField(models.Model):
    """One field of an organization's metadata schema: what may be stored, by whom, seen by whom."""

    class Target(models.TextChoices):
        USER_METADATA = "user_metadata", "user_metadata"
        APP_METADATA = "app_metadata", "app_metadata"

    class Type(models.TextChoices):
        TEXT = "text", pgettext_lazy("metadata field type", "Text")
        ENUM = "enum", pgettext_lazy("metadata field type", "Choice")
        BOOLEAN = "boolean", pgettext_lazy("metadata field type", "Yes/no")
        DATE = "date", pgettext_lazy("metadata field type", "Date")
        EMAIL = "email", pgettext_lazy("metadata field type", "Email")
        PHONE = "phone", pgettext_lazy("metadata field type", "Phone")
        URL = "url", "URL"
        INTEGER = "integer", pgettext_lazy("metadata field type", "Integer")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="metadata_fields")
    key = models.CharField(max_length=64, validators=[RegexValidator(validation.KEY_RE, validation.KEY_MESSAGE)])
    label = models.CharField(max_length=80)
    target = models.CharField(max_length=16, choices=Target.choices, default=Target.USER_METADATA)
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.TEXT)
    required = models.BooleanField(default=False)
    max_length = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(2000)])
    pattern = models.CharField(max_length=200, blank=True, help_text=_("A regular expression the value must match"))
    choices = models.JSONField(default=list, blank=True, help_text=_("Allowed values of a choice field"))
    editable_by = models.CharField(max_length=16, choices=Audience.choices, default=Audience.ORG_ADMIN)
    visible_to = models.CharField(max_length=16, choices=Audience.choices, default=Audience.ORG_VIEWER)
    searchable = models.BooleanField(
        default=False, help_text=_("Whether the user list's search looks into this field's values"),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "target", "key"], name="unique_metadata_key"),
        ]

    def __str__(self) -> str:
        return f"{self.target}.{self.key}"


class CompanyAdmin(models.Model):
    """A company admin: may do everything in every organization. Keyed by the Auth0 user id."""

    user_id = models.CharField(max_length=255, unique=True)
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=255, blank=True)
    granted_by = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email", "user_id"]

    def __str__(self) -> str:
        return self.email or self.user_id


class OrganizationRole(models.Model):
    """An organization admin or viewer. Keyed by the Auth0 user id, never by email."""

    class Role(models.TextChoices):
        ADMIN = "admin", pgettext_lazy("portal role", "Admin")
        VIEWER = "viewer", pgettext_lazy("portal role", "Viewer")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="roles")
    user_id = models.CharField(max_length=255)
    role = models.CharField(max_length=16, choices=Role.choices)
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=255, blank=True)
    granted_by = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "email", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user_id"], name="one_role_per_org_and_user"),
        ]

    def __str__(self) -> str:
        return f"{self.email or self.user_id}: {self.role} of {self.organization_id}"


class ApiPermission(models.TextChoices):
    """What a machine client of the REST API may do; each is also the scope its access token must carry."""

    USERS_READ = "users:read", _("Read users and their operations")
    USERS_WRITE = "users:write", _("Invite and change users")
    AUDIT_READ = "audit:read", _("Read the audit trail")
    ORGANIZATIONS_READ = "organizations:read", _("Read organizations and their roles")
    ORGANIZATIONS_WRITE = "organizations:write", _("Manage organizations' roles")


# The permissions that change something: a client holding one acts as an admin of its organizations.
API_WRITE_PERMISSIONS = frozenset({ApiPermission.USERS_WRITE, ApiPermission.ORGANIZATIONS_WRITE})
API_CLIENT_SUFFIX = "@clients"  # Auth0's subject of a client-credentials token: "<client id>@clients"


class ApiClient(models.Model):
    """A machine client of the REST API (an internal tool), registered by a company admin: the Auth0
    application it authenticates as, the organizations it may touch (or all of them) and its permissions.
    A valid token of an application that is not registered here, or is disabled, gets nothing."""

    client_id = models.CharField(_("Auth0 client id"), max_length=128, unique=True)
    name = models.CharField(max_length=200)
    all_organizations = models.BooleanField(default=False)
    organizations = models.ManyToManyField(Organization, blank=True, related_name="api_clients")
    permissions = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Where the portal POSTs this client's events (organizations.webhooks.services), signed with the secret (Standard
    # Webhooks, "whsec_…"), which is shown once when it is made.
    webhook_url = models.URLField(_("Webhook URL"), max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["name", "client_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    @property
    def subject(self) -> str:
        """The ``sub`` of this client's access tokens, and its actor id on operations and audit events."""
        return f"{self.client_id}{API_CLIENT_SUFFIX}"

    def permission_labels(self) -> list[str]:
        return [ApiPermission(p).label for p in ApiPermission.values if p in self.permissions]


class ApiEvent(models.Model):
    """Something a tool may want to know, in one organization: an operation finished, a user of it changed
    or was deleted. Read as the cursor-paged feed /api/v1/events and POSTed to the clients' webhooks."""

    class Type(models.TextChoices):
        OPERATION_FINISHED = "operation.finished", _("An operation finished")
        USER_CHANGED = "user.changed", _("A user changed")
        USER_DELETED = "user.deleted", _("A user was deleted")

    type = models.CharField(max_length=64, choices=Type.choices)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_events")
    occurred_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["organization", "id"], name="api_event_org_id")]

    def __str__(self) -> str:
        return f"{self.message_id} {self.type}"

    @property
    def message_id(self) -> str:
        """The Standard Webhooks message id: the same on every attempt and redelivery, so receivers dedupe."""
        return f"evt_{self.pk}"


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one client's webhook, with what came of it: the delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery status", "Sending")
        DELIVERED = "delivered", pgettext_lazy("webhook delivery status", "Delivered")
        FAILED = "failed", pgettext_lazy("webhook delivery status", "Failed")

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(ApiEvent, on_delete=models.CASCADE, related_name="deliveries")
    url = models.URLField(max_length=500)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        # /metrics counts the failed deliveries at every scrape (organizations.webhooks.services.webhook_metrics).
        indexes = [models.Index(fields=["status"], name="webhook_delivery_failed", condition=models.Q(status="failed"))]

    def __str__(self) -> str:
        return f"{self.event_id} to {self.url}: {self.status}"


class OrganizationsListLock(models.Model):
    """One row per Auth0 user whose organizations list (``app_metadata.organizations``, the shared connection's
    membership) the portal has written: a write of that list updates the user's row first and holds it to the
    end of its transaction, so two organizations' acts on one person read, write and record the list one after
    the other (``organizations.membership.organizations_list_lock``)."""

    user_id = models.CharField(max_length=255, primary_key=True)
    taken_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.user_id
