"""The last admin is never removed by a race: two admins of one organization acting on each other at the same
instant (removing, blocking in the organization, taking away the admin role) are served one after the other
(``organizations.access.guardrails.organization_admins_lock``), so one act is carried out and the other is
refused, and the organization keeps an admin. The acts' tasks run with .apply() in threads of their own
against an emulator over HTTP; each thread has its own database connection, which only a database server
gives (CI's PostgreSQL pass)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from organizations import roles
from organizations.models import Organization, OrganizationRole
from organizations.selectors import principal_for_user_id
from portal.models import Operation
from tests.support.concurrency import needs_database_server, simultaneously
from tests.users.org_modes import member_create, organizations_per_mode
from users.acts.account import USER_ACTIONS, user_action_request
from users.acts.block_here import user_block_here_request
from users.acts.removal import user_remove_request
from users.models import DirectoryUser
from users.tasks import user_action, user_block_here, user_remove

pytestmark = [needs_database_server, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def initech(auth0_on_changing_emulator) -> Organization:
    return organizations_per_mode()["initech"]


def two_admins(organization: Organization) -> list[dict]:
    """Two members of ``organization`` in Auth0 and the directory, both its admins (and its only ones)."""
    people = [member_create(organization, name=name) for name in ("Ann", "Bob")]
    for person in people:
        OrganizationRole.objects.create(organization=organization, user_id=person["user_id"], email=person["email"],
                                        name=person["name"], role=OrganizationRole.Role.ADMIN)
    return people


def each_on_the_other(organization: Organization, people: list[dict], request) -> list[Operation]:
    """Each admin asks for the act on the other (both allowed when asked: the other admin is still there)."""
    return [request(actor=principal_for_user_id(actor["user_id"], actor["name"]), organization=organization,
                    user_id=subject["user_id"])
            for actor, subject in ((people[0], people[1]), (people[1], people[0]))]


def run_together(task, operations: list[Operation]) -> list[Operation]:
    simultaneously(lambda n: task.apply(args=[str(operations[n].id)]), len(operations))
    for operation in operations:
        operation.refresh_from_db()
    return operations


def blocked_admins(organization: Organization) -> int:
    """Admins blocked in Auth0: they keep the role and administer nothing."""
    return DirectoryUser.objects.filter(blocked=True, user_id__in=OrganizationRole.objects.filter(
        organization=organization, role=OrganizationRole.Role.ADMIN).values("user_id")).count()


def admins_left(organization: Organization) -> int:
    return OrganizationRole.objects.filter(organization=organization, role=OrganizationRole.Role.ADMIN).count()


def user_block_request(**kwargs) -> Operation:
    return user_action_request(action=USER_ACTIONS["block"], **kwargs)


@pytest.mark.parametrize(("request_act", "task"), [(user_remove_request, user_remove),
                                                   (user_block_here_request, user_block_here),
                                                   (user_block_request, user_action)],
                         ids=["remove", "block-here", "block-in-auth0"])
def test_two_admins_acting_on_each_other_at_once_leave_one_admin(initech, request_act, task) -> None:
    people = two_admins(initech)
    operations = run_together(task, each_on_the_other(initech, people, request_act))

    outcomes = sorted(op.status for op in operations)
    assert outcomes == ["failed", "succeeded"], [(op.status, op.last_error) for op in operations]
    refused = next(op for op in operations if op.status == "failed")
    assert "is the only admin of Initech" in refused.last_error
    assert admins_left(initech) - blocked_admins(initech) == 1


def test_two_admins_taking_each_others_role_at_once_leave_one_admin(initech) -> None:
    people = two_admins(initech)
    held = {role.user_id: role for role in OrganizationRole.objects.filter(organization=initech)}
    pairs = [(people[0], people[1]), (people[1], people[0])]

    outcomes = simultaneously(lambda n: roles.role_revoke(
        actor=principal_for_user_id(pairs[n][0]["user_id"], pairs[n][0]["name"]),
        role=held[pairs[n][1]["user_id"]]), 2)

    assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "ValidationError"], outcomes
    refusal = next(o for o in outcomes if isinstance(o, ValidationError))
    assert "An organization keeps at least one admin" in " ".join(refusal.messages)
    assert admins_left(initech) == 1
