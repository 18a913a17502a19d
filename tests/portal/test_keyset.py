"""Keyset paging: walking forward from the first page and backward from the last visits every row once,
in the order of the sort (NULLs last, ties broken by id), whatever the column's type, and across the
groups of a first key of a few values."""

from __future__ import annotations

import datetime as dt

import pytest

from portal import keyset
from portal.keyset import InvalidCursor, KeysetPaginator, SortKey
from portal.models import Operation
from tests.support.history import operation_in
from users.models import DirectoryUser

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def users() -> list[DirectoryUser]:
    rows = []
    for i in range(23):
        rows.append(DirectoryUser(
            user_id=f"auth0|{i:04d}", email=f"u{i % 7}@example.test",  # ties: seven emails for 23 users
            last_login=None if i % 4 == 0 else NOW + dt.timedelta(hours=i % 5),  # NULLs and ties
            logins_count=i % 3, blocked=i % 2 == 0, synced_at=NOW,
        ))
    return DirectoryUser.objects.bulk_create(rows)


def _expected(field: str, descending: bool) -> list[int]:
    """The order the database should give: NULLs last in both directions, then by id the same way."""
    rows = list(DirectoryUser.objects.values_list("pk", field))
    present = sorted((r for r in rows if r[1] is not None), key=lambda r: (r[1], r[0]), reverse=descending)
    missing = sorted((r for r in rows if r[1] is None), key=lambda r: r[0], reverse=descending)
    return [pk for pk, _ in present + missing]


@pytest.mark.parametrize("field", ["email", "last_login", "logins_count", "blocked"])
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_forward_and_backward_walks_see_every_row_once_in_order(users, field: str, descending: bool) -> None:
    keys = [SortKey(field, descending), SortKey("pk", descending)]
    paginator = KeysetPaginator(DirectoryUser.objects.all(), keys, size=5)
    forward, page = [], paginator.first()
    while True:
        forward += [u.pk for u in page.items]
        if not page.has_next:
            break
        page = paginator.after(page.next_cursor)
    assert forward == _expected(field, descending)

    backward, page = [], paginator.last()
    assert len(page.items) == 5 and not page.has_next
    while True:
        backward = [u.pk for u in page.items] + backward
        if not page.has_previous:
            break
        page = paginator.before(page.previous_cursor)
    assert backward == forward


def test_a_damaged_or_foreign_cursor_is_refused(users) -> None:
    by_email = KeysetPaginator(DirectoryUser.objects.all(), [SortKey("email"), SortKey("pk")], size=5)
    by_login = KeysetPaginator(DirectoryUser.objects.all(), [SortKey("last_login"), SortKey("pk")], size=5)
    cursor = by_email.first().next_cursor
    with pytest.raises(InvalidCursor, match="another sort order"):
        by_login.after(cursor)
    with pytest.raises(InvalidCursor, match="damaged"):
        by_email.after(cursor[:-3] + "xyz")


def test_the_last_key_must_be_the_primary_key() -> None:
    with pytest.raises(ValueError, match="primary key"):
        KeysetPaginator(DirectoryUser.objects.all(), [SortKey("email")], size=5)


@pytest.mark.parametrize("keys", [
    [SortKey("attention", grouped=True), SortKey("created_at", descending=True), SortKey("pk", descending=True)],
    [SortKey("attention", descending=True, grouped=True), SortKey("created_at"), SortKey("pk")],
    [SortKey("attention", grouped=True), SortKey("pk")],
], ids=["attention-first", "attention-last", "two-keys"])
def test_a_grouped_first_key_walks_across_its_groups(keys) -> None:
    """A few values in the first key (seeking within the cursor's group, then the groups after it): pages that
    end in a group, span two or three, or find a group empty see every row once."""
    statuses = ["failed", "succeeded", "succeeded", "pending", "succeeded", "running", "succeeded"]
    for n in range(26):
        operation_in(statuses[n % len(statuses)], kind="user_block", target=f"auth0|{n}",
                     created=NOW + dt.timedelta(minutes=n // 4))
    operations = Operation.objects.all()
    rows = list(operations)
    for key in reversed(keys):
        rows.sort(key=lambda op, key=key: getattr(op, key.field), reverse=key.descending)
    for size in (1, 4, 11, 30):
        paginator = KeysetPaginator(operations, keys, size=size)
        forward, page = [], paginator.first()
        while True:
            forward += page.items
            if not page.has_next:
                break
            page = paginator.after(page.next_cursor)
        backward, page = [], paginator.last()
        while True:
            backward = page.items + backward
            if not page.has_previous:
                break
            page = paginator.before(page.previous_cursor)
        assert forward == backward == rows, size


def test_only_a_first_key_that_is_never_null_may_be_grouped() -> None:
    with pytest.raises(ValueError, match="grouped"):
        KeysetPaginator(DirectoryUser.objects.all(), [SortKey("email"), SortKey("blocked", grouped=True),
                                                      SortKey("pk")], size=5)
    with pytest.raises(ValueError, match="grouped"):
        KeysetPaginator(DirectoryUser.objects.all(), [SortKey("last_login", grouped=True), SortKey("pk")], size=5)


def test_a_column_that_cannot_be_null_is_ordered_as_its_plain_index_is() -> None:
    """PostgreSQL reads a btree index ascending as NULLS LAST and descending as NULLS FIRST: a NULLS clause
    on a column that holds none would only keep it from the index."""
    paginator = KeysetPaginator(Operation.objects.all(), [SortKey("created_at", descending=True),
                                                          SortKey("pk", descending=True)], size=5)
    sql = str(paginator.queryset.order_by(*keyset._order(paginator.keys, paginator._nullable, reverse=False)).query)
    assert "NULLS" not in sql.upper()
    nullable = KeysetPaginator(DirectoryUser.objects.all(), [SortKey("last_login"), SortKey("pk")], size=5)
    sql = str(nullable.queryset.order_by(*keyset._order(nullable.keys, nullable._nullable, reverse=False)).query)
    assert "NULLS LAST" in sql.upper() and sql.upper().count("NULLS") == 1
