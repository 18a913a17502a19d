"""The SCIM endpoint driven as Okta and Entra ID drive it, in each membership mode, every queued operation run
with ``.apply()`` against the emulator over HTTP: create (after a lookup by filter), get by filter, replace,
deactivate, reactivate and delete; groups and the application roles they map to. Each ends with the tenant (read
through the gateway) and the directory as the provider asked, and nothing in another organization."""

from __future__ import annotations

import uuid

import pytest

from app_roles.catalog import tenant_roles_refresh
from app_roles.models import AppRoleGrant
from auth0_gateway import gateway
from portal.models import AuditEvent, Operation
from portal.principal import principal_load
from scim.mapping import role_mapping_add
from scim.models import ScimRoleMapping, ScimSettings, ScimUser
from tests.app_roles.conftest import EDITOR, VIEWER, grantable
from tests.factories import RoleFactory
from tests.scim.conftest import GROUP_SCHEMA, PATCH_SCHEMA, drain, provider_for, user_body
from tests.users.org_modes import member_create, organizations_per_mode
from users.models import DirectoryUser, JoinInvitation

pytestmark = pytest.mark.django_db


@pytest.fixture
def modes(auth0_on_changing_emulator):
    organizations = organizations_per_mode()
    tenant_roles_refresh()
    for organization in organizations.values():
        grantable(organization, (VIEWER, f"{organization.display_name} viewer"),
                  (EDITOR, f"{organization.display_name} editor"))
    return organizations


def tenant_user(email: str, organization) -> dict:
    [user] = [u for u in gateway().users_by_email(email=email)
              if u["identities"][0]["connection"] == organization.connection_name]
    return user


def member_of(organization, user_id: str) -> DirectoryUser | None:
    return DirectoryUser.objects.filter(user_id=user_id, memberships__organization=organization).first()


def all_succeeded() -> None:
    failed = list(Operation.objects.exclude(status="succeeded").values_list("kind", "status", "last_error"))
    assert failed == []


