"""The trail for ``bench/history.py``: organizations, an admin of the biggest and a company admin (each with a
signed-in session), and a huge trail of operations and audit events written by the database itself
(``generate_series`` on PostgreSQL, a recursive CTE on SQLite), never row by row through Python. Prints, as
JSON, the sessions, a cursor halfway down each list (as its pages make them) and how long the writing took.

    python -m bench.history_seed --operations N --events N --orgs N --big-share F
    (with the bench's environment: settings, database)
"""

from __future__ import annotations

import argparse
import json
import time

from bench.common import django_setup, session_for

# Half a percent of operations fail, as many are under way: the rest succeeded. Two rows share each second,
# so ties are broken by id as they are in a real trail. Row n's organization is org0000 for the first
# (big share x 1,000) of every 1,000 rows, else one of the others (numbered in bench_org). A hundredth of
# the events happen outside any organization. Numbers are the statements' parameters (%s; %% is modulo).
OPERATIONS_INSERT = (
    "{prefix}INSERT INTO portal_operation (id, kind, organization_id, target, actor_user_id, actor_display, payload,"
    " idempotency_key, task_name, status, attempts, last_error, result, created_at, updated_at)"
    " SELECT {uuid}, 'user_block', o.id, 'auth0|bench' || s.n, 'auth0|admin', 'Bench Admin', {empty},"
    " 'bench:' || s.n, 'users.tasks.user_action', CASE WHEN s.n %% 200 = 0 THEN 'failed'"
    " WHEN s.n %% 200 = 1 THEN 'pending' WHEN s.n %% 200 = 2 THEN 'running' ELSE 'succeeded' END, 1, '', {empty},"
    " {when}, {when}"
    " FROM {series} JOIN bench_org o ON o.n = CASE WHEN s.n %% 1000 < %s THEN 0 ELSE 1 + s.n %% %s END"
)
EVENTS_INSERT = (
    "{prefix}INSERT INTO portal_auditevent (occurred_at, actor_user_id, actor_display, organization_id, action,"
    " target_type, target_id, summary, details)"
    " SELECT {when}, 'auth0|admin', 'Bench Admin', CASE WHEN s.n %% 100 = 99 THEN NULL ELSE o.id END,"
    " CASE s.n %% 4 WHEN 0 THEN 'user_block.requested' WHEN 1 THEN 'user_block.succeeded'"
    " WHEN 2 THEN 'role.granted' ELSE 'user.invite_requested' END, 'user', 'auth0|bench' || s.n,"
    " 'Bench event ' || s.n, {empty}"
    " FROM {series} JOIN bench_org o ON o.n = CASE WHEN s.n %% 1000 < %s THEN 0 ELSE 1 + s.n %% %s END"
)
# Rows 1..count (a parameter) as s.n, a new UUID, the n-th half second after the start, an empty JSON object.
DIALECTS = {
    "postgresql": {"prefix": "", "series": "generate_series(1, %s) AS s(n)", "uuid": "gen_random_uuid()",
                   "when": "TIMESTAMPTZ '2025-01-01 00:00:00+00' + (s.n / 2) * INTERVAL '1 second'",
                   "empty": "'{}'::jsonb"},
    "sqlite": {"prefix": "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %s) ",
               "series": "s", "uuid": "lower(hex(randomblob(16)))",
               "when": "datetime('2025-01-01 00:00:00', '+' || (s.n / 2) || ' seconds')", "empty": "'{}'"},
}


def _organizations(count: int) -> None:
    """org0000 … and a table numbering them (bench_org: 0 the big one), which the inserts join."""
    from django.db import connection

    from organizations.models import CompanyAdmin, MembershipMode, Organization, OrganizationRole

    Organization.objects.bulk_create([Organization(
        slug=f"org{i:04d}", display_name=f"Org {i:04d}", membership_mode=MembershipMode.SHARED_CONNECTION,
        connection_name="Username-Password-Authentication") for i in range(count)])
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_org (n integer PRIMARY KEY, id integer NOT NULL)")
        for organization in Organization.objects.all():
            cursor.execute("INSERT INTO bench_org (n, id) VALUES (%s, %s)",
                           [int(organization.slug[3:]), organization.pk])
    OrganizationRole.objects.create(organization=Organization.objects.get(slug="org0000"), user_id="bench|org-admin",
                                    role=OrganizationRole.Role.ADMIN)
    CompanyAdmin.objects.create(user_id="bench|company-admin")


def _trail_write(operations: int, events: int, orgs: int, big_share: float) -> None:
    """Every row of each table in one statement."""
    from django.db import connection

    dialect = DIALECTS[connection.vendor]
    spread = [round(big_share * 1000), max(orgs - 1, 1)]
    with connection.cursor() as cursor:
        for statement, count in ((OPERATIONS_INSERT, operations), (EVENTS_INSERT, events)):
            cursor.execute(statement.format(**dialect), [count, *spread])
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _middle_cursors() -> dict[str, str]:
    """A cursor halfway down each list an admin pages through, as the list's own page would make it."""
    from history.selectors import ATTENTION_FIRST
    from organizations.selectors import AUDIT_NEWEST_FIRST
    from portal.keyset import KeysetPaginator
    from portal.models import AuditEvent, Operation

    lists = {
        "operations": (Operation.objects.order_by("attention", "-created_at", "-pk"), ATTENTION_FIRST),
        "audit": (AuditEvent.objects.order_by("-occurred_at", "-pk"), AUDIT_NEWEST_FIRST),
    }
    cursors = {}
    for name, (rows, keys) in lists.items():
        for who, scoped in (("org", rows.filter(organization__slug="org0000")), ("all", rows)):
            middle = scoped[scoped.count() // 2]  # an OFFSET, once: what the pages no longer do
            cursors[f"{name}_{who}"] = KeysetPaginator(rows, keys, 1).cursor(middle)
    return cursors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--operations", type=int, required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--orgs", type=int, required=True)
    parser.add_argument("--big-share", type=float, required=True)
    args = parser.parse_args()
    django_setup("bench.settings")
    started = time.perf_counter()
    _organizations(args.orgs)
    _trail_write(args.operations, args.events, args.orgs, args.big_share)
    seconds = time.perf_counter() - started
    print(json.dumps({"seed_s": seconds, "cursors": _middle_cursors(),
                      "sessions": {"org_admin": session_for("bench|org-admin"),
                                   "company_admin": session_for("bench|company-admin")}}))


if __name__ == "__main__":
    main()
