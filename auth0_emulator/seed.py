"""What a new data file is filled with: the tenant's applications, and then a demo or synthetic tenant.

The development credentials below are public by design (the README shows them); they exist only in
the emulator and are never valid against a real tenant.
"""

from __future__ import annotations

import json

from . import directory
from .tenant import Tenant

PORTAL_WEB_CLIENT_ID = "portal-web-dev"
PORTAL_WEB_CLIENT_SECRET = "portal-web-dev-secret"  # noqa: S105 - emulator development credential
PORTAL_M2M_CLIENT_ID = "portal-m2m-dev"
PORTAL_M2M_CLIENT_SECRET = "portal-m2m-dev-secret"  # noqa: S105 - emulator development credential
TOOL_CLIENT_ID = "portal-tool-dev"
TOOL_CLIENT_SECRET = "portal-tool-dev-secret"  # noqa: S105 - emulator development credential
PORTAL_API_AUDIENCE = "https://portal.local/api/"
# The namespaced claim an Auth0 Action would add to ID tokens with the user's organizations.
ORG_CLAIM = "https://portal.local/org"

MANAGEMENT_SCOPES = [
    "read:users", "update:users", "delete:users", "create:users",
    "read:users_app_metadata", "update:users_app_metadata", "create:users_app_metadata",
    "create:user_tickets", "read:logs", "read:logs_users",
    "read:connections", "create:connections", "update:connections",
    "read:organizations", "create:organizations", "update:organizations",
    "read:organization_members", "create:organization_members", "delete:organization_members",
    "read:organization_invitations", "create:organization_invitations", "delete:organization_invitations",
    "read:organization_connections", "create:organization_connections", "delete:organization_connections",
]
PORTAL_API_SCOPES = ["users:read", "users:write", "audit:read"]

PORTAL_ORIGINS = ["http://localhost:8000", "http://127.0.0.1:8000"]


def clients_seed(tenant: Tenant) -> None:
    """The applications every seed has: the portal's web client, its M2M client, a tool client."""
    store = tenant.store
    store.client_put({
        "client_id": PORTAL_WEB_CLIENT_ID,
        "client_secret": PORTAL_WEB_CLIENT_SECRET,
        "name": "Delegated administration portal",
        "app_type": "regular_web",
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["authorization_code", "refresh_token"],
        "callbacks": [f"{o}/accounts/oidc/auth0/login/callback/" for o in PORTAL_ORIGINS],
        # Where Auth0 sends people who open an Organization invitation (?invitation=…&organization=…).
        "initiate_login_uri": f"{PORTAL_ORIGINS[0]}/login/",
        "allowed_logout_urls": [f"{o}/" for o in PORTAL_ORIGINS],
        "grants": {},
    })
    store.client_put({
        "client_id": PORTAL_M2M_CLIENT_ID,
        "client_secret": PORTAL_M2M_CLIENT_SECRET,
        "name": "Delegated administration portal (Management API)",
        "app_type": "non_interactive",
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["client_credentials"],
        "callbacks": [],
        "allowed_logout_urls": [],
        "grants": {tenant.config.management_audience: MANAGEMENT_SCOPES},
    })
    store.client_put({
        "client_id": TOOL_CLIENT_ID,
        "client_secret": TOOL_CLIENT_SECRET,
        "name": "Internal tool (portal REST API)",
        "app_type": "non_interactive",
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["client_credentials"],
        "callbacks": [],
        "allowed_logout_urls": [],
        "grants": {PORTAL_API_AUDIENCE: PORTAL_API_SCOPES},
    })


def tenant_seed(tenant: Tenant) -> None:
    """Fill an empty data file according to ``config.seed``; a seeded file is left alone."""
    if tenant.store.kv_get("seeded"):
        return
    with tenant.store.transaction():
        clients_seed(tenant)
        if tenant.config.seed == "demo":
            demo_seed(tenant)
        elif tenant.config.seed == "synthetic":
            synthetic_seed(tenant, users=tenant.config.synthetic_users, orgs=tenant.config.synthetic_orgs)
        else:
            connections_seed(tenant)
        tenant.store.kv_set("seeded", tenant.config.seed)


# -- demo tenant ---------------------------------------------------------------------------------
DEMO_PASSWORD = "Portal-demo-2026"  # noqa: S105 - public demo credential, emulator only
SHARED_CONNECTION = "Username-Password-Authentication"
ACME_CONNECTION = "acme-users"
GLOBEX_ORG_NAME = "globex"

