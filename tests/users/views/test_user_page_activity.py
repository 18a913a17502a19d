"""A user's Auth0 activity: the task reads log events and brute-force blocks from the emulator (over
HTTP, through the real gateway) into UserActivity; a failure keeps the old events and says why; requests
are throttled per user; the page's refresh button queues the task and its status answers the page."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import httpx
import pytest
from celery.signals import task_retry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from auth0_gateway import gateway
from organizations.models import MembershipMode
from tests.factories import OrganizationFactory, RoleFactory, UserFactory
from tests.support.authn_browser import Browser
from users.directory.activity import (
    ACTIVITY_TASK,
    device_of,
    event_label,
    user_activity_refresh_if_due,
    user_activity_refresh_pending,
    user_activity_refresh_request,
)
from users.directory.mirror import directory_users_upsert
from users.models import UserActivity
from users.tasks import user_activity_refresh

pytestmark = pytest.mark.django_db
SHARED = "Username-Password-Authentication"
PASSWORD = "Activity-test-2026!"


@pytest.fixture
def auth0_user_with_logins(auth0_on_emulator) -> Iterator[dict]:
    """A fresh user of the emulator who signed in once, then typed a wrong password until brute-force
    protection blocked them (10 failures from one IP); deleted again afterwards."""
    email = f"activity-{uuid.uuid4().hex[:8]}@initech.test"
    user = gateway().user_create(connection=SHARED, email=email, password=PASSWORD, name="Ada Activity",
                                 app_metadata={"organizations": ["initech"]})
    try:
        with Browser(auth0_on_emulator) as browser:
            assert browser.login(email, PASSWORD).status_code in (302, 303)
        for _ in range(10):
            with Browser(auth0_on_emulator) as browser:
                browser.login(email, "not-the-password")
        yield user
    finally:
        gateway().user_delete(user_id=user["user_id"])


@pytest.fixture
def emulator_faults(auth0_on_emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=auth0_on_emulator.url) as controls:
        yield controls
        controls.post("/emulator/controls", json={"fault_rate": 0.0, "fault_status": 503}).raise_for_status()


def test_the_task_stores_the_newest_events_with_labels_and_the_blocks(auth0_user_with_logins) -> None:
    user_id = auth0_user_with_logins["user_id"]
    assert user_activity_refresh.apply(args=[user_id]).get() > 0
    activity = UserActivity.objects.get(user_id=user_id)
    assert activity.fetched_at is not None and activity.last_error == ""
    types = [e["type"] for e in activity.events]
    assert {"s", "fp", "limit_wc"} <= set(types)
    assert types.count("fp") == 10
    dates = [e["date"] for e in activity.events]
    assert dates == sorted(dates, reverse=True)  # newest first
    labels = {event_label(e) for e in activity.events}
    assert {"Successful login", "Failed login (wrong password)", "Account blocked (too many failed logins)"} <= labels
    login = next(e for e in activity.events if e["type"] == "s")
    assert login["ip"] and login["user_agent"].startswith("python-httpx/")
    assert device_of(login["user_agent"]).startswith("Python httpx ")
    assert activity.blocks == [{"identifier": auth0_user_with_logins["email"], "ip": login["ip"],
                                "connection": SHARED}]


def test_a_failure_keeps_the_old_events_and_records_why(auth0_on_emulator, emulator_faults) -> None:
    user_id = gateway().users_by_email(email="user01@acme.test")[0]["user_id"]
    fetched = timezone.now() - dt.timedelta(hours=2)
    old = [{"log_id": "1", "date": "2025-01-01T00:00:00.000Z", "type": "s"}]
    UserActivity.objects.create(user_id=user_id, events=old, fetched_at=fetched)
    retried: list = []

    def record(sender=None, reason=None, **kwargs):
        retried.append(reason)

    task_retry.connect(record, weak=False)
    try:
        emulator_faults.post("/emulator/controls", json={"fault_rate": 1.0, "fault_status": 503}).raise_for_status()
        result = user_activity_refresh.apply(args=[user_id])
    finally:
        task_retry.disconnect(record)
    assert result.failed()
    assert retried, "a 503 is a passing fault: the task retries it"
    activity = UserActivity.objects.get(user_id=user_id)
    assert activity.events == old and activity.fetched_at == fetched
    assert activity.last_error.startswith("Auth0 unavailable")

    emulator_faults.post("/emulator/controls", json={"fault_rate": 0.0, "fault_status": 503}).raise_for_status()
    user_activity_refresh.apply(args=[user_id]).get()
    activity.refresh_from_db()
    assert activity.last_error == "" and activity.fetched_at > fetched


def test_a_user_auth0_no_longer_has_is_recorded_without_retrying(auth0_on_emulator) -> None:
    user_id = "auth0|" + "0" * 24
    assert user_activity_refresh.apply(args=[user_id]).get() == 0
    assert UserActivity.objects.get(user_id=user_id).last_error == "Auth0 has no such user any more."


def test_requests_are_throttled_per_user_to_one_a_minute(
    django_capture_on_commit_callbacks, published_tasks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert user_activity_refresh_request("auth0|one") is True
        assert user_activity_refresh_request("auth0|one") is False
        assert user_activity_refresh_request("auth0|two") is True
    assert published_tasks == [ACTIVITY_TASK, ACTIVITY_TASK]
    assert user_activity_refresh_pending("auth0|one")


def test_opening_a_page_fetches_only_missing_or_stale_activity(django_capture_on_commit_callbacks) -> None:
    now = timezone.now()
    fresh = UserActivity(user_id="auth0|fresh", fetched_at=now - dt.timedelta(minutes=5))
    failed_first = UserActivity(user_id="auth0|failed", fetched_at=None, last_error="Auth0 unavailable")
    stale = UserActivity(user_id="auth0|stale", fetched_at=now - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert user_activity_refresh_if_due("auth0|fresh", fresh) is False
        assert user_activity_refresh_if_due("auth0|failed", failed_first) is False
        assert user_activity_refresh_if_due("auth0|stale", stale) is True
        assert user_activity_refresh_if_due("auth0|never", None) is True
    assert len(queued) == 2


@pytest.mark.parametrize(("user_agent", "device"), [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
     "Safari/537.36 Edg/126.0.2592.87", "Edge 126 on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
     "Safari/605.1.15", "Safari 17 on macOS"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1", "Safari 17 on iOS"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128 on Linux"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile "
     "Safari/537.36", "Chrome 126 on Android"),
    ("curl/8.5.0", "curl 8.5.0"),
    ("", ""),
])
def test_devices_are_named_as_people_know_them(user_agent: str, device: str) -> None:
    assert device_of(user_agent) == device


def test_unknown_event_codes_fall_back_to_auth0s_description() -> None:
    assert event_label({"type": "fu"}) == "Failed login (unknown email or username)"
    assert event_label({"type": "zz_new", "description": "Something new"}) == "Something new"
    assert event_label({"type": "zz_new"}) == "Other event (zz_new)"


# -- the page's button and the status it polls ------------------------------------------------------
@pytest.fixture
def initech_user():
    organization = OrganizationFactory(slug="initech", membership_mode=MembershipMode.SHARED_CONNECTION,
                                       connection_name=SHARED)
    user = {"user_id": "auth0|" + "a" * 24, "email": "ada@initech.test", "name": "Ada",
            "identities": [{"connection": SHARED, "provider": "auth0", "user_id": "a" * 24}],
            "app_metadata": {"organizations": ["initech"]}, "updated_at": "2025-01-01T00:00:00.000Z"}
    directory_users_upsert([user])
    viewer = UserFactory()
    RoleFactory(organization=organization, user_id=viewer.auth0_user_id, role="viewer")
    client = Client()
    client.force_login(viewer)
    return {"client": client, "user_id": user["user_id"]}


def test_a_viewer_may_refresh_and_a_second_click_within_a_minute_queues_nothing(
    initech_user, django_capture_on_commit_callbacks, published_tasks
) -> None:
    client, user_id = initech_user["client"], initech_user["user_id"]
    url = reverse("user_activity", kwargs={"slug": "initech", "user_id": user_id})
    UserActivity.objects.create(user_id=user_id, fetched_at=timezone.now())  # fresh: opening queues nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    detail = reverse("user_detail", kwargs={"slug": "initech", "user_id": user_id})
    assert response.redirect_chain[-1][0] == f"{detail}#activity"
    page = response.content.decode()
    assert "Fetching the newest activity from Auth0" in page
    assert f'data-activity-poll="{url}"' in page
    assert published_tasks.count(ACTIVITY_TASK) == 1
    assert client.get(url).json() == {"pending": True, "fetched_at": UserActivity.objects.get(
        user_id=user_id).fetched_at.isoformat(), "last_error": ""}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "was asked for less than a minute ago" in response.content.decode()
    assert published_tasks.count(ACTIVITY_TASK) == 1


def test_the_refresh_needs_the_csrf_token(initech_user, published_tasks) -> None:
    client = initech_user["client"]
    client.handler.enforce_csrf_checks = True
    url = reverse("user_activity", kwargs={"slug": "initech", "user_id": initech_user["user_id"]})
    assert client.post(url).status_code == 403
    assert ACTIVITY_TASK not in published_tasks
