"""Assigning and removing an application role on a selection of the list's users: the role chosen first (one outside
the grantable set refused beside its field), then the review that says per person what will be done or why not
(it is the confirmation of a removal), then one operation per person through the act's own request (rights,
guardrails, audit), none twice when the confirmation is sent again; the operations run with ``.apply()`` against
the emulator. The list offers the acts only where the organization may grant roles."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from app_roles.models import AppRoleGrant, GrantableRole
from app_roles.tasks import app_role_assign, app_role_remove
from auth0_gateway import gateway
from portal.models import Operation
from tests.app_roles.conftest import BILLING, EDITOR, VIEWER
from tests.factories import CompanyAdminFactory, UserFactory
from tests.users.org_modes import admin_of, member_create

pytestmark = pytest.mark.django_db


def signed_in(user_id: str) -> Client:
    client = Client()
    client.force_login(UserFactory(auth0_user_id=user_id))
    return client


def run_all(task, kind: str) -> None:
    for operation in Operation.objects.filter(kind=kind, status=Operation.Status.PENDING):
        task.apply(args=[str(operation.pk)])
        operation.refresh_from_db()
        assert operation.status == "succeeded", operation.last_error


def auth0_roles(user_id: str) -> set[str]:
    return {role["id"] for role in gateway().user_roles(user_id=user_id)}


def test_a_role_is_assigned_to_then_removed_from_a_selection(modes) -> None:
    acme = modes["acme"]
    admin = admin_of(acme)
    client = signed_in(admin.user_id)
    people = [member_create(acme) for _ in range(2)]
    boss = member_create(acme)
    CompanyAdminFactory(user_id=boss["user_id"])  # not an organization's admin's to act on
    ids = [p["user_id"] for p in [*people, boss]]
    url = reverse("user_selection", kwargs={"slug": "acme"})

    listed = client.get(reverse("user_list", kwargs={"slug": "acme"})).content.decode()
    assert '<option value="app-role-assign">Assign an application role</option>' in listed
    assert '<option value="app-role-remove">Remove an application role</option>' in listed

    chooser = client.post(url, {"act": "app-role-assign", "user": ids})
    assert chooser.status_code == 200 and chooser.templates[0].name == "users/selection_role.html"
    text = chooser.content.decode()
    assert "Acme viewer" in text and "Acme editor" in text and "Billing admin" not in text
    # A role outside the set (a crafted request), or none: refused beside the field, the people kept.
    for role, message in ((BILLING, f"“{BILLING}” is not an application role Acme may grant."),
                          ("", "Choose a role to assign.")):
        refused = client.post(url, {"act": "app-role-assign", "user": ids, "role": role})
        assert refused.status_code == 400
        errors = refused.content.decode().split('id="id_role_error"')[1].split("</ul>")[0]
        assert escape(message) in errors
        assert refused.content.decode().count('name="user"') == 3
    assert not Operation.objects.exists()

    review = client.post(url, {"act": "app-role-assign", "user": ids, "role": EDITOR})
    assert review.status_code == 200 and review.context["act"].label == "Assign Acme editor"
    assert [item.person.user_id for item in review.context["doable"]] == ids[:2]
    assert [item.person.user_id for item in review.context["refused"]] == [boss["user_id"]]
    token = review.context["token"]
    confirm = {"act": "app-role-assign", "user": ids[:2], "role": EDITOR, "confirm": "1", "token": token}
    assert client.post(url, confirm).status_code == 302
    assert client.post(url, confirm).status_code == 302  # sent twice: nothing twice
    assert Operation.objects.filter(kind="app_role_assign").count() == 2
    run_all(app_role_assign, "app_role_assign")
    for person in people:
        assert auth0_roles(person["user_id"]) == {EDITOR}
    assert auth0_roles(boss["user_id"]) == set()

    # The removal's review is its confirmation: someone Acme granted nothing is not done.
    bystander = member_create(acme)
    review = client.post(url, {"act": "app-role-remove", "user": [*ids[:2], bystander["user_id"]], "role": EDITOR})
    assert review.status_code == 200 and review.context["act"].danger
    page = review.content.decode()
    assert "Remove Acme editor?" in page and 'class="btn btn-danger"' in page
    assert [item.person.user_id for item in review.context["refused"]] == [bystander["user_id"]]
    assert "there is no grant of its own to remove" in review.context["refused"][0].refusal
    done = client.post(url, {"act": "app-role-remove", "user": ids[:2], "role": EDITOR, "confirm": "1",
                             "token": review.context["token"]})
    assert done.status_code == 302 and done["Location"] == reverse("operation_list", kwargs={"slug": "acme"})
    run_all(app_role_remove, "app_role_remove")
    for person in people:
        assert auth0_roles(person["user_id"]) == set()
    assert not AppRoleGrant.objects.exists()


def test_the_list_offers_the_role_acts_only_where_roles_may_be_granted(modes) -> None:
    acme = modes["acme"]
    GrantableRole.objects.filter(organization=acme).delete()
    client = signed_in(admin_of(acme).user_id)
    person = member_create(acme)
    listed = client.get(reverse("user_list", kwargs={"slug": "acme"})).content.decode()
    assert '<option value="block">' in listed and '<option value="app-role-assign">' not in listed
    chooser = client.post(reverse("user_selection", kwargs={"slug": "acme"}),
                          {"act": "app-role-assign", "user": [person["user_id"]], "role": VIEWER})
    assert chooser.status_code == 400 and "may grant no application role yet" in chooser.content.decode()
    assert not Operation.objects.exists()
