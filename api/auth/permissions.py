"""Which acts a caller may ask for: the view names the permission per method; the caller's token scopes and
registration must both hold it (a person's roles are checked by the selectors and services themselves)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from api.auth.caller import ApiCaller


class InsufficientScope(exceptions.PermissionDenied):
    default_code = "insufficient_scope"

    def __init__(self, detail: str, scope: str = "") -> None:
        super().__init__(detail, code=self.default_code)
        self.scope = scope


class CallerHoldsPermission(BasePermission):
    """``view.permissions_required``: method -> the permission (a scope) that method needs. HEAD is GET without
    the body, so it needs what GET needs. A method the view serves but names no permission for is refused
    (tests/api/test_methods.py checks that none is missing): never allowed by an omission."""

    def has_permission(self, request, view) -> bool:
        caller = request.user
        if not isinstance(caller, ApiCaller):
            return False  # not authenticated: DRF answers 401
        needed = view.permissions_required.get("GET" if request.method == "HEAD" else request.method)
        if needed is None:
            return False
        if caller.refusal:
            raise InsufficientScope(caller.refusal, needed)
        if not caller.allows(needed):
            raise InsufficientScope(
                _("This needs the %(permission)s permission, which this client's token or registration does not "
                  "give.") % {"permission": needed}, needed)
        return True
