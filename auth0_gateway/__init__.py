"""The portal's only way to reach Auth0 (Management API v2 and the client-credentials token).

Everything that talks to Auth0 goes through :class:`Auth0Gateway`, built on the official SDK
(``auth0-python``); no other package imports the SDK (an import-linter contract checks it). Its promises:

- inputs are keyword-only and typed; users, organizations, roles, connections, invitations and logs come
  back as the JSON dicts Auth0 sent, typed as ``TypedDict``s (no SDK models leak out), pages and jobs
  as small frozen dataclasses (:mod:`auth0_gateway.types`);
- every listing pages through Auth0 with one helper (:mod:`auth0_gateway.paging`);
- the SDK never retries: a 429 or a 5xx surfaces at once as :class:`Auth0RateLimited` or
  :class:`Auth0Transient`, so Celery (which can wait without holding a worker) owns retries;
- every failure is one of the :class:`Auth0GatewayError` subclasses, carrying Auth0's message,
  status and errorCode, and classified by the base layer's faults (permanent, transient, rate limited);
- one cached client-credentials token per process, refreshed shortly before it expires, and fetched
  again once when Auth0 rejects it;
- the same code reaches the local emulator (http) and a real tenant (https): only settings differ.

Use :func:`gateway` for the process-wide instance; tests build their own with
``Auth0Gateway(base_url=..., client_id=..., client_secret=...)`` and call :func:`gateway_reset`.

Where things are: :mod:`.client` composes :class:`Auth0Gateway` and keeps the process-wide instance;
:mod:`.core` builds the SDK client and makes each call (its failure mapped); the calls, by Auth0 resource,
are in :mod:`.users`, :mod:`.organizations`, :mod:`.roles` (roles, users' and organization members' roles),
:mod:`.connections`, :mod:`.streams` (event and log streams) and :mod:`.jobs` (users exports,
password-change and email-verification tickets); then :mod:`.types`,
:mod:`.errors`, :mod:`.paging`, :mod:`.token` and :mod:`.budget` (the shared rate-limit budget).
"""

from .client import Auth0Gateway, gateway, gateway_reset
from .core import MAX_PER_PAGE
from .errors import (
    Auth0Conflict,
    Auth0GatewayError,
    Auth0NotFound,
    Auth0Permanent,
    Auth0RateLimited,
    Auth0Transient,
    Auth0Unauthorized,
)
from .types import (
    Auth0Organization,
    Auth0User,
    AuthenticationMethod,
    Connection,
    ExportField,
    Identity,
    Invitation,
    Job,
    LogEvent,
    LogPage,
    MemberPage,
    OrganizationMember,
    Role,
    RoleUser,
    RoleUserPage,
    UserBlock,
    UserPage,
)
from .users import SEARCH_RESULT_LIMIT, UserSearch

__all__ = [
    "MAX_PER_PAGE",
    "SEARCH_RESULT_LIMIT",
    "Auth0Conflict",
    "Auth0Gateway",
    "Auth0GatewayError",
    "Auth0NotFound",
    "Auth0Organization",
    "Auth0Permanent",
    "Auth0RateLimited",
    "Auth0Transient",
    "Auth0Unauthorized",
    "AuthenticationMethod",
    "Auth0User",
    "Connection",
    "ExportField",
    "Identity",
    "Invitation",
    "Job",
    "LogEvent",
    "LogPage",
    "MemberPage",
    "OrganizationMember",
    "Role",
    "RoleUser",
    "RoleUserPage",
    "UserBlock",
    "UserPage",
    "UserSearch",
    "gateway",
    "gateway_reset",
]
