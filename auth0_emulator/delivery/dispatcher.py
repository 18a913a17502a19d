"""The background task that delivers what event streams and log streams are owed.

It runs on the emulator's event loop beside the request handlers and never inside one: a change
only records what is owed (``events.publish``, or a new row in ``logs``) and wakes this task. Each
wake it looks at the store once (no await while it does, so handlers never see it half way), starts
one task per delivery that is due, and sleeps until the next one is due or it is woken again.

- Event deliveries: attempted at once, retried after ``delivery_backoff_seconds`` × 2ⁿ on a non-2xx
  answer or a connection failure, and marked failed after ``delivery_attempts`` attempts (listed by
  ``GET /event-streams/{id}/deliveries``, redeliverable). A delivery being sent is leased (its next
  time pushed past the request timeout), so a crash mid-send means one more attempt, never none.
- Log streams: a batch leaves when ``LOG_BATCH_SIZE`` events are waiting or the oldest has waited
  ``log_batch_seconds``, whichever comes first; a failed batch is retried with the same backoff
  (capped at ``LOG_BACKOFF_CAP`` seconds) until the receiver takes it, as Auth0 keeps retrying
  errored logs, and the stream's cursor moves only past what was accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from ..tenant import Tenant
from . import events, http, logstreams

log = logging.getLogger("auth0_emulator.delivery")

LOG_BATCH_SIZE = 100
LOG_BACKOFF_CAP = 60.0
MAX_EVENTS_IN_FLIGHT = 16
MAX_SLEEP = 30.0
LEASE_SECONDS = http.TIMEOUT_SECONDS + 5


class Dispatcher:
    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._sending: set[asyncio.Task] = set()
        self._events_in_flight: set[int] = set()
        self._logs_in_flight: set[str] = set()
        self._log_retry: dict[str, tuple[int, float]] = {}  # stream id → (failures, next attempt at)

    # -- hooks -------------------------------------------------------------------------------------
    def wake(self) -> None:
        self._wakeup.set()

    def logs_appended(self) -> None:
        """Called by ``directory.logs.log_event_record``: wake only when a log stream wants events."""
        if logstreams.any_active(self.tenant):
            self.wake()

    def reset(self) -> None:
        """Forget retry state (the test-controls reset wiped every stream)."""
        self._log_retry.clear()
        self.wake()

    # -- life ------------------------------------------------------------------------------------
    def start(self) -> None:
        events.deliveries_resume(self.tenant)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="auth0-emulator-dispatcher")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._sending) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            try:
                delay = self._schedule(time.time())
            except Exception:  # a bug here must not end delivery for the life of the process
                log.exception("delivery scheduling failed")
                delay = 1.0
            timeout = MAX_SLEEP if delay is None else min(MAX_SLEEP, max(0.0, delay))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    # -- scheduling (synchronous: one consistent look at the store) ---------------------------------
    def _schedule(self, now: float) -> float | None:
        """Start every delivery that is due; seconds until the next one will be (None: nothing)."""
        waits = [self._schedule_events(now), *self._schedule_logs(now)]
        due = [w for w in waits if w is not None]
        return min(due) if due else None

    def _schedule_events(self, now: float) -> float | None:
        room = MAX_EVENTS_IN_FLIGHT - len(self._events_in_flight)
        if room > 0:
            for row in events.deliveries_due(self.tenant, now, room):
                self.tenant.store.execute(
                    "UPDATE event_deliveries SET next_at = ? WHERE seq = ?", (now + LEASE_SECONDS, row["seq"])
                )
                self._events_in_flight.add(row["seq"])
                self._spawn(self._send_event(row["seq"], row["stream_id"], json.loads(row["event"])))
        at = events.next_due(self.tenant)
        return None if at is None else at - now

    def _schedule_logs(self, now: float) -> list[float | None]:
        waits: list[float | None] = []
        window = self.tenant.config.log_batch_seconds
        for row in logstreams.active_streams(self.tenant):
            stream_id = row["id"]
            if stream_id in self._logs_in_flight:
                continue
            failures, retry_at = self._log_retry.get(stream_id, (0, 0.0))
            if retry_at > now:
                waits.append(retry_at - now)
                continue
            stream = json.loads(row["data"])
            batch, last, more = logstreams.pending(self.tenant, stream, row["cursor"], LOG_BATCH_SIZE)
            if not batch:
                if last > row["cursor"]:  # only events the filters leave out: move past them
                    logstreams.cursor_advance(self.tenant, stream_id, last)
                continue
            ready_at = logstreams.event_time(batch[0][1]) + window
            if len(batch) >= LOG_BATCH_SIZE or more or failures or ready_at <= now:
                self._logs_in_flight.add(stream_id)
                self._spawn(self._send_logs(stream, batch, last))
            else:
                waits.append(ready_at - now)
        return waits

    # -- sending -----------------------------------------------------------------------------------
    async def _send_event(self, seq: int, stream_id: str, event: dict) -> None:
        tenant = self.tenant
        try:
            stream = events.stream_get(tenant, stream_id)
            if stream is None:
                return
            headers = {"Content-Type": "application/json"}
            authorization = events.authorization_header(stream, events.stream_secret(tenant, stream_id))
            if authorization:
                headers["Authorization"] = authorization
            body = json.dumps(events.envelope(tenant, stream_id, event), separators=(",", ":")).encode()
            outcome = await http.post(stream["destination"]["configuration"]["webhook_endpoint"], body, headers)
            if outcome.ok:
                events.delivery_succeeded(tenant, seq)
            else:
                events.delivery_failed(tenant, seq, outcome.describe(),
                                       attempts_allowed=tenant.config.delivery_attempts,
                                       backoff=tenant.config.delivery_backoff_seconds)
        finally:
            self._events_in_flight.discard(seq)
            self.wake()

    async def _send_logs(self, stream: dict, batch: list[tuple[int, dict]], last: int) -> None:
        tenant = self.tenant
        stream_id = stream["id"]
        try:
            headers = logstreams.headers(stream)
            for carried, body in logstreams.bodies(stream, batch):
                outcome = await http.post(stream["sink"]["httpEndpoint"], body, headers)
                if not outcome.ok:
                    failures = self._log_retry.get(stream_id, (0, 0.0))[0] + 1
                    pause = min(LOG_BACKOFF_CAP, tenant.config.delivery_backoff_seconds * 2 ** (failures - 1))
                    self._log_retry[stream_id] = (failures, time.time() + pause)
                    log.info("log stream %s: %s (attempt %d)", stream_id, outcome.describe(), failures)
                    return
                logstreams.cursor_advance(tenant, stream_id, carried)
            logstreams.cursor_advance(tenant, stream_id, last)  # past events the filters left out too
            self._log_retry.pop(stream_id, None)
        finally:
            self._logs_in_flight.discard(stream_id)
            self.wake()
