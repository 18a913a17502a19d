"""The SCIM endpoint of each organization, ``/scim/v2/<slug>/``: thin views that authenticate the provider's bearer
token (a token of this organization, else 401, whether the organization exists or not), count it against its rate
(429 with Retry-After), read the body and query with ``scim.resources``, call one service of
``scim.provisioning`` and answer in ``application/scim+json``. Every refusal is a SCIM error body
(``urn:ietf:params:scim:api:messages:2.0:Error``, ``status``, ``scimType``)."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from scim2_models import Group

from scim import provisioning as services
from scim import resources
from scim.resources import ScimError
from scim.tokens import Authenticated, token_authenticate, token_rate_take


def _answer(body, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type=resources.CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _error(exc: ScimError, headers: dict | None = None) -> HttpResponse:
    return _answer(exc.body(), exc.status, headers)


def _bearer(request: HttpRequest) -> str:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return presented.strip() if scheme.lower() == "bearer" else ""


def scim_endpoint(*methods: str) -> Callable:
    """The token's check, the rate, the methods and the SCIM error bodies, around a view of one route."""
    def decorate(view: Callable) -> Callable:
        def served(request: HttpRequest, slug: str, **kwargs) -> HttpResponse:
            caller = token_authenticate(slug=slug, presented=_bearer(request))
            if caller is None:
                return _error(ScimError(401, "The bearer token is not valid for this endpoint."),
                              {"WWW-Authenticate": 'Bearer realm="scim"'})
            wait = token_rate_take(caller.token)
            if wait is not None:
                return _error(ScimError(429, "Too many requests for this token: try again later."),
                              {"Retry-After": str(max(1, math.ceil(wait)))})
            if request.method not in methods:
                return _error(ScimError(405, f"{request.method} is not supported here."), {"Allow": ", ".join(methods)})
            try:
                return view(request, caller, **kwargs)
            except ScimError as exc:
                return _error(exc)
            except PermissionDenied as exc:
                return _error(ScimError(403, str(exc) or "Not allowed."))

        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request: HttpRequest, slug: str, **kwargs) -> HttpResponse:
            # SCIM clients are machines: every error body is in English whatever Accept-Language says, and so is
            # every refusal of a service the body quotes.
            with translation.override("en"):
                return served(request, slug, **kwargs)
        return wrapped
    return decorate


def _base(request: HttpRequest, caller: Authenticated) -> str:
    return request.build_absolute_uri(f"/scim/v2/{caller.token.organization.slug}")


def _precondition(request: HttpRequest, version: int) -> None:
    wanted = request.headers.get("If-Match")
    if wanted and wanted.strip() not in ("*", resources.etag(version)):
        raise ScimError(412, "The resource has changed since that version.")


def _resource(request: HttpRequest, resource, status: int = 200) -> HttpResponse:
    body = resources.dump(resource)
    return _answer(body, status, {"ETag": resource.meta.version, "Location": resource.meta.location})


# -- discovery ---------------------------------------------------------------------------------------------------
@scim_endpoint("GET")
def service_provider_config(request: HttpRequest, caller: Authenticated) -> HttpResponse:
    return _answer(resources.service_provider_config(_base(request, caller)))


def _listed(items: list[dict], start_index: int = 1) -> dict:
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": len(items),
            "startIndex": start_index, "itemsPerPage": len(items), "Resources": items}


@scim_endpoint("GET")
def resource_types(request: HttpRequest, caller: Authenticated, name: str = "") -> HttpResponse:
    found = resources.resource_types(_base(request, caller))
    if not name:
        return _answer(_listed(found))
    match = next((r for r in found if r["id"] == name), None)
    if match is None:
        raise ScimError(404, "No such resource type.")
    return _answer(match)


@scim_endpoint("GET")
def schemas(request: HttpRequest, caller: Authenticated, schema_id: str = "") -> HttpResponse:
    found = resources.schemas(_base(request, caller))
    if not schema_id:
        return _answer(_listed(found))
    match = next((s for s in found if s["id"] == schema_id), None)
    if match is None:
        raise ScimError(404, "No such schema.")
    return _answer(match)


