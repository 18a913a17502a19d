"""Auth0 Organizations: the organizations, their members, enabled connections and invitations.

Adding or removing a member announces ``organization.member.added|deleted`` (``hooks``) and tells the
search index, which matches ``organization_id:`` against memberships.
"""

from __future__ import annotations

import json

from ..tenant import Tenant
from .formats import now_iso
from .hooks import event_publish, index_touch
from .linked_users import LinkedUsers


def organization_get(tenant: Tenant, org_id: str) -> dict | None:
    row = tenant.store.one("SELECT data FROM organizations WHERE id = ?", (org_id,))
    return json.loads(row["data"]) if row else None


def organization_get_by_name(tenant: Tenant, name: str) -> dict | None:
    row = tenant.store.one("SELECT data FROM organizations WHERE name = ?", (name,))
    return json.loads(row["data"]) if row else None


def organization_list(tenant: Tenant) -> list[dict]:
    return [json.loads(r["data"]) for r in tenant.store.all("SELECT data FROM organizations ORDER BY name")]


def organization_put(tenant: Tenant, org: dict) -> dict:
    tenant.store.execute(
        "INSERT INTO organizations(id, name, data) VALUES (?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET name = excluded.name, data = excluded.data",
        (org["id"], org["name"], json.dumps(org)),
    )
    return org


def organization_delete(tenant: Tenant, org_id: str) -> bool:
    members = [
        r["user_id"]
        for r in tenant.store.all("SELECT user_id FROM organization_members WHERE org_id = ?", (org_id,))
    ]
    cur = tenant.store.execute("DELETE FROM organizations WHERE id = ?", (org_id,))
    for user_id in members:
        index_touch(tenant, user_id)
    return bool(cur.rowcount)


def organization_member_check(tenant: Tenant, org_id: str, user_id: str) -> bool:
    return (
        tenant.store.one(
            "SELECT 1 FROM organization_members WHERE org_id = ? AND user_id = ?", (org_id, user_id)
        )
        is not None
    )


# An organization's members, read a page at a time in id order (its primary key, (org_id, user_id)): an organization
# of hundreds of thousands costs each page what its hundred members do. Only users that exist are counted.
organization_members = LinkedUsers(
    "FROM organization_members m JOIN users u ON u.user_id = m.user_id WHERE m.org_id = ?", "m.user_id")


def _member_event(tenant: Tenant, event_type: str, org_id: str, user_id: str) -> None:
    org = organization_get(tenant, org_id) or {"id": org_id}
    event_publish(tenant, event_type, {"organization": {"id": org["id"], "name": org.get("name")},
                                  "user": {"user_id": user_id}})


def organization_members_add(tenant: Tenant, org_id: str, user_ids: list[str]) -> None:
    """Add members; ``organization.member.added`` for each one who was not a member yet."""
    stamp = now_iso()
    with tenant.store.transaction():
        for uid in dict.fromkeys(user_ids):
            cur = tenant.store.execute(
                "INSERT OR IGNORE INTO organization_members(org_id, user_id, created_at) VALUES (?, ?, ?)",
                (org_id, uid, stamp),
            )
            if cur.rowcount:
                _member_event(tenant, "organization.member.added", org_id, uid)
    for uid in user_ids:
        index_touch(tenant, uid)


def organization_members_remove(tenant: Tenant, org_id: str, user_ids: list[str]) -> None:
    """Remove members; ``organization.member.deleted`` for each one who was a member."""
    with tenant.store.transaction():
        for uid in dict.fromkeys(user_ids):
            cur = tenant.store.execute(
                "DELETE FROM organization_members WHERE org_id = ? AND user_id = ?", (org_id, uid)
            )
            if cur.rowcount:
                _member_event(tenant, "organization.member.deleted", org_id, uid)
    for uid in user_ids:
        index_touch(tenant, uid)


def organization_member_ids(tenant: Tenant, user_id: str) -> list[str]:
    """Ids of the Auth0 Organizations a user belongs to (what ``organization_id:`` search matches)."""
    rows = tenant.store.all("SELECT org_id FROM organization_members WHERE user_id = ?", (user_id,))
    return [r["org_id"] for r in rows]


def organization_connections(tenant: Tenant, org_id: str) -> list[dict]:
    """Enabled connections as ``GET /organizations/{id}/enabled_connections`` shows them."""
    rows = tenant.store.all(
        "SELECT oc.connection_id, oc.assign_membership_on_login, oc.show_as_button, c.name, c.strategy "
        "FROM organization_connections oc JOIN connections c ON c.id = oc.connection_id "
        "WHERE oc.org_id = ? ORDER BY c.name",
        (org_id,),
    )
    return [
        {
            "connection_id": r["connection_id"],
            "assign_membership_on_login": bool(r["assign_membership_on_login"]),
            "show_as_button": bool(r["show_as_button"]),
            "connection": {"name": r["name"], "strategy": r["strategy"]},
        }
        for r in rows
    ]


def organization_connection_names(tenant: Tenant, org_id: str) -> list[str]:
    return [c["connection"]["name"] for c in organization_connections(tenant, org_id)]


def organization_connection_put(
    tenant: Tenant,
    org_id: str,
    connection_id: str,
    *,
    assign_membership_on_login: bool = False,
    show_as_button: bool = True,
) -> None:
    tenant.store.execute(
        "INSERT INTO organization_connections"
        "(org_id, connection_id, assign_membership_on_login, show_as_button) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(org_id, connection_id) DO UPDATE SET "
        "assign_membership_on_login = excluded.assign_membership_on_login, "
        "show_as_button = excluded.show_as_button",
        (org_id, connection_id, int(assign_membership_on_login), int(show_as_button)),
    )


def organization_connection_remove(tenant: Tenant, org_id: str, connection_id: str) -> bool:
    cur = tenant.store.execute(
        "DELETE FROM organization_connections WHERE org_id = ? AND connection_id = ?",
        (org_id, connection_id),
    )
    return bool(cur.rowcount)



# -- invitations ---------------------------------------------------------------------------------
def invitation_put(tenant: Tenant, invitation: dict) -> dict:
    tenant.store.execute(
        "INSERT INTO invitations(id, org_id, data) VALUES (?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET data = excluded.data",
        (invitation["id"], invitation["organization_id"], json.dumps(invitation)),
    )
    return invitation


def invitation_get(tenant: Tenant, org_id: str, invitation_id: str) -> dict | None:
    row = tenant.store.one(
        "SELECT data FROM invitations WHERE org_id = ? AND id = ?", (org_id, invitation_id)
    )
    return json.loads(row["data"]) if row else None


def invitation_get_by_ticket(tenant: Tenant, ticket_id: str) -> dict | None:
    for row in tenant.store.all("SELECT data FROM invitations"):
        invitation = json.loads(row["data"])
        if invitation.get("ticket_id") == ticket_id:
            return invitation
    return None


def invitation_list(tenant: Tenant, org_id: str) -> list[dict]:
    rows = tenant.store.all("SELECT data FROM invitations WHERE org_id = ? ORDER BY rowid", (org_id,))
    return [json.loads(r["data"]) for r in rows]


def invitation_delete(tenant: Tenant, org_id: str, invitation_id: str) -> bool:
    cur = tenant.store.execute("DELETE FROM invitations WHERE org_id = ? AND id = ?", (org_id, invitation_id))
    return bool(cur.rowcount)
