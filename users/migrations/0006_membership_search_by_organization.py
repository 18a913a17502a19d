"""An organization's search in one index: (organization, search text) instead of search text alone.

An organization's list always searches within that organization. With the organization outside the
trigram index, PostgreSQL either rechecked every member of the tenant whose text matched or intersected the
matches with all of the organization's memberships (30,000 entries for a large one), on every search and
again for its count. btree_gin lets the organization lead the GIN index, so the index returns that
organization's matches alone. (``users.directory.selectors.member_list`` compares the organization as a bigint:
btree_gin's operators are same-type only.) PostgreSQL only, like 0002; SQLite scans.
"""

from django.db import migrations


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    schema_editor.execute("CREATE INDEX IF NOT EXISTS membership_org_search_trgm ON users_membership "
                          "USING gin (organization_id, search_text gin_trgm_ops)")
    schema_editor.execute("DROP INDEX IF EXISTS membership_search_trgm")


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE INDEX IF NOT EXISTS membership_search_trgm ON users_membership "
                          "USING gin (search_text gin_trgm_ops)")
    schema_editor.execute("DROP INDEX IF EXISTS membership_org_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("users", "0005_membership_listed_columns")]
    operations = [migrations.RunPython(create, drop)]
