"""The users of the tenant: :class:`UserCalls` (create, read, update, delete, search, by email; brute-force
blocks, enrolled authentication methods, sessions and refresh tokens, logs, a user's organizations) and
:class:`UserSearch`, the lazy walk through a search's results."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from .core import MAX_PER_PAGE, GatewayCore, as_int, fields_param, given, plain
from .paging import offset_next, pages
from .types import Auth0Organization, Auth0User, AuthenticationMethod, LogPage, UserBlock, UserPage

# Auth0 search (v3) only pages through the first 1,000 results of a query; asking for a page that
# reaches past it is a 400 invalid_paging. Complete listings use a users export instead.
SEARCH_RESULT_LIMIT = 1000


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


class UserCalls(GatewayCore):
    """``/api/v2/users``, ``/api/v2/users-by-email`` and ``/api/v2/user-blocks``."""

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
        user_id: str | None = None,
    ) -> Auth0User:
        """``POST /api/v2/users``. A duplicate raises :class:`Auth0Conflict` (never retried). ``user_id``: the
        id to give the account (a database connection's becomes ``auth0|<user_id>``), so that a caller that
        never heard the answer can still recognise the account it made."""
        body = given(
            user_id=user_id, email=email, password=password, username=username, email_verified=email_verified,
            verify_email=verify_email, given_name=given_name, family_name=family_name, name=name,
            nickname=nickname, picture=picture, phone_number=phone_number, blocked=blocked,
            user_metadata=dict(user_metadata) if user_metadata is not None else None,
            app_metadata=dict(app_metadata) if app_metadata is not None else None,
        )
        return plain(self._call(self._client.users.create, connection=connection, **body))

    def user_get(
        self, *, user_id: str, fields: Sequence[str] | None = None, include_fields: bool | None = None
    ) -> Auth0User:
        """``GET /api/v2/users/{id}`` (immediately consistent, unlike search)."""
        return plain(
            self._call(
                self._client.users.get, user_id, fields=fields_param(fields), include_fields=include_fields
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
        body = given(
            email=email, email_verified=email_verified, verify_email=verify_email, password=password,
            username=username, connection=connection, client_id=client_id, given_name=given_name,
            family_name=family_name, name=name, nickname=nickname, picture=picture,
            phone_number=phone_number, blocked=blocked,
            user_metadata=dict(user_metadata) if user_metadata is not None else None,
            app_metadata=dict(app_metadata) if app_metadata is not None else None,
        )
        return plain(self._call(self._client.users.update, user_id, **body))

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
            fields=fields_param(fields),
            include_fields=include_fields,
            include_totals=True,
            search_engine="v3",
        )
        envelope = pager.response
        users = [plain(u) for u in (envelope.users or [])]
        return UserPage(
            users=users,
            start=as_int(envelope.start, page * per_page),
            limit=as_int(envelope.limit, per_page),
            total=as_int(envelope.total, len(users)),
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
        return [plain(u) for u in self._call(self._client.users.list_users_by_email, email=email)]

    # -- brute-force blocks -----------------------------------------------------------------------
    def user_blocks_get(self, *, user_id: str) -> list[UserBlock]:
        """``GET /api/v2/user-blocks/{id}``."""
        return _blocks(self._call(self._client.user_blocks.list, user_id))

    def user_blocks_clear(self, *, user_id: str) -> None:
        """``DELETE /api/v2/user-blocks/{id}`` (``blocked: false`` on the user does not do this)."""
        self._call(self._client.user_blocks.delete, user_id)

    def user_blocks_get_by_identifier(self, *, identifier: str) -> list[UserBlock]:
        """``GET /api/v2/user-blocks?identifier=`` (email, username or phone number)."""
        return _blocks(self._call(self._client.user_blocks.list_by_identifier, identifier=identifier))

    def user_blocks_clear_by_identifier(self, *, identifier: str) -> None:
        """``DELETE /api/v2/user-blocks?identifier=``."""
        self._call(self._client.user_blocks.delete_by_identifier, identifier=identifier)

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
        logs = [plain(e) for e in (envelope.logs or [])]
        return LogPage(
            logs=logs,
            start=as_int(envelope.start, page * per_page),
            limit=as_int(envelope.limit, per_page),
            total=as_int(envelope.total, len(logs)),
        )

    def user_organizations(self, *, user_id: str) -> list[Auth0Organization]:
        """Every Auth0 Organization the user is a member of (``GET /api/v2/users/{id}/organizations``,
        all pages)."""
        return self._offset_listing(self._client.users.organizations.list, user_id, items="organizations")


def _blocks(model: Any) -> list[UserBlock]:
    data = plain(model)
    return [
        UserBlock(identifier=b.get("identifier"), ip=b.get("ip"), connection=b.get("connection"))
        for b in data.get("blocked_for") or []
    ]
