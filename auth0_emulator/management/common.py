"""Request parsing and response shaping shared by the Management API handlers.

Validation errors follow Auth0's wording: ``Query validation error: '<what>' on property <name>
(<description>).`` for query strings and ``Payload validation error: …`` for bodies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import Auth0Error
from ..tenant import Tenant
from .forms import FORM_FIELD_TYPES, form_body

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
API_PREFIX = "/api/v2"


def tenant_of(request: Request) -> Tenant:
    return request.app.state.tenant


def query_invalid(name: str, problem: str, description: str = "") -> Auth0Error:
    suffix = f" ({description})" if description else ""
    return Auth0Error(
        400, f"Query validation error: '{problem}' on property {name}{suffix}.", "invalid_query_string"
    )


def payload_invalid(problem: str, name: str | None = None, description: str = "") -> Auth0Error:
    where = f" on property {name}" if name else ""
    suffix = f" ({description})" if description else ""
    return Auth0Error(400, f"Payload validation error: '{problem}'{where}{suffix}.", "invalid_body")


def query_int(
    request: Request,
    name: str,
    default: int | None,
    *,
    minimum: int = 0,
    maximum: int | None = None,
    description: str = "",
) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise query_invalid(name, "Expected type integer but found type string", description) from None
    if value < minimum:
        raise query_invalid(name, f"Value {value} is less than minimum {minimum}", description)
    if maximum is not None and value > maximum:
        raise query_invalid(name, f"Value {value} is greater than maximum {maximum}", description)
    return value


def query_bool(request: Request, name: str, default: bool | None) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise query_invalid(name, "Expected type boolean but found type string")


def query_str(request: Request, name: str, *, required: bool = False, description: str = "") -> str | None:
    raw = request.query_params.get(name)
    if required and not raw:
        raise Auth0Error(
            400, f"Query validation error: 'Missing required property: {name}'.", "invalid_query_string"
        )
    return raw


async def request_body(
    request: Request, *, allowed: Sequence[str] | None = None, required: Sequence[str] = ()
) -> dict[str, Any]:
    """The body as a JSON object, checked for unknown and missing properties as Auth0 does.

    Every Management API handler reads its body here, so JSON and form bodies (where Auth0's spec
    lists ``application/x-www-form-urlencoded``) get the same checks and the same errors."""
    raw = await request.body()
    if _media_type(request) == FORM_CONTENT_TYPE:
        body: Any = form_body(raw, _form_field_types(request))
    else:
        body = _json_value(raw)
    if not isinstance(body, dict):
        raise payload_invalid("Expected type object but found type " + _json_type(body))
    if allowed is not None:
        extra = [k for k in body if k not in allowed]
        if extra:
            raise payload_invalid(f"Additional properties not allowed: {', '.join(extra)}")
    missing = [k for k in required if k not in body]
    if missing:
        raise payload_invalid(f"Missing required property: {missing[0]}")
    return body


async def request_array(request: Request) -> list[Any]:
    """The body as a JSON array, for the operations whose body schema is one (``PUT
    /users/{id}/authentication-methods``). The spec also lists form bodies for them, but a form cannot
    carry an array of objects (the spec gives no encoding for one), so forms are refused."""
    raw = await request.body()
    if _media_type(request) == FORM_CONTENT_TYPE:
        raise _form_refused()
    body = _json_value(raw)
    if not isinstance(body, list):
        raise payload_invalid("Expected type array but found type " + _json_type(body))
    return body


def _form_refused() -> Auth0Error:
    return Auth0Error(
        400, f"{FORM_CONTENT_TYPE} bodies are not accepted here: send application/json", "invalid_body"
    )


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _json_value(raw: bytes) -> Any:
    """Any body that is not a form is read as JSON (an empty body is ``{}``), as before forms."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise Auth0Error(400, "Invalid request payload JSON format", "invalid_body") from None


def _form_field_types(request: Request) -> dict[str, str]:
    """The property types of the operation being called, found by its route template; an operation
    whose spec does not list form bodies (or that is not Auth0's) refuses them."""
    route = request.scope.get("route")
    template = str(getattr(route, "path", "")).removeprefix(API_PREFIX)
    field_types = FORM_FIELD_TYPES.get(f"{request.method} {template}")
    if field_types is None:
        raise _form_refused()
    return field_types


def check_type(body: dict, name: str, kind: type | tuple[type, ...], description: str = "") -> None:
    """Reject a present property of the wrong JSON type (``None`` is allowed: it means unset)."""
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        ok = False
    else:
        ok = isinstance(value, kind)
    if not ok:
        names = {str: "string", bool: "boolean", int: "integer", dict: "object", list: "array"}
        kinds = kind if isinstance(kind, tuple) else (kind,)
        expected = "/".join(names.get(k, k.__name__) for k in kinds)
        raise payload_invalid(
            f"Expected type {expected} but found type {_json_type(value)}", name, description
        )


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def fields_apply(target: dict, changes: dict) -> dict:
    """A PATCH's root fields on ``target``: each given value replaces the field whole, ``None`` removes it."""
    for key, value in changes.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return target