FIRST_NAMES = [
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sophia", "Elijah", "Isabella", "Lucas",
    "Mia", "Mateo", "Charlotte", "Levi", "Ava", "Ethan", "Harper", "James", "Evelyn", "Aiden",
    "Layla", "Kenji", "Priya", "Omar", "Zara", "Diego", "Ingrid", "Tomasz", "Aisha", "Chen",
    "Fatima", "Lars", "Nadia", "Rafael", "Yuki", "Kwame", "Elena", "Hugo", "Leila", "Marco",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Lopez",
    "Nakamura", "Kowalski", "Okafor", "Haddad", "Nguyen", "Patel", "Schmidt", "Rossi", "Dubois", "Silva",
    "Andersson", "Ivanova", "Kim", "Mensah", "Costa", "Fischer", "Moreau", "Novak", "Sato", "Jensen",
    "Khan", "Murphy", "Lindqvist", "Alvarez", "Bianchi", "Chowdhury", "Eriksen", "Farouk", "Gallo", "Hughes",
]
DEPARTMENTS = ["Engineering", "Sales", "Support", "Finance", "Marketing", "Operations", "Legal", "HR"]
LOCALES = ["en", "fr", "de", "es", "pt", "ja"]

DEMO_ORGS = [
    # (slug, display name)
    ("acme", "Acme Corporation"),
    ("initech", "Initech"),
    ("globex", "Globex Corporation"),
]


def connections_seed(tenant: Tenant) -> dict[str, dict]:
    """The shared database connection every tenant has (and the demo's Acme connection)."""
    enabled = [PORTAL_WEB_CLIENT_ID, PORTAL_M2M_CLIENT_ID]
    shared = directory.connection_create(
        tenant, name=SHARED_CONNECTION, connection_id=directory.stable_id("con_", SHARED_CONNECTION),
        options={"passwordPolicy": "good", "requires_username": False}, enabled_clients=enabled,
    )
    return {SHARED_CONNECTION: shared}


def _demo_user(tenant: Tenant, *, email: str, connection: str, index: int, password_hash: str,
               verified: bool = True, app_metadata: dict | None = None, given: str | None = None,
               family: str | None = None, metadata: dict | None = None) -> dict:
    given = given or FIRST_NAMES[index % len(FIRST_NAMES)]
    family = family or LAST_NAMES[(index * 7) % len(LAST_NAMES)]
    # Deterministic creation dates spread over 2025, so sorting and date ranges have something to do.
    created = directory.now_iso(1735732800 + index * 86400 * 3 + index * 3607)
    user = directory.user_build(
        connection=connection, email=email, user_id=directory.user_id_for_email(email),
        email_verified=verified, given_name=given, family_name=family, name=f"{given} {family}",
        nickname=email.split("@")[0], user_metadata=metadata, app_metadata=app_metadata, created_at=created,
    )
    return directory.user_insert(tenant, user, password_hash=password_hash)


def demo_seed(tenant: Tenant) -> None:
    """The demo tenant the portal's documentation and tests rely on (see DESIGN.md and the README)."""
    connections = connections_seed(tenant)
    acme = directory.connection_create(
        tenant, name=ACME_CONNECTION, connection_id=directory.stable_id("con_", ACME_CONNECTION),
        options={"passwordPolicy": "good", "requires_username": False},
        enabled_clients=[PORTAL_WEB_CLIENT_ID, PORTAL_M2M_CLIENT_ID],
    )
    connections[ACME_CONNECTION] = acme
    globex = directory.organization_put(tenant, {
        "id": directory.stable_id("org_", GLOBEX_ORG_NAME), "name": GLOBEX_ORG_NAME,
        "display_name": "Globex Corporation",
        "branding": {"colors": {"primary": "#0b6e4f", "page_background": "#f4f7f6"}},
        "metadata": {"portal_slug": "globex"},
    })
    directory.organization_connection_put(tenant, globex["id"], connections[SHARED_CONNECTION]["id"])
    # One hash for every demo user: they share the published demo password, and hashing it once
    # keeps seeding fast.
    password_hash = directory.password_hash_make(DEMO_PASSWORD)
    n = 0
    _demo_user(tenant, email="admin@portal.test", connection=SHARED_CONNECTION, index=n,
               password_hash=password_hash, given="Casey", family="Morgan",
               metadata={"job_title": "IT administrator"})
    globex_members: list[str] = []
    for slug, _display in DEMO_ORGS:
        connection = ACME_CONNECTION if slug == "acme" else SHARED_CONNECTION
        app_metadata = {"organizations": [slug]} if slug == "initech" else None
        people = [("admin", "Org administrator"), ("viewer", "Auditor")] + [
            (f"user{i:02d}", None) for i in range(1, 31)
        ]
        for local, title in people:
            n += 1
            number = int(local[4:]) if local.startswith("user") else 0
            metadata: dict = {}
            if title:
                metadata["job_title"] = title
            if number % 2 == 1:
                metadata["department"] = DEPARTMENTS[number % len(DEPARTMENTS)]
            if number % 3 == 0:
                metadata["locale"] = LOCALES[number % len(LOCALES)]
            if number % 5 == 0 and number:
                metadata["phone"] = f"+1-555-{number:04d}"
            user = _demo_user(
                tenant, email=f"{local}@{slug}.test", connection=connection, index=n,
                password_hash=password_hash, verified=number % 15 != 0 or number == 0,
                app_metadata=app_metadata, metadata=metadata or None,
            )
            if slug == "globex":
                globex_members.append(user["user_id"])
    directory.organization_members_add(tenant, globex["id"], globex_members)
    n += 1
    _demo_user(tenant, email="enduser@portal.test", connection=SHARED_CONNECTION, index=n,
               password_hash=password_hash, given="Robin", family="Lee",
               metadata={"locale": "en", "newsletter": True})


