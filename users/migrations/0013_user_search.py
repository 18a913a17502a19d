"""The users' own search text moves to a narrow table of its own (users.models.UserSearch), with its trigram
index on PostgreSQL: a company admin's broad search confirms and counts its matches there instead of in
the users' wide rows. The text is copied over before the column goes, so search keeps working without a
sync; on PostgreSQL the old index goes with its column."""

from django.db import migrations, models
import django.db.models.deletion


def copy(apps, schema_editor) -> None:
    schema_editor.execute("INSERT INTO users_usersearch (user_id, text) SELECT id, search_text FROM users_directoryuser")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE INDEX IF NOT EXISTS usersearch_trgm ON users_usersearch "
                              "USING gin (text gin_trgm_ops)")


def copy_back(apps, schema_editor) -> None:
    schema_editor.execute("UPDATE users_directoryuser SET search_text = (SELECT text FROM users_usersearch "
                          "WHERE users_usersearch.user_id = users_directoryuser.id)")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS usersearch_trgm")
        schema_editor.execute("CREATE INDEX IF NOT EXISTS diruser_search_trgm ON users_directoryuser "
                              "USING gin (search_text gin_trgm_ops)")


class Migration(migrations.Migration):
    dependencies = [("users", "0012_directory_counts")]

    operations = [
        migrations.CreateModel(
            name="UserSearch",
            fields=[
                ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                              related_name="search", serialize=False, to="users.directoryuser")),
                ("text", models.TextField(blank=True)),
            ],
        ),
        migrations.RunPython(copy, copy_back),
        migrations.RemoveField(model_name="directoryuser", name="search_text"),
    ]
