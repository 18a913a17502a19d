"""The application roles' pages, with mirror rows made directly (no Auth0 needed: the acts' work is test_acts.py):
the grantable roles page (company admins only; errors beside their fields, the input kept; the refresh queued as
a task); a person's roles on their page, as each reader may see them; the assign and remove forms and their
refusals; the user lists' role filter, its exact total and keyset paging; the invitation form's roles."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from app_roles.models import AppRoleGrant, GrantableRole, TenantRole
from organizations.models import MembershipMode
from portal.models import Operation
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory, UserFactory
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert
from users.models import DirectoryUser

pytestmark = pytest.mark.django_db
SHARED = "Username-Password-Authentication"
VIEWER, EDITOR, BILLING = "rol_viewer0000000000", "rol_editor0000000000", "rol_billing000000000"


@pytest.fixture
def world():
    now = timezone.now()
    for role_id, name in ((VIEWER, "Viewer"), (EDITOR, "Editor"), (BILLING, "Billing admin")):
        TenantRole.objects.create(pk=role_id, name=name, description=f"{name} in every application", refreshed_at=now)
    initech, umbrella = (OrganizationFactory(slug=slug, display_name=slug.title(), connection_name=SHARED,
                                             membership_mode=MembershipMode.SHARED_CONNECTION,
                                             auth0_connection_id="con_s") for slug in ("initech", "umbrella"))
    GrantableRole.objects.create(organization=initech, role_id=VIEWER, label="Initech reader", is_default=True)
    GrantableRole.objects.create(organization=initech, role_id=EDITOR, label="Initech writer")
    GrantableRole.objects.create(organization=umbrella, role_id=EDITOR, label="Umbrella secret editor")
    GrantableRole.objects.create(organization=umbrella, role_id=BILLING, label="Umbrella billing")
    both = auth0_user(email="both@partner.test", app_metadata={"organizations": ["initech", "umbrella"]})
    people = [auth0_user(email=f"p{n:02d}@initech.test", app_metadata={"organizations": ["initech"]})
              for n in range(30)]
    directory_users_upsert([both, *people])
    return {"initech": initech, "umbrella": umbrella, "both": both, "people": people}


def grant(user: dict, role_id: str, organization=None) -> None:
    now = timezone.now()
    AppRoleGrant.objects.create(user=DirectoryUser.objects.get(user_id=user["user_id"]), role_id=role_id,
                                scope="tenant", organization=organization, granted_at=now, confirmed_at=now)


def signed_in(organization, role: str = "admin") -> Client:
    client = Client()
    client.force_login(UserFactory(auth0_user_id=RoleFactory(organization=organization, role=role).user_id))
    return client


def company_admin() -> Client:
    client = Client()
    client.force_login(UserFactory(auth0_user_id=CompanyAdminFactory().user_id))
    return client


# -- what an organization may grant ------------------------------------------------------------------------
def test_company_admins_choose_the_grantable_roles_under_the_organizations_settings(world, published_tasks,
                                                                                    django_capture_on_commit_callbacks):
    chief = company_admin()
    page = chief.get("/o/initech/settings/app-roles/")
    text = page.content.decode()
    assert page.status_code == 200 and "Removing a role from this list does not take it from anyone" in text
    assert 'value="Initech reader"' in text and "Billing admin" in text and "Umbrella" not in text
    response = chief.post("/o/initech/settings/app-roles/", {
        f"{VIEWER}.grantable": "on", f"{VIEWER}.label": "Reader", f"{VIEWER}.description": "Reads",
        f"{BILLING}.grantable": "on", f"{BILLING}.label": "", "default": BILLING})
    assert response.status_code == 302
    assert list(GrantableRole.objects.filter(organization=world["initech"]).values_list(
        "role_id", "label", "is_default").order_by("label")) == [(BILLING, "Billing admin", True),
                                                                 (VIEWER, "Reader", False)]
    with django_capture_on_commit_callbacks(execute=True):
        refreshed = chief.post("/o/initech/settings/app-roles/refresh/")
    assert refreshed.status_code == 302 and published_tasks == ["app_roles.tasks.app_roles_refresh"]
    assert "Reading the roles from Auth0" in chief.get("/o/initech/settings/app-roles/").content.decode()


def test_errors_on_the_grantable_page_stay_beside_their_fields(world) -> None:
    chief = company_admin()
    response = chief.post("/o/initech/settings/app-roles/", {
        f"{VIEWER}.grantable": "on", f"{VIEWER}.label": "Same", f"{EDITOR}.grantable": "on",
        f"{EDITOR}.label": "same", "default": BILLING})
    assert response.status_code == 400
    text = response.content.decode()
    assert 'value="same"' in text and 'value="Same"' in text
    # The second of the two in the page's order (the tenant's roles by name) is the one refused.
    label_errors = text.split(f'id="id_{VIEWER}.label_error"')[1].split("</ul>")[0]
    assert escape("Another role is labelled “Same”: give each its own label.") in label_errors
    assert f'aria-describedby="id_{VIEWER}.label_error"' in text
    assert "The default role must be one of the roles made grantable." in text.split('id="id_default_error"')[1]
    assert list(GrantableRole.objects.filter(organization=world["initech"]).values_list("label", flat=True)
                .order_by("label")) == ["Initech reader", "Initech writer"]


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_the_organizations_own_admins_and_viewers_may_not_choose(world, role, published_tasks) -> None:
    client = signed_in(world["initech"], role)
    assert client.get("/o/initech/settings/app-roles/").status_code == 403
    assert client.post("/o/initech/settings/app-roles/", {f"{BILLING}.grantable": "on"}).status_code == 403
    assert client.post("/o/initech/settings/app-roles/refresh/").status_code == 403
    assert not GrantableRole.objects.filter(role_id=BILLING, organization=world["initech"]).exists()
    assert published_tasks == []


# -- a person's roles on their page ------------------------------------------------------------------------
def test_an_organizations_admins_see_its_grants_and_never_anothers(world) -> None:
    both = world["both"]
    grant(both, EDITOR, world["umbrella"])  # Umbrella's grant of a role Initech may grant too
    grant(both, BILLING, world["umbrella"])  # Umbrella's alone
    grant(both, VIEWER, world["initech"])
    text = signed_in(world["initech"]).get(f"/o/initech/users/{both['user_id']}/").content.decode()
    section = text.split('id="app-roles"')[1].split("</section>")[0]
    assert "Initech reader" in section and "Initech writer" in section
    assert "Not Initech: held through another grant" in section
    for other in ("Umbrella", "Billing admin", "secret editor"):
        assert other not in text, other
    # Only Initech's own grant can be taken away by Initech.
    assert f"/app-roles/{VIEWER}/remove/" in section and f"/app-roles/{EDITOR}/remove/" not in section
    # The assign form offers the roles Initech has not granted them: its writer role.
    options = re.findall(r'<option value="([^"]*)"', section)
    assert options == ["", EDITOR]
    # A company admin sees every grant and who made it.
    everything = company_admin().get(f"/users/{both['user_id']}/").content.decode()
    chief_section = everything.split('id="app-roles"')[1].split("</section>")[0]
    assert chief_section.count("Umbrella") == 2 and "Billing admin" in chief_section and "Initech" in chief_section


def test_viewers_see_the_roles_without_the_forms(world) -> None:
    grant(world["both"], VIEWER, world["initech"])
    text = signed_in(world["initech"], "viewer").get(f"/o/initech/users/{world['both']['user_id']}/").content.decode()
    section = text.split('id="app-roles"')[1].split("</section>")[0]
    assert "Initech reader" in section and "Assign a role" not in section and "/remove/" not in section


def test_an_assignment_refused_stays_beside_the_field_and_changes_nothing(world, published_tasks) -> None:
    admin = signed_in(world["initech"])
    person = world["people"][0]
    for crafted in (BILLING, "rol_unknown"):
        response = admin.post(f"/o/initech/users/{person['user_id']}/app-roles/", {"role": crafted})
        assert response.status_code == 400
        errors = response.content.decode().split('id="id_role_error"')[1].split("</ul>")[0]
        assert escape(f"“{crafted}” is not an application role Initech may grant.") in errors
    missing = admin.post(f"/o/initech/users/{person['user_id']}/app-roles/", {"role": ""})
    assert "Choose a role to assign." in missing.content.decode()
    assert not Operation.objects.exists() and published_tasks == []
    done = admin.post(f"/o/initech/users/{person['user_id']}/app-roles/", {"role": EDITOR})
    assert done.status_code == 302 and done["Location"].endswith("#app-roles")
    operation = Operation.objects.get()
    assert (operation.kind, operation.payload["role_id"], operation.target) == (
        "app_role_assign", EDITOR, person["user_id"])
    page = admin.get(f"/o/initech/users/{person['user_id']}/").content.decode()
    assert "Assign an application role" in page  # the operation the page follows
    # Chosen twice while on its way: the refusal keeps the choice.
    again = admin.post(f"/o/initech/users/{person['user_id']}/app-roles/", {"role": EDITOR}).content.decode()
    assert "is already on its way" in again and f'<option value="{EDITOR}" selected>' in again


def test_removing_asks_first_and_says_when_it_cannot(world) -> None:
    admin = signed_in(world["initech"])
    both = world["both"]
    grant(both, VIEWER, world["initech"])
    grant(both, EDITOR, world["umbrella"])
    confirm = admin.get(f"/o/initech/users/{both['user_id']}/app-roles/{VIEWER}/remove/")
    assert confirm.status_code == 200 and "Remove Initech reader: " in confirm.content.decode()
    assert escape("Initech's grant of Initech reader ends") in confirm.content.decode()
    assert not Operation.objects.exists()
    refused = admin.get(f"/o/initech/users/{both['user_id']}/app-roles/{EDITOR}/remove/").content.decode()
    assert "Initech has not granted" in refused and "Umbrella" not in refused
    assert admin.post(f"/o/initech/users/{both['user_id']}/app-roles/{EDITOR}/remove/").status_code == 400
    outside = admin.get(f"/o/initech/users/{both['user_id']}/app-roles/{BILLING}/remove/").content.decode()
    assert escape(f"“{BILLING}” is not an application role Initech may grant.") in outside
    done = admin.post(f"/o/initech/users/{both['user_id']}/app-roles/{VIEWER}/remove/")
    assert done.status_code == 302
    assert Operation.objects.get().kind == "app_role_remove"


# -- the lists' role filter --------------------------------------------------------------------------------
def test_the_list_filters_by_role_with_an_exact_total_and_keyset_paging(world) -> None:
    holders = world["people"][:27]
    for person in holders:
        grant(person, EDITOR, world["initech"] if len(person["email"]) % 2 else None)
    grant(world["people"][29], BILLING, world["umbrella"])  # not a role Initech may grant
    admin = signed_in(world["initech"])
    page = admin.get("/o/initech/users/", {"app_role": EDITOR})
    assert page.context["total"] == 27 and page.context["total_label"] == "27 users"
    seen = [u.email for u in page.context["users"]]
    next_url = page.context["listing"].next_url
    assert f"app_role={EDITOR}" in next_url
    second = admin.get(next_url)
    seen += [u.email for u in second.context["users"]]
    assert sorted(seen) == sorted(p["email"] for p in holders) and not second.context["listing"].next_url
    assert '<option value="rol_editor0000000000" selected>Initech writer</option>' in page.content.decode()
    assert "Umbrella" not in page.content.decode()
    # A role Initech may not grant is refused beside the filter, the list left unfiltered.
    refused = admin.get("/o/initech/users/", {"app_role": BILLING})
    assert refused.context["total"] == 31 and "app_role" in refused.context["form"].errors
    # The export follows the filter.
    export = b"".join(admin.get("/o/initech/users/export.csv", {"app_role": EDITOR}).streaming_content).decode()
    assert len(export.strip().splitlines()) == 28
    # Company admins filter every user by any role.
    chief = company_admin().get("/users/", {"app_role": BILLING})
    assert [u.email for u in chief.context["users"]] == [world["people"][29]["email"]]
    assert urlsplit(chief.context["export_url"]).query == f"app_role={BILLING}"


# -- the invitation form -----------------------------------------------------------------------------------
def test_the_invitation_offers_the_grantable_roles_with_the_default_chosen(world) -> None:
    admin = signed_in(world["initech"])
    text = admin.get("/o/initech/users/invite/").content.decode()
    boxes = re.findall(r'<input type="checkbox" name="app_roles" value="([^"]+)"([^>]*)>', text)
    assert [(value, "checked" in rest) for value, rest in boxes] == [(VIEWER, True), (EDITOR, False)]
    assert "Umbrella" not in text
    refused = admin.post("/o/initech/users/invite/", {"email": "new@initech.test", "app_roles": [VIEWER, BILLING]})
    assert refused.status_code == 400
    errors = refused.content.decode().split('id="id_app_roles_error"')[1].split("</ul>")[0]
    assert escape(f"“{BILLING}” is not an application role Initech may grant.") in errors
    assert not Operation.objects.exists()
    done = admin.post("/o/initech/users/invite/", {"email": "new@initech.test", "app_roles": [EDITOR]})
    assert done.status_code == 302 and Operation.objects.get().payload["app_role_ids"] == [EDITOR]
