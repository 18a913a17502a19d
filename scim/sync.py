"""The task's half of provisioning: one ``scim_user_sync`` operation brings a person in Auth0 and the directory to
what their SCIM user asks for now, through the acts every admin uses.

What is asked for is the SCIM user's row as it is when the task runs (not as it was when the change arrived): a
provider's quick succession of changes ends as the last one says. The operation targets the email the person was
invited with (``ScimUser.anchor``), as their invitation does, so it runs after the invitation and after every
earlier change of theirs (``portal.operations``: one at a time per target, in order); a change superseded by a
later one still queued leaves the work to it.

It compares what is asked with the directory and asks for the differences with the acts' own requests, under the
provider's name (its token's principal), each keyed by this operation so that a retried run queues nothing twice:

- ``active: false``: the organization's choice (``ScimSettings``): a block (``users.acts.account``, which blocks in
  this organization only someone who also belongs elsewhere) or a removal (``users.acts.removal``; an isolated
  organization's account, which is the organization's own, is deleted); then, once done, the person's sessions
  end (Auth0's sessions and refresh tokens, and the portal's own) when the organization governs their account
  alone;
- ``active: true``: the block lifted (in Auth0 or in the organization), or, after a removal, the person invited
  again (``users.acts.invite``);
- names: written to Auth0 by this operation itself (an act on the account: only for someone the organization
  governs alone);
- the email address: changed by the admins' own act (``users.acts.email_change``: set unverified, with Auth0's
  verification email, every copy of the address following), for an account in a database connection that the
  organization governs alone; an address the provider changed for someone who signs in through an identity
  provider, or who belongs to other organizations too, is left, and the operation's result says why;
- groups: the application roles their groups map to (``ScimRoleMapping``) assigned, and the mapped roles no group
  of theirs gives any more removed (``app_roles.acts``); roles no mapping names are left to the admins.

A change never plans against a directory that acts on their way will still change: while acts on the person are
unfinished, it is asked again behind them (on the person's own target, where operations run one after another),
and the end of a deactivation (their sessions) is asked for behind its acts the same way. Nothing waits in a
worker. Every Auth0 call is made by an operation, under the shared budget.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from app_roles.acts import app_role_assign_request, app_role_remove_request
from app_roles.holdings import organization_granted_role_ids
from auth0_gateway import Auth0NotFound, gateway
from organizations.access.guardrails import PersonAct, person_act_check, person_governed_by
from organizations.membership import membership_of
from organizations.models import Organization
from portal.faults import PermanentFault
from portal.models import Operation, OperationKind, User
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.principal import Principal
from scim.models import Deactivation, ScimRoleMapping, ScimUser
from scim.tokens import scim_deactivation_of
from users.acts.account import USER_ACTIONS, user_action_request
from users.acts.email_change import user_email_change_request
from users.acts.invite import user_invite_request
from users.acts.join import join_invitation_revoke
from users.acts.removal import user_delete_request, user_remove_request
from users.acts.rules import operation_actor_load
from users.directory.mirror import directory_user_write_through
from users.directory.selectors import organization_block_list, user_get
from users.models import DirectoryUser

_UNFINISHED = (Operation.Status.PENDING, Operation.Status.RUNNING)


def scim_sync_request(*, actor: Principal, scim_user: ScimUser) -> Operation:
    """Queue the work of bringing ``scim_user``'s person to what it asks now (inside the caller's transaction)."""
    operation = operation_create(kind=OperationKind.SCIM_USER_SYNC, actor=actor, organization=scim_user.organization,
                                 target=scim_user.anchor, payload={"scim_id": str(scim_user.pk),
                                                                   "version": scim_user.version,
                                                                   "email": scim_user.email})
    operation_enqueue_on_commit(operation)
    return operation


def _superseded(operation: Operation) -> bool:
    """Whether a later change of the same SCIM user is queued: it will do this one's work as things are then."""
    later = Operation.objects.filter(kind=OperationKind.SCIM_USER_SYNC, status=Operation.Status.PENDING,
                                     created_at__gt=operation.created_at,
                                     payload__scim_id=operation.payload["scim_id"]).values_list("payload", flat=True)
    return any(payload.get("stage") != "finish" for payload in later)


