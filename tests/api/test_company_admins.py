"""Company admins are managed by company admins, people only: a tool registered for every organization with
users:write is company-wide, yet it may not block, delete, remove, edit or email a company admin, nor hand out
the company's keys (company admin, API client registrations). Each refusal changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from organizations.access.guardrails import PersonAct, person_act_check
from organizations.clients.services import api_client_register
from organizations.models import MembershipMode
from organizations.roles import company_admin_grant
from organizations.selectors import api_client_principal, principal_for_user_id
from portal.models import AuditEvent, Operation
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory
from tests.support.api_tokens import register, tool_token
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert

pytestmark = pytest.mark.django_db

REFUSAL = "Company admins are managed by company admins only, never by an API client."


@pytest.fixture
def acme(api):
    # A shared connection, so that removal (leaving the organization) is an act that exists here.
    organization = OrganizationFactory(slug="acme", display_name="Acme",
                                       membership_mode=MembershipMode.SHARED_CONNECTION,
                                       connection_name="Username-Password-Authentication")
    RoleFactory(organization=organization, role="admin")  # Acme keeps an admin: the last-admin rule stays out
    return organization


@pytest.fixture
def company_admin(acme) -> dict:
    user = auth0_user(connection=acme.connection_name, email="boss@acme.test",
                      app_metadata={"organizations": ["acme"]})
    directory_users_upsert([user])
    CompanyAdminFactory(user_id=user["user_id"], email=user["email"])
    return user


@pytest.fixture
def company_tool(acme, api, emulator):
    """A company-wide client with every permission (users:write included), and its token."""
    register()
    return api(tool_token(emulator))


@pytest.mark.parametrize("path, body", [
    ("actions/block/", None),
    ("actions/password-email/", None),
    ("actions/reset-mfa/", None),
    ("metadata/", {"user_metadata": {}}),
    ("remove/", None),
    ("delete/", {"confirmation": "boss@acme.test"}),
])
def test_a_company_wide_tool_cannot_act_on_a_company_admin(company_tool, company_admin, path, body) -> None:
    before = (Operation.objects.count(), AuditEvent.objects.count())
    response = company_tool.post(f"/api/v1/organizations/acme/users/{company_admin['user_id']}/{path}",
                                 body, format="json")
    assert response.status_code == 403, response.content
    assert response.json() == {"error": "forbidden", "detail": REFUSAL}
    assert (Operation.objects.count(), AuditEvent.objects.count()) == before


def test_the_same_tool_still_acts_on_other_users(company_tool, acme) -> None:
    user = auth0_user(connection=acme.connection_name, email="someone@acme.test",
                      app_metadata={"organizations": ["acme"]})
    directory_users_upsert([user])
    response = company_tool.post(f"/api/v1/organizations/acme/users/{user['user_id']}/actions/block/")
    assert response.status_code == 202, response.content


def test_a_company_admin_person_still_acts_on_a_company_admin(acme, company_admin) -> None:
    person = CompanyAdminFactory()
    actor = principal_for_user_id(person.user_id)
    assert actor.is_company_admin and not actor.is_machine
    person_act_check(actor, acme, user_id=company_admin["user_id"], name="Boss", act=PersonAct.BLOCK)


def test_a_company_wide_tool_hands_out_no_keys(acme) -> None:
    machine = api_client_principal(register())
    assert machine.is_company_admin and machine.is_machine
    with pytest.raises(PermissionDenied, match="API clients may not"):
        company_admin_grant(actor=machine, user_id="auth0|someone")
    with pytest.raises(PermissionDenied, match="API clients may not"):
        api_client_register(actor=machine, client_id="another-tool", name="Another", all_organizations=True,
                            permissions=["users:write"])
