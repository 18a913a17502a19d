"""Roles (Auth0's RBAC roles): the tenant's roles, the users holding them, and the roles organization
members hold within one organization.

A user's tenant roles and their roles as a member of an organization are separate assignments, as in
Auth0. The tables' foreign keys (``schema``) end assignments with what they hang on: deleting a role
removes it from every user and member, deleting a user removes their roles, and ending a membership
removes the member's roles in that organization. Assigning or removing a member's role announces
``organization.member.role.assigned|deleted`` (``hooks``); the ends that follow a deletion announce
nothing, as nothing in Auth0's documentation says they do.
"""

from __future__ import annotations

from typing import Any

from ..tenant import Tenant
from .hooks import event_publish
from .linked_users import LinkedUsers

# A role's columns, in the order ``_role`` reads them; ``r`` is the roles table wherever it is joined.
_COLUMNS = "r.id, r.name, r.description"


def _role(row: Any) -> dict:
    """A role as the Management API shows it: no ``description`` key when it has none."""
    role = {"id": row["id"], "name": row["name"]}
    if row["description"] is not None:
        role["description"] = row["description"]
    return role


def _roles(tenant: Tenant, where: str, params: tuple, joins: str = "") -> list[dict]:
    """The roles matching ``where``, by name (ignoring case), then id."""
    # Only this module's own fragments make up the SQL; every value is a bound parameter.
    sql = f"SELECT {_COLUMNS} FROM roles r {joins} WHERE {where} ORDER BY r.name COLLATE NOCASE, r.id"  # noqa: S608
    rows = tenant.store.all(sql, params)
    return [_role(row) for row in rows]


def role_get(tenant: Tenant, role_id: str) -> dict | None:
    return next(iter(_roles(tenant, "r.id = ?", (role_id,))), None)


def role_get_by_name(tenant: Tenant, name: str) -> dict | None:
    return next(iter(_roles(tenant, "r.name = ?", (name,))), None)


def role_list(tenant: Tenant, name_filter: str | None = None) -> list[dict]:
    """Every role; ``name_filter`` keeps those whose name contains it, ignoring case."""
    if not name_filter:
        return _roles(tenant, "1", ())
    # instr on lower() rather than LIKE: a filter holding % or _ means those characters.
    return _roles(tenant, "instr(lower(r.name), ?) > 0", (name_filter.lower(),))


def role_put(tenant: Tenant, role: dict) -> dict:
    tenant.store.execute(
        "INSERT INTO roles(id, name, description) VALUES (?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description",
        (role["id"], role["name"], role.get("description")),
    )
    return role


def role_delete(tenant: Tenant, role_id: str) -> bool:
    """Delete a role; the users and members holding it lose it (the foreign keys cascade)."""
    return bool(tenant.store.execute("DELETE FROM roles WHERE id = ?", (role_id,)).rowcount)


def roles_missing(tenant: Tenant, role_ids: list[str]) -> list[str]:
    """The ids among ``role_ids`` that name no role, in the order given."""
    return [rid for rid in dict.fromkeys(role_ids) if role_get(tenant, rid) is None]


# -- users' tenant roles ------------------------------------------------------------------------
def user_roles_list(tenant: Tenant, user_id: str) -> list[dict]:
    return _roles(tenant, "ur.user_id = ?", (user_id,), joins="JOIN user_roles ur ON ur.role_id = r.id")


def user_roles_add(tenant: Tenant, user_id: str, role_ids: list[str]) -> None:
    """Give a user roles (those the user holds already are left as they are)."""
    with tenant.store.transaction():
        tenant.store.executemany(
            "INSERT OR IGNORE INTO user_roles(user_id, role_id) VALUES (?, ?)",
            [(user_id, rid) for rid in dict.fromkeys(role_ids)],
        )


def user_roles_remove(tenant: Tenant, user_id: str, role_ids: list[str]) -> None:
    with tenant.store.transaction():
        tenant.store.executemany(
            "DELETE FROM user_roles WHERE user_id = ? AND role_id = ?", [(user_id, rid) for rid in role_ids]
        )


# A role's holders, read a page at a time in id order (the index on user_roles(role_id, user_id)): a role held by
# hundreds of thousands costs each page what its hundred users do. Only users that exist are counted.
role_holders = LinkedUsers("FROM user_roles ur JOIN users u ON u.user_id = ur.user_id WHERE ur.role_id = ?",
                           "ur.user_id")


# -- organization members' roles ------------------------------------------------------------------
def organization_member_roles_list(tenant: Tenant, org_id: str, user_id: str) -> list[dict]:
    return _roles(tenant, "m.org_id = ? AND m.user_id = ?", (org_id, user_id),
                  joins="JOIN organization_member_roles m ON m.role_id = r.id")


def organization_members_roles(tenant: Tenant, org_id: str, user_ids: list[str]) -> dict[str, list[dict]]:
    """The roles each of ``user_ids`` holds as a member of the organization (``{id, name}``, as
    ``GET /organizations/{id}/members?fields=roles`` lists them), read in one query; [] for one holding none."""
    found: dict[str, list[dict]] = {user_id: [] for user_id in user_ids}
    if not user_ids:
        return found
    marks = ", ".join("?" for _ in user_ids)
    # Only placeholders are formatted into the SQL; every value is a bound parameter.
    rows = tenant.store.all(
        "SELECT m.user_id, r.id, r.name FROM organization_member_roles m JOIN roles r ON r.id = m.role_id "  # noqa: S608
        f"WHERE m.org_id = ? AND m.user_id IN ({marks}) ORDER BY r.name COLLATE NOCASE, r.id",
        (org_id, *user_ids),
    )
    for row in rows:
        found[row["user_id"]].append({"id": row["id"], "name": row["name"]})
    return found


def organization_member_roles_add(tenant: Tenant, org_id: str, user_id: str, role_ids: list[str]) -> None:
    """Give a member roles in the organization; ``organization.member.role.assigned`` for each new one.
    The caller has checked that the user is a member (the foreign key refuses anyone else)."""
    _member_roles_change(
        tenant, org_id, user_id, role_ids, "organization.member.role.assigned",
        "INSERT OR IGNORE INTO organization_member_roles(org_id, user_id, role_id) VALUES (?, ?, ?)",
    )


def organization_member_roles_remove(tenant: Tenant, org_id: str, user_id: str, role_ids: list[str]) -> None:
    """Take roles from a member; ``organization.member.role.deleted`` for each one they held."""
    _member_roles_change(
        tenant, org_id, user_id, role_ids, "organization.member.role.deleted",
        "DELETE FROM organization_member_roles WHERE org_id = ? AND user_id = ? AND role_id = ?",
    )


def _member_roles_change(
    tenant: Tenant, org_id: str, user_id: str, role_ids: list[str], event_type: str, sql: str
) -> None:
    """Run ``sql`` for each role, announcing ``event_type`` for each row it changed (a real change)."""
    with tenant.store.transaction():
        for role_id in dict.fromkeys(role_ids):
            if tenant.store.execute(sql, (org_id, user_id, role_id)).rowcount:
                role = role_get(tenant, role_id) or {"id": role_id, "name": ""}
                # The spec's organization.member.role.* object names the organization by id alone.
                event_publish(tenant, event_type, {"organization": {"id": org_id}, "user": {"user_id": user_id},
                                                   "role": {"id": role["id"], "name": role["name"]}})
