"""One HTTP POST to a receiver, off the event loop.

The emulator's own dependencies do not include an HTTP client (its image installs only what
``pyproject.toml``'s ``emulator`` group lists), so this uses the standard library's ``http.client`` in
a worker thread: the event loop keeps serving requests while a slow receiver answers, and the worker
never touches the SQLite store (the caller records the outcome back on the loop). HTTPS receivers are
verified against the system's trust store, as Auth0 refuses self-signed certificates.
"""

from __future__ import annotations

import asyncio
import http.client
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Outcome:
    """What the receiver did: ``status`` when it answered, ``error`` when it could not be reached."""

    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        """The error message a failed attempt records."""
        if self.status is not None:
            return f"Received HTTP status {self.status} from the webhook endpoint"
        return f"Could not reach the webhook endpoint: {self.error}"


def post_blocking(url: str, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT_SECONDS) -> Outcome:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request("POST", target, body=body, headers={**headers, "Content-Length": str(len(body))})
        response = connection.getresponse()
        response.read(65536)  # drain a little of the answer; its content is not used
        return Outcome(response.status)
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()


async def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``url`` in a worker thread; never raises for the receiver's failures."""
    return await asyncio.to_thread(post_blocking, url, body, headers)
