"""Acts on a selection of an organization's users, chosen on the list: block, unblock, send a
change-password email, resend the invitation, assign or remove an application role (one of the roles the
organization may grant, chosen first: :func:`selection_act_for_role`).

A selection is many single acts asked for at once: each person gets the act's own operation through the
act's own request service (its checks, its audit event, its task), never a second copy of its rules. In
two steps, as the list page asks: :func:`selection_review` says per person what will happen or why it
cannot; :func:`selection_request` queues what can be done. The review's token makes each person's
operation key, so a confirmation sent twice (a double click, a reload) queues nothing twice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from app_roles.acts import (
    app_role_assign_check,
    app_role_assign_request,
    app_role_remove_refusal,
    app_role_remove_request,
)
from app_roles.catalog import grantable_role_refusal, organization_grantable_roles
from organizations.access.authorization import require_org_admin
from organizations.models import Organization
from portal.models import Operation
from portal.principal import Principal
from portal.web.refusals import refusal_message, refusal_of
from users.acts.account import USER_ACTIONS, user_action_check, user_action_for, user_action_request
from users.acts.pending import invitation_resend_refusal, invitation_resend_request
from users.directory.selectors import PAGE_SIZES, UserQuery, user_list
from users.models import DirectoryUser

# As many as the list shows on its largest page.
SELECTION_MAX = max(PAGE_SIZES)
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class SelectionAct:
    slug: str
    # What the list's menu and the confirmation's button say, and what the confirmation explains.
    label: str
    consequence: str
    # Why the actor may not do it to this person now ("" if they may).
    refusal: Callable[[Principal, Organization, DirectoryUser], str]
    # Records and queues it for one person under an operation key (which an act may not use).
    request: Callable[[Principal, Organization, str, str], Operation]
    # A confirmation that ends something (its button says so).
    danger: bool = False
    # An act on an application role: the verb its role's choice is asked with, and (once chosen, by
    # selection_act_for_role) the role's id and label.
    role_verb: str = ""
    role_id: str = ""
    role_label: str = ""


def _user_action(slug: str) -> SelectionAct:
    action = USER_ACTIONS[slug]
    return SelectionAct(
        slug=slug, label=action.button, consequence=action.consequence, danger=slug == "block",
        # A block of someone who also belongs elsewhere is a block in this organization (user_action_for).
        refusal=lambda actor, organization, person: refusal_of(lambda: user_action_check(
            actor, organization, person, user_action_for(actor, organization, person, action))),
        request=lambda actor, organization, user_id, key: user_action_request(
            actor=actor, organization=organization, user_id=user_id, action=action, idempotency_key=key),
    )


def _role_not_chosen(*_args) -> Operation:
    raise ValidationError(gettext("Choose the application role first."))


SELECTION_ACTS: dict[str, SelectionAct] = {act.slug: act for act in (
    _user_action("block"),
    _user_action("unblock"),
    _user_action("password-email"),
    SelectionAct(
        slug="resend-invitation", label=_("Resend the invitation"),
        consequence=_("Each gets the invitation email again, with a new link to choose their password (the old "
                      "link stops working). Only people who never signed in can be sent one."),
        refusal=invitation_resend_refusal,
        # A resend refuses while another is under way for the same person, which covers a form sent twice.
        request=lambda actor, organization, user_id, key: invitation_resend_request(
            actor=actor, organization=organization, user_id=user_id),
    ),
    # The role is chosen before the review (selection_act_for_role makes the act for it).
    SelectionAct(slug="app-role-assign", label=_("Assign an application role"), consequence="",
                 refusal=lambda *_args: "", request=_role_not_chosen, role_verb="assign"),
    SelectionAct(slug="app-role-remove", label=_("Remove an application role"), consequence="",
                 refusal=lambda *_args: "", request=_role_not_chosen, role_verb="remove", danger=True),
)}


def selection_role_choices(organization: Organization) -> list[tuple[str, str]]:
    """The roles a selection's role act offers: those the organization may grant, (role id, label)."""
    return list(organization_grantable_roles(organization).values_list("role_id", "label"))


