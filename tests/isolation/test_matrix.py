"""The isolation matrix: as an admin of organization B, every organization-scoped URL and method
aimed at organization A's objects answers 404 and queues no Management API work.

A new URL with a ``<slug>`` (or any other org-scoped route) fails ``test_every_scoped_route_is_in_the_matrix``
until it is added to ROUTES below, or to PUBLIC with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.models import Operation
from portal.operations import operation_create
from tests.factories import OrganizationFactory, RoleFactory, UserFactory

# Routes that carry an organization slug but are public by design, and why.
PUBLIC = {
    "organization_signin": "the bookmarkable sign-in page; it reveals nothing but the display name and logo",
    "organization_logo": "branding shown on sign-in pages and in emails",
    "organization_theme": "branding (accent colour) shown on sign-in pages",
}

# Routes that are not under an organization but that only company admins may use.
COMPANY_ONLY = [("organization_list", "GET"), ("organization_create", "GET"), ("organization_create", "POST")]


@dataclass(frozen=True)
class Route:
    name: str
    methods: tuple[str, ...]


# Each route with every method it accepts (other methods are refused with 405 before any lookup).
ROUTES = [
    Route("organization_detail", ("GET",)),
    Route("organization_edit", ("GET", "POST")),
    Route("organization_schema", ("GET", "POST")),
    Route("organization_provision_retry", ("POST",)),
    Route("role_grant", ("POST",)),
    Route("role_revoke", ("POST",)),
    Route("operation_detail", ("GET",)),
]


def _all_patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            found += _all_patterns(entry, prefix + str(entry.pattern))
        else:
            found.append((prefix + str(entry.pattern), entry))
    return found


def test_every_scoped_route_is_in_the_matrix() -> None:
    scoped = {
        pattern.name for path, pattern in _all_patterns()
        if "<slug:slug>" in path or path.startswith("o/")
    }
    covered = {route.name for route in ROUTES} | set(PUBLIC)
    missing = scoped - covered
    assert not missing, f"organization-scoped routes missing from the isolation matrix: {sorted(missing)}"
    assert not (covered - scoped), "the matrix names routes that no longer exist"


@pytest.fixture
def world(db):
    """Organization A with a role and an operation; an admin of organization B who signs in."""
    org_a = OrganizationFactory(slug="org-a")
    org_b = OrganizationFactory(slug="org-b")
    role_in_a = RoleFactory(organization=org_a, role="admin", email="a-admin@example.test")
    operation_in_a = operation_create(kind="organization_provision", actor=None, organization=org_a, target="org-a")
    b_admin = UserFactory()
    RoleFactory(organization=org_b, user_id=b_admin.auth0_user_id, role="admin")
    client = Client()
    client.force_login(b_admin)
    kwargs = {
        "organization_detail": {"slug": org_a.slug},
        "organization_edit": {"slug": org_a.slug},
        "organization_schema": {"slug": org_a.slug},
        "organization_provision_retry": {"slug": org_a.slug},
        "role_grant": {"slug": org_a.slug},
        "role_revoke": {"slug": org_a.slug, "role_id": role_in_a.pk},
        "operation_detail": {"slug": org_a.slug, "operation_id": operation_in_a.pk},
    }
    return {"client": client, "kwargs": kwargs, "org_a": org_a, "org_b": org_b}


_POST_DATA = {"email": "a-admin@example.test", "role": "admin", "confirm": "on", "display_name": "Hijacked",
              "domains": "evil.test", "invite_link_lifetime_days": "7", "accent_colour": "#000000",
              "fields-TOTAL_FORMS": "0", "fields-INITIAL_FORMS": "0"}


@pytest.mark.parametrize(
    ("route", "method"), [(r, m) for r in ROUTES for m in r.methods], ids=lambda v: getattr(v, "name", v)
)
def test_admin_of_b_gets_404_on_a_and_nothing_is_queued(
    world, route: Route, method: str, django_capture_on_commit_callbacks, published_tasks
) -> None:
    url = reverse(route.name, kwargs=world["kwargs"][route.name])
    operations_before = Operation.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = world["client"].generic(method, url, data="&".join(f"{k}={v}" for k, v in _POST_DATA.items()),
                                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404, (route.name, method, response.status_code)
    assert Operation.objects.count() == operations_before
    assert published_tasks == []
    world["org_a"].refresh_from_db()
    assert world["org_a"].display_name != "Hijacked"


@pytest.mark.parametrize(("name", "method"), COMPANY_ONLY)
def test_org_admin_gets_404_on_company_admin_pages(world, name: str, method: str, published_tasks) -> None:
    response = world["client"].generic(method, reverse(name), data="slug=stolen&display_name=Stolen",
                                       content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404
    assert published_tasks == []


def test_admin_of_b_sees_b(world) -> None:
    """The matrix is meaningful only if the same person does reach their own organization."""
    response = world["client"].get(reverse("organization_detail", kwargs={"slug": world["org_b"].slug}))
    assert response.status_code == 200
    assert world["org_b"].display_name in response.content.decode()
