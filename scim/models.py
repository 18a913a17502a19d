"""What SCIM provisioning keeps: each organization's providers' tokens (hashed) and its choice of what a deactivation
does, the SCIM resources the providers made (users and groups, with their SCIM ids, ``externalId`` and
``userName``) mapped to the Auth0 user or the invitation on its way, and which group gives which application role.

The mapping answers a provider's reads at once, before Auth0 has caught up: a created user is an invitation on its
way, and the row says so (``invite_operation``) until the invitation's task has made the person."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

NAME_MAX = 80
USER_NAME_MAX = 254


class ScimToken(models.Model):
    """A provider's bearer token for one organization's SCIM endpoint. Only its SHA-256 is kept: the token itself
    is shown once, when it is made (or made again: rotation keeps the row, so the provider stays one actor)."""

    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE,
                                     related_name="scim_tokens")
    name = models.CharField(max_length=NAME_MAX, help_text=_("The identity provider, as the audit trail names it"))
    token_hash = models.CharField(max_length=64, unique=True)
    # The token's first characters, so an admin can tell which token a provider holds.
    token_prefix = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(Lower("name"), "organization", name="scim_token_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Deactivation(models.TextChoices):
    BLOCK = "block", _("Block them (they keep their account and come back as they were when reactivated)")
    REMOVE = "remove", _("Remove them from the organization (in an isolated organization: delete their account)")


class ScimSettings(models.Model):
    """An organization's choice of what ``active: false`` does."""

    organization = models.OneToOneField("organizations.Organization", on_delete=models.CASCADE,
                                        related_name="scim_settings", primary_key=True)
    deactivation = models.CharField(max_length=16, choices=Deactivation.choices, default=Deactivation.BLOCK)

    def __str__(self) -> str:
        return f"{self.organization}: {self.get_deactivation_display()}"


class ScimUser(models.Model):
    """A user a provider made in one organization: what it asked for (the SCIM resource), and who that is in
    Auth0 once known."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE,
                                     related_name="scim_users")
    user_name = models.CharField(max_length=USER_NAME_MAX)
    external_id = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=USER_NAME_MAX)
    given_name = models.CharField(max_length=120, blank=True)
    family_name = models.CharField(max_length=120, blank=True)
    display_name = models.CharField(max_length=120, blank=True)
    active = models.BooleanField(default=True)
    # The resource as the provider last sent it (its other attributes are given back as they were sent).
    resource = models.JSONField(default=dict, blank=True)
    # The email the person was invited with: every operation of theirs that SCIM queues targets it, so that they
    # run one at a time after the invitation (portal.operations).
    anchor = models.CharField(max_length=USER_NAME_MAX)
    # The person in Auth0, once known (at once for someone who was a member already).
    user_id = models.CharField(max_length=255, blank=True)
    invite_operation = models.ForeignKey("portal.Operation", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(ScimToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # userName is unique per organization, whatever its case (RFC 7643: uniqueness "server").
            models.UniqueConstraint(Lower("user_name"), "organization", name="scim_user_name_unique",
                                    condition=models.Q(deleted_at__isnull=True)),
        ]
        indexes = [models.Index(fields=["organization", "external_id"], name="scim_user_external")]

    def __str__(self) -> str:
        return self.user_name


class ScimGroup(models.Model):
    """A group a provider pushed to one organization; its members are the organization's SCIM users."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE,
                                     related_name="scim_groups")
    display_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    members = models.ManyToManyField(ScimUser, related_name="scim_groups", blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name", "id"]
        constraints = [models.UniqueConstraint(Lower("display_name"), "organization", name="scim_group_name_unique")]

    def __str__(self) -> str:
        return self.display_name


class ScimRoleMapping(models.Model):
    """Members of the organization's group named ``group_name`` (any case) hold this application role, one of
    those the organization may grant."""

    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE,
                                     related_name="scim_role_mappings")
    group_name = models.CharField(max_length=255)
    role = models.ForeignKey("app_roles.TenantRole", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["group_name", "pk"]
        constraints = [models.UniqueConstraint(Lower("group_name"), "organization", "role",
                                               name="scim_role_mapping_unique")]

    def __str__(self) -> str:
        return f"{self.group_name} → {self.role_id}"
