"""What a signed-in person does on their own profile page (DESIGN.md section 1, end users): ask for a
change-password email, resend their verification email, sign out everywhere. Editing their own details is
``users.acts.metadata`` (``profile_metadata_edit_*``), exporting their data ``users.profile.data_export``.

The actor is always the person themselves: no service here takes a user id. Each request half finds the
person by the actor's own Auth0 id, checks what makes sense for them now (a database account for a
password, an unverified address for a verification email), keeps to a per-person quota for what sends an
email (``portal.quota``: beyond it, a clear message and nothing recorded or sent), and records the Operation
with its audit event (in the organization the page showed, so its admins see it in their trail). The task
half (:func:`profile_action_apply`) checks again that the operation was asked for by the person it is about
(an admin's retry, which would run under the admin's name, is refused) and that the facts still hold.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext

from auth0_gateway import Auth0NotFound, gateway
from organizations.models import Organization
from organizations.selectors import principal_for_user_id
from portal.audit import audit_record
from portal.faults import PermanentFault
from portal.models import Operation, OperationKind, User
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.principal import Principal
from portal.quota import Quota, duration_text, quota_take, quota_wait_text
from users.acts.email_change import user_has_database_identity, user_primary_identity
from users.acts.emails import email_translation, organization_email_send
from users.acts.rules import password_ticket_create, verification_email_send
from users.directory.identities import identity_provider_label
from users.directory.selectors import profile_organizations, profile_person
from users.models import DirectoryUser, Membership

# How often a person may ask, per window (the quota counts requests that were accepted).
PASSWORD_EMAILS = Quota(limit=3, window_seconds=3600)
VERIFICATION_EMAILS = Quota(limit=3, window_seconds=3600)
SIGN_OUTS = Quota(limit=5, window_seconds=3600)

# Passwordless connections: the person signs in with a code, and has no password anywhere.
_PASSWORDLESS = {"email", "sms"}


# -- who and what: the person themselves, in one of their own organizations -----------------------------------
def profile_person_require(actor: Principal) -> DirectoryUser:
    """The actor as the directory has them, or a ValidationError saying the portal has not read them yet."""
    if not actor.is_authenticated:
        raise PermissionDenied(gettext("Sign in to use your profile."))
    person = profile_person(principal=actor)
    if person is None:
        raise ValidationError(gettext("Your profile has not been read from Auth0 yet: try again in a minute."))
    return person


def profile_organization_check(actor: Principal, organization: Organization | None) -> None:
    """``organization`` (the one the profile page showed, which the request is recorded in) must be one of the
    actor's own; None is allowed (a person in no organization)."""
    if organization is not None and not profile_organizations(principal=actor).filter(pk=organization.pk).exists():
        raise PermissionDenied(gettext("You are not a member of that organization."))


def profile_subject_load(operation: Operation, *, person_required: bool = True, member_required: bool = False
                         ) -> tuple[Principal, DirectoryUser | None]:
    """The task's half of every self-service act: the operation must have been asked for by the person it is
    about (and, with ``member_required``, they must still belong to its organization); returns them with their
    roles and their directory row as they are now."""
    if not operation.actor_user_id or operation.actor_user_id != operation.target:
        # untranslated: a task's refusal, the operation's error stored once in English
        raise PermissionDenied("Only the person themselves may ask for this, on their profile page.")
    actor = principal_for_user_id(operation.actor_user_id, operation.actor_display)
    person = profile_person(principal=actor)
    if person is None and person_required:
        raise PermanentFault("The portal no longer has this person's account.")
    organization: Organization | None = operation.organization
    if member_required and organization is not None and not Membership.objects.filter(
            organization=organization, user__user_id=actor.user_id).exists():
        raise PermanentFault(f"They are no longer a member of {organization.display_name}.")
    return actor, person


def profile_quota_check(key: str, actor: Principal, quota: Quota, what: str) -> None:
    """Count one of the actor's ``key`` requests; beyond ``quota``, a ValidationError that says so and when to
    ask again (code ``rate_limited``), and the caller records and sends nothing. ``what``: what was asked for, in
    the plural, in the reader's language ("change-password emails")."""
    wait = quota_take(f"{key}:{actor.user_id}", quota)
    if wait is not None:
        params = {"count": quota.limit, "what": what, "wait": quota_wait_text(wait)}
        if quota.window_seconds == 3600:
            message = gettext("You have already asked for %(count)s %(what)s this hour, the most allowed: nothing "
                              "was sent this time. You can ask again %(wait)s.") % params
        else:
            message = gettext("You have already asked for %(count)s %(what)s within %(window)s, the most allowed: "
                              "nothing was sent this time. You can ask again %(wait)s.") % {
                **params, "window": duration_text(quota.window_seconds)}
        raise ValidationError(message, code="rate_limited")


def _record(actor: Principal, organization: Organization | None, kind: str, summary: str, payload: dict
            ) -> Operation:
    with transaction.atomic():
        operation = operation_create(kind=kind, actor=actor, organization=organization, target=actor.user_id,
                                     payload=payload)
        audit_record(actor=actor, action=f"{kind}.requested", organization=organization, target_type="user",
                     target_id=actor.user_id, summary=summary, operation=operation)
        operation_enqueue_on_commit(operation)
    return operation


