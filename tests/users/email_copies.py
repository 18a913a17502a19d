"""Every copy of a person's email the portal keeps, made for tests of how they follow a change of address
(``users.directory.copies``): one of each kind for the person, and the same for someone else who has the same
address in another connection (matched by user id, their copies must never move)."""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress
from django.utils import timezone

from organizations.models import CompanyAdmin, Organization, OrganizationRole
from portal.models import User
from tests.factories import OrganizationFactory
from users.models import DirectoryUser, JoinInvitation, Membership, OrganizationBlock


def email_copies_make(user_id: str, email: str, organization: Organization) -> None:
    """A role in ``organization``, a company admin's row, a block and a pending and an answered invitation to join
    in another organization, a sign-in account with allauth's address: each holding ``email``."""
    elsewhere = OrganizationFactory()
    OrganizationRole.objects.create(organization=organization, user_id=user_id, role="viewer", email=email)
    CompanyAdmin.objects.create(user_id=user_id, email=email)
    OrganizationBlock.objects.create(organization=elsewhere, user_id=user_id, email=email)
    now = timezone.now()
    for status in (JoinInvitation.Status.PENDING, JoinInvitation.Status.DECLINED):
        JoinInvitation.objects.create(organization=elsewhere, user_id=user_id, email=email, status=status,
                                      sent_at=now, expires_at=now + dt.timedelta(days=7))
    account = User.objects.create_user(user_id, email=email)
    EmailAddress.objects.create(user=account, email=email, verified=True, primary=True)


def email_copies(user_id: str) -> dict[str, object]:
    """Where each copy of ``user_id``'s email stands now."""
    return {
        "directory": DirectoryUser.objects.get(user_id=user_id).email,
        "memberships": set(Membership.objects.filter(user__user_id=user_id).values_list("email", flat=True)),
        "role": OrganizationRole.objects.get(user_id=user_id).email,
        "company_admin": CompanyAdmin.objects.get(user_id=user_id).email,
        "block": OrganizationBlock.objects.get(user_id=user_id).email,
        "pending_invitation": JoinInvitation.objects.get(user_id=user_id, status=JoinInvitation.Status.PENDING).email,
        "sign_in": User.objects.get(auth0_user_id=user_id).email,
        "sign_in_addresses": list(EmailAddress.objects.filter(user__auth0_user_id=user_id)
                                  .values_list("email", "primary")),
    }


def email_copies_expected(email: str, *, memberships: int = 1) -> dict[str, object]:
    """Every copy holding ``email`` (the directory's row, its memberships' copies and the rest)."""
    return {"directory": email, "memberships": {email} if memberships else set(), "role": email,
            "company_admin": email, "block": email, "pending_invitation": email, "sign_in": email,
            "sign_in_addresses": [(email, True)]}


def answered_invitation_email(user_id: str) -> str:
    """An answered invitation to join is a record of where it was sent: it keeps the address."""
    return JoinInvitation.objects.get(user_id=user_id, status=JoinInvitation.Status.DECLINED).email