def invitation_finished(sender, operation: Operation, **kwargs) -> None:
    """``portal.operations.operation_finished``: an invitation SCIM asked for that made its person fills in the
    mapping's Auth0 user id, in the transaction that records its outcome (a provider's next read shows it)."""
    result = operation.result or {}
    if (operation.kind == OperationKind.USER_INVITE and operation.status == Operation.Status.SUCCEEDED
            and result.get("outcome") == "invited" and result.get("user_id")):
        ScimUser.objects.filter(invite_operation=operation, user_id="").update(user_id=result["user_id"])


def _person_resolve(operation: Operation, actor: Principal, scim_user: ScimUser) -> str | None:
    """The person's Auth0 user id, from their invitation once it has run; None when there is nobody to act on
    yet: an invitation to join that they have not accepted, or an invitation still on its way (this change is
    then asked again behind it)."""
    if scim_user.user_id:
        return scim_user.user_id
    invitation = scim_user.invite_operation
    if invitation is None:
        # Their invitation to join was withdrawn when they were deactivated: active again, they are invited again.
        if scim_user.active and scim_user.deleted_at is None:
            again = _ask(operation, "invite", lambda key: user_invite_request(
                actor=actor, organization=operation.organization, email=scim_user.anchor, name=scim_user.display_name,
                given_name=scim_user.given_name, family_name=scim_user.family_name, idempotency_key=key))
            ScimUser.objects.filter(pk=scim_user.pk).update(invite_operation=again)
        return None
    if invitation.status in _UNFINISHED:
        _again_behind(operation, actor, invitation.target, "after-invitation")
        return None
    if invitation.status == Operation.Status.FAILED:
        raise PermanentFault(f"The invitation of {scim_user.email} failed: {invitation.last_error}")
    result = invitation.result or {}
    if result.get("outcome") != "invited" or not result.get("user_id"):
        return None
    ScimUser.objects.filter(pk=scim_user.pk, user_id="").update(user_id=result["user_id"])
    scim_user.user_id = result["user_id"]
    return scim_user.user_id


def _again_behind(operation: Operation, actor: Principal, target: str, why: str, **payload) -> Operation:
    """This change asked again on ``target``, behind everything asked for there until now (operations on one
    target run in the order they were asked for: ``portal.operations``)."""
    key = _key(operation, why)
    found = Operation.objects.filter(idempotency_key=key).first()
    if found is not None:
        return found
    with transaction.atomic():
        later = operation_create(kind=OperationKind.SCIM_USER_SYNC, actor=actor, organization=operation.organization,
                                 target=target, payload={**operation.payload, **payload}, idempotency_key=key)
        operation_enqueue_on_commit(later)
    return later


def _earlier_unfinished(operation: Operation, target: str) -> bool:
    return Operation.objects.filter(target=target, status__in=_UNFINISHED).exclude(pk=operation.pk).exists()


def _member(actor: Principal, organization: Organization, user_id: str) -> DirectoryUser | None:
    try:
        return user_get(principal=actor, organization=organization, user_id=user_id)
    except Http404:
        return None


def _blocked_here(actor: Principal, organization: Organization, user_id: str) -> bool:
    return organization_block_list(principal=actor, organization=organization).filter(user_id=user_id).exists()


def _key(operation: Operation, act: str) -> str:
    return f"scim-sync:{operation.pk}:{act}"


def _ask(operation: Operation, act: str, request) -> Operation:
    """The act's request, keyed by this operation: asked again by a retried run, it is the same operation."""
    key = _key(operation, act)
    return Operation.objects.filter(idempotency_key=key).first() or request(key)


def _deactivate(operation: Operation, actor: Principal, organization: Organization, person: DirectoryUser
                ) -> list[Operation]:
    if scim_deactivation_of(organization) == Deactivation.REMOVE:
        if membership_of(organization).by_own_connection:
            return [_ask(operation, "delete", lambda key: user_delete_request(
                actor=actor, organization=organization, user_id=person.user_id,
                confirmation=person.email or person.user_id, idempotency_key=key))]
        return [_ask(operation, "remove", lambda key: user_remove_request(
            actor=actor, organization=organization, user_id=person.user_id, idempotency_key=key))]
    if person.blocked:
        return []
    return [_ask(operation, "block", lambda key: user_action_request(
        actor=actor, organization=organization, user_id=person.user_id, action=USER_ACTIONS["block"],
        idempotency_key=key))]


