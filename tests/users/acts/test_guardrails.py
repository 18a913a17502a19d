"""Every act on a user keeps the same guardrails (organizations.access.guardrails), in its request and again when
its task runs: blocking, removing, deleting and revoking an invitation of an organization's only admin is
refused with the same message, and so is any of them on oneself; nothing is recorded."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from organizations.models import MembershipMode
from organizations.selectors import principal_for_user_id
from portal.models import Operation, OperationKind
from portal.operations import operation_create
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory
from tests.users.auth0_users import auth0_user
from users.acts.account import USER_ACTIONS, user_action_apply, user_action_request
from users.acts.pending import invitation_resend_request, invitation_revoke_request
from users.acts.removal import user_delete_request, user_remove_request
from users.directory.mirror import directory_users_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def initech():
    """A shared-connection organization (users may be removed from it)."""
    return OrganizationFactory(slug="initech", display_name="Initech", connection_name="shared",
                               membership_mode=MembershipMode.SHARED_CONNECTION, auth0_connection_id="con_s")


def member(organization, *, role: str | None = None, invited: bool = False) -> dict:
    user = auth0_user(connection="shared", app_metadata={"organizations": [organization.slug]})
    directory_users_upsert([user])
    if role:
        RoleFactory(organization=organization, role=role, user_id=user["user_id"], email=user["email"])
    if invited:  # as a succeeded invitation leaves it
        invitation = operation_create(kind=OperationKind.USER_INVITE, actor=None, organization=organization,
                                      target=user["email"])
        Operation.objects.filter(pk=invitation.pk).update(status="succeeded", result={"user_id": user["user_id"]})
    return user


ACTS = {
    "block": lambda actor, org, uid, email: user_action_request(actor=actor, organization=org, user_id=uid,
                                                                action=USER_ACTIONS["block"]),
    "remove": lambda actor, org, uid, email: user_remove_request(actor=actor, organization=org, user_id=uid),
    "delete": lambda actor, org, uid, email: user_delete_request(actor=actor, organization=org, user_id=uid,
                                                                 confirmation=email),
    "revoke": lambda actor, org, uid, email: invitation_revoke_request(actor=actor, organization=org, user_id=uid),
}


@pytest.mark.parametrize("act", sorted(ACTS))
def test_the_only_admin_of_an_organization_stays(initech, act) -> None:
    only = member(initech, role="admin", invited=True)
    chief = principal_for_user_id(CompanyAdminFactory().user_id, "Chief")
    with pytest.raises(ValidationError) as caught:
        ACTS[act](chief, initech, only["user_id"], only["email"])
    assert caught.value.messages == [f"{only['name']} is the only admin of Initech: appoint another admin first, "
                                     "so that every organization keeps one."]
    assert not Operation.objects.exclude(kind=OperationKind.USER_INVITE).exists()


@pytest.mark.parametrize("act", sorted(ACTS))
def test_nobody_acts_on_themselves_to_lock_themselves_out(initech, act) -> None:
    me = member(initech, role="admin", invited=True)
    member(initech, role="admin")
    myself = principal_for_user_id(me["user_id"], "Me")
    # Deleting is for company admins in a shared organization: make "me" one, so the self rule is what refuses.
    if act == "delete":
        CompanyAdminFactory(user_id=me["user_id"])
        myself = principal_for_user_id(me["user_id"], "Me")
    with pytest.raises(ValidationError, match="you would be locked out"):
        ACTS[act](myself, initech, me["user_id"], me["email"])
    assert not Operation.objects.exclude(kind=OperationKind.USER_INVITE).exists()


@pytest.mark.parametrize("act", [*sorted(ACTS), "resend"])
def test_org_admins_never_act_on_company_admins(initech, act) -> None:
    boss = member(initech, invited=True)
    CompanyAdminFactory(user_id=boss["user_id"])
    admin = principal_for_user_id(RoleFactory(organization=initech, role="admin").user_id, "Admin")
    request = ACTS.get(act) or (lambda actor, org, uid, email: invitation_resend_request(
        actor=actor, organization=org, user_id=uid))
    with pytest.raises(PermissionDenied):
        request(admin, initech, boss["user_id"], boss["email"])
    assert not Operation.objects.exclude(kind=OperationKind.USER_INVITE).exists()


def test_the_guardrail_is_checked_again_when_a_block_runs(initech) -> None:
    """Asked while another admin existed; by the time it runs, that admin is gone."""
    target, other = member(initech, role="admin"), member(initech, role="admin")
    chief = principal_for_user_id(CompanyAdminFactory().user_id, "Chief")
    operation = user_action_request(actor=chief, organization=initech, user_id=target["user_id"],
                                    action=USER_ACTIONS["block"])
    initech.roles.filter(user_id=other["user_id"]).delete()
    with pytest.raises(ValidationError, match="only admin of Initech"):
        user_action_apply(operation)
