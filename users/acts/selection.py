"""Acts on a selection of an organization's users, chosen on the list: block, unblock, send a
change-password email, resend the invitation.

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
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

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


def _user_action(slug: str) -> SelectionAct:
    action = USER_ACTIONS[slug]
    return SelectionAct(
        slug=slug, label=action.button, consequence=action.consequence,
        # A block of someone who also belongs elsewhere is a block in this organization (user_action_for).
        refusal=lambda actor, organization, person: refusal_of(lambda: user_action_check(
            actor, organization, person, user_action_for(actor, organization, person, action))),
        request=lambda actor, organization, user_id, key: user_action_request(
            actor=actor, organization=organization, user_id=user_id, action=action, idempotency_key=key),
    )


SELECTION_ACTS: dict[str, SelectionAct] = {act.slug: act for act in (
    _user_action("block"),
    _user_action("unblock"),
    _user_action("password-email"),
    SelectionAct(
        slug="resend-invitation", label="Resend the invitation",
        consequence="Each gets the invitation email again, with a new link to choose their password (the old "
                    "link stops working). Only people who never signed in can be sent one.",
        refusal=invitation_resend_refusal,
        # A resend refuses while another is under way for the same person, which covers a form sent twice.
        request=lambda actor, organization, user_id, key: invitation_resend_request(
            actor=actor, organization=organization, user_id=user_id),
    ),
)}


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
        raise ValidationError("Choose what to do with the selected users.")
    return act


def selection_review(*, actor: Principal, organization: Organization, user_ids: Sequence[str], act: SelectionAct
                     ) -> list[SelectionItem]:
    """The selected users of ``organization`` (in the order given, each once), each with why ``act`` cannot
    be done to them, if it cannot. Ids that are not users of the organization (any more) are left out."""
    require_org_admin(actor, organization)
    wanted = list(dict.fromkeys(i for i in user_ids if i))
    if not wanted:
        raise ValidationError("Select at least one user first.")
    if len(wanted) > SELECTION_MAX:
        raise ValidationError(f"Select at most {SELECTION_MAX:,} users at a time.")
    found = {person.user_id: person for person in user_list(
        principal=actor, organization=organization, query=UserQuery()).filter(user_id__in=wanted)}
    if not found:
        raise ValidationError(f"None of the selected people is a user of {organization.display_name} any more.")
    return [SelectionItem(person, act.refusal(actor, organization, person))
            for person in (found[i] for i in wanted if i in found)]


def selection_request(*, actor: Principal, organization: Organization, user_ids: Sequence[str], act: SelectionAct,
                      token: str) -> SelectionOutcome:
    """Queue ``act`` for each selected user it can be done to now; the others come back with the reason.
    ``token`` is the review's: the same token again returns the operations it queued the first time."""
    if not _TOKEN.match(token or ""):
        raise ValidationError("This confirmation is damaged or out of date: select the users again.")
    outcome = SelectionOutcome()
    for item in selection_review(actor=actor, organization=organization, user_ids=user_ids, act=act):
        if item.refusal:
            outcome.refused.append(item)
            continue
        digest = hashlib.sha256(f"{act.slug}\0{item.person.user_id}".encode()).hexdigest()[:32]
        try:
            outcome.queued.append(act.request(actor, organization, item.person.user_id,
                                              f"selection:{token}:{digest}"))
        except (ValidationError, PermissionDenied, Http404) as exc:  # changed since the review
            message = refusal_message(exc) or "Not a user of this organization any more."
            outcome.refused.append(SelectionItem(item.person, message))
    return outcome