def fields_projection(request: Request) -> tuple[list[str] | None, bool]:
    fields = request.query_params.get("fields")
    include = query_bool(request, "include_fields", True)
    names = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    return names, bool(include)


def project(obj: dict, fields: list[str] | None, include: bool) -> dict:
    if not fields:
        return obj
    if include:
        return {k: v for k, v in obj.items() if k in fields}
    return {k: v for k, v in obj.items() if k not in fields}


def paged(
    request: Request,
    items: list,
    key: str,
    *,
    default_per_page: int = 50,
    include_totals_default: bool = False,
    with_length: bool = False,
    with_total: bool = True,
) -> Any:
    """Offset paging (``page``/``per_page``/``include_totals``) over a complete list."""
    return paged_query(
        request, key, lambda start, count: items[start : start + count], lambda: len(items),
        default_per_page=default_per_page, include_totals_default=include_totals_default, with_length=with_length,
        with_total=with_total,
    )


def paged_query(
    request: Request,
    key: str,
    fetch: Callable[[int, int], list],
    total: Callable[[], int],
    *,
    default_per_page: int = 50,
    include_totals_default: bool = False,
    with_length: bool = False,
    with_total: bool = True,
) -> Any:
    """Offset paging where the list is read a page at a time: ``fetch(start, count)`` reads the page, ``total()``
    counts the whole list (asked only with ``include_totals``)."""
    page = query_int(request, "page", 0, description="Page index of the results to return. First page is 0.")
    per_page = query_int(
        request, "per_page", default_per_page, maximum=100, description="Number of results per page."
    )
    include_totals = query_bool(request, "include_totals", include_totals_default)
    start = page * per_page
    chunk = fetch(start, per_page)
    if not include_totals:
        return chunk
    envelope: dict[str, Any] = {"start": start, "limit": per_page}
    if with_length:
        envelope["length"] = len(chunk)
    if with_total:
        envelope["total"] = total()
    envelope[key] = chunk
    return envelope


def ok(body: Any, status: int = 200) -> Response:
    return JSONResponse(body, status_code=status)


def no_content() -> Response:
    return Response(status_code=204)


def checkpointed(
    request: Request, items: list[dict], key: str, id_field: str,
    from_description: str = "Optional Id from which to start selection.",
) -> dict[str, Any]:
    """Checkpoint paging (``from``/``take``): the items after the one whose id is ``from``, and
    ``next`` (the last id returned) while more remain. ``from_description`` is how the operation's spec
    describes ``from`` (Auth0's validation messages quote it)."""
    ids = [item.get(id_field) for item in items]

    def after(checkpoint: str | None, count: int) -> list:
        start = ids.index(checkpoint) + 1 if checkpoint else 0
        return list(range(start, min(start + count, len(items))))

    return checkpointed_query(request, key, after, lambda positions: [items[i] for i in positions],
                              lambda checkpoint: checkpoint in ids, from_description,
                              checkpoint_of=lambda position: ids[position])


def checkpointed_query(
    request: Request, key: str, after: Callable[[str | None, int], list], shown: Callable[[list], list[dict]],
    holds: Callable[[str], bool], from_description: str = "Optional Id from which to start selection.",
    checkpoint_of: Callable[[Any], str] = str,
) -> dict[str, Any]:
    """Checkpoint paging where the list is read a page at a time: ``after(checkpoint, count)`` reads up to
    ``count`` ids after ``checkpoint`` (from the first when None), in id order, and ``shown(ids)`` describes a
    page's; ``holds`` says whether the list holds an id (an unknown ``from`` is refused as Auth0 refuses it).
    ``next`` is the last id of a page while more remain."""
    take = (
        query_int(
            request,
            "take",
            50,
            minimum=1,
            maximum=100,
            description="Number of results per page. Defaults to 50.",
        )
        or 50
    )
    checkpoint = request.query_params.get("from")
    if checkpoint and not holds(checkpoint):
        raise query_invalid("from", f"Invalid checkpoint: {checkpoint}", from_description)
    ids = after(checkpoint or None, take + 1)  # one more than a page: whether more remain
    body: dict[str, Any] = {key: shown(ids[:take])}
    if len(ids) > take:
        body["next"] = checkpoint_of(ids[take - 1])
    return body


def wants_checkpoint(request: Request) -> bool:
    return "from" in request.query_params or "take" in request.query_params
