"""Trigram indexes for the directory's free-text search (PostgreSQL only).

The search looks for each term anywhere in ``search_text`` (``LIKE '%term%'`` on a lower-cased column);
pg_trgm's GIN indexes answer that without reading every row. SQLite has no such index and scans, which
is correct, only slower; the benchmark runs on PostgreSQL.
"""

from django.db import migrations

INDEXES = [
    ("users_directoryuser", "diruser_search_trgm"),
    ("users_membership", "membership_search_trgm"),
]


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, name in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)")


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("users", "0001_directory")]
    operations = [migrations.RunPython(create, drop)]
