"""Form-encoded request bodies (``application/x-www-form-urlencoded``) for the Management API.

Auth0's Management API spec lists form bodies beside JSON for its write operations. A form carries
only strings, so each value is turned into the JSON type the operation's schema gives its property;
``FORM_FIELD_TYPES`` holds those types for every operation the emulator serves that accepts forms,
copied from ``tests/contract/spec/management-api-v2.openapi.yml`` (a contract test re-derives them
from the spec and fails when the two differ). The spec has no ``encoding`` for any of these bodies,
so structured values arrive the way OpenAPI's default form style allows and JSON clients expect:

- ``boolean``: ``true`` or ``false``; ``integer`` / ``number``: decimal text;
- ``object``: the object's JSON text (``user_metadata={"plan":"gold"}``);
- ``array<T>``: the key repeated once per item (``members=a&members=b``), each item coerced as ``T``.

Properties the schema does not name stay strings: the operation's own checks reject them as unknown.
A value that cannot be coerced is Auth0's ``400 invalid_body`` naming the property, and nothing runs.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import parse_qsl

from ..errors import Auth0Error

# Property types of each operation's request body (``null`` left out: a form cannot send it).
FORM_FIELD_TYPES: dict[str, dict[str, str]] = {
    "POST /users": {
        "email": "string",
        "phone_number": "string",
        "user_metadata": "object",
        "blocked": "boolean",
        "email_verified": "boolean",
        "phone_verified": "boolean",
        "app_metadata": "object",
        "given_name": "string",
        "family_name": "string",
        "name": "string",
        "nickname": "string",
        "picture": "string",
        "user_id": "string",
        "connection": "string",
        "password": "string",
        "verify_email": "boolean",
        "username": "string",
    },
    "PATCH /users/{id}": {
        "blocked": "boolean",
        "email_verified": "boolean",
        "email": "string",
        "phone_number": "string",
        "phone_verified": "boolean",
        "user_metadata": "object",
        "app_metadata": "object",
        "given_name": "string",
        "family_name": "string",
        "name": "string",
        "nickname": "string",
        "picture": "string",
        "verify_email": "boolean",
        "verify_phone_number": "boolean",
        "password": "string",
        "connection": "string",
        "client_id": "string",
        "username": "string",
    },
    "POST /users/{id}/authentication-methods": {
        "type": "string",
        "name": "string",
        "totp_secret": "string",
        "phone_number": "string",
        "email": "string",
        "preferred_authentication_method": "string",
        "key_id": "string",
        "public_key": "string",
        "relying_party_identifier": "string",
    },
    "PATCH /users/{id}/authentication-methods/{authentication_method_id}": {
        "name": "string",
        "preferred_authentication_method": "string",
    },
    "POST /tickets/password-change": {
        "result_url": "string",
        "user_id": "string",
        "client_id": "string",
        "organization_id": "string",
        "connection_id": "string",
        "email": "string",
        "ttl_sec": "integer",
        "mark_email_as_verified": "boolean",
        "includeEmailInRedirect": "boolean",
        "identity": "object",
    },
    "POST /tickets/email-verification": {
        "result_url": "string",
        "user_id": "string",
        "client_id": "string",
        "organization_id": "string",
        "ttl_sec": "integer",
        "includeEmailInRedirect": "boolean",
        "identity": "object",
    },
    "POST /jobs/verification-email": {
        "user_id": "string",
        "client_id": "string",
        "identity": "object",
        "organization_id": "string",
    },
    "POST /jobs/users-exports": {
        "connection_id": "string",
        "format": "string",
        "limit": "integer",
        "fields": "array<object>",
    },
    "POST /connections": {
        "name": "string",
        "display_name": "string",
        "strategy": "string",
        "options": "object",
        "enabled_clients": "array<string>",
        "is_domain_connection": "boolean",
        "show_as_button": "boolean",
        "realms": "array<string>",
        "metadata": "object",
        "authentication": "object",
        "connected_accounts": "object",
    },
    "PATCH /connections/{id}": {
        "display_name": "string",
        "options": "object",
        "enabled_clients": "array<string>",
        "is_domain_connection": "boolean",
        "show_as_button": "boolean",
        "realms": "array<string>",
        "metadata": "object",
        "authentication": "object",
        "connected_accounts": "object",
    },
    "POST /organizations": {
        "name": "string",
        "display_name": "string",
        "branding": "object",
        "metadata": "object",
        "enabled_connections": "array<object>",
        "token_quota": "object",
    },
    "PATCH /organizations/{id}": {
        "display_name": "string",
        "name": "string",
        "branding": "object",
        "metadata": "object",
        "token_quota": "object",
    },
    "POST /organizations/{id}/members": {
        "members": "array<string>",
    },
    "DELETE /organizations/{id}/members": {
        "members": "array<string>",
    },
    "POST /organizations/{id}/enabled_connections": {
        "connection_id": "string",
        "assign_membership_on_login": "boolean",
        "is_signup_enabled": "boolean",
        "show_as_button": "boolean",
    },
    "POST /organizations/{id}/invitations": {
        "inviter": "object",
        "invitee": "object",
        "client_id": "string",
        "connection_id": "string",
        "app_metadata": "object",
        "user_metadata": "object",
        "ttl_sec": "integer",
        "roles": "array<string>",
        "send_invitation_email": "boolean",
    },
    "POST /organizations/{id}/members/{user_id}/roles": {
        "roles": "array<string>",
    },
    "DELETE /organizations/{id}/members/{user_id}/roles": {
        "roles": "array<string>",
    },
    "POST /roles": {
        "name": "string",
        "description": "string",
    },
    "PATCH /roles/{id}": {
        "name": "string",
        "description": "string",
    },
    "POST /roles/{id}/users": {
        "users": "array<string>",
    },
    "POST /users/{id}/roles": {
        "roles": "array<string>",
    },
    "DELETE /users/{id}/roles": {
        "roles": "array<string>",
    },
}

MAX_FORM_FIELDS = 1000
_INTEGER = re.compile(r"^-?[0-9]+$")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$")
_ARRAY = re.compile(r"^array<(\w+)>$")


def form_invalid(problem: str, name: str) -> Auth0Error:
    """Auth0's wording for a bad property (``Payload validation error: '…' on property x.``)."""
    return Auth0Error(400, f"Payload validation error: '{problem}' on property {name}.", "invalid_body")


