"""Shared-connection memberships are never lost: people of organizations that share one connection, each
person's organizations turned around at once (invitations to join accepted, memberships ended) by two real
worker processes, against a tenant that fails a fifth of the calls and answers 429 whenever the portal goes
faster than its limits. Each person's ``app_metadata.organizations`` is one list every organization writes
whole; every write holds the person's lock (``organizations.membership.organizations_list_lock``), so the
lists end exactly as the last acts asked, in Auth0 and in the directory: nothing lost, nothing extra.

Small by default (CI: 4 people, 5 organizations, 20 acts); ``RELIABILITY_FULL=1`` runs the issue's 200 acts
(20 people, 10 organizations).
"""

from __future__ import annotations

import pytest

from tests.reliability.conftest import CONTENDED, FAULT_RATE, FAULT_STATUSES, FULL
from tests.support.operations_cluster import Cluster

pytestmark = pytest.mark.processes

PEOPLE, ORGANIZATIONS = (20, 10) if FULL else (4, 5)
TIMEOUT = 1800 if FULL else 240


def test_organizations_turning_people_around_at_once_lose_nothing(cluster: Cluster) -> None:
    cluster.emulator_controls(fault_rate=0.0, rate_limits_enabled=False)
    people = cluster.driver.call("memberships_setup", prefix="shared", organizations=ORGANIZATIONS, people=PEOPLE)
    cluster.emulator_controls(fault_rate=FAULT_RATE, fault_status=FAULT_STATUSES, rate_limits_enabled=True,
                              rate_limit_refusals=CONTENDED)

    invitations = cluster.driver.call("memberships_invite", prefix="shared", organizations=ORGANIZATIONS,
                                      people=people)
    waited = cluster.driver.call("wait", operations=invitations, timeout=TIMEOUT)
    assert waited["counts"] == {"succeeded": len(invitations)}, f"{waited}\n{cluster.logs()}"

    turned = cluster.driver.call("memberships_turn_around", prefix="shared", organizations=ORGANIZATIONS,
                                 people=people)
    operations = turned["operations"]
    assert len(operations) == PEOPLE * ORGANIZATIONS
    waited = cluster.driver.call("wait", operations=operations, timeout=TIMEOUT)
    cluster.emulator_controls(fault_rate=0.0, rate_limits_enabled=False)
    report = cluster.driver.call("report", operations=operations)["operations"]
    unfinished = [(op["kind"], op["organization"], op["status"], op["last_error"]) for op in report
                  if op["status"] != "succeeded"]
    assert not unfinished, f"{len(unfinished)} did not succeed: {unfinished[:10]}\n{cluster.logs()}"

    held = cluster.driver.call("memberships_of", people=people)
    wrong = {user_id: lists for user_id, lists in held.items()
             if lists != {"auth0": turned["expected"][user_id], "directory": turned["expected"][user_id]}}
    print(f"\nmemberships: acts={len(operations)} people={PEOPLE} organizations={ORGANIZATIONS} "
          f"attempts={sum(op['attempts'] for op in report)} wrong={len(wrong)}")
    assert wrong == {}, f"lists not as the last acts asked: {wrong}"
