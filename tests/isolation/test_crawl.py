"""The isolation crawl: signed in as an admin of one organization, follow every link the portal's pages offer
(GET only, breadth first, from the landing page), and find nothing of any other organization: none of its
people's emails (members, invitations to join, people blocked there), none of its names, no link under its
slug; and no page that fails. Run for the admin of each
of three organizations, one of which shares a person with another (someone who belongs to two organizations is
seen by the admins of both, and by nobody else)."""

from __future__ import annotations

import re
from collections import deque
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from app_roles.models import AppRoleGrant, GrantableRole, TenantRole
from organizations.models import MembershipMode
from tests.factories import OrganizationFactory, RoleFactory, UserFactory
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert
from users.models import DirectoryUser, JoinInvitation, OrganizationBlock

SHARED = "Username-Password-Authentication"
PAGES_MAX = 400
ROLE_SHARED, ROLE_CHARLIE = "rol_shared0000000000", "rol_charlie000000000"
_HREF = re.compile(r'href="([^"#]+)"')
# Links that end the session or leave the portal's pages: not followed.
_SKIPPED = re.compile(r"^/(logout|signout|accounts/|static/|api/docs)")


@pytest.fixture
def world(db):
    isolated = OrganizationFactory(slug="iso-a", display_name="Isolated Alpha")
    s1 = OrganizationFactory(slug="shared-b", display_name="Shared Bravo", connection_name=SHARED,
                             membership_mode=MembershipMode.SHARED_CONNECTION, auth0_connection_id="con_s")
    s2 = OrganizationFactory(slug="shared-c", display_name="Shared Charlie", connection_name=SHARED,
                             membership_mode=MembershipMode.SHARED_CONNECTION, auth0_connection_id="con_s")
    people = {
        "iso-a": [auth0_user(connection=isolated.connection_name, email=f"alpha{n}@alpha.test") for n in range(3)],
        "shared-b": [auth0_user(connection=SHARED, email=f"bravo{n}@bravo.test",
                                app_metadata={"organizations": ["shared-b"]}) for n in range(3)],
        "shared-c": [auth0_user(connection=SHARED, email=f"charlie{n}@charlie.test",
                                app_metadata={"organizations": ["shared-c"]}) for n in range(3)],
    }
    both = auth0_user(connection=SHARED, email="both@partner.test",
                      app_metadata={"organizations": ["shared-b", "shared-c"]})
    directory_users_upsert([*sum(people.values(), []), both])
    now = timezone.now()
    # Charlie's invitation to join waiting for an answer, and someone blocked in Charlie alone.
    JoinInvitation.objects.create(organization=s2, user_id="auth0|joiner", email="joiner@charlie-only.test",
                                  sent_at=now, expires_at=now + timedelta(days=7))
    OrganizationBlock.objects.create(organization=s2, user_id="auth0|blocked", email="blocked@charlie-only.test")
    # An application role both shared organizations may grant, each under a label of its own, and one only Charlie
    # may grant; Charlie granted both to the person of two organizations, Bravo granted one of its people its own.
    for role_id, name in ((ROLE_SHARED, "Editor"), (ROLE_CHARLIE, "Auditor")):
        TenantRole.objects.create(pk=role_id, name=name, refreshed_at=now)
    GrantableRole.objects.create(organization=s1, role_id=ROLE_SHARED, label="Bravo-label editors")
    GrantableRole.objects.create(organization=s2, role_id=ROLE_SHARED, label="Charlie-label editors")
    GrantableRole.objects.create(organization=s2, role_id=ROLE_CHARLIE, label="Charlie-label auditors")
    for role_id, organization, user in ((ROLE_SHARED, s2, both), (ROLE_CHARLIE, s2, both),
                                        (ROLE_SHARED, s1, people["shared-b"][0])):
        AppRoleGrant.objects.create(user=DirectoryUser.objects.get(user_id=user["user_id"]), role_id=role_id,
                                    scope="tenant", organization=organization, granted_at=now, confirmed_at=now)
    admins = {}
    for organization in (isolated, s1, s2):
        # An id of its own: the admin is nobody in the directory (so their profile lists no organization).
        login = UserFactory(auth0_user_id=f"auth0|admin-of-{organization.slug}")
        RoleFactory(organization=organization, user_id=login.auth0_user_id, role="admin",
                    email=f"admin@{organization.slug}.test")
        client = Client()
        client.force_login(login)
        admins[organization.slug] = client
    names = {o.slug: o.display_name for o in (isolated, s1, s2)}
    return {"people": people, "both": both, "admins": admins, "names": names}


def crawl(client: Client, start: str = "/") -> dict[str, str]:
    """Every page reachable by links from ``start``: url -> its text (the final answer after redirects)."""
    seen: dict[str, str] = {}
    queue = deque([start])
    while queue and len(seen) < PAGES_MAX:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url, follow=True)
        assert response.status_code < 500, (url, response.status_code)
        text = b"".join(response.streaming_content).decode(errors="replace") if response.streaming else (
            response.content.decode(errors="replace"))
        seen[url] = text
        for href in _HREF.findall(text):
            href = href.replace("&amp;", "&")
            target = urlsplit(urljoin(url, href))
            if target.netloc not in ("", "testserver") or _SKIPPED.match(target.path):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return seen


@pytest.mark.parametrize("slug", ["iso-a", "shared-b", "shared-c"])
def test_an_admin_finds_nothing_of_another_organization(world, slug) -> None:
    pages = crawl(world["admins"][slug])
    assert len(pages) > 10, sorted(pages)  # the crawl reached the organization's pages, not only a landing
    everything = "\n".join(pages.values())
    # Their own people are there (the crawl is meaningful), other organizations' people nowhere.
    for person in world["people"][slug]:
        assert person["email"] in everything, person["email"]
    for other, people in world["people"].items():
        if other == slug:
            continue
        for person in people:
            assert person["email"] not in everything, (slug, person["email"])
        assert world["names"][other] not in everything, (slug, other)
        assert not [url for url in pages if f"/o/{other}/" in url], (slug, other)
    for email in ("joiner@charlie-only.test", "blocked@charlie-only.test"):
        assert (email in everything) == (slug == "shared-c"), (slug, email)
    # The person of two organizations: seen by both of theirs, by nobody else.
    assert (world["both"]["email"] in everything) == (slug in ("shared-b", "shared-c"))
    # Application roles: an organization's own labels, never another's (nor another's grants, by name).
    for owner, label in (("shared-b", "Bravo-label editors"), ("shared-c", "Charlie-label editors"),
                         ("shared-c", "Charlie-label auditors")):
        assert (label in everything) == (slug == owner), (slug, label)
    assert ("Not Shared Bravo: held through another grant" in everything) == (slug == "shared-b")