def _shown(value: str) -> str:
    """The offending value, quoted and shortened, so the message says what was sent."""
    text = value if len(value) <= 60 else value[:57] + "..."
    return json.dumps(text)


def value_coerce(name: str, kind: str, value: str) -> Any:
    """One form value as the JSON type ``kind``; a 400 naming ``name`` when it does not fit."""
    if kind == "string":
        return value
    if kind == "boolean":
        if value in ("true", "false"):
            return value == "true"
        raise form_invalid(f"Expected type boolean (true or false) but found {_shown(value)}", name)
    if kind == "integer":
        if _INTEGER.match(value):
            return int(value)
        raise form_invalid(f"Expected type integer but found {_shown(value)}", name)
    if kind == "number":
        if _NUMBER.match(value) and math.isfinite(float(value)):
            return int(value) if _INTEGER.match(value) else float(value)
        raise form_invalid(f"Expected type number but found {_shown(value)}", name)
    if kind == "object":
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
        raise form_invalid(f"Expected type object (as JSON text) but found {_shown(value)}", name)
    raise AssertionError(f"form field {name}: unsupported schema type {kind}")


def form_pairs(raw: bytes) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs of a urlencoded body, in order; 400 when it is not UTF-8 text."""
    try:
        return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict",
                         max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise Auth0Error(400, "Invalid request payload form format", "invalid_body") from None


def form_body(raw: bytes, field_types: dict[str, str]) -> dict[str, Any]:
    """The form in ``raw`` as the JSON object the operation's schema describes."""
    values: dict[str, list[str]] = {}
    for name, value in form_pairs(raw):
        values.setdefault(name, []).append(value)
    body: dict[str, Any] = {}
    for name, items in values.items():
        kind = field_types.get(name, "string")
        array = _ARRAY.match(kind)
        if array:
            body[name] = [value_coerce(f"{name}[{i}]", array.group(1), v) for i, v in enumerate(items)]
        elif len(items) > 1:
            raise form_invalid(f"Expected a single value but found {len(items)}", name)
        else:
            body[name] = value_coerce(name, kind, items[0])
    return body
