"""Which SCIM group gives which application role, per organization (its admins' page): each role one the
organization may grant (``app_roles.catalog``), each change audited. A mapping added applies at once: each active
member of the group (as the provider last pushed it) gets a sync operation that assigns the role. A mapping
removed takes nothing away: the roles it gave stay until an admin removes them (on the user page, or on a
selection of the list filtered by the role), since a mistaken click should not strip a whole group's access."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from app_roles.catalog import grantable_role_check, organization_grantable_roles
from organizations.models import Organization
from portal.audit import audit_record
from portal.principal import Principal
from scim.models import ScimRoleMapping, ScimUser
from scim.sync import scim_sync_request
from scim.tokens import _admin_check

GROUP_NAME_MAX = 255


def role_mapping_list(*, principal: Principal, organization: Organization):
    """The organization's mappings, each with the role's label in the organization, for its admins."""
    if not principal.can_admin(organization.pk):
        return []
    labels = {g.role_id: g.label for g in organization_grantable_roles(organization)}
    return [(m, labels.get(m.role_id) or _("a role it may no longer grant"))
            for m in ScimRoleMapping.objects.filter(organization=organization)]


def role_mapping_add(*, actor: Principal, organization: Organization, group_name: str, role_id: str
                     ) -> ScimRoleMapping:
    _admin_check(actor, organization)
    group_name = " ".join(group_name.split())
    errors = {}
    if not group_name or len(group_name) > GROUP_NAME_MAX:
        errors["group_name"] = _("Give the group's name as the identity provider shows it (1 to %(max)s "
                                 "characters).") % {"max": GROUP_NAME_MAX}
    if role_errors := grantable_role_check(organization, [role_id]):
        errors["role"] = " ".join(role_errors)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            mapping = ScimRoleMapping.objects.create(organization=organization, group_name=group_name, role_id=role_id)
            audit_record(actor=actor, action="scim.role_mapping_changed", organization=organization,
                         target_type="organization", target_id=organization.slug,
                         summary=f"Members of the group {group_name} now get an application role",
                         details={"added": {"group": group_name, "role_id": role_id}})
            members = ScimUser.objects.filter(organization=organization, active=True, deleted_at__isnull=True,
                                              scim_groups__display_name__iexact=group_name).distinct()
            for scim_user in members:
                scim_sync_request(actor=actor, scim_user=scim_user)
    except IntegrityError:
        raise ValidationError({"group_name": _("%(group)s gives this role already.") % {"group": group_name}}
                              ) from None
    return mapping


def role_mapping_remove(*, actor: Principal, organization: Organization, mapping_id: int) -> None:
    _admin_check(actor, organization)
    mapping = ScimRoleMapping.objects.filter(organization=organization, pk=mapping_id).first()
    if mapping is None:
        raise ValidationError(_("This mapping is gone already."))
    with transaction.atomic():
        mapping.delete()
        audit_record(actor=actor, action="scim.role_mapping_changed", organization=organization,
                     target_type="organization", target_id=organization.slug,
                     summary=f"Members of the group {mapping.group_name} no longer get an application role from it",
                     details={"removed": {"group": mapping.group_name, "role_id": mapping.role_id}})