# -- users -------------------------------------------------------------------------------------------------------
def _user_location(request: HttpRequest, caller: Authenticated, scim_id) -> str:
    return f"{_base(request, caller)}/Users/{scim_id}"


@scim_endpoint("GET", "POST")
def users(request: HttpRequest, caller: Authenticated) -> HttpResponse:
    organization = caller.token.organization
    if request.method == "POST":
        user = resources.user_parse(resources.body_json(request.body))
        created = services.scim_user_create(actor=caller.principal, token=caller.token, organization=organization,
                                            user=user)
        return _resource(request, services.user_resource(created, _user_location(request, caller, created.pk)), 201)
    query = resources.query_parse(request.GET, resources.USER_FILTERS, resources.UserModel)
    found, total = services.page(services.scim_user_list(organization=organization).prefetch_related("scim_groups"),
                                 query)
    listed = [services.user_resource(u, _user_location(request, caller, u.pk)) for u in found]
    return _answer(resources.list_response(resources.UserModel, listed, total, query.start_index))


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, caller: Authenticated, scim_id: str) -> HttpResponse:
    organization = caller.token.organization
    scim_user = services.scim_user_get(organization=organization, scim_id=scim_id)
    location = _user_location(request, caller, scim_user.pk)
    if request.method == "GET":
        return _resource(request, services.user_resource(scim_user, location))
    _precondition(request, scim_user.version)
    if request.method == "DELETE":
        services.scim_user_delete(actor=caller.principal, organization=organization, scim_user=scim_user)
        return HttpResponse(status=204)
    body = resources.body_json(request.body)
    if request.method == "PUT":
        wanted = resources.user_parse(body, replacing=True)
    else:
        wanted = services.user_patch_base(scim_user, location)
        resources.patch_apply(wanted, body)
        wanted = resources.user_parse(resources.dump(wanted), replacing=True)
    changed = services.scim_user_replace(actor=caller.principal, organization=organization, scim_user=scim_user,
                                         user=wanted)
    return _resource(request, services.user_resource(changed, location))


# -- groups ------------------------------------------------------------------------------------------------------
def _group_location(request: HttpRequest, caller: Authenticated, scim_id) -> str:
    return f"{_base(request, caller)}/Groups/{scim_id}"


@scim_endpoint("GET", "POST")
def groups(request: HttpRequest, caller: Authenticated) -> HttpResponse:
    organization = caller.token.organization
    users_location = f"{_base(request, caller)}/Users"
    if request.method == "POST":
        group = resources.group_parse(resources.body_json(request.body))
        created = services.scim_group_create(actor=caller.principal, organization=organization, group=group)
        return _resource(request, services.group_resource(created, _group_location(request, caller, created.pk),
                                                          users_location), 201)
    query = resources.query_parse(request.GET, resources.GROUP_FILTERS, Group)
    found, total = services.page(services.scim_group_list(organization=organization), query)
    listed = [services.group_resource(g, _group_location(request, caller, g.pk), users_location) for g in found]
    if request.GET.get("excludedAttributes", "").lower() == "members":
        for group in listed:
            group.members = None
    return _answer(resources.list_response(Group, listed, total, query.start_index))


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def group(request: HttpRequest, caller: Authenticated, scim_id: str) -> HttpResponse:
    organization = caller.token.organization
    scim_group = services.scim_group_get(organization=organization, scim_id=scim_id)
    location, users_location = _group_location(request, caller, scim_group.pk), f"{_base(request, caller)}/Users"
    if request.method == "GET":
        return _resource(request, services.group_resource(scim_group, location, users_location))
    _precondition(request, scim_group.version)
    if request.method == "DELETE":
        services.scim_group_delete(actor=caller.principal, organization=organization, scim_group=scim_group)
        return HttpResponse(status=204)
    body = resources.body_json(request.body)
    if request.method == "PUT":
        wanted = resources.group_parse(body)
    else:
        wanted = services.group_patch_base(scim_group, location, users_location)
        resources.patch_apply(wanted, body)
    changed = services.scim_group_replace(actor=caller.principal, organization=organization, scim_group=scim_group,
                                          group=wanted)
    return _resource(request, services.group_resource(changed, location, users_location))
