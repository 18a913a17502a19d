"""Who is calling the API: a registered machine client or a person, and what they may ask for."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from organizations.models import ApiClient, ApiPermission
from portal.principal import Principal


@dataclass(frozen=True)
class ApiCaller:
    """The authenticated caller (DRF's ``request.user``). ``principal`` scopes every read and is re-checked by
    every service; ``permissions`` say which kinds of act the caller may ask for at all."""

    principal: Principal
    # The token's scopes and the registration's permissions, both: a client may do only what both allow.
    # A person's token is theirs: their portal roles alone decide, so they hold every permission here.
    permissions: frozenset[str]
    client: ApiClient | None = None
    token_id: str = ""
    # Why a caller with a valid token may do nothing (an unregistered or disabled client), for its 403.
    refusal: str = ""

    is_authenticated = True
    is_anonymous = False

    @property
    def subject(self) -> str:
        return self.principal.user_id

    def allows(self, permission: str) -> bool:
        return permission in self.permissions


def api_caller_for_client(client: ApiClient, principal: Principal, scopes: frozenset[str], token_id: str = ""
                          ) -> ApiCaller:
    return ApiCaller(principal=principal, permissions=frozenset(client.permissions) & scopes, client=client,
                     token_id=token_id)


def api_caller_for_person(principal: Principal, token_id: str = "") -> ApiCaller:
    return ApiCaller(principal=principal, permissions=frozenset(ApiPermission.values), token_id=token_id)


def api_caller_unregistered(principal: Principal, token_id: str = "") -> ApiCaller:
    return ApiCaller(principal=principal, permissions=frozenset(), token_id=token_id,
                     refusal=_("This client is not registered in the portal (or its registration is disabled): "
                               "a company admin registers it under API clients."))
