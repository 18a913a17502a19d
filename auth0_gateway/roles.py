"""Auth0's RBAC roles: :class:`RoleCalls` (the tenant's roles; the users holding one; a user's roles in the
whole tenant; an organization member's roles within that organization, which are apart from their tenant
roles).

Every call spends the shared budget of its Auth0 limit group like any other (:mod:`.budget`): the roles
themselves count as "All other endpoints", a user's roles as Read or Write Users, a member's roles as
Organization members (read or write).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .core import MAX_PER_PAGE, GatewayCore, given, plain
from .paging import checkpoint_next, pages
from .types import Role, RoleUser, RoleUserPage


class RoleCalls(GatewayCore):
    """``/api/v2/roles`` and its users, ``/api/v2/users/{id}/roles`` and
    ``/api/v2/organizations/{id}/members/{user_id}/roles``."""

    # -- the tenant's roles -----------------------------------------------------------------------
    def roles_list(self, *, name_filter: str | None = None) -> list[Role]:
        """Every role of the tenant (``GET /api/v2/roles``, all pages); ``name_filter`` keeps those
        whose name matches it, ignoring case."""
        return self._offset_listing(self._client.roles.list, items="roles", **given(name_filter=name_filter))

    def role_get(self, *, role_id: str) -> Role:
        """``GET /api/v2/roles/{id}``; an unknown role raises :class:`Auth0NotFound`."""
        return plain(self._call(self._client.roles.get, role_id))

    def role_create(self, *, name: str, description: str | None = None) -> Role:
        """``POST /api/v2/roles``. A name another role has raises :class:`Auth0Conflict`."""
        return plain(self._call(self._client.roles.create, name=name, **given(description=description)))

    def role_update(self, *, role_id: str, name: str | None = None, description: str | None = None) -> Role:
        """``PATCH /api/v2/roles/{id}``: only what is given changes."""
        return plain(self._call(self._client.roles.update, role_id, **given(name=name, description=description)))

    def role_delete(self, *, role_id: str) -> None:
        """``DELETE /api/v2/roles/{id}``: every user and organization member holding it loses it."""
        self._call(self._client.roles.delete, role_id)

    # -- a role's users ---------------------------------------------------------------------------
    def role_users_page(self, *, role_id: str, from_: str | None = None, take: int = 50) -> RoleUserPage:
        """One page of ``GET /api/v2/roles/{id}/users`` with checkpoint paging (the SDK pages that list
        by checkpoint only, which also reaches past Auth0's 1,000-result limit on page numbers)."""
        pager = self._call(self._client.roles.users.list, role_id, from_=from_, take=take)
        envelope = pager.response
        users = [plain(u) for u in (envelope.users or [])]
        return RoleUserPage(users=users, next=checkpoint_next(users, envelope.next))

    def role_users(self, *, role_id: str, take: int = MAX_PER_PAGE) -> Iterator[RoleUser]:
        """Every user holding a role (tenant role assignments only), following the checkpoints lazily."""

        def fetch(checkpoint: str) -> tuple[list[RoleUser], str | None]:
            page = self.role_users_page(role_id=role_id, from_=checkpoint or None, take=take)
            return page.users, page.next

        return pages(fetch, "")

    def role_users_assign(self, *, role_id: str, user_ids: Sequence[str]) -> None:
        """``POST /api/v2/roles/{id}/users``: give the role to each user (a holder keeps it once)."""
        self._call(self._client.roles.users.assign, role_id, users=list(user_ids))

    # -- a user's tenant roles --------------------------------------------------------------------
    def user_roles(self, *, user_id: str) -> list[Role]:
        """The roles a user holds in the whole tenant (``GET /api/v2/users/{id}/roles``, all pages);
        not their roles as a member of an organization."""
        return self._offset_listing(self._client.users.roles.list, user_id, items="roles")

    def user_roles_assign(self, *, user_id: str, role_ids: Sequence[str]) -> None:
        """``POST /api/v2/users/{id}/roles`` (roles the user holds already stay as they are)."""
        self._call(self._client.users.roles.assign, user_id, roles=list(role_ids))

    def user_roles_remove(self, *, user_id: str, role_ids: Sequence[str]) -> None:
        """``DELETE /api/v2/users/{id}/roles``."""
        self._call(self._client.users.roles.delete, user_id, roles=list(role_ids))

    # -- an organization member's roles -----------------------------------------------------------
    def organization_member_roles(self, *, organization_id: str, user_id: str) -> list[Role]:
        """The roles a member holds in one organization
        (``GET /api/v2/organizations/{id}/members/{user_id}/roles``, all pages)."""
        return self._offset_listing(self._client.organizations.members.roles.list, organization_id, user_id,
                                    items="roles")

    def organization_member_roles_assign(self, *, organization_id: str, user_id: str,
                                         role_ids: Sequence[str]) -> None:
        """``POST /api/v2/organizations/{id}/members/{user_id}/roles``; the user must be a member. Past
        Auth0's limit of roles per member, :class:`Auth0Conflict`."""
        self._call(self._client.organizations.members.roles.assign, organization_id, user_id, roles=list(role_ids))

    def organization_member_roles_remove(self, *, organization_id: str, user_id: str,
                                         role_ids: Sequence[str]) -> None:
        """``DELETE /api/v2/organizations/{id}/members/{user_id}/roles``."""
        self._call(self._client.organizations.members.roles.delete, organization_id, user_id, roles=list(role_ids))
