"""A small HTTP receiver for pushed changes: ``http.server`` in a thread on a free loopback port.

It records every POST (path, headers, body) and answers 200, or 500 to the next ``fail_next``
requests (``fail_always`` for every one), so tests can see retries. ``wait_for`` polls with a short
timeout instead of sleeping.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    def json(self) -> Any:
        return json.loads(self.body)

    def lines(self) -> list[Any]:
        return [json.loads(line) for line in self.body.decode().splitlines() if line.strip()]


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.fail_next = 0
        self.fail_always = False
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    failing = receiver.fail_always or receiver.fail_next > 0
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                    status = 500 if failing else 200
                    receiver.requests.append(Received(self.path, dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def accepted(self, path: str | None = None) -> list[Received]:
        """The requests answered 200 (on ``path`` when given)."""
        with self._lock:
            return [r for r in self.requests if r.status == 200 and (path is None or r.path == path)]

    def all(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Poll ``condition`` every 20 ms until it is truthy; its value, or AssertionError at the timeout."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"not received within {timeout}s; received: {self.requests!r:.2000}")
            time.sleep(0.02)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