def selection_act_for_role(act: SelectionAct, organization: Organization, role_id: str) -> SelectionAct:
    """``act`` (an act on an application role) for the role ``role_id``: a ValidationError on ``role`` for one
    the organization may not grant. Each person's check is then the act's own (already held, not granted here,
    the guardrails)."""
    labels = dict(selection_role_choices(organization))
    if not role_id:
        raise ValidationError({"role": gettext("Choose a role to assign.") if act.role_verb == "assign"
                               else gettext("Choose a role to remove.")})
    if role_id not in labels:
        raise ValidationError({"role": grantable_role_refusal(organization, role_id)})
    label = labels[role_id]
    if act.role_verb == "assign":
        return replace(
            act, label=gettext("Assign %(role)s") % {"role": label}, role_id=role_id, role_label=label,
            consequence=gettext("Each gets the application role %(role)s from %(organization)s: what it lets them do "
                                "in the company's applications. Someone who holds it through the organization's grant "
                                "already is left as they are.") % {"role": label,
                                                                    "organization": organization.display_name},
            refusal=lambda actor, org, person: refusal_of(lambda: app_role_assign_check(actor, org, person, role_id)),
            request=lambda actor, org, user_id, key: app_role_assign_request(
                actor=actor, organization=org, user_id=user_id, role_id=role_id, idempotency_key=key))
    return replace(
        act, label=gettext("Remove %(role)s") % {"role": label}, role_id=role_id, role_label=label,
        consequence=gettext("%(organization)s's grant of %(role)s to each ends: they lose what it lets them do in the "
                            "company's applications, unless another organization's grant of the same role keeps it. "
                            "Only the organization's own grants are taken away.") % {
            "role": label, "organization": organization.display_name},
        refusal=lambda actor, org, person: app_role_remove_refusal(actor, org, person, role_id),
        request=lambda actor, org, user_id, key: app_role_remove_request(
            actor=actor, organization=org, user_id=user_id, role_id=role_id, idempotency_key=key))


@dataclass
class SelectionItem:
    person: DirectoryUser
    refusal: str = ""


@dataclass
class SelectionOutcome:
    queued: list[Operation] = field(default_factory=list)
    refused: list[SelectionItem] = field(default_factory=list)


def selection_act_get(slug: str) -> SelectionAct:
    act = SELECTION_ACTS.get(slug)
    if act is None:
        raise ValidationError(gettext("Choose what to do with the selected users."))
    return act


def selection_review(*, actor: Principal, organization: Organization, user_ids: Sequence[str], act: SelectionAct
                     ) -> list[SelectionItem]:
    """The selected users of ``organization`` (in the order given, each once), each with why ``act`` cannot
    be done to them, if it cannot. Ids that are not users of the organization (any more) are left out."""
    if act.role_verb and not act.role_id:
        raise ValidationError(gettext("Choose the application role first."))
    return [SelectionItem(person, act.refusal(actor, organization, person))
            for person in selection_people(actor=actor, organization=organization, user_ids=user_ids)]


def selection_people(*, actor: Principal, organization: Organization, user_ids: Sequence[str]) -> list[DirectoryUser]:
    """The selected users of ``organization``, in the order given, each once (a ValidationError when there is
    none, or too many). Ids that are not users of the organization (any more) are left out."""
    require_org_admin(actor, organization)
    wanted = list(dict.fromkeys(i for i in user_ids if i))
    if not wanted:
        raise ValidationError(gettext("Select at least one user first."))
    if len(wanted) > SELECTION_MAX:
        raise ValidationError(gettext("Select at most %(count)s users at a time.") % {"count": f"{SELECTION_MAX:,}"})
    found = {person.user_id: person for person in user_list(
        principal=actor, organization=organization, query=UserQuery()).filter(user_id__in=wanted)}
    if not found:
        raise ValidationError(gettext("None of the selected people is a user of %(organization)s any more.") % {
            "organization": organization.display_name})
    return [found[i] for i in wanted if i in found]


def selection_request(*, actor: Principal, organization: Organization, user_ids: Sequence[str], act: SelectionAct,
                      token: str) -> SelectionOutcome:
    """Queue ``act`` for each selected user it can be done to now; the others come back with the reason.
    ``token`` is the review's: the same token again returns the operations it queued the first time."""
    if not _TOKEN.match(token or ""):
        raise ValidationError(gettext("This confirmation is damaged or out of date: select the users again."))
    outcome = SelectionOutcome()
    for item in selection_review(actor=actor, organization=organization, user_ids=user_ids, act=act):
        if item.refusal:
            outcome.refused.append(item)
            continue
        digest = hashlib.sha256(f"{act.slug}\0{act.role_id}\0{item.person.user_id}".encode()).hexdigest()[:32]
        try:
            outcome.queued.append(act.request(actor, organization, item.person.user_id,
                                              f"selection:{token}:{digest}"))
        except (ValidationError, PermissionDenied, Http404) as exc:  # changed since the review
            message = refusal_message(exc) or gettext("Not a user of this organization any more.")
            outcome.refused.append(SelectionItem(item.person, message))
    return outcome
