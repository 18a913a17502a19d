"""An admin's acts on a user (block, unblock, clear failed sign-in blocks, change-password email,
verification email), run with .apply() against an emulator over HTTP: each changes Auth0 and the
directory, is audited, re-checks rights when it runs, and is harmless when run twice. Guardrails and
nonsensical requests are refused with a specific message and record nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from auth0_gateway import gateway
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from tests.factories import CompanyAdminFactory, RoleFactory
from tests.support.authn_browser import Browser
from tests.support.openapi import management_token
from users.acts.account import USER_ACTIONS, user_action_apply, user_action_request
from users.acts.invite import password_random
from users.directory.mirror import directory_user_write_through
from users.models import DirectoryUser
from users.tasks import user_action

pytestmark = pytest.mark.django_db


def new_user(password: str | None = None, **fields) -> dict:
    """A user of Acme in Auth0, mirrored."""
    user = gateway().user_create(connection="acme-users", email=f"u-{uuid.uuid4().hex[:8]}@acme.test",
                                 password=password or password_random(), **fields)
    directory_user_write_through(user)
    return user


def run(actor, organization, user_id: str, slug: str) -> Operation:
    operation = user_action_request(actor=actor, organization=organization, user_id=user_id,
                                    action=USER_ACTIONS[slug])
    user_action.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    return operation


def test_block_and_unblock_change_auth0_and_the_directory(acme, admin) -> None:
    user = new_user()
    blocked = run(admin, acme, user["user_id"], "block")
    assert blocked.status == "succeeded", blocked.last_error
    assert gateway().user_get(user_id=user["user_id"])["blocked"] is True
    assert DirectoryUser.objects.get(user_id=user["user_id"]).blocked is True
    unblocked = run(admin, acme, user["user_id"], "unblock")
    assert unblocked.status == "succeeded", unblocked.last_error
    assert gateway().user_get(user_id=user["user_id"])["blocked"] is False
    assert DirectoryUser.objects.get(user_id=user["user_id"]).blocked is False
    actions = list(AuditEvent.objects.filter(target_id=user["user_id"]).values_list("action", flat=True))
    assert {"user_block.requested", "user_block.succeeded", "user_unblock.requested",
            "user_unblock.succeeded"} <= set(actions)


def test_a_block_run_twice_is_harmless(acme, admin) -> None:
    """A worker killed after Auth0 answered: the operation runs again and simply finishes."""
    user = new_user()
    operation = user_action_request(actor=admin, organization=acme, user_id=user["user_id"],
                                    action=USER_ACTIONS["block"])
    assert user_action_apply(operation) == {"blocked": True}
    assert user_action_apply(operation) == {"blocked": True}
    assert gateway().user_get(user_id=user["user_id"])["blocked"] is True


def test_clearing_failed_sign_in_blocks(acme, admin, changing_emulator) -> None:
    user = new_user()
    with Browser(changing_emulator) as browser:
        for _ in range(10):
            browser.login(user["email"], "Wrong-passw0rd!")
    assert gateway().user_blocks_get(user_id=user["user_id"])
    operation = run(admin, acme, user["user_id"], "clear-blocks")
    assert operation.status == "succeeded", operation.last_error
    assert gateway().user_blocks_get(user_id=user["user_id"]) == []


def test_a_change_password_email_carries_a_working_ticket(acme, admin) -> None:
    user = new_user()
    operation = run(admin, acme, user["user_id"], "password-email")
    assert operation.status == "succeeded", operation.last_error
    [message] = mail.outbox
    assert message.to == [user["email"]] and message.subject == "Choose a new password for Acme"
    link = next(w for w in message.body.split() if "reset-password" in w)
    assert link in message.alternatives[0][0]
    assert httpx.get(link).status_code == 200


def test_the_verification_email_is_the_organizations_and_its_link_confirms_the_address(
        acme, admin, changing_emulator) -> None:
    user = new_user(email_verified=False, verify_email=False)
    operation = run(admin, acme, user["user_id"], "verification-email")
    assert operation.status == "succeeded", operation.last_error
    # Not Auth0's template: the portal's, in Acme's branding.
    assert httpx.get(f"{changing_emulator.url}/emulator/outbox", params={"to": user["email"]}).json() == []
    [message] = mail.outbox
    assert message.to == [user["email"]] and message.subject == "Confirm your email address for Acme"
    assert f"{admin.display}, an admin of Acme, asked for you to confirm your email address." in message.body
    link = next(w for w in message.body.split() if "/u/email-verification?ticket=" in w)
    assert link in message.alternatives[0][0] and "Confirm my email address" in message.alternatives[0][0]
    followed = httpx.get(link)
    assert followed.status_code == 302
    assert "/o/acme/login?done=email-confirmed&success=true" in followed.headers["location"]
    assert gateway().user_get(user_id=user["user_id"])["email_verified"] is True


def test_resetting_mfa_removes_second_factors_and_keeps_passkeys(acme, admin, changing_emulator) -> None:
    user = new_user()
    api = httpx.Client(base_url=f"{changing_emulator.url}/api/v2", headers={
        "Authorization": f"Bearer {management_token(changing_emulator.url)}"})
    path = f"/users/{user['user_id']}/authentication-methods"
    for body in ({"type": "totp", "totp_secret": "JBSWY3DPEHPK3PXP", "name": "Phone app"},
                 {"type": "phone", "phone_number": "+15555550123", "name": "Mobile"},
                 {"type": "passkey", "key_id": "k1", "public_key": "cHVibGlj", "name": "Laptop"}):
        assert api.post(path, json=body).status_code == 201, body
    before = gateway().user_authentication_methods(user_id=user["user_id"])
    assert sorted(m["type"] for m in before) == ["passkey", "phone", "totp"]
    operation = run(admin, acme, user["user_id"], "reset-mfa")
    assert operation.status == "succeeded", operation.last_error
    assert operation.result == {"removed": 2}
    assert [m["type"] for m in gateway().user_authentication_methods(user_id=user["user_id"])] == ["passkey"]
    # Run again (a retry after a lost answer): nothing left to remove, nothing fails.
    assert user_action_apply(operation) == {"removed": 0}
    api.close()


def test_guardrails_and_nonsense_are_refused_and_record_nothing(acme, admin) -> None:
    user = new_user(email_verified=True)
    me = gateway().user_create(connection="acme-users", email=f"me-{uuid.uuid4().hex[:6]}@acme.test",
                               password=password_random())
    directory_user_write_through(me)
    RoleFactory(organization=acme, role="admin", user_id=me["user_id"])
    myself = principal_for_user_id(me["user_id"], "Me")
    cases = [
        (myself, me["user_id"], "block", ValidationError, "You cannot block yourself: you would be locked out."),
        (admin, user["user_id"], "unblock", ValidationError, "is not blocked."),
        (admin, user["user_id"], "verification-email", ValidationError, "is verified already."),
    ]
    boss = gateway().user_create(connection="acme-users", email=f"boss-{uuid.uuid4().hex[:6]}@acme.test",
                                 password=password_random())
    directory_user_write_through(boss)
    CompanyAdminFactory(user_id=boss["user_id"])
    cases.append((admin, boss["user_id"], "block", PermissionDenied,
                  "Company admins are managed by company admins only."))
    viewer = RoleFactory(organization=acme, role="viewer")
    cases.append((principal_for_user_id(viewer.user_id, "V"), user["user_id"], "block", PermissionDenied, "admins"))
    for actor, user_id, slug, error, message in cases:
        with pytest.raises(error) as caught:
            user_action_request(actor=actor, organization=acme, user_id=user_id, action=USER_ACTIONS[slug])
        assert message in " ".join(getattr(caught.value, "messages", [str(caught.value)])), (slug, caught.value)
    assert not Operation.objects.exists()
    assert not gateway().user_get(user_id=me["user_id"]).get("blocked")


def test_rights_are_checked_again_when_the_act_runs(acme, admin) -> None:
    user = new_user()
    operation = user_action_request(actor=admin, organization=acme, user_id=user["user_id"],
                                    action=USER_ACTIONS["block"])
    acme.roles.filter(user_id=admin.user_id).update(role="viewer")
    user_action.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "failed" and "admins" in operation.last_error
    assert not gateway().user_get(user_id=user["user_id"]).get("blocked")
