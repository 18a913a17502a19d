"""The guardrails every act on a person keeps, in one place, whoever asks for it (a view, a task, a
command, the API) and whichever act it is (block, remove from an organization, delete, an email):

- only company admins act on company admins, and only people among them: a company-wide machine client
  (a tool) never blocks, deletes or otherwise acts on a company admin, so a leaked tool token cannot
  lock the company's administrators out;
- nobody acts on themselves in a way that locks them out (blocking, deleting or removing themselves);
- an organization keeps its last admin: blocking, deleting or removing the only admin of an organization
  is refused until another admin is appointed. Taking that admin's portal role away is refused by the
  same rule (``organizations.roles``), where a company admin alone may override it, explicitly.

The act is named by what it does to the person's access, so every new act picks its kind here rather
than growing its own copy of these rules.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef

from organizations.authorization import require_org_admin
from organizations.models import CompanyAdmin, Organization, OrganizationRole
from portal.principal import Principal


class PersonAct(enum.Enum):
    """What an act does to a person's access."""

    # They keep their account, their organizations and their sign-in (emails, MFA reset, unblock, …).
    KEEPS_ACCESS = "keeps_access"
    # They can no longer sign in anywhere.
    BLOCK = "block"
    # They leave one organization.
    REMOVE = "remove"
    # Their account is gone, from every organization.
    DELETE = "delete"


def organizations_only_admin(user_id: str, organizations: Iterable[Organization] | None = None) -> list[Organization]:
    """The organizations (among ``organizations``; every one when None) whose only admin is ``user_id``."""
    held = OrganizationRole.objects.filter(user_id=user_id, role=OrganizationRole.Role.ADMIN)
    if organizations is not None:
        held = held.filter(organization__in=[o.pk for o in organizations])
    other_admins = OrganizationRole.objects.filter(
        organization=OuterRef("organization"), role=OrganizationRole.Role.ADMIN).exclude(user_id=user_id)
    return [role.organization for role in held.filter(~Exists(other_admins)).select_related("organization")
            .order_by("organization__display_name")]


def _names(organizations: list[Organization]) -> str:
    names = [o.display_name for o in organizations]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def person_act_check(actor: Principal, organization: Organization, *, user_id: str, name: str, act: PersonAct) -> None:
    """Refuse ``act`` on the person ``user_id`` (called ``name`` in messages), done by ``actor`` in
    ``organization``, unless every guardrail holds. PermissionDenied for who may act at all,
    ValidationError (with a message saying what to do instead) for a guardrail."""
    require_org_admin(actor, organization)
    if (not actor.is_company_admin or actor.is_machine) and CompanyAdmin.objects.filter(user_id=user_id).exists():
        raise PermissionDenied("Company admins are managed by company admins only." if not actor.is_machine else
                               "Company admins are managed by company admins only, never by an API client.")
    if act is PersonAct.KEEPS_ACCESS:
        return
    if user_id == actor.user_id:
        verb = {PersonAct.BLOCK: "block yourself", PersonAct.DELETE: "delete yourself",
                PersonAct.REMOVE: f"remove yourself from {organization.display_name}"}[act]
        raise ValidationError(f"You cannot {verb}: you would be locked out.")
    # Blocked or deleted, they administer nothing any more; removed, they leave this organization only.
    left = organizations_only_admin(user_id, [organization] if act is PersonAct.REMOVE else None)
    if left:
        raise ValidationError(f"{name or 'This user'} is the only admin of {_names(left)}: appoint another admin "
                              "first, so that every organization keeps one.")
