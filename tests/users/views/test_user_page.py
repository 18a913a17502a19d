"""A user's page: scoping (another organization's user is a 404), the metadata each role may see and
how it is formatted, status and brute-force blocks, the stored Auth0 activity with its "as of", the audit
trail and organizations the viewer may see, and the refreshes that opening the page queues."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from organizations.models import Audience, MembershipMode, MetadataField
from portal.audit import audit_record
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory, UserFactory
from tests.users.auth0_users import auth0_user
from users.directory.activity import ACTIVITY_TASK
from users.directory.mirror import directory_users_upsert
from users.directory.refresh import REFRESH_TASK
from users.models import UserActivity

pytestmark = pytest.mark.django_db
SHARED = "Username-Password-Authentication"

# initech's schema: (key, label, type, target, visible_to, the value Mia has, how the page shows it)
SCHEMA = [
    ("team", "Team", "text", "user_metadata", Audience.END_USER, "Rockets", "Rockets"),
    ("newsletter", "Newsletter", "boolean", "user_metadata", Audience.ORG_VIEWER, True, "Yes"),
    ("birthday", "Birthday", "date", "user_metadata", Audience.ORG_VIEWER, "1990-03-04", "4 March 1990"),
    ("employee_no", "Employee number", "integer", "app_metadata", Audience.ORG_VIEWER, 12345, "12,345"),
    ("homepage", "Homepage", "url", "user_metadata", Audience.ORG_VIEWER, "https://mia.example/",
     '<a href="https://mia.example/" rel="noopener noreferrer">https://mia.example/</a>'),
    ("level", "Level", "enum", "app_metadata", Audience.ORG_VIEWER, "senior", "senior"),
    ("phone", "Work phone", "phone", "user_metadata", Audience.ORG_ADMIN, "+44 20 7946 0000",
     '<a href="tel:+442079460000" rel="noopener noreferrer">+44 20 7946 0000</a>'),
    ("salary_band", "Salary band", "text", "app_metadata", Audience.COMPANY_ADMIN, "band-B7-secret",
     "band-B7-secret"),
]
ROLE_SEES = {
    "viewer": {Audience.END_USER, Audience.ORG_VIEWER},
    "admin": {Audience.END_USER, Audience.ORG_VIEWER, Audience.ORG_ADMIN},
    "company": set(Audience.values),
}


@pytest.fixture
def world():
    initech = OrganizationFactory(slug="initech", display_name="Initech", connection_name=SHARED,
                                  membership_mode=MembershipMode.SHARED_CONNECTION)
    hooli = OrganizationFactory(slug="hooli", display_name="Hooli", connection_name=SHARED,
                                membership_mode=MembershipMode.SHARED_CONNECTION)
    acme = OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users")
    for position, (key, label, kind, target, visible_to, *_rest) in enumerate(SCHEMA):
        MetadataField.objects.create(organization=initech, key=key, label=label, type=kind, target=target,
                                     visible_to=visible_to, editable_by=Audience.COMPANY_ADMIN, position=position,
                                     choices=["junior", "senior"] if kind == "enum" else [])
    MetadataField.objects.create(organization=initech, key="nickname_at_work", label="Nickname at work",
                                 visible_to=Audience.ORG_VIEWER, position=99)
    MetadataField.objects.create(organization=hooli, key="hooli_code", label="Hooli code",
                                 visible_to=Audience.ORG_ADMIN)
    user_metadata = {key: value for key, _, _, target, _, value, _ in SCHEMA if target == "user_metadata"}
    app_metadata = {key: value for key, _, _, target, _, value, _ in SCHEMA if target == "app_metadata"}
    mia = auth0_user(connection=SHARED, email="mia@initech.test", name="Mia Mertens", nickname="mimi",
                     user_metadata={**user_metadata, "hooli_code": "HC-42"},
                     app_metadata={**app_metadata, "organizations": ["initech", "hooli"]},
                     logins_count=1234, last_login="2025-05-06T07:08:00.000Z", last_ip="192.0.2.10",
                     picture="https://s.gravatar.com/avatar/abc?s=480", blocked=True)
    andy = auth0_user(connection="acme-users", email="andy@acme.test", name="Andy Acme")
    nora = auth0_user(connection=SHARED, email="nora@nowhere.test", name="Nora Nobody",
                      picture="http://insecure.example/nora.png")
    directory_users_upsert([mia, andy, nora])

    def client_of(organization=None, role=None) -> Client:
        person = UserFactory()
        if organization is not None:
            RoleFactory(organization=organization, user_id=person.auth0_user_id, role=role)
        else:
            CompanyAdminFactory(user_id=person.auth0_user_id)
        client = Client()
        client.force_login(person)
        return client

    return {
        "initech": initech, "hooli": hooli, "acme": acme, "mia": mia, "andy": andy, "nora": nora,
        "viewer": client_of(initech, "viewer"), "admin": client_of(initech, "admin"),
        "hooli_admin": client_of(hooli, "admin"), "acme_admin": client_of(acme, "admin"),
        "company": client_of(),
    }


def page_of(client: Client, user: dict, slug: str | None = "initech"):
    if slug is None:
        return client.get(reverse("directory_user_detail", kwargs={"user_id": user["user_id"]}))
    return client.get(reverse("user_detail", kwargs={"slug": slug, "user_id": user["user_id"]}))


def metadata_section(response) -> str:
    page = response.content.decode()
    return page[page.index('id="metadata-heading"'):page.index('id="activity"')]


@pytest.mark.parametrize("role", ["viewer", "admin", "company"])
def test_metadata_shows_only_the_fields_the_role_may_see_labelled_and_formatted(world, role: str) -> None:
    response = page_of(world[role], world["mia"])
    assert response.status_code == 200
    section = metadata_section(response)
    for _key, label, _kind, _target, visible_to, value, shown in SCHEMA:
        if visible_to in ROLE_SEES[role]:
            assert re.search(rf"<dt[^>]*>{re.escape(label)}</dt>\s*<dd[^>]*>{re.escape(shown)}</dd>", section), label
        else:
            assert label not in section
            assert escape(str(value)) not in response.content.decode(), f"{label} leaked to {role}"
    assert re.search(r"<dt[^>]*>Nickname at work</dt>\s*<dd[^>]*text-body-secondary[^>]*>Not set</dd>", section)
    assert "Hooli code" not in section  # another organization's schema


def test_company_admins_see_every_schema_of_the_users_organizations_at_users_id(world) -> None:
    section = metadata_section(page_of(world["company"], world["mia"], slug=None))
    assert '<h3 class="h6">Hooli</h3>' in section and '<h3 class="h6">Initech</h3>' in section
    assert re.search(r"<dt[^>]*>Hooli code</dt>\s*<dd[^>]*>HC-42</dd>", section)
    assert re.search(r"<dt[^>]*>Salary band</dt>\s*<dd[^>]*>band-B7-secret</dd>", section)
    nobody = page_of(world["company"], world["nora"], slug=None)
    assert nobody.status_code == 200
    assert "No organization's metadata schema applies to this user." in metadata_section(nobody)
    assert "this user belongs to no organization" in nobody.content.decode()


def test_another_organizations_user_is_a_404_and_queues_nothing(world, published_tasks) -> None:
    assert page_of(world["acme_admin"], world["mia"], slug="acme").status_code == 404
    assert page_of(world["acme_admin"], world["mia"], slug="initech").status_code == 404
    assert page_of(world["admin"], world["andy"]).status_code == 404
    assert page_of(world["admin"], world["mia"], slug=None).status_code == 404  # company admins only
    assert page_of(world["company"], world["nora"], slug="initech").status_code == 404  # not Initech's
    assert page_of(world["admin"], {"user_id": "auth0|no-such-user"}).status_code == 404
    assert published_tasks == []


def test_profile_status_and_identities_with_labels(world) -> None:
    page = page_of(world["viewer"], world["mia"]).content.decode()
    assert "<h1 class=\"h3 mb-1 wrap-anywhere\">Mia Mertens</h1>" in page
    blocked = '<span class="status-failed">Yes: this user cannot sign in</span>'
    for label, shown in [("Nickname", "mimi"), ("Sign-ins", "1,234"), ("Last IP address", "192.0.2.10"),
                         ("Email verified", "Yes"), ("Blocked", blocked)]:
        assert re.search(rf"<dt[^>]*>{label}</dt><dd[^>]*>{re.escape(shown)}</dd>", page), label
    assert '<time datetime="2025-05-06T07:08:00+00:00">6 May 2025, 07:08</time>' in page
    assert "Username and password (Auth0 database)" in page  # the identity's provider, as a label
    assert f'<code>{world["mia"]["user_id"]}</code>' in page


def test_the_picture_is_shown_from_https_only_and_the_csp_allows_just_its_origin(world) -> None:
    response = page_of(world["viewer"], world["mia"])
    assert '<img class="user-picture" src="https://s.gravatar.com/avatar/abc?s=480"' in response.content.decode()
    policy = response["Content-Security-Policy"]
    img_src = next(d for d in policy.split(";") if d.strip().startswith("img-src"))
    assert img_src.split()[1:] == ["'self'", "data:", "https://s.gravatar.com"]
    insecure = page_of(world["company"], world["nora"], slug=None)
    assert 'class="user-picture"' not in insecure.content.decode()
    assert "insecure.example" not in insecure["Content-Security-Policy"]


def test_opening_the_page_queues_a_refresh_of_the_user_and_of_activity_never_read(
    world, django_capture_on_commit_callbacks, published_tasks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert page_of(world["viewer"], world["mia"]).status_code == 200
    assert sorted(published_tasks) == sorted([REFRESH_TASK, ACTIVITY_TASK])
    with django_capture_on_commit_callbacks(execute=True):
        response = page_of(world["admin"], world["mia"])
    assert published_tasks.count(REFRESH_TASK) == 1  # still queued, not started: nothing more
    assert published_tasks.count(ACTIVITY_TASK) == 1  # throttled
    assert "Fetching the newest activity from Auth0…" in response.content.decode()


EVENTS = [
    {"log_id": "3", "date": "2025-05-06T07:08:09.000Z", "type": "s", "ip": "192.0.2.10", "client_name": "Portal",
     "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "Chrome/126.0.0.0 Safari/537.36"},
    {"log_id": "2", "date": "2025-05-05T10:00:00.000Z", "type": "fp", "ip": "198.51.100.7"},
    {"log_id": "1", "date": "2025-05-04T09:00:00.000Z", "type": "scp", "ip": "192.0.2.10"},
    {"log_id": "0", "date": "2025-05-03T09:00:00.000Z", "type": "zz_new", "description": "Something new"},
]


def test_activity_shows_labels_devices_the_as_of_and_the_blocks(world) -> None:
    fetched = dt.datetime(2025, 5, 6, 8, 0, tzinfo=dt.UTC)
    UserActivity.objects.create(user_id=world["mia"]["user_id"], events=EVENTS, fetched_at=fetched,
                                blocks=[{"identifier": "mia@initech.test", "ip": "198.51.100.7",
                                         "connection": SHARED}])
    page = page_of(world["viewer"], world["mia"]).content.decode()
    activity = page[page.index('id="activity"'):page.index('id="audit-heading"')]
    rows = re.findall(r'<tr role="row">(.*?)</tr>', activity, re.S)[1:]
    assert [re.search(r'data-label="Event"[^>]*>([^<]*)<', r).group(1) for r in rows] == [
        "Successful login", "Failed login (wrong password)", "Password changed", "Something new"]
    assert "Portal · Chrome 126 on Windows" in rows[0]
    assert '<time datetime="2025-05-06T07:08:09+00:00">6 May 2025, 07:08:09</time>' in rows[0]
    assert 'class="status-failed">Failed login (wrong password)' in rows[1]
    assert "The newest 4 events, as of" in activity and "6 May 2025, 08:00" in activity
    assert "Refresh activity" in activity  # viewers may refresh: it only reads
    status = page[page.index('id="status-heading"'):page.index('id="identities-heading"')]
    assert "from IP address 198.51.100.7 for mia@initech.test" in status


def test_a_failed_fetch_shows_why_beside_the_events_read_before(world) -> None:
    UserActivity.objects.create(user_id=world["mia"]["user_id"], events=EVENTS[:1],
                                fetched_at=timezone.now() - dt.timedelta(minutes=2),
                                last_error="Auth0 unavailable ([503] Service Unavailable)")
    page = page_of(world["viewer"], world["mia"]).content.decode()
    assert ("The last attempt to read the activity from Auth0 failed: Auth0 unavailable ([503] Service "
            "Unavailable) What is shown is the copy read before.") in page
    assert "Successful login" in page


def test_activity_never_read_says_so(world) -> None:
    UserActivity.objects.create(user_id=world["mia"]["user_id"], last_error="Auth0 unavailable")  # failed at once
    page = page_of(world["viewer"], world["mia"]).content.decode()
    assert "The last attempt to read the activity from Auth0 failed: Auth0 unavailable" in page
    assert "Not read from Auth0 yet" in page  # the brute-force blocks too


def test_audit_events_and_organizations_only_where_the_viewer_may_see(world) -> None:
    user_id = world["mia"]["user_id"]
    audit_record(actor=None, action="user.note", summary="Initech looked at Mia", organization=world["initech"],
                 target_type="user", target_id=user_id)
    audit_record(actor=None, action="user.note", summary="Hooli looked at Mia", organization=world["hooli"],
                 target_type="user", target_id=user_id)
    audit_record(actor=None, action="user.note", summary="Someone else", organization=world["initech"],
                 target_type="user", target_id=world["nora"]["user_id"])
    page = page_of(world["admin"], world["mia"]).content.decode()
    assert "Initech looked at Mia" in page and "Hooli looked at Mia" not in page and "Someone else" not in page
    organizations = page[page.index('id="organizations-heading"'):]
    assert re.findall(r"<li><a href=\"([^\"]+)\">([^<]+)</a></li>", organizations) == [
        (reverse("user_detail", kwargs={"slug": "initech", "user_id": user_id}), "Initech")]
    company = page_of(world["company"], world["mia"], slug=None).content.decode()
    assert "Initech looked at Mia" in company and "Hooli looked at Mia" in company
    organizations = company[company.index('id="organizations-heading"'):]
    listed = re.findall(r"<li><a href=\"[^\"]+\">([^<]+)</a></li>", organizations)
    assert listed == ["Hooli", "Initech"]


def test_a_viewer_has_no_action_but_the_activity_refresh(world) -> None:
    page = page_of(world["viewer"], world["mia"]).content.decode()
    main = page[page.index('<main'):page.index("</main>")]
    assert re.findall(r'<form method="post" action="([^"]+)"', main) == [
        reverse("user_activity", kwargs={"slug": "initech", "user_id": world["mia"]["user_id"]})]
    assert re.findall(r"<button[^>]*>([^<]*)</button>", main) == ["Refresh activity"]
