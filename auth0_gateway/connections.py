"""Connections: :class:`ConnectionCalls` (list, read by id or name, create a database or an enterprise connection,
update, delete)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .core import MAX_PER_PAGE, GatewayCore, given, plain
from .errors import Auth0NotFound
from .paging import checkpoint_next, pages
from .types import Connection


class ConnectionCalls(GatewayCore):
    """``/api/v2/connections``."""

    def connections_list(self, *, strategy: str | None = None, name: str | None = None) -> list[Connection]:
        """Every connection (``GET /api/v2/connections``, checkpoint paging), optionally filtered."""

        def fetch(checkpoint: str) -> tuple[list[Connection], str | None]:
            envelope = self._call(
                self._client.connections.list, take=MAX_PER_PAGE, from_=checkpoint or None,
                strategy=strategy, name=name,
            ).response
            chunk = [plain(c) for c in (envelope.connections or [])]
            return chunk, checkpoint_next(chunk, envelope.next)

        return list(pages(fetch, ""))

    def connection_get(self, *, connection_id: str) -> Connection:
        """``GET /api/v2/connections/{id}``."""
        return plain(self._call(self._client.connections.get, connection_id))

    def connection_get_by_name(self, *, name: str) -> Connection:
        """The connection called ``name`` (Auth0 has no by-name endpoint: a filtered list);
        :class:`Auth0NotFound` if there is none."""
        for connection in self.connections_list(name=name):
            if connection.get("name") == name:
                return connection
        raise Auth0NotFound("The connection does not exist", status=404, error_code="inexistent_connection")

    def connection_create_database(
        self,
        *,
        name: str,
        display_name: str | None = None,
        enabled_clients: Sequence[str] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> Connection:
        """``POST /api/v2/connections`` with ``strategy: auth0`` (a database connection)."""
        body = given(
            display_name=display_name,
            enabled_clients=list(enabled_clients) if enabled_clients is not None else None,
            options=dict(options) if options is not None else None,
        )
        return plain(self._call(self._client.connections.create, name=name, strategy="auth0", **body))

    def connection_create_enterprise(
        self,
        *,
        name: str,
        strategy: str,
        options: Mapping[str, Any],
        display_name: str | None = None,
        enabled_clients: Sequence[str] | None = None,
    ) -> Connection:
        """``POST /api/v2/connections`` with ``strategy`` ``samlp`` or ``oidc`` (an enterprise connection). The
        options may hold a secret (``client_secret``): nothing here logs them."""
        if strategy not in ("samlp", "oidc"):
            raise ValueError(f"Not an enterprise strategy this portal sets up: {strategy}")
        body = given(display_name=display_name,
                     enabled_clients=list(enabled_clients) if enabled_clients is not None else None)
        return plain(self._call(self._client.connections.create, name=name, strategy=strategy,
                                options=dict(options), **body))

    def connection_update(
        self,
        *,
        connection_id: str,
        options: Mapping[str, Any] | None = None,
        enabled_clients: Sequence[str] | None = None,
        display_name: str | None = None,
    ) -> Connection:
        """``PATCH /api/v2/connections/{id}``: ``options`` replaces the connection's options whole (send them all)."""
        body = given(options=dict(options) if options is not None else None,
                     enabled_clients=list(enabled_clients) if enabled_clients is not None else None,
                     display_name=display_name)
        return plain(self._call(self._client.connections.update, connection_id, **body))

    def connection_delete(self, *, connection_id: str) -> None:
        """``DELETE /api/v2/connections/{id}`` (Auth0 answers 202; an unknown id is :class:`Auth0NotFound`)."""
        self._call(self._client.connections.delete, connection_id)
