"""The Management API client: :class:`Auth0Gateway` and the process-wide instance (see the package
docstring for its promises)."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import pydantic
from auth0.management.client import Auth0
from auth0.management.core.request_options import RequestOptions
from auth0.management.types import (
    ConnectionForOrganization,
    CreateEventStreamWebHookRequestContent,
    CreateExportUsersFields,
    CreateLogStreamHttpRequestBody,
    EventStreamSubscription,
    EventStreamWebhookBearerAuth,
    EventStreamWebhookConfiguration,
    EventStreamWebhookDestination,
    LogStreamHttpSink,
    OrganizationInvitationInvitee,
    OrganizationInvitationInviter,
)

from portal.ratelimit import RateLimiter, rate_limiter

from .budget import BudgetHooks
from .errors import (
    Auth0GatewayError,
    Auth0NotFound,
    Auth0Permanent,
    Auth0Transient,
    Auth0Unauthorized,
    error_for_status,
    error_from_management,
)
from .paging import checkpoint_next, offset_next, pages
from .token import ManagementToken
from .types import (
    Auth0Organization,
    Auth0User,
    AuthenticationMethod,
    Connection,
    ExportField,
    Invitation,
    Job,
    LogPage,
    MemberPage,
    OrganizationMember,
    UserBlock,
    UserPage,
)

# Auth0 search (v3) only pages through the first 1,000 results of a query; asking for a page that
# reaches past it is a 400 invalid_paging. Complete listings use a users export instead.
SEARCH_RESULT_LIMIT = 1000
MAX_PER_PAGE = 100

# The SDK's own retry loop sleeps inside the call (up to 60 s) and retries 409s on create. The
# client is built with max_retries=0 (HttpClient.request reads request_options["max_retries"] and
# falls back to that), and every call also passes this, so neither layer alone is load-bearing.
_NO_RETRIES: RequestOptions = {"max_retries": 0}

T = TypeVar("T")


def _auth0_timestamp(value: dt.datetime) -> str:
    # The SDK parses Auth0's "2025-01-04T13:00:07.000Z" into a datetime; write it back the same way.
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _plain(value: Any) -> Any:
    """Auth0's JSON from an SDK model: by alias, only the fields Auth0 sent, timestamps as Auth0
    writes them."""
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(by_alias=True, exclude_unset=True)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return _auth0_timestamp(value)
    return value


def _given(**kwargs: Any) -> dict[str, Any]:
    """The keyword arguments the caller gave. The SDK sends an explicit None as JSON null, which
    for PATCH /users would mean "clear this field": only what was asked for goes out."""
    return {k: v for k, v in kwargs.items() if v is not None}


def _fields_param(fields: Sequence[str] | None) -> str | None:
    if fields is None:
        return None
    if isinstance(fields, str):
        return fields
    return ",".join(fields)


def _job(model: Any) -> Job:
    data = _plain(model)
    return Job(
        id=data["id"],
        type=data.get("type", ""),
        status=data.get("status", ""),
        location=data.get("location"),
        created_at=data.get("created_at"),
        connection_id=data.get("connection_id"),
        status_details=data.get("status_details"),
    )


def _int(value: Any, default: int = 0) -> int:
    # Page envelopes are typed float in the SDK (start, limit, total): Auth0 sends integers.
    return int(value) if value is not None else default


class UserSearch(Iterator[Auth0User]):
    """Iterates over every result of a users search Auth0 will page through, one page at a time.

    It stops on a short page, on Auth0's ``total``, or before a page that would reach past the
    1,000-result limit. After iteration ``total`` is Auth0's count and ``limit_reached`` says the
    search ran into the 1,000-result ceiling, so more matches may exist that only a users export can
    list. (Auth0 caps ``total`` at 1,000 too, so exactly 1,000 matches cannot be told apart from more.)
    """

    def __init__(self, fetch: Callable[[int], UserPage], per_page: int) -> None:
        self._fetch = fetch
        self.per_page = per_page
        # The last page index whose results all lie within the first 1,000.
        self.last_page = SEARCH_RESULT_LIMIT // per_page - 1
        self.total: int | None = None
        self.pages = 0
        self.yielded = 0
        self.limit_reached = False
        self._items = pages(self._page, 0)

    def __iter__(self) -> UserSearch:
        return self

    def __next__(self) -> Auth0User:
        item = next(self._items)
        self.yielded += 1
        return item

    def _page(self, index: int) -> tuple[list[Auth0User], int | None]:
        page = self._fetch(index)
        self.pages += 1
        self.total = page.total
        following = offset_next(index, count=len(page.users), per_page=self.per_page, start=page.start,
                                total=page.total)
        if following is None:
            self.limit_reached = page.total >= SEARCH_RESULT_LIMIT
        elif index >= self.last_page:
            following = None
            self.limit_reached = True
        return page.users, following


class Auth0Gateway:
    """Typed access to the Auth0 Management API for the portal. Thread-safe; one per process."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        domain: str | None = None,
        audience: str | None = None,
        timeout: float = 15.0,
        httpx_client: httpx.Client | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        """``httpx_client``: a preconfigured client (proxy, CA bundle, instrumentation) used for every
        Management API call and export download; the token request goes through the
        authentication SDK, which has its own. ``limiter``: the budget shared with every other worker
        (:mod:`portal.ratelimit`), which each Management API call spends from; none, no budget."""
        base_url = base_url.rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"AUTH0_BASE_URL must be an absolute http(s) URL, not {base_url!r}")
        self.base_url = base_url
        self.timeout = timeout
        self._token = ManagementToken(
            domain=domain or parts.netloc,
            client_id=client_id,
            client_secret=client_secret,
            audience=audience or f"{base_url}/api/v2/",
            protocol=parts.scheme,
            timeout=timeout,
        )
        self._owns_http = httpx_client is None
        self._http = httpx_client or httpx.Client(timeout=timeout, follow_redirects=True)
        if limiter is not None:
            budget = BudgetHooks(limiter, f"{base_url}/api/v2")
            hooks = self._http.event_hooks
            self._http.event_hooks = {"request": [*hooks["request"], budget.request],
                                      "response": [*hooks["response"], budget.response]}
        self._client = Auth0(
            base_url=f"{base_url}/api/v2",
            token=self._token,
            max_retries=0,
            timeout=timeout,
            httpx_client=self._http,
        )

    @classmethod
    def from_settings(cls) -> Auth0Gateway:
        from django.conf import settings

        return cls(
            base_url=settings.AUTH0_BASE_URL,
            domain=settings.AUTH0_DOMAIN,
            client_id=settings.AUTH0_MGMT_CLIENT_ID,
            client_secret=settings.AUTH0_MGMT_CLIENT_SECRET,
            audience=settings.AUTH0_MGMT_AUDIENCE,
            timeout=settings.AUTH0_MGMT_TIMEOUT,
            limiter=rate_limiter(),
        )

    def __repr__(self) -> str:
        return f"<Auth0Gateway {self.base_url}>"

    @property
    def token_fetch_count(self) -> int:
        """How many times this gateway asked /oauth/token for a token."""
        return self._token.fetch_count

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- plumbing -------------------------------------------------------------------------------
    def _call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One Management API call, its failure mapped to an :class:`Auth0GatewayError`.

        A 401 means the cached token expired early or was revoked: it is dropped and the call made once
        more with a new one (Auth0 refused the request before doing anything, so repeating it is safe).
        A 401 for a token fetched just now means the portal's credentials are wrong: retrying cannot
        help, so it is permanent, with a message saying what to check."""
        try:
            return self._call_once(method, *args, **kwargs)
        except Auth0GatewayError as exc:
            if exc.status != 401 or isinstance(exc, Auth0Permanent):
                raise
        self._token.invalidate()
        try:
            return self._call_once(method, *args, **kwargs)
        except Auth0GatewayError as exc:
            if exc.status != 401 or isinstance(exc, Auth0Permanent):
                raise
            raise Auth0Unauthorized(
                f"Auth0 refused the portal's Management API token ({exc.message}), also a new one: check "
                "AUTH0_MGMT_CLIENT_ID, AUTH0_MGMT_CLIENT_SECRET, AUTH0_MGMT_AUDIENCE and that AUTH0_DOMAIN "
                "and AUTH0_BASE_URL name the same tenant.",
                status=401, error_code=exc.error_code,
            ) from None

    def _call_once(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, request_options=_NO_RETRIES, **kwargs)
        except Auth0GatewayError:
            raise  # from the token fetch, already mapped
        except Exception as exc:
            mapped = error_from_management(exc)
            if mapped is None:
                raise
            raise mapped from exc

    def _offset_listing(self, method: Callable[..., Any], *args: Any, items: str) -> list[Any]:
        """Every item of a page-numbered listing whose envelope holds them under ``items``, all pages."""

        def fetch(page: int) -> tuple[list[Any], int | None]:
            envelope = self._call(method, *args, page=page, per_page=MAX_PER_PAGE, include_totals=True).response
            chunk = [_plain(item) for item in (getattr(envelope, items) or [])]
            return chunk, offset_next(page, count=len(chunk), per_page=MAX_PER_PAGE,
                                      start=_int(envelope.start, page * MAX_PER_PAGE),
                                      total=_int(envelope.total, page * MAX_PER_PAGE + len(chunk)))

        return list(pages(fetch, 0))

    # -- users ----------------------------------------------------------------------------------
    def user_create(
        self,
        *,
        connection: str,
        email: str | None = None,
        password: str | None = None,
        username: str | None = None,
        email_verified: bool | None = None,
        verify_email: bool | None = None,
        given_name: str | None = None,
        family_name: str | None = None,
        name: str | None = None,
        nickname: str | None = None,
        picture: str | None = None,
        phone_number: str | None = None,
        blocked: bool | None = None,
        user_metadata: Mapping[str, Any] | None = None,
        app_metadata: Mapping[str, Any] | None = None,
    ) -> Auth0User:
        """``POST /api/v2/users``. A duplicate raises :class:`Auth0Conflict` (never retried)."""
        body = _given(
            email=email, password=password, username=username, email_verified=email_verified,
            verify_email=verify_email, given_name=given_name, family_name=family_name, name=name,
            nickname=nickname, picture=picture, phone_number=phone_number, blocked=blocked,
            user_metadata=dict(user_metadata) if user_metadata is not None else None,
            app_metadata=dict(app_metadata) if app_metadata is not None else None,
        )
        return _plain(self._call(self._client.users.create, connection=connection, **body))

    def user_get(
        self, *, user_id: str, fields: Sequence[str] | None = None, include_fields: bool | None = None
    ) -> Auth0User:
        """``GET /api/v2/users/{id}`` (immediately consistent, unlike search)."""
        return _plain(
            self._call(
                self._client.users.get, user_id, fields=_fields_param(fields), include_fields=include_fields
            )
        )

    def user_update(
        self,
        *,
        user_id: str,
        email: str | None = None,
        email_verified: bool | None = None,
        verify_email: bool | None = None,
        password: str | None = None,
        username: str | None = None,
        connection: str | None = None,
        client_id: str | None = None,
        given_name: str | None = None,
        family_name: str | None = None,
        name: str | None = None,
        nickname: str | None = None,
        picture: str | None = None,
        phone_number: str | None = None,
        blocked: bool | None = None,
        user_metadata: Mapping[str, Any] | None = None,
        app_metadata: Mapping[str, Any] | None = None,
    ) -> Auth0User:
        """``PATCH /api/v2/users/{id}`` with Auth0's semantics, passed through untouched: metadata is
        merged at the first level, a key set to None is deleted, ``{}`` clears the object; root
        fields left as None are not sent."""
        body = _given(
            email=email, email_verified=email_verified, verify_email=verify_email, password=password,
            username=username, connection=connection, client_id=client_id, given_name=given_name,
            family_name=family_name, name=name, nickname=nickname, picture=picture,
            phone_number=phone_number, blocked=blocked,
            user_metadata=dict(user_metadata) if user_metadata is not None else None,
            app_metadata=dict(app_metadata) if app_metadata is not None else None,
        )
        return _plain(self._call(self._client.users.update, user_id, **body))

    def user_delete(self, *, user_id: str) -> None:
        """``DELETE /api/v2/users/{id}`` (Auth0 answers 204 even for an unknown id)."""
        self._call(self._client.users.delete, user_id)

    def users_page(
        self,
        *,
        q: str | None = None,
        page: int = 0,
        per_page: int = 50,
        sort: str | None = None,
        fields: Sequence[str] | None = None,
        include_fields: bool | None = None,
    ) -> UserPage:
        """One page of ``GET /api/v2/users`` (search_engine v3, include_totals). Search is eventually
        consistent; Auth0 refuses pages past the first 1,000 results (400 ``invalid_paging``)."""
        pager = self._call(
            self._client.users.list,
            q=q,
            page=page,
            per_page=per_page,
            sort=sort,
            fields=_fields_param(fields),
            include_fields=include_fields,
            include_totals=True,
            search_engine="v3",
        )
        envelope = pager.response
        users = [_plain(u) for u in (envelope.users or [])]
        return UserPage(
            users=users,
            start=_int(envelope.start, page * per_page),
            limit=_int(envelope.limit, per_page),
            total=_int(envelope.total, len(users)),
        )

    def users_search(
        self,
        *,
        q: str | None = None,
        per_page: int = MAX_PER_PAGE,
        sort: str | None = None,
        fields: Sequence[str] | None = None,
        include_fields: bool | None = None,
    ) -> UserSearch:
        """Every result of a search that Auth0 lets anyone reach (at most 1,000), lazily, page by
        page. With a ``per_page`` that does not divide 1,000 the last reachable page is the last
        one entirely within the limit. ``sort`` keeps pages stable while iterating."""
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")

        def fetch(page: int) -> UserPage:
            return self.users_page(
                q=q, page=page, per_page=per_page, sort=sort, fields=fields, include_fields=include_fields
            )

        return UserSearch(fetch, per_page)

    def users_by_email(self, *, email: str) -> list[Auth0User]:
        """``GET /api/v2/users-by-email`` (every connection; case-insensitive; immediately consistent)."""
        return [_plain(u) for u in self._call(self._client.users.list_users_by_email, email=email)]

    def password_change_ticket_create(
        self,
        *,
        user_id: str,
        result_url: str | None = None,
        ttl_sec: int | None = None,
        mark_email_as_verified: bool | None = None,
        include_email_in_redirect: bool | None = None,
        client_id: str | None = None,
        organization_id: str | None = None,
    ) -> str:
        """``POST /api/v2/tickets/password-change``; returns the ticket URL (delivering it is ours)."""
        body = _given(
            result_url=result_url, ttl_sec=ttl_sec, mark_email_as_verified=mark_email_as_verified,
            include_email_in_redirect=include_email_in_redirect, client_id=client_id,
            organization_id=organization_id,
        )
        return self._call(self._client.tickets.change_password, user_id=user_id, **body).ticket

    def verification_email_job_create(
        self, *, user_id: str, client_id: str | None = None, organization_id: str | None = None
    ) -> Job:
        """``POST /api/v2/jobs/verification-email``: Auth0 sends the email itself."""
        body = _given(client_id=client_id, organization_id=organization_id)
        return _job(self._call(self._client.jobs.verification_email.create, user_id=user_id, **body))

    # -- brute-force blocks -----------------------------------------------------------------------
    def user_blocks_get(self, *, user_id: str) -> list[UserBlock]:
        """``GET /api/v2/user-blocks/{id}``."""
        return _blocks(self._call(self._client.user_blocks.list, user_id))

    def user_blocks_clear(self, *, user_id: str) -> None:
        """``DELETE /api/v2/user-blocks/{id}`` (``blocked: false`` on the user does not do this)."""
        self._call(self._client.user_blocks.delete, user_id)

    # -- enrolled authentication methods (MFA) -------------------------------------------------------
    def user_authentication_methods(self, *, user_id: str) -> list[AuthenticationMethod]:
        """Every method the user enrolled (``GET /api/v2/users/{id}/authentication-methods``, all pages)."""
        # Auth0 leaves ``total`` out when the user has no method.
        return self._offset_listing(self._client.users.authentication_methods.list, user_id, items="authenticators")

    def user_authentication_method_delete(self, *, user_id: str, method_id: str) -> None:
        """``DELETE /api/v2/users/{id}/authentication-methods/{method id}``."""
        self._call(self._client.users.authentication_methods.delete, user_id, method_id)

    # -- sessions and refresh tokens (signing a user out everywhere) ---------------------------------
    def user_sessions_delete(self, *, user_id: str) -> None:
        """``DELETE /api/v2/users/{id}/sessions``: every Auth0 session of the user ends (each browser must
        sign in again); their refresh tokens are another resource (:meth:`user_refresh_tokens_delete`)."""
        self._call(self._client.users.sessions.delete, user_id)

    def user_refresh_tokens_delete(self, *, user_id: str) -> None:
        """``DELETE /api/v2/users/{id}/refresh-tokens``: every refresh token issued to the user stops working."""
        self._call(self._client.users.refresh_token.delete, user_id)

    def user_blocks_get_by_identifier(self, *, identifier: str) -> list[UserBlock]:
        """``GET /api/v2/user-blocks?identifier=`` (email, username or phone number)."""
        return _blocks(self._call(self._client.user_blocks.list_by_identifier, identifier=identifier))

    def user_blocks_clear_by_identifier(self, *, identifier: str) -> None:
        """``DELETE /api/v2/user-blocks?identifier=``."""
        self._call(self._client.user_blocks.delete_by_identifier, identifier=identifier)

    # -- logs and a user's organizations --------------------------------------------------------
    def user_logs_page(
        self, *, user_id: str, page: int = 0, per_page: int = 50, sort: str | None = None
    ) -> LogPage:
        """``GET /api/v2/users/{id}/logs`` (at most 100 per page and 1,000 in all)."""
        pager = self._call(
            self._client.users.logs.list, user_id, page=page, per_page=per_page, sort=sort,
            include_totals=True,
        )
        envelope = pager.response
        logs = [_plain(e) for e in (envelope.logs or [])]
        return LogPage(
            logs=logs,
            start=_int(envelope.start, page * per_page),
            limit=_int(envelope.limit, per_page),
            total=_int(envelope.total, len(logs)),
        )

    def user_organizations(self, *, user_id: str) -> list[Auth0Organization]:
        """Every Auth0 Organization the user is a member of (``GET /api/v2/users/{id}/organizations``,
        all pages)."""
        return self._offset_listing(self._client.users.organizations.list, user_id, items="organizations")

    # -- connections ----------------------------------------------------------------------------
    def connections_list(self, *, strategy: str | None = None, name: str | None = None) -> list[Connection]:
        """Every connection (``GET /api/v2/connections``, checkpoint paging), optionally filtered."""

        def fetch(checkpoint: str) -> tuple[list[Connection], str | None]:
            envelope = self._call(
                self._client.connections.list, take=MAX_PER_PAGE, from_=checkpoint or None,
                strategy=strategy, name=name,
            ).response
            chunk = [_plain(c) for c in (envelope.connections or [])]
            return chunk, checkpoint_next(chunk, envelope.next)

        return list(pages(fetch, ""))

    def connection_get(self, *, connection_id: str) -> Connection:
        """``GET /api/v2/connections/{id}``."""
        return _plain(self._call(self._client.connections.get, connection_id))

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
        body = _given(
            display_name=display_name,
            enabled_clients=list(enabled_clients) if enabled_clients is not None else None,
            options=dict(options) if options is not None else None,
        )
        return _plain(self._call(self._client.connections.create, name=name, strategy="auth0", **body))

    # -- organizations --------------------------------------------------------------------------
    def organization_create(
        self,
        *,
        name: str,
        display_name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        branding: Mapping[str, Any] | None = None,
        enabled_connection_ids: Sequence[str] | None = None,
    ) -> Auth0Organization:
        """``POST /api/v2/organizations`` (``name`` is the lowercase slug)."""
        body = _given(
            display_name=display_name,
            metadata=dict(metadata) if metadata is not None else None,
            branding=dict(branding) if branding is not None else None,
            enabled_connections=[ConnectionForOrganization(connection_id=c) for c in enabled_connection_ids]
            if enabled_connection_ids is not None
            else None,
        )
        return _plain(self._call(self._client.organizations.create, name=name, **body))

    def organization_get(self, *, organization_id: str) -> Auth0Organization:
        """``GET /api/v2/organizations/{id}``."""
        return _plain(self._call(self._client.organizations.get, organization_id))

    def organization_get_by_name(self, *, name: str) -> Auth0Organization:
        """``GET /api/v2/organizations/name/{name}``."""
        return _plain(self._call(self._client.organizations.get_by_name, name))

    def organization_connection_enable(
        self,
        *,
        organization_id: str,
        connection_id: str,
        assign_membership_on_login: bool | None = None,
        show_as_button: bool | None = None,
        is_signup_enabled: bool | None = None,
    ) -> dict[str, Any]:
        """``POST /api/v2/organizations/{id}/enabled_connections``."""
        body = _given(
            assign_membership_on_login=assign_membership_on_login,
            show_as_button=show_as_button,
            is_signup_enabled=is_signup_enabled,
        )
        return _plain(
            self._call(
                self._client.organizations.enabled_connections.add,
                organization_id,
                connection_id=connection_id,
                **body,
            )
        )

    def organization_members_add(self, *, organization_id: str, user_ids: Sequence[str]) -> None:
        """``POST /api/v2/organizations/{id}/members``."""
        self._call(self._client.organizations.members.create, organization_id, members=list(user_ids))

    def organization_members_remove(self, *, organization_id: str, user_ids: Sequence[str]) -> None:
        """``DELETE /api/v2/organizations/{id}/members``."""
        self._call(self._client.organizations.members.delete, organization_id, members=list(user_ids))

    def organization_members_page(
        self,
        *,
        organization_id: str,
        from_: str | None = None,
        take: int = 50,
        fields: Sequence[str] | None = None,
        include_fields: bool | None = None,
    ) -> MemberPage:
        """One page of ``GET /api/v2/organizations/{id}/members`` with checkpoint paging."""
        pager = self._call(
            self._client.organizations.members.list,
            organization_id,
            from_=from_,
            take=take,
            fields=_fields_param(fields),
            include_fields=include_fields,
        )
        envelope = pager.response
        members = [_plain(m) for m in (envelope.members or [])]
        return MemberPage(members=members, next=checkpoint_next(members, envelope.next))

    def organization_members(
        self, *, organization_id: str, take: int = MAX_PER_PAGE
    ) -> Iterator[OrganizationMember]:
        """Every member of an organization, following the checkpoints lazily."""

        def fetch(checkpoint: str) -> tuple[list[OrganizationMember], str | None]:
            page = self.organization_members_page(organization_id=organization_id, from_=checkpoint or None,
                                                  take=take)
            return page.members, page.next

        return pages(fetch, "")

    def organization_invitation_create(
        self,
        *,
        organization_id: str,
        inviter_name: str,
        invitee_email: str,
        client_id: str,
        connection_id: str | None = None,
        ttl_sec: int | None = None,
        roles: Sequence[str] | None = None,
        send_invitation_email: bool | None = None,
        app_metadata: Mapping[str, Any] | None = None,
        user_metadata: Mapping[str, Any] | None = None,
    ) -> Invitation:
        """``POST /api/v2/organizations/{id}/invitations``."""
        body = _given(
            connection_id=connection_id,
            ttl_sec=ttl_sec,
            roles=list(roles) if roles is not None else None,
            send_invitation_email=send_invitation_email,
            app_metadata=dict(app_metadata) if app_metadata is not None else None,
            user_metadata=dict(user_metadata) if user_metadata is not None else None,
        )
        return _plain(
            self._call(
                self._client.organizations.invitations.create,
                organization_id,
                inviter=OrganizationInvitationInviter(name=inviter_name),
                invitee=OrganizationInvitationInvitee(email=invitee_email),
                client_id=client_id,
                **body,
            )
        )

    def organization_invitations(self, *, organization_id: str) -> list[Invitation]:
        """Every pending invitation of an organization (all pages)."""

        def fetch(page: int) -> tuple[list[Invitation], int | None]:
            envelope = self._call(
                self._client.organizations.invitations.list, organization_id, page=page,
                per_page=MAX_PER_PAGE, include_totals=True,
            ).response
            chunk = [_plain(i) for i in (envelope.invitations or [])]
            # Auth0's invitation pages carry no total: a short page is the last.
            return chunk, offset_next(page, count=len(chunk), per_page=MAX_PER_PAGE, start=page * MAX_PER_PAGE,
                                      total=None)

        return list(pages(fetch, 0))

    def organization_invitation_delete(self, *, organization_id: str, invitation_id: str) -> None:
        """``DELETE /api/v2/organizations/{id}/invitations/{invitation_id}``."""
        self._call(self._client.organizations.invitations.delete, organization_id, invitation_id)

    # -- pushed changes: event streams and log streams ------------------------------------------
    def event_streams_list(self) -> list[dict[str, Any]]:
        """Every event stream of the tenant (``GET /api/v2/event-streams``, checkpoint paging)."""

        def fetch(checkpoint: str) -> tuple[list[dict[str, Any]], str | None]:
            envelope = self._call(self._client.event_streams.list, from_=checkpoint or None,
                                  take=MAX_PER_PAGE).response
            chunk = [_plain(e) for e in (getattr(envelope, "event_streams", None) or [])]
            return chunk, checkpoint_next(chunk, getattr(envelope, "next", None))

        return list(pages(fetch, ""))

    def event_stream_create_webhook(
        self, *, name: str, endpoint: str, bearer_token: str, event_types: Sequence[str]
    ) -> dict[str, Any]:
        """``POST /api/v2/event-streams``: a webhook that Auth0 calls with ``Authorization: Bearer <token>``."""
        request = CreateEventStreamWebHookRequestContent(
            name=name, status="enabled",
            subscriptions=[EventStreamSubscription(event_type=t) for t in event_types],
            destination=EventStreamWebhookDestination(
                type="webhook",
                configuration=EventStreamWebhookConfiguration(
                    webhook_endpoint=endpoint,
                    # The token is write-only: Auth0's schema leaves it out of responses, the SDK's model too.
                    webhook_authorization=EventStreamWebhookBearerAuth(method="bearer", token=bearer_token),
                ),
            ),
        )
        return _plain(self._call(self._client.event_streams.create, request=request))

    def event_stream_delete(self, *, stream_id: str) -> None:
        """``DELETE /api/v2/event-streams/{id}``."""
        self._call(self._client.event_streams.delete, stream_id)

    def log_streams_list(self) -> list[dict[str, Any]]:
        """Every log stream of the tenant (``GET /api/v2/log-streams``)."""
        return [_plain(s) for s in self._call(self._client.log_streams.list)]

    def log_stream_create_http(
        self, *, name: str, endpoint: str, authorization: str, content_format: str = "JSONARRAY"
    ) -> dict[str, Any]:
        """``POST /api/v2/log-streams`` of type ``http``: batches of log events, ``authorization`` sent
        verbatim as the ``Authorization`` header."""
        request = CreateLogStreamHttpRequestBody(
            name=name, type="http",
            sink=LogStreamHttpSink(http_endpoint=endpoint, http_authorization=authorization,
                                   http_content_format=content_format, http_content_type="application/json"),
        )
        return _plain(self._call(self._client.log_streams.create, request=request))

    def log_stream_delete(self, *, stream_id: str) -> None:
        """``DELETE /api/v2/log-streams/{id}``."""
        self._call(self._client.log_streams.delete, stream_id)

    # -- jobs: users export ---------------------------------------------------------------------
    def users_export_start(
        self,
        *,
        connection_id: str | None = None,
        fields: Sequence[str | ExportField] | None = None,
        limit: int | None = None,
    ) -> Job:
        """``POST /api/v2/jobs/users-exports`` in NDJSON (``format: json``); poll :meth:`job_get`
        until it is finished, then read it with :meth:`users_export_rows`."""
        export_fields = None
        if fields is not None:
            export_fields = [
                CreateExportUsersFields(name=f)
                if isinstance(f, str)
                else CreateExportUsersFields(**_given(name=f.name, export_as=f.export_as))
                for f in fields
            ]
        body = _given(connection_id=connection_id, fields=export_fields, limit=limit)
        return _job(self._call(self._client.jobs.users_exports.create, format="json", **body))

    def job_get(self, *, job_id: str) -> Job:
        """``GET /api/v2/jobs/{id}``."""
        return _job(self._call(self._client.jobs.get, job_id))

    def users_export_rows(self, *, location: str, chunk_size: int = 64 * 1024) -> Iterator[Auth0User]:
        """The users of a completed export, one dict per NDJSON line, streamed: the gzip file at
        ``location`` is downloaded and decompressed chunk by chunk, never held whole in memory.

        ``location`` is a pre-signed URL, so no token is sent with it."""
        try:
            with self._http.stream("GET", location) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_for_status(
                        response.status_code,
                        _download_error_message(response),
                        None,
                        response.headers,
                    )
                yield from _ndjson_gzip_rows(response.iter_raw(chunk_size))
        except httpx.HTTPError as exc:
            mapped = error_from_management(exc)
            if mapped is None:
                raise
            raise mapped from exc


def _blocks(model: Any) -> list[UserBlock]:
    data = _plain(model)
    return [
        UserBlock(identifier=b.get("identifier"), ip=b.get("ip"), connection=b.get("connection"))
        for b in data.get("blocked_for") or []
    ]


def _download_error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"Export download failed with HTTP {response.status_code}"
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return f"Export download failed with HTTP {response.status_code}"


def _ndjson_gzip_rows(chunks: Iterator[bytes]) -> Iterator[dict]:
    """Decode gzip'd NDJSON incrementally; concatenated gzip members are allowed (as gzip is)."""
    decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    in_member = False  # inside a gzip member that has not ended yet
    pending = b""
    try:
        for chunk in chunks:
            while chunk:
                in_member = True
                pending += decompressor.decompress(chunk)
                chunk = decompressor.unused_data  # the start of a following gzip member, if any
                if decompressor.eof:
                    in_member = False
                    decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.strip():
                    yield json.loads(line)
    except zlib.error as exc:
        raise Auth0Permanent(f"The export file is not valid gzip: {exc}") from None
    if in_member:
        raise Auth0Transient("The export file ended before its gzip stream did (truncated download)")
    if pending.strip():
        yield json.loads(pending)


# -- the process-wide instance ------------------------------------------------------------------
_instance: Auth0Gateway | None = None
_instance_pid: int | None = None
_instance_lock = threading.Lock()


def gateway() -> Auth0Gateway:
    """The process-wide gateway, built from settings on first use. A forked child (Celery prefork,
    gunicorn) builds its own, so no two processes share a connection pool."""
    global _instance, _instance_pid
    instance = _instance
    if instance is not None and _instance_pid == os.getpid():
        return instance
    with _instance_lock:
        if _instance is None or _instance_pid != os.getpid():
            _instance = Auth0Gateway.from_settings()
            _instance_pid = os.getpid()
        return _instance


def gateway_reset() -> None:
    """Forget the process-wide gateway (tests, or after settings change); the next
    :func:`gateway` call builds a new one with a new token."""
    global _instance, _instance_pid
    with _instance_lock:
        if _instance is not None and _instance_pid == os.getpid():
            _instance.close()
        _instance = None
        _instance_pid = None
        rate_limiter.cache_clear()  # its settings may have changed too
