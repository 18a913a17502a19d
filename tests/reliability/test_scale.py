"""The portal at scale on this machine: 4 worker processes on 2 simulated hosts (a Celery worker of 2 pool processes
each, in a process group of its own with its own environment: its own multiprocess metrics directory and metrics
port, as a Kubernetes pod has) and 2 web processes (gunicorn, each with its own), sharing one database and one Redis.
The tenant's limits are the ones the portal is told. Invitations and metadata edits are asked for, and one host is
killed whole (SIGKILL to its process group) a quarter of the way through and not brought back.

- **Nothing lost**: every operation succeeds, one user per invitation, every person's metadata as last asked.
- **The budget never exceeded**: the tenant answered no 429 (every worker spent from the one budget in Redis).
- **The metrics tell the truth**: both web processes' /metrics show what the database holds (no operation pending,
  running or failed; no pending age); the hosts' counters (the killed one's read from the files it left, as a
  pod's emptyDir keeps them) add up to the operations the database recorded as succeeded and to the calls the
  tenant answered, short by at most the runs the kill cut off.

Small by default (CI); ``RELIABILITY_FULL=1`` runs the reliability tests' full counts.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.reliability.conftest import BATCH, FULL, GROUPS, SETTINGS
from tests.reliability.test_exactly_once import ROUNDS
from tests.support.operations_cluster import Cluster, WorkerProcess
from tests.support.processes import REPO, free_port, wait_for_http

pytestmark = pytest.mark.processes

TOKEN = "scale-test-metrics-token"  # noqa: S105
# The tenant's limits, and the portal told the same: low enough that 4 worker processes would exceed them alone.
# Of each burst of 5 the portal spends 2, keeping 0.5 s of refill (its default margin) for calls that reach the
# tenant later than they took their token, as they do on a machine this busy.
LIMITS = [f"{group}=5/300" for group in GROUPS]
TIMEOUT = 1800 if FULL else 240
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


class Host:
    """A simulated machine: one Celery worker (2 pool processes) with its own metrics directory and port."""

    def __init__(self, cluster: Cluster, name: str) -> None:
        self.dir = cluster.workdir / name / "prometheus"
        self.dir.mkdir(parents=True)
        self.port = free_port()
        env = {**cluster.env, "PROMETHEUS_MULTIPROC_DIR": str(self.dir), "WORKER_METRICS_PORT": str(self.port),
               "METRICS_TOKEN": TOKEN}
        self.worker = WorkerProcess(name, env, cluster.workdir, concurrency=2)

    def series(self) -> dict[tuple[str, tuple], float]:
        """The host's series, from its port while it lives, else from the files its processes left."""
        if self.worker.proc is not None and self.worker.proc.poll() is None:
            text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                             timeout=10).text
            return _samples(text_string_to_metric_families(text))
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(self.dir))
        return _samples(registry.collect())


def _samples(families) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for family in families for s in family.samples}


def _sum(series: dict[tuple[str, tuple], float], name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in series.items() if n == name and all((k, x) in ls for k, x in labels.items()))


class Web:
    def __init__(self, cluster: Cluster, name: str) -> None:
        self.port = free_port()
        self.dir = cluster.workdir / name / "prometheus"
        self.dir.mkdir(parents=True)
        env = {**cluster.env, "PROMETHEUS_MULTIPROC_DIR": str(self.dir), "METRICS_TOKEN": TOKEN,
               "PORTAL_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": "1"}
        self.log = open(cluster.workdir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([GUNICORN, "--config", "config/gunicorn_settings.py", "config.wsgi"], cwd=REPO,
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def metrics(self) -> dict[tuple[str, tuple], float]:
        response = httpx.get(f"http://127.0.0.1:{self.port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                             timeout=30)
        assert response.status_code == 200, response.text[:500]
        return _samples(text_string_to_metric_families(response.text))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="module")
def scale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, list[Host], list[Web]]]:
    emulator_args = [arg for limit in LIMITS for arg in ("--rate-limit", limit)]
    with Cluster(tmp_path_factory.mktemp("scale"), emulator_args=emulator_args, portal_rate_limits=", ".join(LIMITS),
                 workers=0, settings=SETTINGS) as cluster, contextlib.ExitStack() as stack:
        hosts = [Host(cluster, f"host{n}") for n in (1, 2)]
        for host in hosts:
            host.worker.start()
            stack.callback(host.worker.stop)
        webs = [Web(cluster, f"web{n}") for n in (1, 2)]
        for web in webs:
            stack.callback(web.stop)
        for host in hosts:
            host.worker.wait_ready()
        for web in webs:
            wait_for_http(f"http://127.0.0.1:{web.port}/healthz/live", timeout=60, proc=web.proc)
        cluster.organizations = cluster.driver.call("setup")
        yield cluster, hosts, webs


