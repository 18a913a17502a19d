"""The self-service profile reaches nothing of another person: its routes take no user id, the ids they do take
(an export, an operation) are looked up among the signed-in person's own, an organization slug among their own
organizations, and whatever a request posts about someone else (a user id, another organization) changes
nothing of theirs. Alice and Bob are both members of Acme; Bob also of Initech, where Alice is not."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from organizations.models import Audience, MetadataField
from portal.models import Operation, OperationKind
from portal.operations import operation_create
from portal.principal import Principal
from tests.factories import OrganizationFactory, UserFactory
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert
from users.models import DataExport, UserActivity

pytestmark = pytest.mark.django_db
PROFILE_ROUTES = ("profile", "profile_metadata_edit", "profile_password_email", "profile_verification_email",
                  "profile_sessions_revoke", "profile_activity", "profile_data_export",
                  "profile_data_export_download", "profile_operation", "profile_language")


@pytest.fixture
def world():
    acme = OrganizationFactory(slug="acme", display_name="Acme", connection_name="shared-users",
                               membership_mode="shared_connection")
    initech = OrganizationFactory(slug="initech", display_name="Initech", connection_name="shared-users",
                                  membership_mode="shared_connection")
    MetadataField.objects.create(organization=acme, key="desk", label="Desk", editable_by=Audience.END_USER,
                                 visible_to=Audience.END_USER)
    alice = auth0_user(connection="shared-users", email="alice@example.test", name="Alice Liddell",
                       email_verified=False, user_metadata={"desk": "A1"}, app_metadata={"organizations": ["acme"]})
    bob = auth0_user(connection="shared-users", email="bob@example.test", name="Bob Secretname",
                     email_verified=False, user_metadata={"desk": "BOB-DESK"},
                     app_metadata={"organizations": ["acme", "initech"]})
    directory_users_upsert([alice, bob])
    bobs_operation = operation_create(kind=OperationKind.PROFILE_PASSWORD_EMAIL, organization=initech,
                                      actor=Principal(user_id=bob["user_id"], display="Bob"), target=bob["user_id"])
    now = timezone.now()
    bobs_export = DataExport.objects.create(user_id=bob["user_id"], content=json.dumps({"secret": "BOB-EXPORT"}),
                                            ready_at=now, expires_at=now + dt.timedelta(days=7))
    UserActivity.objects.create(user_id=bob["user_id"], fetched_at=now,
                                events=[{"type": "s", "ip": "203.0.113.66", "date": now.isoformat()}])
    client = Client()
    client.force_login(UserFactory(auth0_user_id=alice["user_id"], email="alice@example.test"))
    return {"client": client, "alice": alice, "bob": bob, "bobs_operation": bobs_operation,
            "bobs_export": bobs_export, "acme": acme, "initech": initech}


BOBS_TRACES = ("bob@example.test", "Bob Secretname", "BOB-DESK", "BOB-EXPORT", "203.0.113.66")


def _profile_patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            found += _profile_patterns(entry, prefix + str(entry.pattern))
        elif entry.name in PROFILE_ROUTES:
            found.append((prefix + str(entry.pattern), entry))
    return found


def test_no_profile_route_takes_a_user_id() -> None:
    patterns = _profile_patterns()
    assert {p.name for _, p in patterns} == set(PROFILE_ROUTES)
    for path, _ in patterns:
        assert path.startswith("profile/") and "user" not in path, path


def test_nothing_of_bob_shows_on_any_page_alice_opens(world) -> None:
    client = world["client"]
    # Each page with what of Alice's it shows (so the absence of Bob's means something).
    pages = [(client.get(reverse("profile")), "alice@example.test"),
             (client.get(reverse("profile_metadata_edit", args=["acme"])), 'value="A1"'),
             (client.get(reverse("profile_sessions_revoke")), "Sign out everywhere?"),
             (client.get(reverse("profile_activity")), '"pending"'),
             # Another person's id, in the query string where a careless view might read it, changes nothing.
             (client.get(reverse("profile"), {"user_id": world["bob"]["user_id"]}), "Alice Liddell")]
    for response, alices in pages:
        assert response.status_code == 200
        body = response.content.decode()
        assert alices in body
        for trace in (*BOBS_TRACES, world["bob"]["user_id"]):
            assert trace not in body


def test_bobs_export_and_operation_are_404_to_alice(world) -> None:
    client = world["client"]
    assert client.get(reverse("profile_data_export_download", args=[world["bobs_export"].pk])).status_code == 404
    assert client.get(reverse("profile_operation", args=[world["bobs_operation"].pk])).status_code == 404


def test_an_organization_of_bobs_that_is_not_alices_is_404(world, published_tasks) -> None:
    client = world["client"]
    assert client.get(reverse("profile"), {"organization": "initech"}).status_code == 404
    for method in ("get", "post"):
        assert getattr(client, method)(reverse("profile_metadata_edit", args=["initech"])).status_code == 404
    for name in ("profile_password_email", "profile_verification_email", "profile_data_export",
                 "profile_sessions_revoke"):
        assert client.post(reverse(name), {"organization": "initech"}).status_code == 404
    assert Operation.objects.count() == 1 and published_tasks == []


def test_whatever_alice_posts_about_bob_acts_on_alice_alone(world, django_capture_on_commit_callbacks) -> None:
    client, alice, bob = world["client"], world["alice"], world["bob"]
    someone_else = {"user_id": bob["user_id"], "target": bob["user_id"], "email": bob["email"],
                    "organization": "acme"}
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("profile_password_email", "profile_verification_email", "profile_data_export",
                     "profile_sessions_revoke"):
            assert client.post(reverse(name), someone_else).status_code == 302
        edit = client.post(reverse("profile_metadata_edit", args=["acme"]),
                           {**someone_else, "user_metadata.desk": "A2", "confirm": "yes"})
    assert edit.status_code == 302
    mine = Operation.objects.exclude(pk=world["bobs_operation"].pk)
    assert mine.count() == 5
    assert set(mine.values_list("target", "actor_user_id").distinct()) == {(alice["user_id"], alice["user_id"])}
    assert all(bob["email"] not in json.dumps(op.payload) for op in mine)
    assert DataExport.objects.filter(user_id=bob["user_id"]).count() == 1


def test_signing_out_everywhere_ends_none_of_bobs_sessions(world) -> None:
    bob_browser = Client()
    bob_browser.force_login(UserFactory(auth0_user_id=world["bob"]["user_id"], email="bob@example.test"))
    world["client"].post(reverse("profile_sessions_revoke"))
    assert bob_browser.get(reverse("profile")).status_code == 200
