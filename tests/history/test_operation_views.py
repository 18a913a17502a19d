"""The operations page: an organization's operations with failures first, kinds and people by name, and
a retry offered to its admins only (confirmed first where a second run shows, e.g. an email); a retry of
anything but a failed operation is refused and queues nothing. Company admins see every organization's."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from portal.keyset import KeysetPaginator, SortKey
from portal.models import AuditEvent, Operation
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory, UserFactory
from tests.support.history import operation_in, pages_walked
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


@pytest.fixture
def trail(acme, ada, monkeypatch) -> dict[str, list[Operation]]:
    """Operations of every status in Acme and Beta, three asked each minute (ties broken by id); 4 a page."""
    monkeypatch.setattr("history.operation_views.OPERATIONS_PER_PAGE", 4)
    beta = OrganizationFactory(slug="beta", display_name="Beta")
    statuses = ["succeeded", "failed", "pending", "running", "succeeded", "succeeded", "failed"]
    made: dict[str, list[Operation]] = {"acme": [], "beta": []}
    for n in range(30):
        organization = acme if n % 5 else beta
        made[organization.slug].append(operation_in(
            statuses[n % len(statuses)], kind="user_block", organization=organization, target=ada["user_id"],
            created=T0 + dt.timedelta(minutes=n // 3)))
    return made


def attention_first(operations: list[Operation]) -> list:
    """Failures, then pending and running operations, then the rest; newest first, then by id, within each."""
    by_id = sorted(operations, key=lambda op: op.pk, reverse=True)
    by_time = sorted(by_id, key=lambda op: op.created_at, reverse=True)
    return [op.pk for op in sorted(by_time, key=lambda op: op.attention)]


def operation_key(row):
    return row.operation.pk


@pytest.mark.parametrize("group", ["", "failed", "unfinished", "succeeded"])
def test_every_page_forward_and_back_shows_each_operation_once_in_order(trail, acme, group) -> None:
    admin = signed_in(acme, "admin")
    params = {"status": group} if group else {}
    forward, backward = pages_walked(admin, reverse("operation_list", kwargs={"slug": "acme"}), params,
                                     operation_key)
    statuses = {"": {"failed", "pending", "running", "succeeded"}, "failed": {"failed"},
                "unfinished": {"pending", "running"}, "succeeded": {"succeeded"}}[group]
    expected = attention_first([op for op in trail["acme"] if op.status in statuses])
    assert forward == expected and backward == expected


def test_a_company_admin_walks_every_organizations_operations(trail) -> None:
    company = Client()
    company.force_login(UserFactory(auth0_user_id=CompanyAdminFactory().user_id))
    forward, backward = pages_walked(company, reverse("company_operation_list"), {}, operation_key)
    assert forward == backward == attention_first(trail["acme"] + trail["beta"])


def test_the_total_and_a_retry_keep_to_the_page(trail, acme) -> None:
    admin = signed_in(acme, "admin")
    url = reverse("operation_list", kwargs={"slug": "acme"})
    first = admin.get(url, {"status": "failed"})
    assert "7 operations" in first.content.decode()
    second = admin.get(first.context["listing"].next_url)
    here = second.context["listing"].here
    assert here == first.context["listing"].next_url and "status=failed" in here and "after=" in here
    assert f'<input type="hidden" name="next" value="{here.replace("&", "&amp;")}">' in second.content.decode()
    last = admin.get(first.context["listing"].last_url)
    assert last.context["listing"].here == f"{url}?status=failed&page=last"


@pytest.mark.parametrize(("asked", "message"), [
    ({"after": "forged"}, "This page link is damaged or out of date. Showing the first page."),
    ({"before": "x" * 5000}, "This page link is damaged or out of date. Showing the first page."),
    ({"page": "7"}, "There is no page “7”: pages are reached with the links below the list. Showing the first page."),
])
def test_a_damaged_or_forged_page_link_shows_the_first_page_and_says_why(trail, acme, asked, message) -> None:
    admin = signed_in(acme, "admin")
    url = reverse("operation_list", kwargs={"slug": "acme"})
    response = admin.get(url, {"status": "unfinished", **asked})
    assert response.status_code == 200
    assert response.context["listing"].message == message
    assert f'<div class="alert alert-warning" role="alert">{message}</div>' in response.content.decode()
    first = admin.get(url, {"status": "unfinished"})
    assert [r.operation for r in response.context["rows"]] == [r.operation for r in first.context["rows"]]


def test_a_cursor_of_another_list_or_organization_shows_only_this_organizations_operations(trail, acme) -> None:
    company = Client()
    company.force_login(UserFactory(auth0_user_id=CompanyAdminFactory().user_id))
    everyone = company.get(reverse("company_operation_list"))
    # The company page's cursor stands after one of Beta's operations: on Acme's page it is only a position.
    cursor = parse_qs(urlsplit(everyone.context["listing"].next_url).query)["after"][0]
    assert everyone.context["rows"][-1].operation.organization.slug == "beta"
    admin = signed_in(acme, "admin")
    url = reverse("operation_list", kwargs={"slug": "acme"})
    response = admin.get(url, {"after": cursor})
    assert response.status_code == 200 and response.context["rows"]
    assert {r.operation.organization.slug for r in response.context["rows"]} == {"acme"}
    shown = [r.operation.pk for r in response.context["rows"]]
    expected = attention_first(trail["acme"])
    position = attention_first(trail["acme"] + trail["beta"]).index(everyone.context["rows"][-1].operation.pk)
    after = [pk for pk in attention_first(trail["acme"] + trail["beta"])[position + 1:] if pk in expected]
    assert shown == after[:4]
    # Beta's admin, given Acme's page link, sees nothing of Acme's.
    beta_admin = signed_in(trail["beta"][0].organization, "admin")
    assert beta_admin.get(url, {"after": cursor}).status_code == 404
    beta_page = beta_admin.get(reverse("operation_list", kwargs={"slug": "beta"}), {"after": cursor})
    assert {r.operation.organization.slug for r in beta_page.context["rows"]} <= {"beta"}
    # A cursor of another order (the REST API's, newest first) is refused for what it is.
    newest_first = KeysetPaginator(Operation.objects.all(), [SortKey("created_at", descending=True),
                                                             SortKey("pk", descending=True)], 4)
    foreign = admin.get(url, {"after": newest_first.cursor(trail["acme"][0])})
    assert foreign.context["listing"].message == ("This page link was made for another sort order. "
                                                  "Showing the first page.")


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
