"""A bulk onboarding job run by real worker processes against a tenant that fails a fifth of the calls and
answers 429 whenever the portal goes faster than its limits, with a worker SIGKILLed a quarter of the way
through (then started again) and the broker restarted halfway: the job ends finished with every row done
exactly once. One Auth0 user per invited email, in the organization's connection, with the metadata its
row asked for; every member the file updates holds the metadata (and block) their row asked for, in the
tenant and the directory; each row sent once (one operation per ``bulk:<job>:<line>[:part]`` key, and a
ticket and an email per invitation, more only where a run was cut short after sending them).

The file is uploaded through the upload's service and checked by a worker (the check task), confirmed as
the page confirms, and carried on by the sweepers (the operations' and the bulk jobs'), run as beat runs
them but every two seconds, with the cluster's shortened recovery timings.

A small file by default (CI); ``RELIABILITY_FULL=1`` runs 1,000 rows.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.reliability.conftest import CONTENDED, FAULT_RATE, FAULT_STATUSES, FULL
from tests.support.operations_cluster import Cluster

pytestmark = pytest.mark.processes

ROWS = 1000 if FULL else 15
# Existing members the file updates: a fifth of the rows; two of them change the person's block (one with
# their metadata too, one without), the rest only their metadata.
MEMBERS = ROWS // 5
TIMEOUT = 1800 if FULL else 150
SLUG = "acme"  # isolated connection: one user per email in the organization's own connection
CONNECTION = "acme-users"


def _file(path: Path, members: list[dict[str, str]]) -> dict[str, dict]:
    """The CSV (the template's columns: email, names, block and the schema's two fields), and what each row
    asks for by email."""
    asked: dict[str, dict] = {}
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "given_name", "family_name", "block", "department", "seats"])
        for n in range(ROWS - MEMBERS):
            email = f"bulk-invitee-{n:05d}@{SLUG}.test"
            writer.writerow([email, f"Given{n}", f"Family{n}", "", f"dept-{n % 7}", str(n % 50 + 1)])
            asked[email] = {"action": "invite", "department": f"dept-{n % 7}", "seats": n % 50 + 1, "block": False}
        for n, member in enumerate(members):
            block = n < 2
            metadata = n != 0  # the first member's row only blocks them
            department, seats = (f"moved-{n}", n + 100) if metadata else ("", "")
            writer.writerow([member["email"], "", "", "yes" if block else "", department, seats])
            asked[member["email"]] = {"action": "update", "department": department or None,
                                      "seats": seats or None, "block": block, "user_id": member["user_id"],
                                      "changes_metadata": metadata}
    return asked


def test_a_bulk_job_through_faults_a_killed_worker_and_a_broker_restart(cluster: Cluster) -> None:
    driver = cluster.driver
    cluster.emulator_controls(fault_rate=0.0, rate_limits_enabled=False)
    members = driver.call("bulk_members_create", slug=SLUG, prefix="bulk-member", count=MEMBERS)
    path = cluster.workdir / "bulk.csv"
    asked = _file(path, members)

    cluster.emulator_controls(fault_rate=FAULT_RATE, fault_status=FAULT_STATUSES, rate_limits_enabled=True,
                              rate_limit_refusals=CONTENDED)
    before = cluster.emulator_stats()
    job = driver.call("bulk_upload", slug=SLUG, path=str(path))["job"]
    checked = driver.call("bulk_wait", job=job, statuses=["ready"], timeout=TIMEOUT)
    assert checked["status"] == "ready", (checked, cluster.logs())
    planned = driver.call("bulk_start", job=job)["actions"]
    assert planned == {"invite": ROWS - MEMBERS, "update": MEMBERS}, planned

    # A worker killed outright a quarter of the way through, started again; the broker restarted halfway.
    quarter = driver.call("bulk_wait", job=job, rows_ended=ROWS // 4, timeout=TIMEOUT)
    assert not quarter["timed_out"], (quarter, cluster.logs())
    cluster.worker_kill_and_restart(0)
    half = driver.call("bulk_wait", job=job, rows_ended=ROWS // 2, timeout=TIMEOUT)
    assert not half["timed_out"], (half, cluster.logs())
    cluster.redis.restart()
    waited = driver.call("bulk_wait", job=job, statuses=["finished"], timeout=TIMEOUT)
    cluster.emulator_controls(fault_rate=0.0, rate_limits_enabled=False)
    after = cluster.emulator_stats()
    answered = {outcome: sum(counts[outcome] - before.get(group, {}).get(outcome, 0) for group, counts in after.items())
                for outcome in ("served", "rate_limited", "faults")}
    report = driver.call("bulk_report", job=job)
    rows = report["rows"]
    invites = [row for row in rows if row["action"] == "invite"]
    figures = {"rows": ROWS, **answered, "swept": waited["swept"],
               "attempts": sum(op["attempts"] for row in rows for op in row["operations"]),
               "extra_tickets": sum(max(0, u["tickets"] - 1) for row in invites for u in row["users"]),
               "extra_emails": sum(max(0, row["emails"] - 1) for row in invites)}
    print("\nbulk: " + " ".join(f"{k}={v}" for k, v in figures.items()))

    # The job finished, every row done.
    assert waited["status"] == "finished" and report["finished_at"], (waited, cluster.logs())
    not_done = [(row["line"], row["email"], row["outcome"], row["outcome_message"]) for row in rows
                if row["outcome"] != "done"]
    assert not not_done, f"{len(not_done)} rows not done: {not_done[:10]}\n{cluster.logs()}"
    assert len(rows) == ROWS and {row["email"] for row in rows} == set(asked)

    # Each row sent once: exactly the operations its plan calls for, each under its own key, each succeeded.
    for row in rows:
        wanted = asked[row["email"]]
        prefix = f"bulk:{job}:{row['line']}"
        expected = [prefix] if wanted["action"] == "invite" else [
            key for key, sent in ((f"{prefix}:metadata", wanted["changes_metadata"]),
                                  (f"{prefix}:block", wanted["block"])) if sent]
        keys = [op["key"] for op in row["operations"]]
        assert sorted(keys) == sorted(expected), (row["line"], keys, expected)
        assert all(op["status"] == "succeeded" for op in row["operations"]), row
    assert report["other_keys"] == []

    # Cut short: a run stopped between sending a ticket or an email and recording that it had (the killed
    # worker's processes, and every run the broker's loss of connection cancelled).
    cut_short = cluster.concurrency + cluster.worker_count * cluster.concurrency
    extra_tickets = extra_emails = 0
    for row in rows:
        wanted = asked[row["email"]]
        assert row["action"] == wanted["action"], row
        assert len(row["users"]) == 1, (row["email"], row["users"])
        [user] = row["users"]
        assert user["connections"] == [CONNECTION], (row["email"], user)
        expected_metadata = {"user_metadata": {"department": wanted["department"]},
                             "app_metadata": {"seats": wanted["seats"]}}
        assert user["metadata"] == expected_metadata, (row["email"], user["metadata"], expected_metadata)
        assert user["directory"] == expected_metadata, (row["email"], user["directory"], expected_metadata)
        assert user["blocked"] is wanted["block"] and user["directory_blocked"] is wanted["block"], (row, user)
        if wanted["action"] == "invite":
            operation = row["operations"][0]
            assert 1 <= row["emails"] <= user["tickets"] <= operation["attempts"], (row["email"], row, user)
            extra_tickets += user["tickets"] - 1
            extra_emails += row["emails"] - 1
    assert extra_tickets <= cut_short and extra_emails <= cut_short, (extra_tickets, extra_emails, cut_short)

    # The tenant did fail calls and refuse some with 429 while the job ran (at least the CONTENDED ones).
    assert answered["faults"] > 0 and answered["rate_limited"] >= CONTENDED, answered
