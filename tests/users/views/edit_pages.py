"""What the tests of the metadata and email pages share: Acme with a schema of every kind of field (one only
company admins edit), Ada, a member with values in each, a signed-in client and the pages' URLs."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from organizations.models import Audience, MetadataField
from tests.factories import OrganizationFactory, RoleFactory, UserFactory
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert


@pytest.fixture
def acme():
    acme = OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                               auth0_connection_id="con_acme")
    MetadataField.objects.create(organization=acme, key="department", label="Department", max_length=12, position=0)
    MetadataField.objects.create(organization=acme, key="newsletter", label="Newsletter", type="boolean", position=1)
    MetadataField.objects.create(organization=acme, key="start_date", label="Start date", type="date", position=2)
    MetadataField.objects.create(organization=acme, key="cost_centre", label="Cost centre", target="app_metadata",
                                 editable_by=Audience.COMPANY_ADMIN, visible_to=Audience.ORG_ADMIN, position=3)
    return acme


@pytest.fixture
def ada(acme) -> dict:
    user = auth0_user(connection="acme-users", email="ada@acme.test", name="Ada Lovelace",
                      user_metadata={"department": "Research", "newsletter": True,
                                     "start_date": "2024-05-01T09:00:00Z"},
                      app_metadata={"cost_centre": "CC-7"})
    directory_users_upsert([user])
    return user


def signed_in(client: Client, organization, role: str) -> Client:
    granted = RoleFactory(organization=organization, role=role)
    client.force_login(UserFactory(auth0_user_id=granted.user_id))
    return client


def urls(user: dict) -> tuple[str, str, str]:
    kwargs = {"slug": "acme", "user_id": user["user_id"]}
    return (reverse("user_detail", kwargs=kwargs), reverse("user_metadata_edit", kwargs=kwargs),
            reverse("user_email_change", kwargs=kwargs))