def _roles(operation: Operation, actor: Principal, organization: Organization, scim_user: ScimUser,
           person: DirectoryUser) -> list[Operation]:
    mappings = list(ScimRoleMapping.objects.filter(organization=organization).values_list("group_name", "role_id"))
    if not mappings:
        return []
    groups = {name.lower() for name in scim_user.scim_groups.values_list("display_name", flat=True)}
    managed = {role_id for _, role_id in mappings}
    wanted = {role_id for name, role_id in mappings if name.lower() in groups}
    held = organization_granted_role_ids(person, organization)
    queued = []
    for role_id in sorted(wanted - held):
        queued.append(_ask(operation, f"assign:{role_id}", lambda key, r=role_id: app_role_assign_request(
            actor=actor, organization=organization, user_id=person.user_id, role_id=r, idempotency_key=key)))
    for role_id in sorted((held & managed) - wanted):
        queued.append(_ask(operation, f"unassign:{role_id}", lambda key, r=role_id: app_role_remove_request(
            actor=actor, organization=organization, user_id=person.user_id, role_id=r, idempotency_key=key)))
    return queued


def _names(actor: Principal, organization: Organization, scim_user: ScimUser, person: DirectoryUser) -> str:
    """Write the names the provider gave, if they differ (an act on the account); what became of them."""
    wanted = {"given_name": scim_user.given_name, "family_name": scim_user.family_name,
              "name": scim_user.display_name or " ".join(p for p in (scim_user.given_name, scim_user.family_name) if p)}
    changes = {k: v for k, v in wanted.items() if v and v != getattr(person, k)}
    if not changes:
        return "unchanged"
    try:
        person_act_check(actor, organization, user_id=person.user_id, name=person.display_name, act=PersonAct.ACCOUNT)
    except (PermissionDenied, ValidationError):
        return "left: the account belongs to other organizations too"
    directory_user_write_through(gateway().user_update(user_id=person.user_id, **changes))
    return "written"


def _email(operation: Operation, actor: Principal, organization: Organization, scim_user: ScimUser,
           person: DirectoryUser) -> tuple[list[Operation], str]:
    """Ask for the address the provider gave, if it differs; the change asked for, and what became of it."""
    wanted = (scim_user.email or "").strip().lower()
    if not wanted or wanted == (person.email or "").lower():
        return [], "unchanged"
    try:
        change = _ask(operation, f"email:{wanted}", lambda key: user_email_change_request(
            actor=actor, organization=organization, user_id=person.user_id, email=wanted, idempotency_key=key))
    except (PermissionDenied, ValidationError) as exc:
        # Not the organization's to change (another provider's address, an account shared with other
        # organizations, an address taken): the rest of the change still applies.
        reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return [], f"left: {reason}"
    return [change], "asked"


def _plan(operation: Operation, actor: Principal, organization: Organization, scim_user: ScimUser,
          user_id: str) -> tuple[list[Operation], dict]:
    """Ask for what differs; the operations asked for and what was found."""
    active = scim_user.active and scim_user.deleted_at is None
    person = _member(actor, organization, user_id)
    if not active:
        if person is None:
            return [], {"state": "not a member"}
        alone = person_governed_by(organization, user_id)
        return _deactivate(operation, actor, organization, person), {"state": "deactivated", "alone": alone}
    if person is None:
        if _blocked_here(actor, organization, user_id):
            return [_ask(operation, "unblock-here", lambda key: user_action_request(
                actor=actor, organization=organization, user_id=user_id, action=USER_ACTIONS["unblock"],
                idempotency_key=key))], {"state": "unblocked"}
        invitation = _ask(operation, "invite", lambda key: user_invite_request(
            actor=actor, organization=organization, email=scim_user.anchor, name=scim_user.display_name,
            given_name=scim_user.given_name, family_name=scim_user.family_name, idempotency_key=key))
        ScimUser.objects.filter(pk=scim_user.pk).update(invite_operation=invitation, user_id="")
        return [], {"state": "invited again"}
    queued = []
    if person.blocked:
        queued.append(_ask(operation, "unblock", lambda key: user_action_request(
            actor=actor, organization=organization, user_id=user_id, action=USER_ACTIONS["unblock"],
            idempotency_key=key)))
    names = _names(actor, organization, scim_user, person)
    email_changes, email = _email(operation, actor, organization, scim_user, person)
    queued += email_changes + _roles(operation, actor, organization, scim_user, person)
    return queued, {"state": "active", "names": names, "email": email}


