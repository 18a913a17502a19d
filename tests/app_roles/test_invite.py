"""Invitations with application roles, run with ``.apply()`` against the emulator over HTTP: the roles asked for
must be the organization's to grant (refused on the ``app_roles`` field, nothing recorded, otherwise); the
invitation, once its person is ready, queues one assignment per role (once, however often it runs), each
carried out as any assignment is; someone invited to join gets theirs when they accept, under the inviting
admin's name."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError

from app_roles.models import AppRoleGrant
from app_roles.tasks import app_role_assign
from auth0_gateway import gateway
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from tests.app_roles.conftest import BILLING, EDITOR, VIEWER
from tests.users.org_modes import admin_of, member_create
from users.acts.invite import user_invite_apply, user_invite_request
from users.acts.join import join_invitation_accept_request
from users.models import JoinInvitation
from users.tasks import join_invitation_accept, user_invite

pytestmark = pytest.mark.django_db


def run(task, operation: Operation) -> Operation:
    task.apply(args=[str(operation.pk)])
    operation.refresh_from_db()
    return operation


def assignments() -> list[Operation]:
    return list(Operation.objects.filter(kind="app_role_assign").order_by("payload__role_id"))


def test_roles_outside_the_set_are_refused_beside_the_field(modes) -> None:
    with pytest.raises(ValidationError) as refused:
        user_invite_request(actor=admin_of(modes["acme"]), organization=modes["acme"], email="new@acme.test",
                            app_role_ids=[VIEWER, BILLING])
    assert refused.value.message_dict == {"app_roles": [f"“{BILLING}” is not an application role Acme may grant."]}
    assert not Operation.objects.exists()


@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_an_invitation_gives_its_person_the_roles_asked_for(modes, slug) -> None:
    organization = modes[slug]
    admin = admin_of(organization)
    email = f"new-{uuid.uuid4().hex[:8]}@{slug}.test"
    invitation = user_invite_request(actor=admin, organization=organization, email=email,
                                     app_role_ids=[EDITOR, VIEWER, EDITOR])
    assert invitation.payload["app_role_ids"] == [EDITOR, VIEWER]
    requested = AuditEvent.objects.get(operation=invitation, action="user.invite_requested")
    assert requested.details == {"app_roles": [EDITOR, VIEWER]}
    assert run(user_invite, invitation).status == "succeeded", invitation.last_error
    user_id = invitation.result["user_id"]
    queued = assignments()
    assert [(o.target, o.payload["role_id"], o.actor_user_id, o.payload["via"]) for o in queued] == sorted(
        [(user_id, EDITOR, admin.user_id, "invitation"), (user_id, VIEWER, admin.user_id, "invitation")],
        key=lambda t: t[1])
    # Run again (a retry after a lost answer): nothing is queued twice.
    user_invite_apply(invitation)
    assert len(assignments()) == 2
    for operation in queued:
        assert run(app_role_assign, operation).status == "succeeded", operation.last_error
    assert set(AppRoleGrant.objects.filter(user__user_id=user_id).values_list("role_id", "organization")) == {
        (EDITOR, organization.pk), (VIEWER, organization.pk)}


def test_someone_invited_to_join_gets_the_roles_when_they_accept(modes) -> None:
    initech = modes["initech"]
    admin = admin_of(initech)
    existing = member_create(modes["globex"])  # an account of the shared connection, not Initech's
    invitation = run(user_invite, user_invite_request(actor=admin, organization=initech, email=existing["email"],
                                                      app_role_ids=[EDITOR]))
    assert invitation.result["outcome"] == "awaiting_acceptance" and not assignments()
    join = JoinInvitation.objects.get(operation=invitation)
    accepted = run(join_invitation_accept, join_invitation_accept_request(
        principal=principal_for_user_id(existing["user_id"], existing["email"]), invitation_id=join.pk))
    assert accepted.status == "succeeded", accepted.last_error
    (queued,) = assignments()
    assert (queued.actor_user_id, queued.target, queued.organization) == (admin.user_id, existing["user_id"], initech)
    assert run(app_role_assign, queued).status == "succeeded", queued.last_error
    assert {r["id"] for r in gateway().user_roles(user_id=existing["user_id"])} == {EDITOR}