# -- the password -------------------------------------------------------------------------------------------
def profile_password_home(person: DirectoryUser) -> str:
    """Where the person's password lives, in words, when it is not Auth0's to change ("" when it is: a
    database account)."""
    if user_has_database_identity(person):
        return ""
    identity = user_primary_identity(person)
    provider, connection = identity.get("provider") or "", identity.get("connection") or person.connection
    if provider == "email":
        return gettext("You sign in with a one-time code sent to your email: there is no password to change.")
    if provider in _PASSWORDLESS:
        return gettext("You sign in with a one-time code sent to your phone: there is no password to change.")
    if identity.get("isSocial"):
        return gettext("You sign in with your %(provider)s account: your password is %(provider)s's, so change it "
                       "in your %(provider)s account settings.") % {"provider": identity_provider_label(provider)}
    return gettext("You sign in through your organization's own identity provider (%(provider)s, connection "
                   "%(connection)s): your password is kept there, so change it the way your organization tells you "
                   "to.") % {"provider": identity_provider_label(provider), "connection": connection}


def _password_check(person: DirectoryUser) -> None:
    if not person.email:
        raise ValidationError(gettext("Your account has no email address to send the link to."))
    home = profile_password_home(person)
    if home:
        raise ValidationError(home)


def profile_password_email_request(*, actor: Principal, organization: Organization | None) -> Operation:
    """Email the person a link to choose a new password (their current one keeps working until they do)."""
    person = profile_person_require(actor)
    profile_organization_check(actor, organization)
    _password_check(person)
    profile_quota_check("password-email", actor, PASSWORD_EMAILS, gettext("change-password emails"))
    return _record(actor, organization, OperationKind.PROFILE_PASSWORD_EMAIL,
                   f"{person.display_name} asked for a change-password email",
                   {"user_id": person.user_id, "email": person.email})


# -- the email address's verification --------------------------------------------------------------------------
def _verification_check(person: DirectoryUser) -> None:
    if not person.email:
        raise ValidationError(gettext("Your account has no email address to verify."))
    if person.email_verified:
        raise ValidationError(gettext("%(email)s is verified already.") % {"email": person.email})


def profile_verification_email_request(*, actor: Principal, organization: Organization | None) -> Operation:
    """Have Auth0 send the person's unverified address its verification email again."""
    person = profile_person_require(actor)
    profile_organization_check(actor, organization)
    _verification_check(person)
    profile_quota_check("verification-email", actor, VERIFICATION_EMAILS, gettext("verification emails"))
    return _record(actor, organization, OperationKind.PROFILE_VERIFICATION_EMAIL,
                   f"{person.display_name} asked for the verification email again",
                   {"user_id": person.user_id, "email": person.email})


# -- sessions ----------------------------------------------------------------------------------------------------
def profile_sessions_revoke_request(*, actor: Principal, account: User, organization: Organization | None
                                    ) -> Operation:
    """Sign the person out everywhere: every portal session of theirs ends now, and a task ends their Auth0
    sessions and revokes their refresh tokens (so a lost laptop signs in nowhere without the password).

    The portal's sessions end by a new session hash: the account's unusable password is made again, which
    every other session's stored hash no longer matches, so Django flushes (deletes) each of them at its next
    request, wherever sessions are kept. The caller keeps its own browser signed in
    (``update_session_auth_hash``), so the person sees the rest done."""
    if not actor.is_authenticated or account.auth0_user_id != actor.user_id:
        raise PermissionDenied(gettext("Only you can sign yourself out everywhere."))
    profile_organization_check(actor, organization)
    profile_quota_check("sign-out-everywhere", actor, SIGN_OUTS, gettext("sign-outs everywhere"))
    with transaction.atomic():
        account.set_unusable_password()
        account.save(update_fields=["password"])
        return _record(actor, organization, OperationKind.PROFILE_SESSIONS_REVOKE,
                       f"{actor.display or 'The user'} signed out everywhere", {"user_id": actor.user_id})


# -- the task's half ----------------------------------------------------------------------------------------------
def profile_action_apply(operation: Operation) -> dict:
    """Carry out a change-password email, a verification email or a sign-out everywhere (the task's half)."""
    kind = operation.kind
    actor, person = profile_subject_load(operation, person_required=kind != OperationKind.PROFILE_SESSIONS_REVOKE)
    organization: Organization | None = operation.organization
    auth0 = gateway()
    if kind == OperationKind.PROFILE_SESSIONS_REVOKE:
        try:
            auth0.user_sessions_delete(user_id=actor.user_id)
            auth0.user_refresh_tokens_delete(user_id=actor.user_id)
        except Auth0NotFound:
            raise PermanentFault("Auth0 has no such account any more.") from None
        return {}
    assert person is not None  # noqa: S101 - profile_subject_load required it
    if kind == OperationKind.PROFILE_VERIFICATION_EMAIL:
        _verification_check(person)
        verification_email_send(auth0, organization, user_id=person.user_id, email=person.email, name=person.name,
                                reason="self")
        return {}
    if kind != OperationKind.PROFILE_PASSWORD_EMAIL:
        raise PermanentFault(f"Not a self-service act: {operation.get_kind_display()}.")
    _password_check(person)
    ticket = password_ticket_create(auth0, organization, user_id=person.user_id)
    with email_translation(organization, person.user_id):
        if organization is not None:
            subject = gettext("Choose a new password for %(organization)s") % {
                "organization": organization.display_name}
        else:
            subject = gettext("Choose a new password")
        organization_email_send(organization, to=person.email, template="users/email/password_self",
                                subject=subject, context={"name": person.name, "link": ticket,
                                                          "link_label": gettext("Choose a new password")})
    return {}
