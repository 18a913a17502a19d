"""The directory sync status page: company admins only; starting a sync from it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from portal.models import User
from tests.factories import CompanyAdminFactory, RoleFactory, UserFactory
from users.models import SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_client(client: Client) -> Client:
    admin = CompanyAdminFactory()
    client.force_login(User.objects.create_user(auth0_user_id=admin.user_id, email=admin.email))
    return client


def test_the_page_shows_recent_runs_with_their_counts_and_errors(company_client: Client) -> None:
    SyncRun.objects.create(kind="full", status="succeeded", users_seen=1234, users_written=1200, users_deleted=3,
                           finished_at=timezone.now())
    SyncRun.objects.create(kind="delta", status="failed", last_error="Auth0 refused the portal's token")
    page = company_client.get("/directory/sync/").content.decode()
    assert "Full import and reconcile" in page and "1,234" in page and "Succeeded" in page
    assert "Changes since the last run" in page and "Auth0 refused the portal&#x27;s token" in page


def test_starting_syncs(company_client: Client, django_capture_on_commit_callbacks, published_tasks) -> None:
    response = company_client.post("/directory/sync/start/", {"kind": "delta"}, follow=True)
    assert "run a full sync first" in response.content.decode() and published_tasks == []
    with django_capture_on_commit_callbacks(execute=True):
        company_client.post("/directory/sync/start/", {"kind": "full"})
    assert published_tasks == ["users.tasks.directory_sync"]
    assert SyncRun.objects.get().kind == "full"
    assert "Choose a full or a delta sync" in company_client.post(
        "/directory/sync/start/", {"kind": "everything"}, follow=True).content.decode()


def test_nobody_else_sees_it(client: Client, published_tasks) -> None:
    role = RoleFactory(role="admin")
    client.force_login(UserFactory(auth0_user_id=role.user_id))
    assert client.get("/directory/sync/").status_code == 404
    assert client.post("/directory/sync/start/", {"kind": "full"}).status_code == 404
    assert published_tasks == [] and not SyncRun.objects.exists()
