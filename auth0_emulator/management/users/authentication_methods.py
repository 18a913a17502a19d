"""``/api/v2/users/{id}/authentication-methods``: list, get, create, replace all, update, delete one,
delete all. Storage is ``auth_methods``.

Operations, scopes, bodies and response shapes are the spec's (``tests/contract/spec/``); what the spec
leaves open follows Auth0's recorded answers (go-auth0's test recordings of a real tenant):

- email addresses and phone numbers are masked when a method is read, created or updated
  (``chuc****@exam*******``, ``XXXXXXXXXXX5044``) but shown whole in the answer to ``PUT``;
- ``include_totals=true`` on a user with no methods answers ``{"authenticators": [], "start", "limit"}``
  without ``total``;
- a method is created confirmed; ``totp_secret`` is kept and never shown again.

Where neither says, the emulator chooses and says so here: each type needs the fields that make it
usable (phone: ``phone_number``; email: ``email``; totp: ``totp_secret``; webauthn-roaming and passkey:
``key_id`` and ``public_key``) and refuses the fields of other types; the same phone number, email,
TOTP secret or key twice is a 409; ``name`` is at most 20 characters everywhere (what a read may show);
only the types ``PATCH``'s answer can describe (phone, email, totp, webauthn-roaming) can be updated;
any operation on a user that does not exist is the user's 404, and an authentication method id that
is not ``<type>|<letters, digits, _ or ->`` is a 400. ``PUT`` takes JSON only: a form cannot carry its
array of objects. The spec's 403 "Operation not permitted when the user has registered at least
1 passkey" applies to ``PUT`` and ``DELETE`` of all methods, as it documents.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ... import auth_methods
from ...directory.users import user_get
from ...errors import Auth0Error
from ...tenant import Tenant
from ..apilog import api_write
from ..auth import require
from ..common import _json_type, no_content, ok, paged, payload_invalid, request_array, request_body, tenant_of
from ..streams.destinations import enum_check
from .users import EMAIL_PATTERN, user_not_found

BASE = "/api/v2/users/{id}/authentication-methods"
ONE = BASE + "/{authentication_method_id}"

CREATE_TYPES = ("phone", "email", "totp", "webauthn-roaming", "passkey")  # CreatedUserAuthenticationMethodTypeEnum
SET_TYPES = ("phone", "email", "totp")  # AuthenticationTypeEnum
UPDATE_TYPES = ("phone", "email", "totp", "webauthn-roaming")  # CreatedAuthenticationMethodTypeEnum
PREFERRED = ("voice", "sms")  # PreferredAuthenticationMethodEnum
CREATE_FIELDS = ("type", "name", "totp_secret", "phone_number", "email", "preferred_authentication_method",
                 "key_id", "public_key", "relying_party_identifier")
SET_FIELDS = ("type", "preferred_authentication_method", "name", "phone_number", "email", "totp_secret")
UPDATE_FIELDS = ("name", "preferred_authentication_method")
# Per type: the fields it needs, and the others it may have.
TYPE_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "phone": (("phone_number",), ("name", "preferred_authentication_method")),
    "email": (("email",), ("name",)),
    "totp": (("totp_secret",), ("name",)),
    "webauthn-roaming": (("key_id", "public_key"), ("name", "relying_party_identifier")),
    "passkey": (("key_id", "public_key"), ("name", "relying_party_identifier")),
}
# What identifies a method among the user's others of its type (the same value twice is a 409).
IDENTITY = {"phone": "phone_number", "email": "email", "totp": "totp_secret",
            "webauthn-roaming": "key_id", "passkey": "key_id"}
DESCRIPTIONS = {
    "name": "A human-readable label to identify the authentication method.",
    "totp_secret": "Base32 encoded secret for TOTP generation.",
    "phone_number": "Applies to phone authentication methods only. The destination phone number used to send "
                    "verification codes via text and voice.",
    "email": "Applies to email authentication methods only. The email address used to send verification messages.",
    "preferred_authentication_method": "Applies to phone authentication methods only. The preferred "
                                       "communication method.",
    "key_id": "Applies to webauthn authentication methods only. The id of the credential.",
    "public_key": "Applies to webauthn authentication methods only. The public key, which is encoded as base64.",
    "relying_party_identifier": "Applies to webauthn authentication methods only. The relying party identifier.",
}
LENGTHS = {"name": (0, 20), "phone_number": (2, 30)}
SET_LENGTHS = {"name": (1, 20), "phone_number": (2, 30), "email": (1, None), "totp_secret": (1, None)}
METHOD_ID = re.compile(r"^(?P<type>[a-z-]+)\|[A-Za-z0-9_-]{1,64}$")
BASE32 = re.compile(r"^[A-Z2-7]+=*$")
BASE64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
                      r"[A-Za-z0-9])?)*$")

# What each answer shows of a stored method (the spec's schemas, additionalProperties false).
READ_VIEW = ("id", "type", "confirmed", "name", "email", "phone_number", "key_id", "public_key",
             "relying_party_identifier", "aaguid", "created_at", "enrolled_at", "last_auth_at",
             "preferred_authentication_method", "authentication_methods")
WRITE_VIEW = ("type", "name", "created_at", "email", "phone_number", "key_id", "public_key",
              "relying_party_identifier", "aaguid", "id", "preferred_authentication_method",
              "authentication_methods")


def method_not_found() -> Auth0Error:
    return Auth0Error(404, "The authentication method could not be found.", "inexistent_authentication_method")


def method_conflict() -> Auth0Error:
    return Auth0Error(409, "Authentication method already exists.", "authentication_method_conflict")


# -- how methods are shown --------------------------------------------------------------------------
def _mask_part(text: str) -> str:
    return "****" if len(text) <= 4 else text[:4] + "*" * (len(text) - 4)


def email_mask(email: str) -> str:
    """``chuck334@example.com`` → ``chuc****@exam*******``, as Auth0 shows it."""
    local, at, domain = email.rpartition("@")
    return f"{_mask_part(local)}@{_mask_part(domain)}" if at else _mask_part(email)


def phone_mask(phone: str) -> str:
    """``+44207183875044`` → ``XXXXXXXXXXX5044``, as Auth0 shows it."""
    return "X" * max(0, len(phone) - 4) + phone[-4:]


def view(method: dict, fields: tuple[str, ...], *, masked: bool = True) -> dict:
    out: dict[str, Any] = {}
    for name in fields:
        if name == "authentication_methods":
            if method["type"] == "phone":
                preferred = method.get("preferred_authentication_method", "sms")
                suffix = method["id"].split("|", 1)[1]
                out[name] = [{"id": f"{preferred}|{suffix}", "type": preferred}]
        elif name in method:
            out[name] = method[name]
    if masked and "email" in out:
        out["email"] = email_mask(out["email"])
    if masked and "phone_number" in out:
        out["phone_number"] = phone_mask(out["phone_number"])
    return out


# -- validation ---------------------------------------------------------------------------------------
def _where(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _base64_ok(value: str) -> bool:
    """Base64, standard or URL-safe alphabet, padding optional."""
    if not BASE64.match(value):
        return False
    try:
        base64.b64decode(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4), validate=True)
    except binascii.Error:
        return False
    return True


def _fields_check(body: dict, lengths: dict, prefix: str = "") -> None:
    """Types, lengths, enums and formats of the properties present (every one is a string)."""
    for name, value in body.items():
        where = _where(prefix, name)
        description = DESCRIPTIONS.get(name, "")
        if not isinstance(value, str):
            raise payload_invalid(f"Expected type string but found type {_json_type(value)}", where, description)
        low, high = lengths.get(name, (0, None))
        if len(value) < low:
            raise payload_invalid(f"String is too short ({len(value)} chars), minimum {low}", where, description)
        if high is not None and len(value) > high:
            raise payload_invalid(f"String is too long ({len(value)} chars), maximum {high}", where, description)
        if name == "preferred_authentication_method":
            enum_check(value, PREFERRED, where, description)
        elif name == "email" and not EMAIL_PATTERN.match(value):
            raise payload_invalid(f"Object didn't pass validation for format email: {value}", where, description)
        elif name == "totp_secret" and not BASE32.match(value.upper()):
            raise payload_invalid(f"String is not valid base32: {value}", where, description)
        elif name == "public_key" and not _base64_ok(value):
            raise payload_invalid(f"String is not valid base64: {value}", where, description)
        elif name == "relying_party_identifier" and not HOSTNAME.match(value):
            raise payload_invalid(f"Object didn't pass validation for format hostname: {value}", where, description)


def _kind(body: dict, types: tuple[str, ...], prefix: str = "") -> str:
    value = body.get("type")
    if not isinstance(value, str):
        raise payload_invalid(f"Expected type string but found type {_json_type(value)}", _where(prefix, "type"))
    return enum_check(value, types, _where(prefix, "type"))


def _fit_check(body: dict, kind: str, prefix: str = "") -> None:
    """What a method of type ``kind`` needs is there, and nothing that belongs to another type."""
    needed, optional = TYPE_FIELDS[kind]
    missing = [name for name in needed if name not in body]
    if missing:
        raise payload_invalid(f"Missing required property: {missing[0]}", prefix or None)
    foreign = [name for name in body if name != "type" and name not in needed + optional]
    if foreign:
        raise payload_invalid(f"Property {foreign[0]} does not apply to {kind} authentication methods",
                              _where(prefix, foreign[0]), DESCRIPTIONS.get(foreign[0], ""))


def _identity(method: dict) -> tuple[str, str]:
    kind = method["type"]
    value = str(method.get(IDENTITY.get(kind, "id"), method["id"]))
    return kind, value.lower() if kind == "email" else value


def _conflicts(new: list[dict], existing: list[dict]) -> None:
    seen = {_identity(m) for m in existing}
    for method in new:
        key = _identity(method)
        if key in seen:
            raise method_conflict()
        seen.add(key)


def _build(kind: str, body: dict) -> dict:
    return auth_methods.method_build(kind, **{k: v for k, v in body.items() if k != "type"})


# -- path parameters ------------------------------------------------------------------------------------
def _user_or_404(request: Request) -> dict:
    user = user_get(tenant_of(request), request.path_params["id"])
    if user is None:
        raise user_not_found()
    return user


def _method_id(request: Request, description: str) -> str:
    method_id = request.path_params["authentication_method_id"]
    match = METHOD_ID.match(method_id)
    if match is None or match.group("type") not in auth_methods.TYPES + PREFERRED:
        raise Auth0Error(
            400,
            f"Path validation error: 'String does not match format authenticator-id: {method_id}' on property "
            f"authentication_method_id ({description}).",
            "invalid_uri",
        )
    return method_id


def _method_or_404(request: Request, user: dict, method_id: str) -> dict:
    method = auth_methods.method_get(tenant_of(request), user["user_id"], method_id)
    if method is None:
        raise method_not_found()
    return method


def _passkeys_forbid(tenant: Tenant, user_id: str) -> None:
    if any(m["type"] == "passkey" for m in auth_methods.methods_list(tenant, user_id)):
        raise Auth0Error(403, "Operation not permitted when the user has registered at least 1 passkey",
                         "operation_not_permitted")


# -- handlers ---------------------------------------------------------------------------------------------
async def methods_list(request: Request) -> Response:
    require(request, "read:authentication_methods")
    user = _user_or_404(request)
    methods = [view(m, READ_VIEW) for m in auth_methods.methods_list(tenant_of(request), user["user_id"])]
    body = paged(request, methods, "authenticators")
    if isinstance(body, dict) and not methods:
        body.pop("total", None)  # Auth0 leaves total out when the user has none
    return ok(body)


async def method_get(request: Request) -> Response:
    require(request, "read:authentication_methods")
    method_id = _method_id(request, "The ID of the authentication methods in question.")
    user = _user_or_404(request)
    return ok(view(_method_or_404(request, user, method_id), READ_VIEW))


@api_write("Creates an Authentication Method for a Given User")
async def method_create(request: Request) -> Response:
    require(request, "create:authentication_methods")
    body = await request_body(request, allowed=CREATE_FIELDS, required=("type",))
    kind = _kind(body, CREATE_TYPES)
    _fields_check({k: v for k, v in body.items() if k != "type"}, LENGTHS)
    _fit_check(body, kind)
    user = _user_or_404(request)
    tenant = tenant_of(request)
    method = _build(kind, body)
    with tenant.store.transaction():
        _conflicts([method], auth_methods.methods_list(tenant, user["user_id"]))
        auth_methods.method_insert(tenant, user["user_id"], method)
    return ok(view(method, WRITE_VIEW), 201)


@api_write("Update All Authentication Methods by Replacing Them with the Given Ones")
async def methods_set(request: Request) -> Response:
    require(request, "update:authentication_methods")
    items = await request_array(request)
    kinds = []
    for i, item in enumerate(items):
        prefix = f"[{i}]"
        if not isinstance(item, dict):
            raise payload_invalid(f"Expected type object but found type {_json_type(item)}", prefix)
        extra = [k for k in item if k not in SET_FIELDS]
        if extra:
            raise payload_invalid(f"Additional properties not allowed: {', '.join(extra)}", prefix)
        if "type" not in item:
            raise payload_invalid("Missing required property: type", prefix)
        kinds.append(_kind(item, SET_TYPES, prefix))
        _fields_check({k: v for k, v in item.items() if k != "type"}, SET_LENGTHS, prefix)
        _fit_check(item, kinds[-1], prefix)
    user = _user_or_404(request)
    tenant = tenant_of(request)
    _passkeys_forbid(tenant, user["user_id"])
    methods = [_build(kind, item) for kind, item in zip(kinds, items, strict=True)]
    _conflicts(methods, [])
    auth_methods.methods_replace(tenant, user["user_id"], methods)
    return ok([view(m, WRITE_VIEW, masked=False) for m in methods])


@api_write("Update an Authentication Method")
async def method_update(request: Request) -> Response:
    require(request, "update:authentication_methods")
    method_id = _method_id(request, "The ID of the authentication method to update.")
    body = await request_body(request, allowed=UPDATE_FIELDS)
    _fields_check(body, LENGTHS)
    user = _user_or_404(request)
    method = _method_or_404(request, user, method_id)
    if method["type"] not in UPDATE_TYPES:
        raise Auth0Error(400, f"Authentication methods of type {method['type']} cannot be updated", "invalid_body")
    if "preferred_authentication_method" in body and method["type"] != "phone":
        raise payload_invalid("Only phone authentication methods have a preferred authentication method",
                              "preferred_authentication_method", DESCRIPTIONS["preferred_authentication_method"])
    method.update(body)
    auth_methods.method_save(tenant_of(request), user["user_id"], method)
    return ok(view(method, WRITE_VIEW))


@api_write("Delete an Authentication Method by ID")
async def method_delete(request: Request) -> Response:
    require(request, "delete:authentication_methods")
    method_id = _method_id(request, "The ID of the authentication method to delete.")
    user = _user_or_404(request)
    if not auth_methods.method_delete(tenant_of(request), user["user_id"], method_id):
        raise method_not_found()
    return no_content()


@api_write("Delete All Authentication Methods for the Given User")
async def methods_delete_all(request: Request) -> Response:
    require(request, "delete:authentication_methods")
    user = _user_or_404(request)
    tenant = tenant_of(request)
    _passkeys_forbid(tenant, user["user_id"])
    auth_methods.methods_delete_all(tenant, user["user_id"])
    return no_content()


def routes(tenant: Tenant) -> list[BaseRoute]:
    """Every operation but ``PUT`` (see ``mounted_routes``)."""
    return [
        Route(BASE, methods_list, methods=["GET"]),
        Route(BASE, method_create, methods=["POST"]),
        Route(BASE, methods_delete_all, methods=["DELETE"]),
        Route(ONE, method_get, methods=["GET"]),
        Route(ONE, method_update, methods=["PATCH"]),
        Route(ONE, method_delete, methods=["DELETE"]),
    ]


def mounted_routes(tenant: Tenant) -> list[BaseRoute]:
    """``PUT``, whose body is an array: served inside the ``/api/v2`` mount (see ``management.routes``)."""
    return [Route(BASE.removeprefix("/api/v2"), methods_set, methods=["PUT"])]
