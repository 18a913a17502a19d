"""Values the Auth0 gateway returns besides plain Auth0 JSON dicts (import them from ``users.gateway``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UserPage:
    """One page of ``GET /api/v2/users`` (search_engine v3, include_totals)."""

    users: list[dict]
    start: int
    limit: int
    total: int


@dataclass(frozen=True)
class LogPage:
    """One page of ``GET /api/v2/users/{id}/logs``."""

    logs: list[dict]
    start: int
    limit: int
    total: int


@dataclass(frozen=True)
class MemberPage:
    """One page of an organization's members (checkpoint paging): pass ``next`` as ``from_`` to get
    the following page; None when this was the last one."""

    members: list[dict]
    next: str | None


@dataclass(frozen=True)
class Job:
    """An Auth0 job (verification email, users export). ``location`` is the export file's URL once
    an export is ``completed``."""

    id: str
    type: str
    status: str
    location: str | None = None
    created_at: str | None = None
    connection_id: str | None = None
    status_details: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed")


@dataclass(frozen=True)
class UserBlock:
    """A brute-force protection block: ``identifier`` (email or username) blocked from ``ip``."""

    identifier: str | None
    ip: str | None
    connection: str | None = None


@dataclass(frozen=True)
class ExportField:
    """A users-export column: the user attribute ``name`` (e.g. ``user_metadata.plan``), written under
    ``export_as`` when given."""

    name: str
    export_as: str | None = None
