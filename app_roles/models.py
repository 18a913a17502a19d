"""Application roles: the tenant's roles as the portal last read them, the ones each organization may grant,
and who holds which (the directory's mirror of Auth0's assignments)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The constraint that keeps one default role for new invitations per organization.
ONE_DEFAULT = "app_role_one_default_per_organization"
LABEL_MAX = 80
DESCRIPTION_MAX = 300


class TenantRole(models.Model):
    """One of the Auth0 tenant's roles (``GET /api/v2/roles``), mirrored so that pages list and name roles
    without calling Auth0: refreshed by a task (on demand from the grantable roles page, and by every full
    directory sync), and whenever an assignment read from Auth0 names a role. A role gone from the tenant goes
    from here, and with it from every organization's grantable set and every holding (as Auth0 takes it from
    everyone)."""

    id = models.CharField(_("Auth0 role id"), max_length=64, primary_key=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class GrantableRole(models.Model):
    """A role an organization's admins may assign (chosen by company admins), with the label and description
    they see. At most one per organization is the default offered to new invitations (the database keeps it
    so). Removing a role from this set does not take it from anyone who holds it."""

    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE,
                                     related_name="grantable_app_roles")
    role = models.ForeignKey(TenantRole, on_delete=models.CASCADE, related_name="grantable_in")
    label = models.CharField(max_length=LABEL_MAX)
    description = models.CharField(max_length=DESCRIPTION_MAX, blank=True)
    is_default = models.BooleanField(_("Default for new invitations"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["label", "role_id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "role"], name="app_role_grantable_once"),
            models.UniqueConstraint(fields=["organization", "label"], name="app_role_label_once"),
            models.UniqueConstraint(fields=["organization"], condition=Q(is_default=True), name=ONE_DEFAULT),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.role_id}) in {self.organization_id}"


class AppRoleGrant(models.Model):
    """A person holding an application role, as the directory knows it: one row per (person, role, granting
    organization or none).

    - ``scope`` TENANT: a role of the user in the whole tenant (``/api/v2/users/{id}/roles``), what isolated
      and shared-connection organizations grant. Several organizations may grant the same role to one person
      (in the shared mode): each grant is a row, and Auth0 loses the role only with the last one. A role Auth0
      says someone holds that no organization granted through the portal (set in Auth0, or before the portal)
      is one row with no organization.
    - ``scope`` ORGANIZATION: a role of a member within an Auth0 Organization
      (``/api/v2/organizations/{id}/members/{user_id}/roles``), granted by that organization; it hangs on the
      membership, and ends with it, as in Auth0.

    Written through by the acts (``app_roles.acts``), filled and reconciled by the full directory sync and
    refreshed per person by the changes Auth0 pushes (``app_roles.sync``)."""

    class Scope(models.TextChoices):
        TENANT = "tenant", _("A role in the whole tenant")
        ORGANIZATION = "organization", _("A role as a member of the Auth0 Organization")

    user = models.ForeignKey("users.DirectoryUser", on_delete=models.CASCADE, related_name="app_role_grants",
                             db_index=False)
    role = models.ForeignKey(TenantRole, on_delete=models.CASCADE, related_name="grants", db_index=False)
    scope = models.CharField(max_length=16, choices=Scope.choices)
    organization = models.ForeignKey("organizations.Organization", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="app_role_grants", db_index=False)
    membership = models.ForeignKey("users.Membership", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="app_role_grants", db_index=False)
    granted_at = models.DateTimeField()
    # When Auth0 last said (a sync, a refresh) or an act last made it so: a full pass over a role's holders
    # removes the rows it did not confirm since it began.
    confirmed_at = models.DateTimeField()

    class Meta:
        ordering = ["role__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "organization"], condition=Q(organization__isnull=False),
                                    name="app_role_grant_once_per_organization"),
            models.UniqueConstraint(fields=["user", "role"], condition=Q(organization__isnull=True),
                                    name="app_role_grant_once_ungranted"),
            models.CheckConstraint(condition=Q(scope="tenant") | Q(organization__isnull=False),
                                   name="app_role_member_grant_names_its_organization"),
        ]
        indexes = [
            # The user lists' role filter and its exact total, either way round: a role's holders (in the tenant,
            # or as members of Auth0 Organizations) read in one range and joined to the memberships, or a list's
            # row probed by its person; index-only both ways, the organization read from the index.
            models.Index(fields=["role", "scope", "user", "organization"], name="app_role_grant_holders"),
            # A person's roles (their page, the acts), and the list's probe of each row's person.
            models.Index(fields=["user", "role"], name="app_role_grant_user"),
            # Ending a membership ends its member roles (the cascade finds them here).
            models.Index(fields=["membership"], condition=Q(membership__isnull=False),
                         name="app_role_grant_membership"),
            # Deleting an organization (the cascade), and an organization's grants.
            models.Index(fields=["organization"], condition=Q(organization__isnull=False),
                         name="app_role_grant_organization"),
        ]

    def __str__(self) -> str:
        return f"{self.role_id} of {self.user_id} by {self.organization_id or 'nobody'}"
