"""Every copy of a person's email the portal keeps beside the directory's row follows the address Auth0 has.

The directory's row and its memberships' copies are the mirror's own (``users.directory.mirror``); the other copies
name the person where the portal shows or checks them: their portal roles (``OrganizationRole``, ``CompanyAdmin``),
their blocks in an organization (``OrganizationBlock``), the invitations to join waiting for their answer
(``JoinInvitation``: the invitation's own check of "invited already" matches by email), and their sign-in account
(the portal's ``User`` and allauth's ``EmailAddress``, otherwise refreshed only when they next sign in).

The mirror calls :func:`email_copies_follow` in the transaction that writes the users, whichever path wrote them
(an act's write-through, a refresh after a pushed change, a delta or full sync), so a change of address reaches
every copy however it reached the portal. Copies are matched by the Auth0 user id, never by the old address (two
connections may hold the same address for different people), and set to the address exactly as Auth0 has it.

Not copies, and left as they were: what happened (audit events, operations' targets and payloads, answered
invitations to join, sent emails in the outbox, a bulk job's rows as its file said them) and the claims of the
last sign-in that allauth keeps (``SocialAccount.extra_data``, replaced at the next one). A user Auth0 returns
without an email leaves the copies as they are: the directory's row says there is none, the copies keep the
last address known.
"""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.db import models

from organizations.models import CompanyAdmin, OrganizationRole
from portal.models import User
from users.models import DirectoryUser, JoinInvitation, OrganizationBlock

# (model, the field holding the Auth0 user id, which of its rows are copies): each row's ``email`` is a copy.
EMAIL_COPIES: tuple[tuple[type[models.Model], str, dict], ...] = (
    (OrganizationRole, "user_id", {}),
    (CompanyAdmin, "user_id", {}),
    (OrganizationBlock, "user_id", {}),
    (JoinInvitation, "user_id", {"status": JoinInvitation.Status.PENDING}),
    (User, "auth0_user_id", {}),
)


def email_copies_follow(people: Iterable[DirectoryUser]) -> int:
    """Make every copy of these people's emails their address as the directory now has it (matched by the
    Auth0 user id); returns how many rows changed. Run inside the mirror's write, so all follow at once."""
    emails = {person.user_id: person.email for person in people if person.email}
    if not emails:
        return 0
    verified = {person.user_id: person.email_verified for person in people if person.email}
    changed = 0
    for model, id_field, copies in EMAIL_COPIES:
        stale: dict[str, list[int]] = {}
        for pk, user_id, email in model.objects.filter(**{f"{id_field}__in": list(emails)}, **copies).values_list(
                "pk", id_field, "email"):
            if email != emails[user_id]:
                stale.setdefault(emails[user_id], []).append(pk)
        for email, pks in stale.items():
            changed += model.objects.filter(pk__in=pks).update(email=email)
    return changed + _sign_in_addresses_follow(emails, verified)


def _sign_in_addresses_follow(emails: dict[str, str], verified: dict[str, bool]) -> int:
    """allauth's addresses of the sign-in accounts: the one it recorded at the first sign-in becomes the new
    address (verified as Auth0 says); any other it holds for the account is an older one, and goes."""
    rows = list(EmailAddress.objects.filter(user__auth0_user_id__in=list(emails))
                .select_related("user").order_by("-primary", "pk"))
    by_user: dict[str, list[EmailAddress]] = {}
    for row in rows:
        by_user.setdefault(row.user.auth0_user_id, []).append(row)
    changed = 0
    for user_id, addresses in by_user.items():
        email = emails[user_id]
        if [a.email for a in addresses] == [email]:
            continue
        kept, *older = sorted(addresses, key=lambda a: a.email != email)  # the current address first, if held
        EmailAddress.objects.filter(pk__in=[a.pk for a in older]).delete()
        if (kept.email, kept.verified, kept.primary) != (email, verified[user_id], True):
            kept.email, kept.verified, kept.primary = email, verified[user_id], True
            kept.save(update_fields=["email", "verified", "primary"])
        changed += 1
    return changed
