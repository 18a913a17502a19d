"""The guardrails every act on a person keeps, in one place, whoever asks for it (a view, a task, a
command, the API) and whichever act it is (block, remove from an organization, delete, an email):

- only company admins act on company admins, and only people among them: a company-wide machine client
  (a tool) never blocks, deletes or otherwise acts on a company admin, so a leaked tool token cannot
  lock the company's administrators out;
- nobody acts on themselves in a way that locks them out (blocking, deleting or removing themselves);
- an organization keeps its last admin: blocking, deleting or removing the only admin of an organization
  (the only one not blocked in Auth0) is refused until another admin is appointed. Taking that admin's portal
  role away is refused by the same rule (``organizations.roles``), where a company admin alone may override
  it, explicitly;
- an identity is governed by where it belongs: an organization's admin acts on the account as a whole
  and on its credentials (its email, password, second factors, Auth0 block, deletion) only for people
  who belong to that organization alone. Someone who also belongs to another organization (a member
  there, blocked there, or holding a portal role there) is the company's to govern: their account is
  changed by company admins only, and an organization's admin may block them in that organization
  (``users.acts.block_here``) or remove them from it, never more. Without this, an admin who added a member
  of another organization to their own could change that person's email to one they read, send it a
  change-password email and sign in as them.

The act is named by what it does to the person's access, so every new act picks its kind here rather
than growing its own copy of these rules.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext, gettext_lazy

from organizations.access.authorization import require_org_admin
from organizations.models import CompanyAdmin, Organization, OrganizationRole
from portal.principal import Principal


class PersonAct(enum.Enum):
    """What an act does to a person's access."""

    # Within the organization, leaving their account and access alone: the organization's metadata about
    # them, its invitation sent again, their block in this organization lifted.
    KEEPS_ACCESS = "keeps_access"
    # On the account as a whole or its credentials, leaving their access: a change-password or
    # verification email, an MFA reset, failed sign-in blocks cleared, an Auth0 block lifted.
    ACCOUNT = "account"
    # Their email address changes (the address their password emails go to).
    EMAIL_CHANGE = "email_change"
    # They can no longer sign in anywhere (blocked in Auth0).
    BLOCK = "block"
    # They lose their access to this organization only (users.acts.block_here).
    BLOCK_HERE = "block_here"
    # They leave one organization.
    REMOVE = "remove"
    # Their account is gone, from every organization.
    DELETE = "delete"


# The acts on the account itself: only for people the organization governs alone (or by company admins).
ACCOUNT_ACTS = frozenset({PersonAct.ACCOUNT, PersonAct.EMAIL_CHANGE, PersonAct.BLOCK, PersonAct.DELETE})
# The acts that take away their access, here or everywhere: never to oneself, never the last admin (with what
# refusing one to oneself says).
_ACCESS_ENDING = {
    PersonAct.BLOCK: gettext_lazy("You cannot block yourself: you would be locked out."),
    PersonAct.BLOCK_HERE: gettext_lazy("You cannot block yourself: you would be locked out."),
    PersonAct.DELETE: gettext_lazy("You cannot delete yourself: you would be locked out."),
    PersonAct.REMOVE: gettext_lazy("You cannot remove yourself from %(organization)s: you would be locked out."),
}


PersonOrganizations = Callable[[str], set[int]]


@functools.cache
def _person_organizations_loader(path: str) -> PersonOrganizations:
    return import_string(path)


@functools.cache
def _people_blocked_loader(path: str) -> Callable[[Iterable[str]], set[str]]:
    return import_string(path)


def person_organization_ids(user_id: str) -> set[int]:
    """The organizations (by primary key) ``user_id`` belongs to in any way the portal knows: a member
    (the directory, settings: PORTAL_PERSON_ORGANIZATIONS), blocked there, or holding a portal role."""
    places = set(_person_organizations_loader(settings.PORTAL_PERSON_ORGANIZATIONS)(user_id))
    places |= set(OrganizationRole.objects.filter(user_id=user_id).values_list("organization_id", flat=True))
    return places


def person_governed_by(organization: Organization, user_id: str) -> bool:
    """Whether ``organization`` alone governs the person's account: they belong to it and to no other."""
    return person_organization_ids(user_id) == {organization.pk}


def person_elsewhere(organization: Organization, user_id: str) -> list[Organization]:
    """The other organizations the person belongs to (in any way :func:`person_organization_ids` counts)."""
    others = person_organization_ids(user_id) - {organization.pk}
    return list(Organization.objects.filter(pk__in=others).order_by("display_name"))


