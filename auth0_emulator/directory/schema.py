"""The directory's tables: connections, users, organizations (members, enabled connections,
invitations), roles (held by users, and by organization members within their organization), logs,
tickets, login failures, jobs and the outbox.

One block, registered when any part of the directory is imported (``directory/__init__.py`` imports
this module), so every store opened afterwards has all of them, whichever module a caller uses first.
"""

from __future__ import annotations

from ..store import register_schema

register_schema(
    """
    CREATE TABLE IF NOT EXISTS connections (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        strategy TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS users (
        user_id TEXT PRIMARY KEY,
        connection TEXT NOT NULL,
        email_lower TEXT,
        username_lower TEXT,
        password_hash TEXT,
        data TEXT NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS users_connection_email ON users(connection, email_lower);
    CREATE UNIQUE INDEX IF NOT EXISTS users_connection_username ON users(connection, username_lower);
    CREATE INDEX IF NOT EXISTS users_email ON users(email_lower);
    CREATE TABLE IF NOT EXISTS organizations (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        data TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS organization_members (
        org_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        PRIMARY KEY (org_id, user_id)
    );
    CREATE INDEX IF NOT EXISTS organization_members_user ON organization_members(user_id);
    CREATE TABLE IF NOT EXISTS organization_connections (
        org_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
        assign_membership_on_login INTEGER NOT NULL DEFAULT 0,
        show_as_button INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (org_id, connection_id)
    );
    CREATE TABLE IF NOT EXISTS invitations (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        data TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS roles (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT
    );
    CREATE TABLE IF NOT EXISTS user_roles (
        user_id TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, role_id)
    );
    CREATE INDEX IF NOT EXISTS user_roles_role ON user_roles(role_id, user_id);
    -- A member's roles belong to the membership: ending it (or deleting the user, the organization or
    -- the role) ends them.
    CREATE TABLE IF NOT EXISTS organization_member_roles (
        org_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
        PRIMARY KEY (org_id, user_id, role_id),
        FOREIGN KEY (org_id, user_id) REFERENCES organization_members(org_id, user_id) ON DELETE CASCADE
    );
    CREATE INDEX IF NOT EXISTS organization_member_roles_role ON organization_member_roles(role_id);
    CREATE TABLE IF NOT EXISTS logs (
        seq INTEGER PRIMARY KEY,
        log_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        user_id TEXT,
        data TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS logs_user ON logs(user_id, seq);
    CREATE TABLE IF NOT EXISTS tickets (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        user_id TEXT NOT NULL,
        expires_at REAL NOT NULL,
        used_at REAL,
        data TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS login_failures (
        identifier TEXT NOT NULL,
        ip TEXT NOT NULL,
        connection TEXT,
        failures INTEGER NOT NULL,
        blocked INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL,
        PRIMARY KEY (identifier, ip)
    );
    CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        to_addr TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS outbox_to ON outbox(to_addr, seq);
    """
)
