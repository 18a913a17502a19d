"""The Management API budget page: what each group has left now and how many operations wait for it,
read from the same limiter the workers spend from; company admins only (the isolation matrix)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from auth0_gateway import gateway_reset
from portal.models import Operation, OperationKind, User
from portal.operations import RATE_WAIT_AUTH0, RATE_WAIT_BUDGET
from portal.ratelimit import rate_limiter
from tests.factories import CompanyAdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_client(client: Client, settings) -> Client:
    settings.AUTH0_RATE_LIMIT_STORE = "database"
    settings.AUTH0_RATE_LIMITS = "write_users=20/6, other=10/150"  # slow: no refill while the test runs
    gateway_reset()  # the process's limiter, from these settings
    admin = CompanyAdminFactory()
    client.force_login(User.objects.create_user(auth0_user_id=admin.user_id, email=admin.email))
    yield client
    gateway_reset()


def _waiting(message: str, due_in: int) -> Operation:
    return Operation.objects.create(
        kind=OperationKind.ROLE_GRANT, status=Operation.Status.PENDING, idempotency_key=f"k-{message}-{due_in}",
        last_error=f"{message}; retrying in {due_in}s", next_attempt_at=timezone.now() + timedelta(seconds=due_in))


def test_the_page_shows_each_groups_tokens_and_the_operations_waiting(company_client: Client) -> None:
    for _ in range(3):
        assert rate_limiter().take("write_users").ok
    _waiting(RATE_WAIT_BUDGET, 30)
    last = _waiting(RATE_WAIT_AUTH0, 90)
    Operation.objects.create(kind=OperationKind.ROLE_GRANT, status=Operation.Status.PENDING, idempotency_key="other",
                             last_error="Auth0 unavailable (503); retrying in 4s")
    page = company_client.get("/auth0/rate-limits/").content.decode()
    assert "Write Users" in page and "All other endpoints" in page
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    write_row = rows.split("Write Users")[1].split("</tr>")[0]
    # 3 of the 19 the portal may spend (20 less its margin of one token) are spent; the tenant's limit is 20.
    assert [cell.split(">")[-1] for cell in write_row.split("</td>")[:-1]][1:] == ["16", "20", "6"]
    assert "2 operations wait for the budget" in page
    assert last.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S") in page


def test_nothing_waiting_says_so(company_client: Client) -> None:
    assert "No operation is waiting for the budget." in company_client.get("/auth0/rate-limits/").content.decode()
