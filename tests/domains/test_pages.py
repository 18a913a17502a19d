"""The domains pages of an organization: its admins add, read the record to publish, check and remove; viewers and
other organizations' admins get nothing; and home-realm discovery sends a verified domain's emails to the
organization that verified it."""

from __future__ import annotations

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from domains import tasks
from domains.models import Domain
from organizations.models import MembershipMode
from tests.factories import DomainFactory, OrganizationFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex():
    return OrganizationFactory(slug="globex", display_name="Globex", connection_name="globex-users")


def _client_of(organization, role: str = "admin") -> Client:
    person = UserFactory()
    RoleFactory(organization=organization, user_id=person.auth0_user_id, role=role)
    client = Client()
    client.force_login(person)
    return client


def test_admin_adds_a_domain_and_reads_exact_instructions(globex) -> None:
    client = _client_of(globex)
    listing = client.get(reverse("domain_list", kwargs={"slug": "globex"}))
    assert listing.status_code == 200 and "No domain yet" in listing.content.decode()
    response = client.post(reverse("domain_list", kwargs={"slug": "globex"}), {"name": "Globex.Example"})
    domain = Domain.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "domain_detail", kwargs={"slug": "globex", "domain_id": domain.pk})
    page = client.get(response["Location"]).content.decode()
    assert "_portal-verification.globex.example" in page and domain.record_value in page
    assert "TXT" in page and "Waiting for the DNS record" in page
    assert "globex.example" in client.get(reverse("domain_list", kwargs={"slug": "globex"})).content.decode()


def test_a_bad_domain_is_refused_beside_the_field_with_the_input_kept(globex) -> None:
    client = _client_of(globex)
    response = client.post(reverse("domain_list", kwargs={"slug": "globex"}), {"name": "https://nope"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [
        "Enter a domain name such as example.com (without http:// or an @)."]
    assert 'value="https://nope"' in response.content.decode()
    assert not Domain.objects.exists()


def test_check_button_sends_the_check_and_the_page_shows_its_outcome(
    globex, dns_server, published_tasks, django_capture_on_commit_callbacks
) -> None:
    client = _client_of(globex)
    domain = Domain.objects.create(organization=globex, name="globex.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("domain_verify", kwargs={"slug": "globex", "domain_id": domain.pk}))
    assert response.status_code == 302 and published_tasks == ["domains.tasks.domain_verify"]
    dns_server.publish(domain.record_name, domain.record_value)
    tasks.domain_verify.apply(args=[domain.pk])
    page = client.get(response["Location"]).content.decode()
    assert "<strong>Verified</strong>" in page


def test_removal_asks_first(globex) -> None:
    client = _client_of(globex)
    domain = Domain.objects.create(organization=globex, name="globex.example")
    url = reverse("domain_remove", kwargs={"slug": "globex", "domain_id": domain.pk})
    assert "Remove globex.example?" in client.get(url).content.decode()
    assert client.post(url, {}).status_code == 400 and Domain.objects.exists()
    assert client.post(url, {"confirm": "on"}).status_code == 302 and not Domain.objects.exists()


def test_viewers_get_404(globex) -> None:
    client = _client_of(globex, role="viewer")
    domain = Domain.objects.create(organization=globex, name="globex.example")
    assert client.get(reverse("domain_list", kwargs={"slug": "globex"})).status_code == 404
    assert client.get(reverse("domain_detail", kwargs={"slug": "globex", "domain_id": domain.pk})).status_code == 404


@pytest.fixture
def discovery(auth0_on_emulator):
    return Client()


def _sent_to(client: Client, email: str) -> dict[str, str]:
    response = client.post("/login/", {"email": email})
    assert response.status_code == 302
    return dict(httpx.URL(response["Location"]).params)


def test_discovery_routes_a_verified_domain_to_its_organization(globex, discovery) -> None:
    Domain.objects.create(organization=globex, name="globex.example", status="verified")
    pending = OrganizationFactory(slug="other", connection_name="other-users")
    Domain.objects.create(organization=pending, name="pending.example")
    assert _sent_to(discovery, "Ann@Globex.Example")["connection"] == "globex-users"
    assert "connection" not in _sent_to(discovery, "bob@pending.example")


def test_a_verified_domain_wins_over_a_company_given_one_and_auth0_orgs_get_their_org(discovery) -> None:
    globex = OrganizationFactory(slug="globex", membership_mode=MembershipMode.AUTH0_ORGANIZATION,
                                 connection_name="Username-Password-Authentication", auth0_organization_id="org_g1")
    DomainFactory(organization=OrganizationFactory(slug="old", connection_name="old-users"), domain="globex.example")
    Domain.objects.create(organization=globex, name="globex.example", status="failing")
    assert _sent_to(discovery, "ann@globex.example")["organization"] == "org_g1"
