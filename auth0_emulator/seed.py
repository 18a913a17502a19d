"""What a new data file is filled with: the tenant's applications, and then a demo or synthetic tenant.

The development credentials below are public by design (the README shows them); they exist only in
the emulator and are never valid against a real tenant.
"""

from __future__ import annotations

import json

from . import auth_methods
from .directory.connections import connection_create
from .directory.formats import now_iso, stable_id, user_id_for_email
from .directory.organizations import organization_connection_put, organization_members_add, organization_put
from .directory.passwords import password_hash_make
from .directory.roles import role_put
from .directory.users import user_build, user_connection, user_insert
from .tenant import Tenant

PORTAL_WEB_CLIENT_ID = "portal-web-dev"
PORTAL_WEB_CLIENT_SECRET = "portal-web-dev-secret"  # noqa: S105 - emulator development credential
PORTAL_M2M_CLIENT_ID = "portal-m2m-dev"
PORTAL_M2M_CLIENT_SECRET = "portal-m2m-dev-secret"  # noqa: S105 - emulator development credential
TOOL_CLIENT_ID = "portal-tool-dev"
TOOL_CLIENT_SECRET = "portal-tool-dev-secret"  # noqa: S105 - emulator development credential
# A second tool, which the demo registers in the portal for one organization only.
TOOL_ACME_CLIENT_ID = "portal-tool-acme-dev"
TOOL_ACME_CLIENT_SECRET = "portal-tool-acme-dev-secret"  # noqa: S105 - emulator development credential
# The namespaced claim an Auth0 Action would add to ID tokens with the user's organizations.
ORG_CLAIM = "https://portal.local/org"

MANAGEMENT_SCOPES = [
    "read:users", "update:users", "delete:users", "create:users",
    "read:users_app_metadata", "update:users_app_metadata", "create:users_app_metadata",
    "create:user_tickets", "read:logs", "read:logs_users",
    "read:connections", "create:connections", "update:connections", "delete:connections",
    "read:organizations", "create:organizations", "update:organizations",
    "read:organization_members", "create:organization_members", "delete:organization_members",
    "read:organization_invitations", "create:organization_invitations", "delete:organization_invitations",
    "read:organization_connections", "create:organization_connections", "delete:organization_connections",
    # Registering the mirror's receivers: event streams (and their deliveries) and log streams.
    "read:event_streams", "create:event_streams", "update:event_streams", "delete:event_streams",
    "read:event_deliveries", "update:event_deliveries",
    "read:log_streams", "create:log_streams", "update:log_streams", "delete:log_streams",
    # Users' enrolled MFA factors (listing them, resetting MFA).
    "read:authentication_methods", "create:authentication_methods", "update:authentication_methods",
    "delete:authentication_methods",
    # Signing a user out everywhere: their sessions and refresh tokens.
    "read:sessions", "delete:sessions", "read:refresh_tokens", "delete:refresh_tokens",
    # Application roles: the tenant's roles, users' roles and organization members' roles.
    "read:roles", "create:roles", "update:roles", "delete:roles",
    "read:organization_member_roles", "create:organization_member_roles", "delete:organization_member_roles",
]
# The portal REST API's permissions, as scopes a client-credentials grant can carry.
PORTAL_API_SCOPES = ["users:read", "users:write", "audit:read", "organizations:read", "organizations:write"]

PORTAL_ORIGINS = ["http://localhost:8000", "http://127.0.0.1:8000"]


OUTSIDE_CLIENT_ID = "tenant-admin-dev"
OUTSIDE_CLIENT_SECRET = "tenant-admin-dev-secret"  # noqa: S105 - the emulator's public development secret


