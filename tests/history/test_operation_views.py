"""The operations page: an organization's operations with failures first, kinds and people by name, and
a retry offered to its admins only (confirmed first where a second run shows, e.g. an email); a retry of
anything but a failed operation is refused and queues nothing. Company admins see every organization's."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import AuditEvent, Operation
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory, UserFactory
from tests.support.history import operation_in
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def signed_in(organization, role: str) -> Client:
    client = Client()
    granted = RoleFactory(organization=organization, role=role, name=f"The {role}")
    client.force_login(UserFactory(auth0_user_id=granted.user_id))
    client.auth0_user_id = granted.user_id  # type: ignore[attr-defined]
    return client


@pytest.fixture
def acme():
    return OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                               auth0_connection_id="con_acme")


@pytest.fixture
def ada(acme) -> dict:
    user = auth0_user(connection="acme-users", email="ada@acme.test", name="Ada Lovelace")
    directory_users_upsert([user])
    return user


@pytest.fixture
def operations(acme, ada) -> dict[str, Operation]:
    def op(status, kind, minutes, **fields):
        return operation_in(status, kind=kind, organization=acme, target=ada["user_id"],
                            payload={"user_id": ada["user_id"], "email": ada["email"]},
                            created=T0 + dt.timedelta(minutes=minutes), **fields)

    return {
        "done": op("succeeded", "user_unblock", 5),
        "block_failed": op("failed", "user_block", 0, last_error="Auth0 unavailable (503); gave up after 8 attempts",
                           attempts=8),
        "email_failed": op("failed", "user_password_email", 1, last_error="The mail server refused the message"),
        "pending": op("pending", "user_mfa_reset", 2),
    }


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr role="row" class="operation-row operation-(\w+)">', html)


def test_failures_come_first_with_labels_names_and_errors_in_words(client, acme, operations) -> None:
    admin = signed_in(acme, "admin")
    response = admin.get(reverse("operation_list", kwargs={"slug": "acme"}))
    assert response.status_code == 200
    html = response.content.decode()
    assert rows_of(html) == ["failed", "failed", "pending", "succeeded"]
    assert [r.operation for r in response.context["rows"]] == [
        operations["email_failed"], operations["block_failed"], operations["pending"], operations["done"]]
    for text in ("Send a change-password email", "Block a user", "Reset multi-factor authentication",
                 "Unblock a user", "Ada Lovelace (ada@acme.test)", "The mail server refused the message",
                 "Auth0 unavailable (503); gave up after 8 attempts"):
        assert text in html
    assert "user_password_email" not in html and "auth0|" not in html
    # The unfinished one follows its status without a reload (static/portal/operations.js).
    pending_url = reverse("operation_detail", kwargs={"slug": "acme", "operation_id": operations["pending"].pk})
    assert f'data-operation-poll="{pending_url}?format=json"' in html
    # Retries: a button for the block (nothing new shows when it runs again), a confirmation for the email.
    block_retry = reverse("operation_retry", kwargs={"slug": "acme", "operation_id": operations["block_failed"].pk})
    email_retry = reverse("operation_retry", kwargs={"slug": "acme", "operation_id": operations["email_failed"].pk})
    assert f'<form method="post" action="{block_retry}"' in html
    assert f'href="{email_retry}?next=' in html
    assert html.count("Try again") == 2


def test_viewers_see_the_page_without_retries_and_cannot_retry(acme, operations, published_tasks) -> None:
    viewer = signed_in(acme, "viewer")
    html = viewer.get(reverse("operation_list", kwargs={"slug": "acme"})).content.decode()
    assert "Block a user" in html and "Try again" not in html
    url = reverse("operation_retry", kwargs={"slug": "acme", "operation_id": operations["block_failed"].pk})
    assert viewer.get(url).status_code == 403
    assert viewer.post(url).status_code == 403
    operations["block_failed"].refresh_from_db()
    assert operations["block_failed"].status == "failed" and published_tasks == []


def test_a_failed_operation_is_sent_again_and_the_list_follows_it(
    acme, operations, django_capture_on_commit_callbacks, published_tasks
) -> None:
    admin = signed_in(acme, "admin")
    operation = operations["block_failed"]
    url = reverse("operation_retry", kwargs={"slug": "acme", "operation_id": operation.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, {"next": "/o/acme/operations/?status=failed"})
    assert response.status_code == 302 and response["Location"] == "/o/acme/operations/?status=failed"
    assert published_tasks == ["users.tasks.user_action"]
    operation.refresh_from_db()
    assert (operation.status, operation.attempts, operation.last_error, operation.finished_at) == (
        "pending", 0, "", None)
    # It runs as the admin who tried again: the task checks their rights, not those of who asked first.
    assert operation.actor_user_id == admin.auth0_user_id
    event = AuditEvent.objects.get(action="operation.retried")
    assert event.operation == operation and event.actor_user_id == admin.auth0_user_id
    assert event.details["attempts"] == 8 and event.details["requested_by"] == "system"
    html = admin.get(reverse("operation_list", kwargs={"slug": "acme"})).content.decode()
    assert "Block a user: trying again." in html
    assert rows_of(html) == ["failed", "pending", "pending", "succeeded"]


def test_an_email_is_sent_again_only_once_confirmed(acme, operations, django_capture_on_commit_callbacks,
                                                    published_tasks) -> None:
    admin = signed_in(acme, "admin")
    operation = operations["email_failed"]
    url = reverse("operation_retry", kwargs={"slug": "acme", "operation_id": operation.pk})
    page = admin.get(url).content.decode()
    assert "The change-password email is sent again: they may receive it twice." in page
    assert "Ada Lovelace (ada@acme.test)" in page
    with django_capture_on_commit_callbacks(execute=True):
        unconfirmed = admin.post(url)
    assert unconfirmed.status_code == 200 and "they may receive it twice" in unconfirmed.content.decode()
    assert published_tasks == []
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = admin.post(url, {"confirm": "yes"})
    assert confirmed.status_code == 302 and confirmed["Location"] == "/o/acme/operations/"
    assert published_tasks == ["users.tasks.user_action"]


@pytest.mark.parametrize("which", ["pending", "done"])
def test_only_a_failed_operation_can_be_retried(acme, operations, which, django_capture_on_commit_callbacks,
                                                published_tasks) -> None:
    admin = signed_in(acme, "admin")
    operation = operations[which]
    url = reverse("operation_retry", kwargs={"slug": "acme", "operation_id": operation.pk})
    assert "Only a failed operation can be tried again." in admin.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, {"confirm": "yes"})
    assert response.status_code == 400
    status = "pending" if which == "pending" else "succeeded"
    assert f"Only a failed operation can be tried again; this one is {status}." in response.content.decode()
    before = operation.updated_at
    operation.refresh_from_db()
    assert operation.status == status and operation.updated_at == before
    assert published_tasks == [] and not AuditEvent.objects.filter(action="operation.retried").exists()


def test_a_retry_returns_only_to_a_page_of_this_site(acme, operations) -> None:
    admin = signed_in(acme, "admin")
    url = reverse("operation_retry", kwargs={"slug": "acme", "operation_id": operations["block_failed"].pk})
    response = admin.post(url, {"next": "https://evil.test/o/acme/operations/"})
    assert response["Location"] == "/o/acme/operations/"


def test_connecting_to_auth0_is_retried_by_company_admins_only(acme, published_tasks) -> None:
    failed = operation_in("failed", kind="organization_provision", organization=acme, target="acme",
                          last_error="The shared connection does not exist")
    html = signed_in(acme, "admin").get(reverse("operation_list", kwargs={"slug": "acme"})).content.decode()
    assert "Connect the organization to Auth0" in html and "Try again" not in html
    response = signed_in(acme, "admin").post(
        reverse("operation_retry", kwargs={"slug": "acme", "operation_id": failed.pk}))
    assert response.status_code == 400 and "Only company admins may do this." in response.content.decode()
    company = Client()
    company.force_login(UserFactory(auth0_user_id=CompanyAdminFactory().user_id))
    assert "Try again" in company.get(reverse("operation_list", kwargs={"slug": "acme"})).content.decode()


def test_the_status_filter_and_paging_keep_their_state(acme, ada) -> None:
    for minute in range(30):
        operation_in("failed" if minute % 2 else "succeeded", kind="user_block", organization=acme,
                     target=ada["user_id"], created=T0 + dt.timedelta(minutes=minute))
    admin = signed_in(acme, "admin")
    url = reverse("operation_list", kwargs={"slug": "acme"})
    first = admin.get(url)
    assert len(first.context["rows"]) == 25 and first.context["next_url"] == f"{url}?page=2"
    failed = admin.get(url, {"status": "failed"})
    assert {r.operation.status for r in failed.context["rows"]} == {"failed"}
    assert "15 operations" in failed.content.decode()
    # Nonsense in the URL shows everything, never an error.
    assert admin.get(url, {"status": "<script>", "page": "lots"}).status_code == 200


def test_company_admins_see_every_organizations_operations(acme, operations) -> None:
    beta = OrganizationFactory(slug="beta", display_name="Beta")
    operation_in("failed", kind="user_block", organization=beta, target="auth0|beta-user")
    company = Client()
    company.force_login(UserFactory(auth0_user_id=CompanyAdminFactory().user_id))
    response = company.get(reverse("company_operation_list"))
    html = response.content.decode()
    assert response.status_code == 200 and "Acme" in html and "Beta" in html
    assert [r.operation.status for r in response.context["rows"]][:3] == ["failed"] * 3
    assert signed_in(acme, "admin").get(reverse("company_operation_list")).status_code == 404


def test_the_organization_page_links_to_its_operations_and_audit_trail(acme) -> None:
    html = signed_in(acme, "viewer").get(reverse("organization_detail", kwargs={"slug": "acme"})).content.decode()
    assert f'href="{reverse("operation_list", kwargs={"slug": "acme"})}"' in html
    assert f'href="{reverse("audit_event_list", kwargs={"slug": "acme"})}"' in html


def test_an_operations_own_page_links_to_the_list(acme, operations) -> None:
    url = reverse("operation_detail", kwargs={"slug": "acme", "operation_id": operations["block_failed"].pk})
    html = signed_in(acme, "viewer").get(url).content.decode()
    assert f'href="{reverse("operation_list", kwargs={"slug": "acme"})}"' in html