def okta_patch(active: bool) -> dict:
    """Okta's deactivation and reactivation: a replace without a path."""
    return {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": {"active": active}}]}


@pytest.mark.parametrize("slug", ["acme", "initech", "globex"])
def test_okta_creates_replaces_deactivates_reactivates_and_deletes(modes, slug) -> None:
    organization = modes[slug]
    okta = provider_for(organization, "Okta")
    email = f"ann-{uuid.uuid4().hex[:6]}@{slug}.test"
    # Okta looks the person up first, then creates them.
    assert okta.get(f'/Users?filter=userName eq "{email}"').json_body["totalResults"] == 0
    created = okta.post("/Users", user_body(email, external_id="00u1")).json_body
    scim_id = created["id"]
    drain()
    all_succeeded()
    user = tenant_user(email, organization)
    person = member_of(organization, user["user_id"])
    assert person is not None and not person.blocked
    assert (user["given_name"], user["family_name"]) == ("Ann", "Lee")
    found = okta.get(f'/Users?filter=userName eq "{email}"').json_body
    assert [r["id"] for r in found["Resources"]] == [scim_id]
    assert ScimUser.objects.get(pk=scim_id).user_id == user["user_id"]

    # A replace with a new family name and a new address (Okta changes userName and the email together): both
    # written to the account, which the organization governs alone; the address unverified until confirmed.
    invited_with, email = email, f"ann.smith-{uuid.uuid4().hex[:6]}@{slug}.test"
    replaced = okta.put(f"/Users/{scim_id}", user_body(email, family="Smith", external_id="00u1"))
    assert replaced.json_body["name"]["familyName"] == "Smith" and replaced.json_body["meta"]["version"] == 'W/"2"'
    drain()
    all_succeeded()
    changed = tenant_user(email, organization)
    assert (changed["user_id"], changed["family_name"], changed["email_verified"]) == (user["user_id"], "Smith", False)
    assert gateway().users_by_email(email=invited_with) == []
    assert member_of(organization, user["user_id"]).email == email

    # Deactivated: blocked in Auth0, their sessions ended.
    assert okta.patch(f"/Users/{scim_id}", okta_patch(False)).json_body["active"] is False
    drain()
    all_succeeded()
    assert tenant_user(email, organization)["blocked"] is True
    assert member_of(organization, user["user_id"]).blocked
    finish = Operation.objects.get(kind="scim_user_sync", payload__stage="finish")
    assert finish.result["sessions_ended"] is True and finish.target == user["user_id"]
    assert Operation.objects.filter(kind="user_block", target=user["user_id"]).count() == 1

    # Reactivated: let back in.
    assert okta.patch(f"/Users/{scim_id}", okta_patch(True)).json_body["active"] is True
    drain()
    all_succeeded()
    assert not tenant_user(email, organization).get("blocked")

    # Deleted: deactivated as the organization chose, and gone from SCIM.
    assert okta.delete(f"/Users/{scim_id}").status_code == 204
    assert okta.get(f"/Users/{scim_id}").status_code == 404
    drain()
    all_succeeded()
    assert tenant_user(email, organization)["blocked"] is True
    assert len(gateway().users_by_email(email=email)) == 1  # one account, however many changes
    actors = set(AuditEvent.objects.filter(organization=organization, action__startswith="scim.user")
                 .values_list("actor_display", flat=True))
    assert actors == {"Okta (SCIM)"}


def editors_in_auth0(organization, user_id: str) -> bool:
    roles = gateway().organization_member_roles(organization_id=organization.auth0_organization_id, user_id=user_id)
    return EDITOR in {role["id"] for role in roles}


def entra_patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def test_entra_id_patches_groups_and_roles(modes) -> None:
    organization = modes["globex"]
    ScimRoleMapping.objects.create(organization=organization, group_name="Globex Editors", role_id=EDITOR)
    entra = provider_for(organization, "Entra ID")
    emails = [f"e{n}-{uuid.uuid4().hex[:6]}@globex.test" for n in range(2)]
    ids = [entra.post("/Users", user_body(email, external_id=f"aad-{n}")).json_body["id"]
           for n, email in enumerate(emails)]
    # Entra ID's attribute changes: capitalised operations, string booleans, filtered paths.
    zed = f"zed-{uuid.uuid4().hex[:6]}@globex.test"
    changed = entra.patch(f"/Users/{ids[0]}", entra_patch(
        {"op": "Add", "path": "name.givenName", "value": "Zed"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": zed},
        {"op": "Replace", "path": "active", "value": "True"})).json_body
    assert changed["name"]["givenName"] == "Zed" and changed["emails"][0]["value"] == zed
    emails[0] = zed  # the account's address follows (docs/scim.md)
    group = entra.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Globex Editors",
                                   "members": [{"value": ids[0]}]}).json_body
    assert [m["value"] for m in group["members"]] == [ids[0]]
    entra.patch(f"/Groups/{group['id']}", entra_patch({"op": "Add", "path": "members", "value": [{"value": ids[1]}]}))
    drain()
    all_succeeded()
    people = [tenant_user(email, organization) for email in emails]
    assert people[0]["given_name"] == "Zed"
    assert [editors_in_auth0(organization, p["user_id"]) for p in people] == [True, True]
    granted = set(AppRoleGrant.objects.filter(organization=organization, role_id=EDITOR).values_list("user__user_id",
                                                                                                    flat=True))
    assert granted == {p["user_id"] for p in people}
    # Entra ID removes a member by value; the role goes with the group.
    entra.patch(f"/Groups/{group['id']}", entra_patch({"op": "Remove", "path": "members",
                                                       "value": [{"value": ids[0]}]}))
    assert [m["value"] for m in entra.get(f"/Groups/{group['id']}").json_body["members"]] == [ids[1]]
    # And deactivates with a string boolean.
    entra.patch(f"/Users/{ids[1]}", entra_patch({"op": "Replace", "path": "active", "value": "False"}))
    drain()
    all_succeeded()
    granted = set(AppRoleGrant.objects.filter(organization=organization, role_id=EDITOR).values_list("user__user_id",
                                                                                                    flat=True))
    assert granted == {people[1]["user_id"]}
    assert [editors_in_auth0(organization, p["user_id"]) for p in people] == [False, True]
    assert tenant_user(emails[1], organization)["blocked"] is True
    assert not tenant_user(emails[0], organization).get("blocked")


def test_a_mapping_added_later_gives_the_group_s_members_their_role_at_once(modes) -> None:
    organization = modes["globex"]
    entra = provider_for(organization, "Entra ID")
    email = f"m-{uuid.uuid4().hex[:6]}@globex.test"
    scim_id = entra.post("/Users", user_body(email)).json_body["id"]
    entra.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Globex Viewers", "members": [{"value": scim_id}]})
    drain()
    user = tenant_user(email, organization)
    admin = principal_load(RoleFactory(organization=organization, role="admin").user_id, "Globex's admin")
    role_mapping_add(actor=admin, organization=organization, group_name="globex viewers", role_id=VIEWER)
    drain()
    all_succeeded()
    roles = gateway().organization_member_roles(organization_id=organization.auth0_organization_id,
                                                user_id=user["user_id"])
    assert [r["id"] for r in roles] == [VIEWER]


def test_an_address_that_cannot_be_changed_is_left_and_the_rest_applied(modes) -> None:
    initech = modes["initech"]
    okta = provider_for(initech)
    email = f"kim-{uuid.uuid4().hex[:6]}@initech.test"
    scim_id = okta.post("/Users", user_body(email, given="Kim")).json_body["id"]
    drain()
    taken = member_create(initech)["email"]  # another account of Initech's connection has it
    okta.put(f"/Users/{scim_id}", user_body(taken, given="Kim", family="Park"))
    drain()
    all_succeeded()
    kept = tenant_user(email, initech)
    assert (kept["email"], kept["family_name"]) == (email, "Park")
    sync = Operation.objects.filter(kind="scim_user_sync", result__email__startswith="left").get()
    assert f"already has {taken}" in sync.result["email"] and sync.result["names"] == "written"
    assert not Operation.objects.filter(kind="user_email_change").exists()
    assert okta.get(f"/Users/{scim_id}").json_body["userName"] == taken  # SCIM keeps what the provider sent