def clients_seed(tenant: Tenant) -> None:
    """The applications every seed has: the portal's web client, its M2M client, another Management API
    client, a tool client."""
    store = tenant.store
    store.client_put({
        "client_id": PORTAL_WEB_CLIENT_ID,
        "client_secret": PORTAL_WEB_CLIENT_SECRET,
        "name": "Delegated administration portal",
        "app_type": "regular_web",
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["authorization_code", "refresh_token"],
        "callbacks": [f"{o}{path}" for o in PORTAL_ORIGINS
                      for path in ("/accounts/oidc/auth0/login/callback/", "/sso/test/callback/")],
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
        # Someone else changing users through the Management API (the Dashboard, a script): what the portal
        # must notice without having done it.
        "client_id": OUTSIDE_CLIENT_ID,
        "client_secret": OUTSIDE_CLIENT_SECRET,
        "name": "Another Management API client (a script, the Dashboard)",
        "app_type": "non_interactive",
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["client_credentials"],
        "callbacks": [],
        "allowed_logout_urls": [],
        "grants": {tenant.config.management_audience: MANAGEMENT_SCOPES},
    })
    for client_id, secret, name in (
        (TOOL_CLIENT_ID, TOOL_CLIENT_SECRET, "Internal tool (portal REST API)"),
        (TOOL_ACME_CLIENT_ID, TOOL_ACME_CLIENT_SECRET, "Acme help desk (portal REST API)"),
    ):
        store.client_put({
            "client_id": client_id,
            "client_secret": secret,
            "name": name,
            "app_type": "non_interactive",
            "token_endpoint_auth_method": "client_secret_post",
            "grant_types": ["client_credentials"],
            "callbacks": [],
            "allowed_logout_urls": [],
            "grants": {tenant.config.portal_api_audience: PORTAL_API_SCOPES},
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
            synthetic_seed(tenant, users=tenant.config.synthetic_users, orgs=tenant.config.synthetic_orgs,
                           big_org_users=tenant.config.synthetic_big_org_users)
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

# The demo tenant's roles for the applications its people sign in to, as Auth0 customers name them:
# (name, description). Their ids are stable (``demo_role_id``), so the portal's demo finds the same
# roles on every machine; it looks them up by name.
DEMO_ROLES = [
    ("Viewer", "Sees the application's data without changing it."),
    ("Editor", "Creates and changes content in the application."),
    ("Billing admin", "Manages the subscription, invoices and payment details."),
]


def demo_role_id(name: str) -> str:
    """The demo seed's id of the role named ``name``: ``rol_`` and 16 hex characters of its name's hash."""
    return stable_id("rol_", f"role {name}")


DEMO_ORGS = [
    # (slug, display name)
    ("acme", "Acme Corporation"),
    ("initech", "Initech"),
    ("globex", "Globex Corporation"),
]


def connections_seed(tenant: Tenant) -> dict[str, dict]:
    """The shared database connection every tenant has (and the demo's Acme connection)."""
    enabled = [PORTAL_WEB_CLIENT_ID, PORTAL_M2M_CLIENT_ID]
    shared = connection_create(
        tenant, name=SHARED_CONNECTION, connection_id=stable_id("con_", SHARED_CONNECTION),
        options={"passwordPolicy": "good", "requires_username": False}, enabled_clients=enabled,
    )
    return {SHARED_CONNECTION: shared}


def _demo_user(tenant: Tenant, *, email: str, connection: str, index: int, password_hash: str,
               verified: bool = True, app_metadata: dict | None = None, given: str | None = None,
               family: str | None = None, metadata: dict | None = None) -> dict:
    given = given or FIRST_NAMES[index % len(FIRST_NAMES)]
    family = family or LAST_NAMES[(index * 7) % len(LAST_NAMES)]
    # Deterministic creation dates spread over 2025, so sorting and date ranges have something to do.
    created = now_iso(1735732800 + index * 86400 * 3 + index * 3607)
    user = user_build(
        connection=connection, email=email, user_id=user_id_for_email(email),
        email_verified=verified, given_name=given, family_name=family, name=f"{given} {family}",
        nickname=email.split("@")[0], user_metadata=metadata, app_metadata=app_metadata, created_at=created,
    )
    return user_insert(tenant, user, password_hash=password_hash)


def demo_seed(tenant: Tenant) -> None:
    """The demo tenant the portal's documentation and tests rely on (see DESIGN.md and the README)."""
    connections = connections_seed(tenant)
    acme = connection_create(
        tenant, name=ACME_CONNECTION, connection_id=stable_id("con_", ACME_CONNECTION),
        options={"passwordPolicy": "good", "requires_username": False},
        enabled_clients=[PORTAL_WEB_CLIENT_ID, PORTAL_M2M_CLIENT_ID],
    )
    connections[ACME_CONNECTION] = acme
    globex = organization_put(tenant, {
        "id": stable_id("org_", GLOBEX_ORG_NAME), "name": GLOBEX_ORG_NAME,
        "display_name": "Globex Corporation",
        "branding": {"colors": {"primary": "#0b6e4f", "page_background": "#f4f7f6"}},
        "metadata": {"portal_slug": "globex"},
    })
    organization_connection_put(tenant, globex["id"], connections[SHARED_CONNECTION]["id"])
    # One hash for every demo user: they share the published demo password, and hashing it once
    # keeps seeding fast.
    password_hash = password_hash_make(DEMO_PASSWORD)
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
    # Someone who belongs to two organizations (a consultant working for Initech and Globex): neither one's
    # admins may act on the account as a whole, only on the membership in their own organization.
    n += 1
    consultant = _demo_user(tenant, email="consultant@partner.test", connection=SHARED_CONNECTION, index=n,
                            password_hash=password_hash, given="Sam", family="Rivera",
                            app_metadata={"organizations": ["initech"]}, metadata={"job_title": "Consultant"})
    globex_members.append(consultant["user_id"])
    organization_members_add(tenant, globex["id"], globex_members)
    n += 1
    _demo_user(tenant, email="enduser@portal.test", connection=SHARED_CONNECTION, index=n,
               password_hash=password_hash, given="Robin", family="Lee",
               metadata={"locale": "en", "newsletter": True})
    demo_mfa_seed(tenant)
    for name, description in DEMO_ROLES:
        role_put(tenant, {"id": demo_role_id(name), "name": name, "description": description})


# Demo users enrolled in MFA, so that listing and resetting a user's factors has something to show:
# (email, [(type, fields)]). The TOTP secrets are made up; nobody can sign in with them.
DEMO_MFA = [
    ("user01@acme.test", [
        ("totp", {"name": "Authenticator app", "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}),
        ("phone", {"phone_number": "+15555550101", "preferred_authentication_method": "sms"}),
        ("recovery-code", {}),
    ]),
    ("user02@globex.test", [
        ("phone", {"name": "Desk phone", "phone_number": "+15555550102", "preferred_authentication_method": "voice"}),
        ("totp", {"totp_secret": "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"}),
    ]),
]


def demo_mfa_seed(tenant: Tenant) -> None:
    for k, (email, methods) in enumerate(DEMO_MFA):
        user_id = user_id_for_email(email)
        for i, (kind, fields) in enumerate(methods):
            # Deterministic ids and dates: enrolled in February 2026, factors last used a day later (the
            # recovery code never).
            enrolled = 1769904000 + k * 86400 + i * 60
            used = None if kind == "recovery-code" else now_iso(enrolled + 86400)
            auth_methods.method_insert(tenant, user_id, auth_methods.method_build(
                kind, suffix=stable_id("dev_", f"{email} {kind}"), created_at=now_iso(enrolled),
                last_auth_at=used, **fields,
            ))


# -- synthetic tenant (benchmarks) ---------------------------------------------------------------
SYNTHETIC_BATCH = 5000  # rows per INSERT batch: memory stays flat whatever the number of users
SYNTHETIC_BASE = 1704067200  # 2024-01-01: creation dates start here, 37 s apart


def _synthetic_plans(tenant: Tenant, orgs: int, shared_id: str) -> list[tuple[str, str, str | None]]:
    """``orgs`` organizations over the three membership modes, in turn from org0000 (an isolated
    connection), so any three consecutive organizations cover every mode: (slug, connection, org id)."""
    plans: list[tuple[str, str, str | None]] = []
    for i in range(orgs):
        slug = f"org{i:04d}"
        mode = i % 3
        if mode == 0:  # isolated connection
            name = f"{slug}-users"
            connection_create(tenant, name=name, connection_id=stable_id("con_", name),
                                        enabled_clients=[PORTAL_WEB_CLIENT_ID, PORTAL_M2M_CLIENT_ID])
            plans.append((slug, name, None))
        elif mode == 1:  # shared connection, app_metadata.organizations
            plans.append((slug, SHARED_CONNECTION, None))
        else:  # Auth0 Organization
            org_id = stable_id("org_", slug)
            organization_put(tenant, {"id": org_id, "name": slug, "display_name": f"Org {i:04d}"})
            organization_connection_put(tenant, org_id, shared_id)
            plans.append((slug, SHARED_CONNECTION, org_id))
    return plans


def synthetic_plan_of(i: int, plans: list, big_org_users: int) -> tuple[str, str, str | None] | None:
    """The organization of synthetic user ``i`` (None: no organization).

    The first ``big_org_users`` users belong to the first organization (org0000, an isolated
    connection); the others go round-robin over the remaining organizations (all of them when there
    is no big one), and every twentieth round belongs to no organization."""
    if not plans:
        return None
    if i < big_org_users:
        return plans[0]
    rest = plans[1:] if big_org_users and len(plans) > 1 else plans
    n = i - big_org_users
    return rest[n % len(rest)] if (n // len(rest)) % 20 != 19 else None


def _synthetic_user(i: int, plan: tuple[str, str, str | None] | None) -> dict:
    slug = plan[0] if plan else "none"
    connection = plan[1] if plan else SHARED_CONNECTION
    given = FIRST_NAMES[i % len(FIRST_NAMES)]
    family = LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]
    created = now_iso(SYNTHETIC_BASE + i * 37)
    user = user_build(
        connection=connection, email=f"user{i:06d}@{slug}.example", user_id="auth0|" + f"{i:024x}",
        email_verified=i % 10 != 0, given_name=given, family_name=family, name=f"{given} {family}",
        created_at=created, user_metadata={"department": DEPARTMENTS[i % len(DEPARTMENTS)]},
        app_metadata={"organizations": [slug]} if plan and connection == SHARED_CONNECTION
        and plan[2] is None else None,
    )
    if i % 4 == 0:
        user["logins_count"] = i % 50 + 1
        user["last_login"] = user["updated_at"] = now_iso(SYNTHETIC_BASE + i * 37 + 86400)
        user["last_ip"] = f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
    if i % 3 == 0:
        # A later profile change, so updated_at is spread apart from created_at (delta syncs search it).
        user["updated_at"] = now_iso(SYNTHETIC_BASE + i * 37 + 3 * 86400)
    return user


# The synthetic tenant's roles are the demo's (same names and ids). One in this many users of the first
# organization (org0000) holds SYNTHETIC_HELD_ROLE in the tenant (what the benchmarks filter by), and one in
# SYNTHETIC_COMMON_EVERY of every user holds SYNTHETIC_COMMON_ROLE, so that a role's holders are a part of the
# directory's grants, as in a tenant with several roles.
SYNTHETIC_ROLE_HOLDERS_EVERY = 5
SYNTHETIC_HELD_ROLE = "Editor"
SYNTHETIC_COMMON_EVERY = 3
SYNTHETIC_COMMON_ROLE = "Viewer"


def synthetic_roles_of(i: int, plan: tuple[str, str, str | None] | None, plans: list) -> list[str]:
    """The names of the roles synthetic user ``i`` (of organization ``plan``) holds in the tenant."""
    held = [SYNTHETIC_COMMON_ROLE] if i % SYNTHETIC_COMMON_EVERY == 0 else []
    if plans and plan == plans[0] and i % SYNTHETIC_ROLE_HOLDERS_EVERY == 0:
        held.append(SYNTHETIC_HELD_ROLE)
    return held


def synthetic_seed(tenant: Tenant, *, users: int, orgs: int, big_org_users: int = 0) -> None:
    """A large tenant: ``orgs`` organizations over the three membership modes and ``users`` users
    spread over them (``big_org_users`` of them in org0000), written in batches of
    ``SYNTHETIC_BATCH`` rows so that memory stays flat: 100,000 users take a few seconds, 1,000,000
    well under a minute. The tenant has the demo's roles: a fifth of org0000's users hold one of them, a third of
    every user another (:func:`synthetic_roles_of`)."""
    if big_org_users > users or (big_org_users and orgs < 1):
        raise ValueError("big_org_users must be at most users, with at least one organization")
    store = tenant.store
    shared = connections_seed(tenant)[SHARED_CONNECTION]
    password_hash = password_hash_make(DEMO_PASSWORD)
    plans = _synthetic_plans(tenant, orgs, shared["id"])
    for name, description in DEMO_ROLES:
        role_put(tenant, {"id": demo_role_id(name), "name": name, "description": description})
    role_ids = {name: demo_role_id(name) for name, _description in DEMO_ROLES}
    for start in range(0, users, SYNTHETIC_BATCH):
        user_rows = []
        member_rows = []
        role_rows = []
        for i in range(start, min(users, start + SYNTHETIC_BATCH)):
            plan = synthetic_plan_of(i, plans, big_org_users)
            user = _synthetic_user(i, plan)
            user_rows.append((user["user_id"], user_connection(user), user["email"], None, password_hash,
                              json.dumps(user, separators=(",", ":"))))
            if plan and plan[2]:
                member_rows.append((plan[2], user["user_id"], user["created_at"]))
            role_rows += [(user["user_id"], role_ids[name]) for name in synthetic_roles_of(i, plan, plans)]
        store.executemany(
            "INSERT INTO users(user_id, connection, email_lower, username_lower, password_hash, data) "
            "VALUES (?, ?, ?, ?, ?, ?)", user_rows,
        )
        store.executemany(
            "INSERT INTO organization_members(org_id, user_id, created_at) VALUES (?, ?, ?)", member_rows,
        )
        store.executemany("INSERT INTO user_roles(user_id, role_id) VALUES (?, ?)", role_rows)