def organizations_only_admin(user_id: str, organizations: Iterable[Organization] | None = None) -> list[Organization]:
    """The organizations (among ``organizations``; every one when None) whose only admin able to sign in is
    ``user_id``: an admin blocked in Auth0 (settings: PORTAL_PEOPLE_BLOCKED) holds the role but administers
    nothing, so two admins blocking each other cannot leave an organization with none."""
    held = OrganizationRole.objects.filter(user_id=user_id, role=OrganizationRole.Role.ADMIN)
    if organizations is not None:
        held = held.filter(organization__in=[o.pk for o in organizations])
    held_ids = list(held.values_list("organization_id", flat=True))
    others: dict[int, set[str]] = {pk: set() for pk in held_ids}
    for organization_id, other in (OrganizationRole.objects.filter(
            organization__in=held_ids, role=OrganizationRole.Role.ADMIN).exclude(user_id=user_id)
            .values_list("organization_id", "user_id")):
        others[organization_id].add(other)
    blocked = _people_blocked_loader(settings.PORTAL_PEOPLE_BLOCKED)(set().union(*others.values()))
    alone = [pk for pk, admins in others.items() if not admins - blocked]
    return list(Organization.objects.filter(pk__in=alone).order_by("display_name"))


def organization_admins_lock(*, user_id: str, organization: Organization | None) -> None:
    """Hold the admin roles of the organizations an act may take an admin from until the caller's transaction
    ends: ``organization``'s, or, when it is None (a deletion), those of every organization ``user_id``
    administers. An act that may leave an organization without an admin checks the last-admin rule and
    makes its change under this lock, so two admins removing, blocking here, deleting or demoting each other
    at the same moment are served one after the other and the second finds the first gone: it is refused.
    The rows are locked in one order (their ids), so two such acts never wait on each other."""
    if organization is not None:
        organization_ids = [organization.pk]
    else:
        organization_ids = list(OrganizationRole.objects.filter(user_id=user_id, role=OrganizationRole.Role.ADMIN)
                                .values_list("organization_id", flat=True))
    list(OrganizationRole.objects.select_for_update().filter(
        organization_id__in=organization_ids, role=OrganizationRole.Role.ADMIN).order_by("pk").values_list(
        "pk", flat=True))


def _names(organizations: list[Organization]) -> str:
    names = [o.display_name for o in organizations]
    if len(names) == 1:
        return names[0]
    return gettext("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def person_act_check(actor: Principal, organization: Organization, *, user_id: str, name: str, act: PersonAct) -> None:
    """Refuse ``act`` on the person ``user_id`` (called ``name`` in messages), done by ``actor`` in
    ``organization``, unless every guardrail holds. PermissionDenied for who may act at all,
    ValidationError (with a message saying what to do instead) for a guardrail."""
    require_org_admin(actor, organization)
    if (not actor.is_company_admin or actor.is_machine) and CompanyAdmin.objects.filter(user_id=user_id).exists():
        raise PermissionDenied(gettext("Company admins are managed by company admins only.") if not actor.is_machine
                               else gettext("Company admins are managed by company admins only, never by an API "
                                            "client."))
    if act in ACCOUNT_ACTS and not actor.is_company_admin:
        account_governed_check(organization, user_id=user_id, name=name)
    if act not in _ACCESS_ENDING:
        return
    if user_id == actor.user_id:
        raise ValidationError(str(_ACCESS_ENDING[act]) % {"organization": organization.display_name})
    # Blocked or deleted, they administer nothing any more; removed or blocked here, they leave this
    # organization only.
    here_only = act in (PersonAct.REMOVE, PersonAct.BLOCK_HERE)
    left = organizations_only_admin(user_id, [organization] if here_only else None)
    if left:
        raise ValidationError(gettext("%(person)s is the only admin of %(organizations)s: appoint another admin "
                                      "first, so that every organization keeps one.") % {
            "person": name or gettext("This user"), "organizations": _names(left)})


def account_governed_check(organization: Organization, *, user_id: str, name: str) -> None:
    """PermissionDenied, saying what may be done instead, unless ``organization`` alone governs the
    person's account (for an organization admin's act on the account; company admins govern every one)."""
    places = person_organization_ids(user_id)
    if places == {organization.pk}:
        return
    who = name or gettext("This person")
    if organization.pk not in places:
        raise PermissionDenied(gettext("%(person)s does not belong to %(organization)s: only company admins may "
                                       "change their account.") % {
            "person": who, "organization": organization.display_name})
    # Which other organizations is not said: that is theirs to know, not this organization's admins'.
    raise PermissionDenied(gettext(
        "%(person)s also belongs to another organization: their account (email address, password, multi-factor "
        "authentication, blocking everywhere, deletion) is managed by company admins only. You may block them "
        "in %(organization)s or remove them from it.") % {"person": who, "organization": organization.display_name})
