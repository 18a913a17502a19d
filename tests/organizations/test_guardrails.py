"""The guardrails every act on a person keeps (organizations.access.guardrails): nobody locks themselves out,
only company admins act on company admins, and an organization keeps its last admin."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from organizations import roles
from organizations.access.guardrails import PersonAct, organizations_only_admin, person_act_check
from organizations.models import OrganizationRole
from organizations.selectors import principal_for_user_id
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory

pytestmark = pytest.mark.django_db
LOCKING = [PersonAct.BLOCK, PersonAct.REMOVE, PersonAct.DELETE]


@pytest.fixture
def acme():
    return OrganizationFactory(slug="acme", display_name="Acme")


@pytest.fixture
def chief():
    return principal_for_user_id(CompanyAdminFactory().user_id, "Chief")


def admin(organization, user_id: str | None = None):
    role = RoleFactory(organization=organization, role="admin", **({"user_id": user_id} if user_id else {}))
    return principal_for_user_id(role.user_id, "Admin")


@pytest.mark.parametrize(("act", "message"), [
    (PersonAct.BLOCK, "You cannot block yourself: you would be locked out."),
    (PersonAct.REMOVE, "You cannot remove yourself from Acme: you would be locked out."),
    (PersonAct.DELETE, "You cannot delete yourself: you would be locked out."),
])
def test_nobody_locks_themselves_out(acme, act, message) -> None:
    me = admin(acme)
    admin(acme)  # another admin: the last-admin rule is not what refuses
    with pytest.raises(ValidationError) as caught:
        person_act_check(me, acme, user_id=me.user_id, name="Me", act=act)
    assert caught.value.messages == [message]


def test_acts_that_keep_access_are_allowed_on_oneself(acme) -> None:
    me = admin(acme)
    person_act_check(me, acme, user_id=me.user_id, name="Me", act=PersonAct.KEEPS_ACCESS)


@pytest.mark.parametrize("act", [PersonAct.KEEPS_ACCESS, *LOCKING])
def test_org_admins_never_touch_company_admins(acme, chief, act) -> None:
    boss = CompanyAdminFactory()
    with pytest.raises(PermissionDenied, match="Company admins are managed by company admins only."):
        person_act_check(admin(acme), acme, user_id=boss.user_id, name="Boss", act=act)
    person_act_check(chief, acme, user_id=boss.user_id, name="Boss", act=act)


def test_viewers_and_outsiders_act_on_nobody(acme) -> None:
    viewer = RoleFactory(organization=acme, role="viewer")
    outsider = admin(OrganizationFactory())
    for actor in (principal_for_user_id(viewer.user_id), outsider):
        with pytest.raises(PermissionDenied):
            person_act_check(actor, acme, user_id="auth0|someone", name="Someone", act=PersonAct.KEEPS_ACCESS)


@pytest.mark.parametrize("act", LOCKING)
def test_the_only_admin_of_the_organization_stays(acme, chief, act) -> None:
    only = RoleFactory(organization=acme, role="admin", email="only@acme.test")
    with pytest.raises(ValidationError) as caught:
        person_act_check(chief, acme, user_id=only.user_id, name="Olive", act=act)
    assert caught.value.messages == ["Olive is the only admin of Acme: appoint another admin first, so that every "
                                     "organization keeps one."]
    RoleFactory(organization=acme, role="admin")
    person_act_check(chief, acme, user_id=only.user_id, name="Olive", act=act)


def test_blocking_or_deleting_counts_every_organization_removing_only_this_one(acme, chief) -> None:
    globex = OrganizationFactory(slug="globex", display_name="Globex")
    both = RoleFactory(organization=acme, role="admin")
    RoleFactory(organization=acme, role="admin")  # Acme has another admin
    RoleFactory(organization=globex, role="admin", user_id=both.user_id)  # Globex has none but them
    person_act_check(chief, acme, user_id=both.user_id, name="Bo", act=PersonAct.REMOVE)
    for act in (PersonAct.BLOCK, PersonAct.DELETE):
        with pytest.raises(ValidationError, match="Bo is the only admin of Globex"):
            person_act_check(chief, acme, user_id=both.user_id, name="Bo", act=act)


def test_an_admin_may_act_on_a_fellow_admin(acme) -> None:
    me, colleague = admin(acme), admin(acme)
    for act in LOCKING:
        person_act_check(me, acme, user_id=colleague.user_id, name="Colleague", act=act)


def test_organizations_only_admin_names_each_organization_left_without_one(acme) -> None:
    globex, initech = OrganizationFactory(display_name="Globex"), OrganizationFactory(display_name="Initech")
    person = RoleFactory(organization=acme, role="admin").user_id
    RoleFactory(organization=globex, role="admin", user_id=person)
    RoleFactory(organization=initech, role="viewer", user_id=person)
    RoleFactory(organization=globex, role="viewer")  # a viewer is not an admin
    assert organizations_only_admin(person) == [acme, globex]
    assert organizations_only_admin(person, [globex]) == [globex]
    RoleFactory(organization=globex, role="admin")
    assert organizations_only_admin(person) == [acme]


def test_revoking_a_role_keeps_the_same_rule(acme, chief) -> None:
    """Role revoke counts admins by the same rule: an org admin never takes away the last admin role; a
    company admin only explicitly (the organization's page asks)."""
    only = RoleFactory(organization=acme, role="admin")
    with pytest.raises(ValidationError, match="at least one admin"):
        roles.role_revoke(actor=principal_for_user_id(only.user_id), role=only, confirm=True)
    with pytest.raises(ValidationError, match="last admin"):
        roles.role_revoke(actor=chief, role=only)
    assert OrganizationRole.objects.filter(pk=only.pk).exists()


def test_an_admin_blocked_in_auth0_keeps_no_organization_administered(acme, chief) -> None:
    """Blocked in Auth0, an admin holds the role but cannot sign in: they do not count as the admin an
    organization keeps (else two admins blocking each other would leave it with none able to act)."""
    from django.utils import timezone

    from users.models import DirectoryUser

    only, blocked = RoleFactory(organization=acme, role="admin"), RoleFactory(organization=acme, role="admin")
    DirectoryUser.objects.create(user_id=blocked.user_id, email=blocked.email, blocked=True, synced_at=timezone.now())
    assert organizations_only_admin(only.user_id) == [acme]
    with pytest.raises(ValidationError, match="is the only admin of Acme"):
        person_act_check(chief, acme, user_id=only.user_id, name="Olive", act=PersonAct.BLOCK)
    DirectoryUser.objects.filter(user_id=blocked.user_id).update(blocked=False)
    assert organizations_only_admin(only.user_id) == []
