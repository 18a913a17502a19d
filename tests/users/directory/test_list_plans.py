"""Every order a user list offers is read from an index, in both directions, on PostgreSQL: a list's first
and last pages never sort its rows (which, on an organization of 300,000, took 90 ms a page).

PostgreSQL is told not to sort where it has any other way (``enable_sort = off``): a plan that still sorts
has no index giving that order. A small table is enough for that, whatever the planner would choose at scale."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.selectors import principal_for_user_id
from portal.keyset import KeysetPaginator
from tests.factories import CompanyAdminFactory, OrganizationFactory
from tests.support.concurrency import needs_database_server
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert
from users.directory.selectors import SORTS, UserQuery, user_listing

pytestmark = [pytest.mark.django_db, needs_database_server]


def _page_queries(listing, query: UserQuery) -> list[str]:
    """The SQL of the first and the last page of ``listing`` in ``query``'s order."""
    paginator = KeysetPaginator(listing, query.sort_keys, query.page_size)
    with CaptureQueriesContext(connection) as captured:
        paginator.first()
        paginator.last()
    return [q["sql"] for q in captured.captured_queries]


def _plans_that_sort(sqls: list[str]) -> list[str]:
    sorting = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        for sql in sqls:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            if "Sort" in plan:
                sorting.append(f"{sql}\n{plan}")
    return sorting


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("sort", sorted(SORTS))
def test_every_order_of_both_lists_reads_an_index(sort: str, descending: bool) -> None:
    organization = OrganizationFactory(connection_name="acme-users")
    directory_users_upsert([auth0_user(connection="acme-users", last_login=None if n % 3 else
                                       f"2025-01-{n + 1:02d}T10:00:00.000Z") for n in range(12)])
    company = principal_for_user_id(CompanyAdminFactory().user_id)
    query = UserQuery(sort=sort, descending=descending)
    sqls = [*_page_queries(user_listing(principal=company, organization=organization, query=query), query),
            *_page_queries(user_listing(principal=company, organization=None, query=query), query)]
    assert len(sqls) == 4
    assert _plans_that_sort(sqls) == []
