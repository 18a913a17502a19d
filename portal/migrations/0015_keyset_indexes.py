"""Indexes in the order of each list of operations and audit events, the id as tie-breaker, so their keyset
pages seek instead of counting past OFFSET rows; and Operation.attention, the operations page's order
(failures first) kept by the database, to index. On PostgreSQL the stored column rewrites the operations
table once (a lock on it while it does)."""

from django.db import migrations, models

ATTENTION = models.GeneratedField(
    db_persist=True, output_field=models.PositiveSmallIntegerField(),
    expression=models.Case(models.When(status="failed", then=models.Value(0)),
                           models.When(status__in=["pending", "running"], then=models.Value(1)),
                           default=models.Value(2)),
)
# (model, index): what portal.models' Meta.indexes name.
KEYSET_INDEXES = [
    ("auditevent", models.Index(fields=["organization", "-occurred_at", "-id"], name="audit_org_newest")),
    ("auditevent", models.Index(fields=["-occurred_at", "-id"], name="audit_newest")),
    ("operation", models.Index(fields=["organization", "-created_at", "-id"], name="operation_org_newest")),
    ("operation", models.Index(fields=["organization", "attention", "-created_at", "-id"],
                               name="operation_org_attention")),
    ("operation", models.Index(fields=["attention", "-created_at", "-id"], name="operation_attention")),
]


class Migration(migrations.Migration):
    dependencies = [("organizations", "0005_api_events_webhooks"), ("portal", "0014_one_unfinished_email_change_and_export")]

    operations = [
        # Replaced by the same columns with the id after them.
        migrations.RemoveIndex(model_name="auditevent", name="portal_audi_organiz_7ab2da_idx"),
        migrations.RemoveIndex(model_name="operation", name="portal_oper_organiz_d2f003_idx"),
        migrations.AddField(model_name="operation", name="attention", field=ATTENTION),
        # Its own index is replaced by audit_newest, which begins with it.
        migrations.AlterField(model_name="auditevent", name="occurred_at",
                              field=models.DateTimeField(auto_now_add=True)),
        *(migrations.AddIndex(model_name=model, index=index) for model, index in KEYSET_INDEXES),
    ]
