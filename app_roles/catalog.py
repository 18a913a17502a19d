"""The tenant's roles as the portal mirrors them, and the roles each organization may grant.

- **The tenant's roles** (:class:`~app_roles.models.TenantRole`) are read from Auth0 by a task, never in a
  request: on demand from the grantable roles page (an ``APP_ROLES_REFRESH`` operation, company admins'),
  and at every full directory sync (``app_roles.sync``). A role gone from the tenant goes from the mirror,
  from every grantable set and from every holding, as Auth0 takes it from everyone.
- **The grantable set** (:class:`~app_roles.models.GrantableRole`) of an organization is chosen among the
  mirrored roles by company admins (:func:`grantable_roles_save`): the label and description its admins see,
  and at most one default for new invitations. Taking a role out of the set takes it from nobody.
- :func:`grantable_role_check` is the rule every act that grants applies (the user page, invitations, and the
  API and bulk onboarding built on them): only roles of the organization's set, never beyond.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from app_roles.models import DESCRIPTION_MAX, LABEL_MAX, GrantableRole, TenantRole
from auth0_gateway import Role, gateway
from organizations.access.authorization import require_company_admin
from organizations.models import Organization
from organizations.selectors import principal_for_user_id
from portal.audit import audit_record
from portal.models import Operation, OperationKind
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.principal import Principal


# -- the tenant's roles -----------------------------------------------------------------------------------
def tenant_roles_write(roles: Iterable[Role]) -> None:
    """Record roles Auth0 has just shown (a listing, a person's roles): new ones added, names and descriptions
    brought up to date. A role's assignments name it by id and name only: its description is left as it was."""
    now = timezone.now()
    rows = {role["id"]: role for role in roles if role.get("id")}
    if not rows:
        return
    known = set(TenantRole.objects.filter(pk__in=rows).values_list("pk", flat=True))
    with transaction.atomic():
        for role_id, role in rows.items():
            fields = {"name": role.get("name") or role_id, "refreshed_at": now}
            if "description" in role or role_id not in known:
                fields["description"] = role.get("description") or ""
            TenantRole.objects.update_or_create(pk=role_id, defaults=fields)


def tenant_roles_refresh() -> dict[str, int]:
    """Read every role of the tenant (``GET /api/v2/roles``, all pages) into the mirror; the roles Auth0 no
    longer has go, and with them their places in grantable sets and their holdings (Auth0 has taken them from
    everyone). What the directory's full sync and the refresh operation both do."""
    roles = gateway().roles_list()
    with transaction.atomic():
        tenant_roles_write(roles)
        _, gone = TenantRole.objects.exclude(pk__in=[role["id"] for role in roles]).delete()
    return {"roles": len(roles), "removed": gone.get(TenantRole._meta.label, 0)}


def tenant_roles_refreshed_at():
    """When the mirror last read the tenant's roles (None before it ever did)."""
    return TenantRole.objects.aggregate(last=Max("refreshed_at"))["last"]


def tenant_role_list(*, principal: Principal) -> QuerySet[TenantRole]:
    """Every role of the tenant, by name: for company admins only (nobody else chooses among them)."""
    if not principal.is_company_admin:
        return TenantRole.objects.none()
    return TenantRole.objects.all()


def tenant_roles_refresh_request(*, actor: Principal, organization: Organization,
                                 idempotency_key: str | None = None) -> Operation:
    """Read the tenant's roles again, in a task (company admins, from ``organization``'s grantable roles page,
    whose operations show it)."""
    require_company_admin(actor)
    if idempotency_key and (done := Operation.objects.filter(idempotency_key=idempotency_key).first()):
        return done
    with transaction.atomic():
        operation = operation_create(kind=OperationKind.APP_ROLES_REFRESH, actor=actor, organization=organization,
                                     idempotency_key=idempotency_key)
        audit_record(actor=actor, action=f"{OperationKind.APP_ROLES_REFRESH}.requested", organization=organization,
                     target_type="app_roles", summary="Asked for the application roles to be read again from Auth0",
                     operation=operation)
        operation_enqueue_on_commit(operation)
    return operation


def tenant_roles_refresh_apply(operation: Operation) -> dict[str, int]:
    """The task's half: the actor must still be a company admin."""
    require_company_admin(principal_for_user_id(operation.actor_user_id, operation.actor_display))
    return tenant_roles_refresh()


# -- what an organization may grant -----------------------------------------------------------------------
def organization_grantable_roles(organization: Organization) -> QuerySet[GrantableRole]:
    """The roles ``organization``'s admins may grant, by label, each with its tenant role. The caller has the
    organization from a scoped selector (``organizations.selectors.organization_get``): whoever may see the
    organization may see its grantable roles (they are what its admins are offered)."""
    return GrantableRole.objects.filter(organization=organization).select_related("role").order_by("label", "role_id")


def organization_default_role_ids(organization: Organization) -> list[str]:
    """The role new invitations into ``organization`` are offered with, chosen ([] when it has none)."""
    return list(GrantableRole.objects.filter(organization=organization, is_default=True)
                .values_list("role_id", flat=True))


def grantable_role_refusal(organization: Organization, given: str) -> str:
    """What a role outside ``organization``'s grantable set is told, quoting what was ``given`` (an id, or a
    name a file used), never the name of a role the organization may not grant."""
    return _("“%(role)s” is not an application role %(organization)s may grant.") % {
        "role": given[:64], "organization": organization.display_name}


def grantable_role_check(organization: Organization, role_ids: Sequence[str]) -> list[str]:
    """What is wrong with granting ``role_ids`` in ``organization``: one message per role outside its grantable
    set (in the order given), [] when every one is in it. A message quotes the id it was given, never the
    name of a role the organization may not grant."""
    allowed = set(GrantableRole.objects.filter(organization=organization, role_id__in=list(role_ids))
                  .values_list("role_id", flat=True))
    return [grantable_role_refusal(organization, role_id) for role_id in dict.fromkeys(role_ids)
            if role_id not in allowed]


class GrantableNames:
    """An organization's grantable set, read once, by what a person may call a role in a file (bulk
    onboarding's ``roles`` column): its label there (whatever the case), else the role's Auth0 name if it names
    one role of the set only, else its Auth0 id. :meth:`resolve` is :func:`grantable_role_check` for names."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.labels: dict[str, str] = {}
        self.names: dict[str, list[str]] = {}
        self.by_id: dict[str, str] = {}
        for grantable in organization_grantable_roles(organization):
            self.labels[grantable.label.casefold()] = grantable.role_id
            self.names.setdefault(grantable.role.name.casefold(), []).append(grantable.role_id)
            self.by_id[grantable.role_id] = grantable.label

    def resolve(self, names: Iterable[str]) -> tuple[list[str], list[str]]:
        """The role ids ``names`` stand for (each once, in order), and a message for each name that stands for no
        role of the set (or for several). The messages are a bulk job's rows', which are kept: in English, as every
        stored text, whoever runs the check."""
        ids: list[str] = []
        errors: list[str] = []
        for name in names:
            key = " ".join(name.split()).casefold()
            named = self.names.get(key, [])
            if key in self.labels:
                ids.append(self.labels[key])
            elif len(named) == 1:
                ids.append(named[0])
            elif named:
                errors.append(f"“{name[:64]}” is the Auth0 name of several roles {self.organization.display_name} "
                              f"may grant: name it by its label ({', '.join(sorted(self.by_id[i] for i in named))}).")
            elif name in self.by_id:
                ids.append(name)
            else:
                with translation.override("en"):
                    errors.append(grantable_role_refusal(self.organization, name))
        return list(dict.fromkeys(ids)), errors

    def label(self, role_id: str) -> str:
        return self.by_id.get(role_id, role_id)


def grantable_role_get(organization: Organization, role_id: str) -> GrantableRole | None:
    return GrantableRole.objects.filter(organization=organization, role_id=role_id).select_related("role").first()


@dataclass(frozen=True)
class GrantableChoice:
    """One role a company admin makes grantable: its tenant role, and the label and description shown."""

    role_id: str
    label: str = ""
    description: str = ""


def _choice_errors(choice: GrantableChoice, role: TenantRole | None, labels: dict[str, str]) -> dict[str, str]:
    if role is None:
        return {f"{choice.role_id}.grantable": _("This role is no longer in the tenant: refresh the roles from "
                                                 "Auth0.")}
    errors = {}
    label = " ".join((choice.label or role.name).split())
    if len(label) > LABEL_MAX:
        errors[f"{choice.role_id}.label"] = _("Keep the label to %(max)s characters.") % {"max": LABEL_MAX}
    elif label.lower() in labels:
        errors[f"{choice.role_id}.label"] = _("Another role is labelled “%(label)s”: give each its own label.") % {
            "label": label}
    if len(choice.description.strip()) > DESCRIPTION_MAX:
        errors[f"{choice.role_id}.description"] = _("Keep the description to %(max)s characters.") % {
            "max": DESCRIPTION_MAX}
    labels[label.lower()] = choice.role_id
    return errors


def _shown(roles: Iterable[GrantableRole]) -> list[dict[str, object]]:
    return [{"role_id": r.role_id, "label": r.label, "description": r.description, "default": r.is_default}
            for r in roles]


def grantable_roles_save(*, actor: Principal, organization: Organization, choices: Sequence[GrantableChoice],
                         default_role_id: str = "") -> list[GrantableRole]:
    """Make ``choices`` the roles ``organization``'s admins may grant (company admins only), in one transaction,
    audited with the set before and after; ``default_role_id`` (one of them, or "") is offered to new
    invitations. Problems are a ValidationError keyed ``"<role id>.grantable"``, ``"<role id>.label"``,
    ``"<role id>.description"`` or ``"default"``, and change nothing. A label left empty is the role's name."""
    require_company_admin(actor)
    roles = TenantRole.objects.in_bulk([c.role_id for c in choices])
    errors: dict[str, str] = {}
    labels: dict[str, str] = {}
    for choice in choices:
        errors.update(_choice_errors(choice, roles.get(choice.role_id), labels))
    if default_role_id and default_role_id not in {c.role_id for c in choices}:
        errors["default"] = _("The default role must be one of the roles made grantable.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        existing = {g.role_id: g for g in GrantableRole.objects.select_for_update().filter(organization=organization)}
        before = _shown(sorted(existing.values(), key=lambda g: g.label))
        kept = {c.role_id for c in choices}
        GrantableRole.objects.filter(organization=organization).exclude(role_id__in=kept).delete()
        # The default and the labels are set after every row is in place (a role may take over another's label
        # or the default), so both unique constraints hold throughout.
        GrantableRole.objects.filter(organization=organization).update(is_default=False)
        for role_id in existing.keys() & kept:
            # A label no choice can have (labels are stripped of spaces at either end).
            GrantableRole.objects.filter(pk=existing[role_id].pk).update(label=f" {existing[role_id].pk}")
        for choice in choices:
            GrantableRole.objects.update_or_create(organization=organization, role_id=choice.role_id, defaults={
                "label": " ".join((choice.label or roles[choice.role_id].name).split()),
                "description": choice.description.strip(), "is_default": choice.role_id == default_role_id})
        saved = list(organization_grantable_roles(organization))
        after = _shown(saved)
        if before != after:
            audit_record(actor=actor, action="app_roles.grantable_changed", organization=organization,
                         target_type="organization", target_id=organization.slug,
                         summary=f"Changed the application roles {organization.display_name}'s admins may grant",
                         details={"before": before, "after": after})
    return saved
