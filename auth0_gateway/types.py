"""What the Auth0 gateway returns (import these from ``auth0_gateway``).

Auth0's objects stay the JSON dicts Auth0 sent, typed with ``TypedDict``s that name the fields the
Management API documents (``total=False``: Auth0 leaves out what is not set, and ``fields=`` narrows
what comes back). Pages and jobs are small frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict


class Identity(TypedDict, total=False):
    """One of a user's identities (``UserIdentitySchema``)."""

    connection: str
    user_id: str
    provider: str
    isSocial: bool  # noqa: N815 - Auth0's own field name


class Auth0User(TypedDict, total=False):
    """A user as ``GET /api/v2/users/{id}`` and the search return it (``GetUserResponseContent``)."""

    user_id: str
    email: str
    email_verified: bool
    username: str
    phone_number: str
    phone_verified: bool
    name: str
    given_name: str
    family_name: str
    nickname: str
    picture: str
    identities: list[Identity]
    user_metadata: dict[str, Any]
    app_metadata: dict[str, Any]
    blocked: bool
    logins_count: int
    last_login: str
    last_ip: str
    created_at: str
    updated_at: str


class Auth0Organization(TypedDict, total=False):
    """An Auth0 Organization (``GetOrganizationResponseContent``)."""

    id: str
    name: str
    display_name: str
    branding: dict[str, Any]
    metadata: dict[str, str]


class OrganizationMemberRole(TypedDict, total=False):
    """A role a member holds in the organization, as the members list shows it (``fields=roles``)."""

    id: str
    name: str


class OrganizationMember(TypedDict, total=False):
    """A member as ``GET /api/v2/organizations/{id}/members`` lists them (``roles`` only when asked for)."""

    user_id: str
    email: str
    name: str
    picture: str
    roles: list[OrganizationMemberRole]


class Role(TypedDict, total=False):
    """A role (``Role``): tenant roles, a user's roles and an organization member's roles have this shape."""

    id: str
    name: str
    description: str


class RoleUser(TypedDict, total=False):
    """A user holding a role, as ``GET /api/v2/roles/{id}/users`` lists them (``RoleUser``)."""

    user_id: str
    email: str
    name: str
    picture: str


class Connection(TypedDict, total=False):
    """A connection (``ConnectionForList``)."""

    id: str
    name: str
    display_name: str
    strategy: str
    options: dict[str, Any]
    realms: list[str]
    enabled_clients: list[str]


class Invitation(TypedDict, total=False):
    """An Auth0 Organization invitation (``GetOrganizationInvitationResponseContent``)."""

    id: str
    organization_id: str
    inviter: dict[str, str]
    invitee: dict[str, str]
    invitation_url: str
    created_at: str
    expires_at: str
    client_id: str
    connection_id: str
    roles: list[str]
    ticket_id: str


class AuthenticationMethod(TypedDict, total=False):
    """One of a user's enrolled authentication methods (``GET /users/{id}/authentication-methods``):
    ``type`` is e.g. ``totp``, ``phone``, ``email``, ``webauthn-roaming``, ``passkey``."""

    id: str
    type: str
    name: str
    confirmed: bool
    created_at: str
    last_auth_at: str


class LogEvent(TypedDict, total=False):
    """A tenant log event (``Log``): ``type`` is Auth0's event code, e.g. ``s`` or ``fp``."""

    log_id: str
    date: str
    type: str
    description: str | None
    client_id: str
    client_name: str
    connection: str
    connection_id: str
    ip: str
    user_agent: str
    user_id: str
    user_name: str
    details: dict[str, Any]


@dataclass(frozen=True)
class UserPage:
    """One page of ``GET /api/v2/users`` (search_engine v3, include_totals)."""

    users: list[Auth0User]
    start: int
    limit: int
    total: int


@dataclass(frozen=True)
class LogPage:
    """One page of ``GET /api/v2/users/{id}/logs``."""

    logs: list[LogEvent]
    start: int
    limit: int
    total: int


@dataclass(frozen=True)
class MemberPage:
    """One page of an organization's members (checkpoint paging): pass ``next`` as ``from_`` to get
    the following page; None when this was the last one."""

    members: list[OrganizationMember]
    next: str | None


@dataclass(frozen=True)
class RoleUserPage:
    """One page of a role's users (checkpoint paging): pass ``next`` as ``from_`` to get the following
    page; None when this was the last one."""

    users: list[RoleUser]
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
