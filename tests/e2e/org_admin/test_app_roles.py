"""Application roles in a browser, end to end: a company admin reads the tenant's roles and makes two of them
grantable for Acme; Acme's admin invites someone with one, assigns another on their page, filters the list by
role and finds them there; the emulator holds exactly those roles for them. A role outside Acme's set, asked for
by a crafted form POST (with the page's own CSRF token) and by an API call, is refused (beside the field on the
page) and changes nothing. Every page is checked with axe at 1280 and 390 px: the grantable roles settings, the
invitation form with its roles, the user page's roles, the selection's choice of a role."""

from __future__ import annotations

import re
import uuid
from html import unescape

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.auth.authentication import jwks_cache
from app_roles.models import AppRoleGrant
from app_roles.tasks import app_role_assign, app_roles_refresh
from auth0_emulator.seed import demo_role_id
from auth0_gateway import gateway
from portal.models import Operation
from tests.e2e.pages import check_page, outcome_expect, run_pending, sign_in, sign_out
from tests.support.api_tokens import ACME_TOOL_ID, ACME_TOOL_SECRET, AUDIENCE, register, tool_token
from users.tasks import user_invite

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWER, EDITOR, BILLING = (demo_role_id(name) for name in ("Viewer", "Editor", "Billing admin"))


def auth0_roles(user_id: str) -> set[str]:
    return {role["id"] for role in gateway().user_roles(user_id=user_id)}


def test_roles_granted_within_the_set_and_refused_beyond_it(portal, page: Page, acme, company_admin, created_users,
                                                            emulator, settings) -> None:
    email = f"ann-{uuid.uuid4().hex[:8]}@acme.test"
    created_users.append(email)

    # A company admin reads the tenant's roles and lets Acme grant two of them.
    sign_in(page, portal, company_admin)
    check_page(page)
    page.goto(f"{portal}/o/acme/settings/app-roles/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Application roles Acme may grant")
    check_page(page)
    page.get_by_role("button", name="Refresh roles from Auth0").click()
    expect(page.get_by_text("Reading the roles from Auth0")).to_be_visible()
    check_page(page)
    assert run_pending("app_roles_refresh", app_roles_refresh).status == "succeeded"
    outcome_expect(page, "The roles were read again from Auth0.")
    check_page(page)
    page.get_by_role("checkbox", name="Grantable Viewer").check()
    page.get_by_label("Label of Viewer").fill("Reader")
    page.get_by_role("checkbox", name="Grantable Editor").check()
    page.get_by_label("Default role for new invitations").select_option(label="Viewer")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the application roles Acme's admins may grant.")).to_be_visible()
    check_page(page)
    sign_out(page)

    # Acme's admin invites Ann with the default role.
    sign_in(page, portal, "admin@acme.test")
    check_page(page)
    page.goto(f"{portal}/o/acme/users/invite/")
    check_page(page)
    expect(page.get_by_role("checkbox", name="Reader")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Editor")).not_to_be_checked()
    expect(page.get_by_text("Billing admin")).to_have_count(0)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Name (optional)").fill("Ann Example")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"Inviting {email}")).to_be_visible()
    check_page(page)
    assert run_pending("user_invite", user_invite).status == "succeeded"
    outcome_expect(page, f"{email} is invited")
    check_page(page)
    assert run_pending("app_role_assign", app_role_assign).status == "succeeded"  # the invitation's role
    [ann] = gateway().users_by_email(email=email)

    # On Ann's page, Reader granted by Acme; Editor assigned from there.
    page.goto(f"{portal}/o/acme/users/?q=ann")
    check_page(page)
    page.get_by_role("link", name="Ann Example").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ann Example")
    check_page(page)
    roles = page.locator("#app-roles")
    expect(roles.get_by_role("row").filter(has_text="Reader")).to_contain_text("Acme")
    roles.get_by_label("Application role").select_option(label="Editor")
    roles.get_by_role("button", name="Assign").click()
    followed = page.locator(".followed-operations")
    expect(followed.get_by_text("Assign an application role:")).to_be_visible()
    check_page(page)
    assert run_pending("app_role_assign", app_role_assign).status == "succeeded"
    # operations.js sees it finish and reloads the page onto its outcome.
    expect(followed.get_by_text("Assign an application role: done.")).to_be_visible(timeout=25_000)
    expect(roles.get_by_role("row").filter(has_text="Editor")).to_contain_text("Acme")
    check_page(page)

    # The list filtered by role finds her.
    page.goto(f"{portal}/o/acme/users/")
    check_page(page)
    page.get_by_text("Filters, sort and page size").click()
    page.get_by_label("Application role").select_option(label="Editor")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(rf"app_role={EDITOR}"))
    expect(page.get_by_role("link", name="Ann Example")).to_be_visible()
    expect(page.locator("#user-total")).to_have_text("1 user")
    check_page(page)
    # Selected there, a role's act asks for the role first (and only Acme's).
    page.get_by_role("checkbox", name="Select Ann Example").check()
    page.get_by_label("With the selected users").select_option(label="Remove an application role")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove an application role")
    expect(page.get_by_label("Application role").locator("option")).to_have_text(["Choose a role", "Editor",
                                                                                 "Reader"])
    check_page(page)
    page.get_by_role("link", name="Cancel").click()
    check_page(page)
    assert auth0_roles(ann["user_id"]) == {VIEWER, EDITOR}

    # A role outside the set: a crafted form POST with the page's CSRF token, refused beside the field.
    page.goto(f"{portal}/o/acme/users/{ann['user_id']}/")
    check_page(page)
    before = (Operation.objects.count(), AppRoleGrant.objects.count())
    # (Acme has granted Ann every role it may grant: no assignment form is offered, the sign-out form's token serves.)
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    crafted = page.request.post(f"{portal}/o/acme/users/{ann['user_id']}/app-roles/",
                                form={"csrfmiddlewaretoken": token, "role": BILLING},
                                headers={"Referer": page.url})
    assert crafted.status == 400
    field_error = unescape(crafted.text().split('id="id_role_error"')[1].split("</ul>")[0])
    assert f"“{BILLING}” is not an application role Acme may grant." in field_error
    select = re.search(r'<select[^>]*id="id_role"[^>]*>', crafted.text())
    assert select is not None and 'aria-invalid="true"' in select.group(0)

    # And through the API, as Acme's help desk tool.
    settings.PORTAL_API_AUDIENCE = AUDIENCE
    jwks_cache.clear()
    register(ACME_TOOL_ID, organizations=[acme])
    api = httpx.post(f"{portal}/api/v1/organizations/acme/users/{ann['user_id']}/roles/", json={"role_id": BILLING},
                     headers={"Authorization": f"Bearer {tool_token(emulator, ACME_TOOL_ID, ACME_TOOL_SECRET)}"},
                     timeout=30)
    assert api.status_code == 400, api.text
    assert api.json()["errors"] == {"role_id": [f"“{BILLING}” is not an application role Acme may grant."]}
    assert (Operation.objects.count(), AppRoleGrant.objects.count()) == before
    assert auth0_roles(ann["user_id"]) == {VIEWER, EDITOR}
    assert set(AppRoleGrant.objects.filter(user__user_id=ann["user_id"]).values_list(
        "role_id", "organization__slug")) == {(VIEWER, "acme"), (EDITOR, "acme")}
