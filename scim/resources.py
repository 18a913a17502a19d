"""The SCIM protocol's shapes (RFC 7643, RFC 7644) through scim2-models: reading a provider's bodies (users,
groups, PATCH operations, filters) into checked values, and writing the portal's answers (resources, lists, the
discovery documents, errors). Nothing here reads or writes the database.

Providers differ in what they send: Entra ID capitalises operations (``"Replace"``), sends booleans as strings
(``"False"``) and removes group members by value (``{"op": "Remove", "path": "members", "value": [{"value":
id}]}``); Okta sends a replace without a path whose value is a partial resource (``{"op": "replace", "value":
{"active": false}}``). scim2-models reads the first two as the RFC says; :func:`patch_normalize` rewrites the
third into the RFC's filtered path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pydantic
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    Error,
    Group,
    ListResponse,
    Meta,
    Patch,
    PatchOp,
    ResourceType,
    SCIMException,
    ScimFilter,
    ServiceProviderConfig,
    Sort,
    User,
)
from scim2_models import ETag as ETagSupport
from scim2_models import Filter as FilterSupport

CONTENT_TYPE = "application/scim+json"
# Users with RFC 7643's enterprise extension, which Entra ID's default mappings send (department, employeeNumber, …):
# kept and given back as sent.
UserModel = User[EnterpriseUser]
MAX_RESULTS = 200
# The attributes a list may be filtered by, each with what it is compared to, by resource.
USER_FILTERS = {"username": "user_name", "externalid": "external_id", "id": "id"}
GROUP_FILTERS = {"displayname": "display_name", "externalid": "external_id", "id": "id"}


class ScimError(Exception):
    """A refusal in SCIM's words: the HTTP status, RFC 7644's ``scimType`` where it has one, and what is wrong."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type

    def body(self) -> dict[str, Any]:
        return Error(status=self.status, scim_type=self.scim_type, detail=self.detail).model_dump()


def _validation_error(exc: pydantic.ValidationError) -> ScimError:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if not isinstance(part, int)) or "the body"
    kind = str(first.get("type", ""))
    scim_type = kind.removeprefix("scim_") if kind.startswith("scim_") else "invalidValue"
    return ScimError(400, f"{where}: {first.get('msg', 'not valid')}"[:500], scim_type)