def _sessions_end(user_id: str) -> bool:
    """End a deactivated person's sessions, in Auth0 and in the portal (the caller has found their account the
    organization's alone: someone who belongs elsewhere keeps their other organizations' sessions)."""
    auth0 = gateway()
    try:
        auth0.user_sessions_delete(user_id=user_id)
        auth0.user_refresh_tokens_delete(user_id=user_id)
    except Auth0NotFound:
        return False  # the account is gone (deleted): no session is left
    for account in User.objects.filter(auth0_user_id=user_id):
        account.set_unusable_password()  # every portal session of theirs ends at its next request
        account.save(update_fields=["password"])
    return True


def _join_invitation_follow(actor: Principal, organization: Organization, scim_user: ScimUser) -> dict:
    """Someone who has an account elsewhere was invited to join and has not answered: deactivated, their invitation
    is withdrawn (a provider's later activation invites them again)."""
    invitation = scim_user.invite_operation
    invitation_id = ((invitation.result or {}).get("invitation_id") if invitation else None)
    if scim_user.active and scim_user.deleted_at is None or not invitation_id:
        return {"state": "left to the invitation"}
    try:
        join_invitation_revoke(actor=actor, organization=organization, invitation_id=invitation_id)
    except (ValidationError, Http404):
        return {"state": "the invitation to join was answered already"}
    ScimUser.objects.filter(pk=scim_user.pk).update(invite_operation=None)
    return {"state": "invitation to join withdrawn"}


def _finish(operation: Operation) -> dict:
    """The last step of a deactivation, run after its acts (it was asked for after them, on the person): their
    sessions end, if the acts did what they were asked."""
    acts = dict(Operation.objects.filter(pk__in=operation.payload["acts"]).values_list("kind", "status"))
    if any(status != Operation.Status.SUCCEEDED for status in acts.values()):
        return {"sessions_ended": False, "acts": acts}
    return {"sessions_ended": _sessions_end(operation.target), "acts": acts}


def scim_user_sync_apply(operation: Operation) -> dict:
    """Bring the person to what their SCIM user asks now (the task's half; the module says how)."""
    actor = operation_actor_load(operation)  # a revoked token's work is refused here
    organization: Organization = operation.organization
    scim_user = ScimUser.objects.filter(pk=operation.payload["scim_id"], organization=organization).first()
    if scim_user is None:
        raise PermanentFault("This provisioned user no longer exists.")
    if operation.payload.get("stage") == "finish":
        return _finish(operation)
    if _superseded(operation):
        return {"superseded": True}
    user_id = _person_resolve(operation, actor, scim_user)
    if user_id is None:
        return _join_invitation_follow(actor, organization, scim_user)
    if operation.target != user_id and _earlier_unfinished(operation, user_id):
        # Acts asked for earlier are still on their way: this change is planned once they are done.
        _again_behind(operation, actor, user_id, "after-earlier-acts")
        return {"state": "asked again after the acts on its way"}
    try:
        with transaction.atomic():
            queued, found = _plan(operation, actor, organization, scim_user, user_id)
            if found.get("state") == "deactivated" and found.get("alone"):
                _again_behind(operation, actor, user_id, "finish", stage="finish",
                              acts=[str(op.pk) for op in queued])
    except (ValidationError, PermissionDenied) as exc:
        raise PermanentFault(" ".join(getattr(exc, "messages", [str(exc)]))) from None
    return {"user_id": user_id, **found, "asked": sorted(op.kind for op in queued)}
