"""Registering the REST API's machine clients (internal tools): which Auth0 application, which
organizations (or all), which permissions. Company admins only; every change is audited.

The UI page and the ``api_client_register`` command both call these services, so their rules live here
once; how a registration becomes what the client may reach is ``organizations.selectors.api_client_principal``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from organizations.access.authorization import require_company_admin_person
from organizations.models import ApiClient, ApiPermission, Organization
from portal.audit import audit_record
from portal.principal import Principal

# Auth0 client ids are 32 alphanumerics; other providers (and the emulator) use other shapes, but never
# spaces, slashes or the "@" that would make the token subject ambiguous.
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")


def _clean(*, client_id: str, name: str, all_organizations: bool, organizations: Iterable[Organization],
           permissions: Iterable[str]) -> tuple[str, str, list[Organization], list[str]]:
    errors: dict[str, str] = {}
    client_id, name = client_id.strip(), name.strip()
    organizations, permissions = list(organizations), list(dict.fromkeys(permissions))
    if not CLIENT_ID_RE.match(client_id):
        errors["client_id"] = _("Enter the Auth0 application's client id: letters, digits, dots, dashes, "
                                "underscores or tildes, at most 128.")
    if not name:
        errors["name"] = _("Give the client a name people will recognise (e.g. Help desk).")
    unknown = [p for p in permissions if p not in ApiPermission.values]
    if unknown:
        errors["permissions"] = _("Unknown permission: %(permissions)s.") % {"permissions": ", ".join(unknown)}
    elif not permissions:
        errors["permissions"] = _("Choose at least one permission.")
    if all_organizations and organizations:
        errors["organizations"] = _("Choose either every organization or some of them, not both.")
    elif not all_organizations and not organizations:
        errors["organizations"] = _("Choose the organizations this client may touch, or every organization.")
    if errors:
        raise ValidationError(errors)
    return client_id, name, organizations, [p for p in ApiPermission.values if p in permissions]


def _scope_text(client: ApiClient) -> str:
    if client.all_organizations:
        return "every organization"
    return ", ".join(sorted(o.display_name for o in client.organizations.all())) or "no organization"


def api_client_register(
    *, actor: Principal | None, client_id: str, name: str, all_organizations: bool = False,
    organizations: Iterable[Organization] = (), permissions: Iterable[str] = (),
) -> ApiClient:
    """Register an Auth0 application as a client of the REST API. ``actor`` None is the management command
    (run by whoever runs the deployment)."""
    if actor is not None:
        require_company_admin_person(actor)
    client_id, name, orgs, perms = _clean(client_id=client_id, name=name, all_organizations=all_organizations,
                                          organizations=organizations, permissions=permissions)
    if ApiClient.objects.filter(client_id=client_id).exists():
        raise ValidationError({"client_id": _("This application is registered already: change its registration.")})
    with transaction.atomic():
        client = ApiClient.objects.create(client_id=client_id, name=name, all_organizations=all_organizations,
                                          permissions=perms, created_by=actor.user_id if actor else "")
        client.organizations.set(orgs)
        audit_record(actor=actor, action="api_client.registered", target_type="api_client", target_id=client_id,
                     summary=f"Registered the API client {name} for {_scope_text(client)}",
                     details={"permissions": perms, "all_organizations": all_organizations,
                              "organizations": sorted(o.slug for o in orgs)})
    return client


def api_client_update(
    *, actor: Principal | None, client: ApiClient, name: str, all_organizations: bool,
    organizations: Iterable[Organization], permissions: Iterable[str], active: bool = True,
) -> ApiClient:
    """Change a registration (its Auth0 client id stays); ``active`` False shuts the client out at once."""
    if actor is not None:
        require_company_admin_person(actor)
    _client_id, name, orgs, perms = _clean(client_id=client.client_id, name=name,
                                           all_organizations=all_organizations, organizations=organizations,
                                           permissions=permissions)
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().get(pk=client.pk)
        before = {"name": client.name, "permissions": client.permissions, "active": client.active,
                  "all_organizations": client.all_organizations,
                  "organizations": sorted(client.organizations.values_list("slug", flat=True))}
        client.name, client.all_organizations, client.permissions, client.active = (
            name, all_organizations, perms, active)
        client.save()
        client.organizations.set(orgs)
        after = {"name": name, "permissions": perms, "active": active, "all_organizations": all_organizations,
                 "organizations": sorted(o.slug for o in orgs)}
        state = "" if active else " (disabled)"
        audit_record(actor=actor, action="api_client.changed", target_type="api_client", target_id=client.client_id,
                     summary=f"Changed the API client {name}: {_scope_text(client)}{state}",
                     details={"before": before, "after": after})
    return client
