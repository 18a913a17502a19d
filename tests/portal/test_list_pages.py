"""The list pages' shared parts: a total that stops counting past its cap (and says so), and links that keep
the list's state."""

from __future__ import annotations

import pytest

from portal.models import Operation
from portal.web.list_pages import list_total_label, url_with
from tests.support.history import operation_in

pytestmark = pytest.mark.django_db


def test_a_total_is_exact_up_to_its_cap_and_says_more_than_beyond() -> None:
    operations = Operation.objects.all()
    assert list_total_label(operations, "operation", "operations") == "0 operations"
    operation_in("failed", kind="user_block", target="auth0|1")
    assert list_total_label(operations, "operation", "operations") == "1 operation"
    for n in range(2, 5):
        operation_in("succeeded", kind="user_block", target=f"auth0|{n}")
    assert list_total_label(operations, "operation", "operations", cap=4) == "4 operations"
    operation_in("succeeded", kind="user_block", target="auth0|5")
    assert list_total_label(operations, "operation", "operations", cap=4) == "More than 4 operations"
    assert list_total_label(operations.order_by("attention"), "operation", "operations", cap=1000) == "5 operations"


def test_links_keep_the_lists_state() -> None:
    assert url_with("/audit/", {}) == "/audit/"
    assert url_with("/audit/", {"actor": "Ada L", "org": "-"}, page="last") == "/audit/?actor=Ada+L&org=-&page=last"