def body_json(raw: bytes) -> dict[str, Any]:
    """The request's body as a JSON object, else a 400 ``invalidSyntax``."""
    try:
        body = json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ScimError(400, "The body is not JSON.", "invalidSyntax") from None
    if not isinstance(body, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    return body


def _validated(model: type, body: dict[str, Any], context: Context):
    try:
        return model.model_validate(body, scim_ctx=context)
    except pydantic.ValidationError as exc:
        raise _validation_error(exc) from None
    except SCIMException as exc:
        raise ScimError(400, str(exc)[:500], getattr(exc, "scim_type", None) or "invalidValue") from None


def user_parse(body: dict[str, Any], *, replacing: bool = False) -> User:
    """A User a provider sent (POST or PUT); a 400 for anything RFC 7643 refuses, or without a usable email."""
    user = _validated(UserModel, body, Context.RESOURCE_REPLACEMENT_REQUEST if replacing
                      else Context.RESOURCE_CREATION_REQUEST)
    if not user_email(user):
        raise ScimError(400, "userName or emails must hold the person's email address.", "invalidValue")
    return user


def user_email(user: User) -> str:
    """The person's email: the primary (or work, or first) of ``emails``, else ``userName`` if it is one."""
    emails = [e for e in (user.emails or []) if e.value]
    chosen = (next((e for e in emails if e.primary), None) or next((e for e in emails if str(e.type) == "work"), None)
              or (emails[0] if emails else None))
    if chosen is not None:
        return str(chosen.value).strip().lower()
    name = (user.user_name or "").strip()
    return name.lower() if "@" in name and " " not in name else ""


def group_parse(body: dict[str, Any]) -> Group:
    group = _validated(Group, body, Context.RESOURCE_CREATION_REQUEST)
    if not (group.display_name or "").strip():
        raise ScimError(400, "displayName is required.", "invalidValue")
    return group


def patch_normalize(body: dict[str, Any]) -> dict[str, Any]:
    """Entra ID's removal of group members by value, rewritten as the RFC's filtered path (one operation per
    member); every other operation is left as sent."""
    operations = body.get("Operations")
    if not isinstance(operations, list):
        return body
    rewritten: list[Any] = []
    for op in operations:
        if (isinstance(op, dict) and str(op.get("op", "")).lower() == "remove"
                and str(op.get("path", "")).lower() == "members" and isinstance(op.get("value"), list)):
            for member in op["value"]:
                value = member.get("value") if isinstance(member, dict) else None
                if not isinstance(value, str) or '"' in value:
                    raise ScimError(400, "A member to remove is named by its value (its SCIM id).", "invalidValue")
                rewritten.append({"op": "remove", "path": f'members[value eq "{value}"]'})
        else:
            rewritten.append(op)
    return {**body, "Operations": rewritten}


def patch_apply(resource: User | Group, body: dict[str, Any]) -> bool:
    """Apply a PatchOp to ``resource`` in place; whether anything changed. A 400 for what RFC 7644 refuses."""
    patch = _validated(PatchOp[type(resource)], patch_normalize(body), Context.RESOURCE_PATCH_REQUEST)
    try:
        return bool(patch.patch(resource))
    except SCIMException as exc:
        raise ScimError(400, str(exc)[:500], getattr(exc, "scim_type", None) or "invalidValue") from None
    except (pydantic.ValidationError, ValueError, TypeError) as exc:
        raise ScimError(400, f"The operations do not apply: {exc}"[:500], "invalidValue") from None


@dataclass(frozen=True)
class Query:
    """A list's request: which items (by attribute, lower-cased name → value) and which page."""

    equals: dict[str, str]
    start_index: int
    count: int


def _int_parameter(value: str | None, name: str, default: int, minimum: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ScimError(400, f"{name} must be a whole number.", "invalidValue") from None
    return max(number, minimum)


def query_parse(params, allowed: dict[str, str], model: type) -> Query:
    """``filter`` (``attr eq "value"``, joined by ``and``, on the attributes a list may be filtered by),
    ``startIndex`` (1-based; below 1 is 1) and ``count`` (0 asks for the total alone; at most MAX_RESULTS)."""
    equals: dict[str, str] = {}
    text = params.get("filter")
    if text:
        try:
            node = ScimFilter[model](text).ast
        except (SCIMException, ValueError, TypeError) as exc:
            raise ScimError(400, f"The filter is not valid: {exc}"[:300], "invalidFilter") from None
        for term in getattr(node, "terms", None) or [node]:
            if getattr(node, "op", "and") not in ("and",) and hasattr(node, "terms"):
                raise ScimError(400, "Only comparisons joined by 'and' are supported.", "invalidFilter")
            attr = getattr(getattr(term, "attr_path", None), "attr", "") or ""
            if str(getattr(term, "op", "")) != "eq" or attr.lower() not in allowed or term.attr_path.sub_attr:
                raise ScimError(400, f"Filter by {', '.join(sorted(allowed))} with eq only.", "invalidFilter")
            equals[allowed[attr.lower()]] = str(term.value)
    return Query(equals, _int_parameter(params.get("startIndex"), "startIndex", 1, 1),
                 min(_int_parameter(params.get("count"), "count", 100, 0), MAX_RESULTS))


def meta(resource_type: str, location: str, version: int, created, updated) -> Meta:
    return Meta(resource_type=resource_type, location=location, version=etag(version), created=created,
                last_modified=updated)


def etag(version: int) -> str:
    return f'W/"{version}"'


def dump(resource) -> dict[str, Any]:
    return resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def list_response(model: type, resources: list, total: int, start_index: int) -> dict[str, Any]:
    listed = ListResponse[model](total_results=total, start_index=start_index, items_per_page=len(resources),
                                 resources=resources or None)
    return listed.model_dump(scim_ctx=Context.SEARCH_RESPONSE)


def service_provider_config(base_url: str) -> dict[str, Any]:
    config = ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True), bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=FilterSupport(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False), sort=Sort(supported=False), etag=ETagSupport(supported=True),
        authentication_schemes=[AuthenticationScheme(
            type="oauthbearertoken", name="Bearer token", primary=True,
            description="The token an admin of the organization made on its SCIM page")],
        meta=Meta(resource_type="ServiceProviderConfig", location=f"{base_url}/ServiceProviderConfig"),
    )
    return config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def resource_types(base_url: str) -> list[dict[str, Any]]:
    found = []
    for model in (UserModel, Group):
        rt = ResourceType.from_resource(model)
        rt.meta = Meta(resource_type="ResourceType", location=f"{base_url}/ResourceTypes/{rt.id}")
        found.append(rt.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    return found


def schemas(base_url: str) -> list[dict[str, Any]]:
    found = []
    for model in (User, EnterpriseUser, Group):
        schema = model.to_schema()
        schema.meta = Meta(resource_type="Schema", location=f"{base_url}/Schemas/{schema.id}")
        found.append(schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    return found
