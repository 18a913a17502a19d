"""Auth0 Organizations: :class:`OrganizationCalls` (create, read by id or name, enable a connection, members,
invitations)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from auth0.management.types import (
    ConnectionForOrganization,
    OrganizationInvitationInvitee,
    OrganizationInvitationInviter,
)

from .core import MAX_PER_PAGE, GatewayCore, fields_param, given, plain
from .paging import checkpoint_next, offset_next, pages
from .types import Auth0Organization, Invitation, MemberPage, OrganizationMember


class OrganizationCalls(GatewayCore):
    """``/api/v2/organizations`` and its enabled connections, members and invitations."""

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
        body = given(
            display_name=display_name,
            metadata=dict(metadata) if metadata is not None else None,
            branding=dict(branding) if branding is not None else None,
            enabled_connections=[ConnectionForOrganization(connection_id=c) for c in enabled_connection_ids]
            if enabled_connection_ids is not None
            else None,
        )
        return plain(self._call(self._client.organizations.create, name=name, **body))

    def organization_get(self, *, organization_id: str) -> Auth0Organization:
        """``GET /api/v2/organizations/{id}``."""
        return plain(self._call(self._client.organizations.get, organization_id))

    def organization_get_by_name(self, *, name: str) -> Auth0Organization:
        """``GET /api/v2/organizations/name/{name}``."""
        return plain(self._call(self._client.organizations.get_by_name, name))

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
        body = given(
            assign_membership_on_login=assign_membership_on_login,
            show_as_button=show_as_button,
            is_signup_enabled=is_signup_enabled,
        )
        return plain(
            self._call(
                self._client.organizations.enabled_connections.add,
                organization_id,
                connection_id=connection_id,
                **body,
            )
        )

    def organization_connection_disable(self, *, organization_id: str, connection_id: str) -> None:
        """``DELETE /api/v2/organizations/{id}/enabled_connections/{connection_id}``."""
        self._call(self._client.organizations.enabled_connections.delete, organization_id, connection_id)

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
            fields=fields_param(fields),
            include_fields=include_fields,
        )
        envelope = pager.response
        members = [plain(m) for m in (envelope.members or [])]
        return MemberPage(members=members, next=checkpoint_next(members, envelope.next))

    def organization_members(
        self, *, organization_id: str, take: int = MAX_PER_PAGE, fields: Sequence[str] | None = None
    ) -> Iterator[OrganizationMember]:
        """Every member of an organization, following the checkpoints lazily (``fields``: only those)."""

        def fetch(checkpoint: str) -> tuple[list[OrganizationMember], str | None]:
            page = self.organization_members_page(organization_id=organization_id, from_=checkpoint or None,
                                                  take=take, fields=fields, include_fields=True if fields else None)
            return page.members, page.next

        return pages(fetch, "")

    def organization_members_roles(self, *, organization_id: str,
                                   take: int = MAX_PER_PAGE) -> Iterator[OrganizationMember]:
        """Every member of an organization with the roles they hold in it (``user_id`` and ``roles`` only:
        ``fields=user_id,roles``, which needs the read:organization_member_roles scope), a page of members a
        call, rather than a call per member."""
        return self.organization_members(organization_id=organization_id, take=take, fields=("user_id", "roles"))

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
        body = given(
            connection_id=connection_id,
            ttl_sec=ttl_sec,
            roles=list(roles) if roles is not None else None,
            send_invitation_email=send_invitation_email,
            app_metadata=dict(app_metadata) if app_metadata is not None else None,
            user_metadata=dict(user_metadata) if user_metadata is not None else None,
        )
        return plain(
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
            chunk = [plain(i) for i in (envelope.invitations or [])]
            # Auth0's invitation pages carry no total: a short page is the last.
            return chunk, offset_next(page, count=len(chunk), per_page=MAX_PER_PAGE, start=page * MAX_PER_PAGE,
                                      total=None)

        return list(pages(fetch, 0))

    def organization_invitation_delete(self, *, organization_id: str, invitation_id: str) -> None:
        """``DELETE /api/v2/organizations/{id}/invitations/{invitation_id}``."""
        self._call(self._client.organizations.invitations.delete, organization_id, invitation_id)