def test_many_workers_one_host_killed(scale) -> None:
    cluster, hosts, webs = scale
    for web in webs:
        assert httpx.get(f"http://127.0.0.1:{web.port}/healthz/ready", timeout=30).status_code == 200
    cluster.emulator_controls(fault_rate=0.0, rate_limits_enabled=False)
    people = cluster.driver.call("people_create", prefix="scale-person", count=BATCH // ROUNDS)
    cluster.emulator_controls(fault_rate=0.0, rate_limits_enabled=True)
    before_hosts = [host.series() for host in hosts]
    stats_before = cluster.emulator_stats()
    invited = cluster.driver.call("invite", prefix="scale-invitee", count=BATCH)
    edited = cluster.driver.call("edit", prefix="scale", people=people, rounds=ROUNDS)
    assert invited["errors"] == [] and edited["errors"] == []
    operations = invited["operations"] + edited["operations"]

    cluster.driver.call("wait", operations=operations, timeout=TIMEOUT, until=len(operations) // 4)
    hosts[0].worker.kill()  # the whole machine: main process and pool children, nothing finishes
    waited = cluster.driver.call("wait", operations=operations, timeout=TIMEOUT)
    assert not waited["timed_out"], (waited, cluster.logs())

    stats = cluster.emulator_stats()  # before the driver reads the tenant for its report, limits off
    cluster.emulator_controls(fault_rate=0.0, rate_limits_enabled=False)

    # Nothing lost.
    report = cluster.driver.call("report", operations=operations)["operations"]
    assert [op for op in report if op["status"] != "succeeded"] == []
    for op in (op for op in report if op["kind"] == "user_invite"):
        assert len(op["users"]) == 1, op
    metadata = cluster.driver.call("metadata_of", people=people)
    for user_id, last_edit in edited["final"].items():
        assert metadata[user_id]["auth0"] == last_edit == metadata[user_id]["directory"], user_id

    # The budget never exceeded: the tenant refused nothing.
    answered = {outcome: sum(counts[outcome] - stats_before.get(group, {}).get(outcome, 0)
                             for group, counts in stats.items())
                for outcome in ("served", "rate_limited", "faults")}
    assert answered["rate_limited"] == 0, answered
    assert answered["served"] > 0

    # The metrics tell the truth: the database's series, from both web processes alike.
    for web in webs:
        series = web.metrics()
        for state in ("pending", "running", "failed"):
            assert _sum(series, "portal_operations", state=state) == 0, (state, series)
        assert _sum(series, "portal_operations_oldest_pending_age_seconds") == 0
        # The tenant's burst, of which the portal spends 2.
        assert _sum(series, "portal_auth0_budget_burst", group="write_users") == 5
    # ...and the hosts' counters add up to what the database and the tenant recorded, short by at most the runs
    # the kill cut off (each between its outcome or answer and its count: the killed host's pool processes).
    after_hosts = [host.series() for host in hosts]
    cut_off = hosts[0].worker.concurrency

    def counted(name: str, **labels: str) -> float:
        return sum(_sum(after, name, **labels) - _sum(before, name, **labels)
                   for before, after in zip(before_hosts, after_hosts, strict=True))

    succeeded = counted("portal_operations_finished_total", outcome="succeeded")
    by_host = [_sum(a, "portal_operations_finished_total") - _sum(b, "portal_operations_finished_total")
               for b, a in zip(before_hosts, after_hosts, strict=True)]
    print(f"\nscale: operations={len(operations)} counted_succeeded={succeeded} by_host={by_host} "
          f"calls_counted={counted('portal_auth0_management_calls_total')} answered={answered}")
    assert len(operations) - cut_off <= succeeded <= len(operations), (succeeded, len(operations))
    assert counted("portal_operations_finished_total", outcome="failed") == 0
    calls = counted("portal_auth0_management_calls_total")
    assert answered["served"] - cut_off <= calls <= answered["served"], (calls, answered)
    assert counted("portal_auth0_management_rate_limited_total") == 0
    assert _sum(after_hosts[1], "portal_operations_finished_total") > 0  # the survivor did its share and more
