"""The organization's SCIM settings page: its admins make a token (shown once, kept hashed), rotate and revoke it
behind a confirmation, choose what a deactivation does and map groups to the roles the organization may grant;
each act audited, bad input refused beside its field with what was typed kept; viewers and other organizations'
admins get a 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from app_roles.models import GrantableRole, TenantRole
from portal.models import AuditEvent
from scim.models import ScimRoleMapping, ScimSettings, ScimToken
from scim.tokens import token_authenticate
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def signed_in(organization, role: str = "admin") -> Client:
    client = Client()
    client.force_login(UserFactory(auth0_user_id=RoleFactory(organization=organization, role=role).user_id))
    return client


def settings_url(organization) -> str:
    return reverse("scim_settings", kwargs={"slug": organization.slug})


def test_a_token_is_shown_once_and_kept_hashed(organization) -> None:
    client = signed_in(organization)
    page = client.get(settings_url(organization))
    assert page.status_code == 200 and "http://testserver/scim/v2/acme" in page.content.decode()
    made = client.post(settings_url(organization), {"form": "token", "name": "  Okta  "})
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    secret = made.context["secret"]
    assert secret in made.content.decode()
    token = ScimToken.objects.get()
    assert token.name == "Okta" and secret not in (token.token_hash, token.token_prefix)
    assert token_authenticate(slug="acme", presented=secret).token == token
    again = client.get(settings_url(organization)).content.decode()
    assert secret not in again and token.token_prefix in again
    assert AuditEvent.objects.get(action="scim.token_created").summary == "Made a SCIM token for Okta"


def test_a_bad_name_is_refused_beside_the_field_with_the_input_kept(organization) -> None:
    client = signed_in(organization)
    client.post(settings_url(organization), {"form": "token", "name": "Okta"})
    refused = client.post(settings_url(organization), {"form": "token", "name": "okta"})
    assert refused.status_code == 400
    assert refused.context["token_form"].errors == {"name": ["Acme has a token named okta already: rotate it, or "
                                                             "choose another name."]}
    assert 'value="okta"' in refused.content.decode()
    assert ScimToken.objects.count() == 1


def test_rotation_and_revocation_are_confirmed_first(organization) -> None:
    client = signed_in(organization)
    client.post(settings_url(organization), {"form": "token", "name": "Okta"})
    token = ScimToken.objects.get()
    old = token.token_hash
    rotate = reverse("scim_token_act", kwargs={"slug": "acme", "token_id": token.pk, "act": "rotate"})
    confirm = client.get(rotate)
    assert "stops working at once" in confirm.content.decode()
    token.refresh_from_db()
    assert token.token_hash == old  # a GET changes nothing
    rotated = client.post(rotate)
    secret = rotated.context["secret"]
    token.refresh_from_db()
    assert token.token_hash != old and token.rotated_at is not None
    assert token_authenticate(slug="acme", presented=secret).token == token
    revoke = reverse("scim_token_act", kwargs={"slug": "acme", "token_id": token.pk, "act": "revoke"})
    assert "for good" in client.get(revoke).content.decode()
    assert client.post(revoke).status_code == 302
    assert token_authenticate(slug="acme", presented=secret) is None
    assert client.post(revoke).status_code == 400  # revoked already: said on the page, nothing done
    assert list(AuditEvent.objects.filter(action__startswith="scim.token").order_by("pk").values_list(
        "action", flat=True)) == ["scim.token_created", "scim.token_rotated", "scim.token_revoked"]


def test_what_a_deactivation_does_is_chosen_and_audited(organization) -> None:
    client = signed_in(organization)
    assert client.post(settings_url(organization), {"form": "deactivation", "deactivation": "remove"}
                       ).status_code == 302
    assert ScimSettings.objects.get(organization=organization).deactivation == "remove"
    event = AuditEvent.objects.get(action="scim.settings_changed")
    assert event.details == {"deactivation": {"before": "block", "after": "remove"}}
    refused = client.post(settings_url(organization), {"form": "deactivation", "deactivation": "explode"})
    assert refused.status_code == 400 and "deactivation" in refused.context["deactivation_form"].errors


def test_groups_map_to_roles_the_organization_may_grant(organization) -> None:
    TenantRole.objects.create(pk="rol_editor", name="Editor", refreshed_at="2026-01-01T00:00:00Z")
    TenantRole.objects.create(pk="rol_billing", name="Billing", refreshed_at="2026-01-01T00:00:00Z")
    GrantableRole.objects.create(organization=organization, role_id="rol_editor", label="Acme editor")
    client = signed_in(organization)
    url = reverse("scim_role_mappings", kwargs={"slug": "acme"})
    assert client.post(url, {"group_name": "Editors", "role": "rol_editor"}).status_code == 302
    assert "Acme editor" in client.get(settings_url(organization)).content.decode()
    refused = client.post(url, {"group_name": "Billing team", "role": "rol_billing"})
    assert refused.status_code == 400
    assert refused.context["mapping_form"].errors == {"role": ["“rol_billing” is not an application role Acme may "
                                                               "grant."]}
    assert 'value="Billing team"' in refused.content.decode()
    mapping = ScimRoleMapping.objects.get()
    assert client.post(url, {"remove": mapping.pk}).status_code == 302
    assert not ScimRoleMapping.objects.exists()
    assert AuditEvent.objects.filter(action="scim.role_mapping_changed").count() == 2


def test_viewers_get_a_404(organization) -> None:
    client = signed_in(organization, role="viewer")
    assert client.get(settings_url(organization)).status_code == 404
    assert client.post(settings_url(organization), {"form": "token", "name": "Okta"}).status_code == 404
    assert not ScimToken.objects.exists()