def test_removal_when_the_organization_chose_it(modes) -> None:
    organization = modes["initech"]
    ScimSettings.objects.create(organization=organization, deactivation="remove")
    okta = provider_for(organization)
    email = f"rem-{uuid.uuid4().hex[:6]}@initech.test"
    scim_id = okta.post("/Users", user_body(email)).json_body["id"]
    okta.patch(f"/Users/{scim_id}", okta_patch(False))  # before the invitation has run: it waits for it
    drain()
    all_succeeded()
    user = tenant_user(email, organization)
    assert (user.get("app_metadata") or {}).get("organizations") == [] and not user.get("blocked")
    assert member_of(organization, user["user_id"]) is None
    # Back: their account, which was made for Initech and is still there, is invited to join again (an account
    # is never added to an organization without its owner's acceptance: docs/invitations.md).
    okta.patch(f"/Users/{scim_id}", okta_patch(True))
    drain()
    all_succeeded()
    assert JoinInvitation.objects.filter(organization=organization, user_id=user["user_id"],
                                         status=JoinInvitation.Status.PENDING).count() == 1
    assert okta.get(f"/Users/{scim_id}").json_body["active"] is True


def test_someone_with_an_account_elsewhere_is_invited_to_join_and_withdrawn_when_deactivated(modes) -> None:
    initech = modes["initech"]
    elsewhere = member_create(modes["globex"])  # in the shared connection, a member of Globex only
    okta = provider_for(initech)
    scim_id = okta.post("/Users", user_body(elsewhere["email"])).json_body["id"]
    drain()
    all_succeeded()
    invitation = JoinInvitation.objects.get(organization=initech, user_id=elsewhere["user_id"])
    assert invitation.status == JoinInvitation.Status.PENDING
    assert member_of(initech, elsewhere["user_id"]) is None
    okta.patch(f"/Users/{scim_id}", okta_patch(False))
    drain()
    all_succeeded()
    invitation.refresh_from_db()
    assert invitation.status == JoinInvitation.Status.REVOKED
    assert not tenant_user(elsewhere["email"], initech).get("blocked")  # their account is not Initech's to block
    okta.patch(f"/Users/{scim_id}", okta_patch(True))
    drain()
    all_succeeded()
    assert JoinInvitation.objects.filter(organization=initech, user_id=elsewhere["user_id"],
                                         status=JoinInvitation.Status.PENDING).count() == 1


def test_nothing_is_provisioned_into_another_organization(modes) -> None:
    acme, globex = modes["acme"], modes["globex"]
    okta_acme, okta_globex = provider_for(acme), provider_for(globex)
    email = f"iso-{uuid.uuid4().hex[:6]}@acme.test"
    scim_id = okta_acme.post("/Users", user_body(email)).json_body["id"]
    group = okta_acme.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Acme people",
                                       "members": [{"value": scim_id}]}).json_body
    # Globex's token sees none of it and reaches none of it.
    assert okta_globex.get("/Users").json_body["totalResults"] == 0
    assert okta_globex.get(f'/Users?filter=userName eq "{email}"').json_body["totalResults"] == 0
    assert okta_globex.get("/Groups").json_body["totalResults"] == 0
    for method, path, body in (("GET", f"/Users/{scim_id}", None), ("PUT", f"/Users/{scim_id}", user_body(email)),
                               ("PATCH", f"/Users/{scim_id}", okta_patch(False)), ("DELETE", f"/Users/{scim_id}", None),
                               ("GET", f"/Groups/{group['id']}", None), ("DELETE", f"/Groups/{group['id']}", None),
                               ("PATCH", f"/Groups/{group['id']}", entra_patch({"op": "Add", "path": "members",
                                                                                "value": [{"value": scim_id}]}))):
        assert okta_globex.call(method, path, body).status_code == 404, (method, path)
    # A group of Globex's cannot hold Acme's user either.
    refused = okta_globex.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "G",
                                           "members": [{"value": scim_id}]})
    assert refused.status_code == 400 and refused.json_body["scimType"] == "invalidValue"
    # Acme's token at Globex's address is refused outright.
    assert okta_acme.client.get("/scim/v2/globex/Users",
                                HTTP_AUTHORIZATION=f"Bearer {okta_acme.secret}").status_code == 401
    drain()
    all_succeeded()
    user = tenant_user(email, acme)
    assert member_of(acme, user["user_id"]) and not member_of(globex, user["user_id"])
    assert not tenant_user(email, acme).get("blocked")
    assert Operation.objects.filter(organization=globex).count() == 0