# -- synthetic tenant (benchmarks) ---------------------------------------------------------------
def synthetic_seed(tenant: Tenant, *, users: int, orgs: int) -> None:
    """A large tenant: ``orgs`` organizations split over the three membership modes and ``users``
    users spread over them, written in bulk (100,000 users take a few seconds)."""
    store = tenant.store
    connections = connections_seed(tenant)
    shared = connections[SHARED_CONNECTION]
    password_hash = directory.password_hash_make(DEMO_PASSWORD)
    plans: list[tuple[str, str, str | None]] = []  # (slug, connection name, auth0 org id)
    for i in range(orgs):
        slug = f"org{i:04d}"
        mode = i % 3
        if mode == 0:  # isolated connection
            name = f"{slug}-users"
            directory.connection_create(tenant, name=name, connection_id=directory.stable_id("con_", name),
                                        enabled_clients=[PORTAL_WEB_CLIENT_ID, PORTAL_M2M_CLIENT_ID])
            plans.append((slug, name, None))
        elif mode == 1:  # shared connection, app_metadata.organizations
            plans.append((slug, SHARED_CONNECTION, None))
        else:  # Auth0 Organization
            org_id = directory.stable_id("org_", slug)
            directory.organization_put(tenant, {"id": org_id, "name": slug, "display_name": f"Org {i:04d}"})
            directory.organization_connection_put(tenant, org_id, shared["id"])
            plans.append((slug, SHARED_CONNECTION, org_id))
    base = 1704067200  # 2024-01-01
    user_rows = []
    member_rows = []
    for i in range(users):
        # Round-robin over the orgs; every twentieth round belongs to no org.
        plan = plans[i % len(plans)] if plans and (i // len(plans)) % 20 != 19 else None
        slug = plan[0] if plan else "none"
        connection = plan[1] if plan else SHARED_CONNECTION
        email = f"user{i:06d}@{slug}.example"
        given = FIRST_NAMES[i % len(FIRST_NAMES)]
        family = LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]
        user_id = "auth0|" + f"{i:024x}"
        created = directory.now_iso(base + i * 37)
        user = directory.user_build(
            connection=connection, email=email, user_id=user_id, email_verified=i % 10 != 0,
            given_name=given, family_name=family, name=f"{given} {family}", created_at=created,
            user_metadata={"department": DEPARTMENTS[i % len(DEPARTMENTS)]},
            app_metadata={"organizations": [slug]} if plan and connection == SHARED_CONNECTION
            and plan[2] is None else None,
        )
        if i % 4 == 0:
            user["logins_count"] = i % 50 + 1
            user["last_login"] = directory.now_iso(base + i * 37 + 86400)
        user_rows.append((user_id, connection, email, None, password_hash,
                          json.dumps(user, separators=(",", ":"))))
        if plan and plan[2]:
            member_rows.append((plan[2], user_id, created))
    store.executemany(
        "INSERT INTO users(user_id, connection, email_lower, username_lower, password_hash, data) "
        "VALUES (?, ?, ?, ?, ?, ?)", user_rows,
    )
    store.executemany(
        "INSERT INTO organization_members(org_id, user_id, created_at) VALUES (?, ?, ?)", member_rows,
    )
