"""The rows whose invitation portal's migration 0013 ended as failed (a second invitation to the same person in the
same organization, on its way beside the first) record that outcome, as they would had the operation failed
while running; otherwise they would stay under way and their job would never finish. Nothing is deleted."""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def rows_of_failed_operations_finish(apps, schema_editor) -> None:
    BulkRow = apps.get_model("onboarding", "BulkRow")
    now = timezone.now()
    # An invitation's row has no second operation; a row with one waits for it as the run would.
    stranded = (BulkRow.objects.filter(outcome="queued", operation__status="failed")
                .exclude(Q(block_operation__status__in=["pending", "running"]))
                .select_related("operation"))
    for row in stranded:
        row.outcome, row.outcome_message, row.finished_at = "failed", row.operation.last_error, now
        row.save(update_fields=["outcome", "outcome_message", "finished_at"])


class Migration(migrations.Migration):

    dependencies = [
        ('onboarding', '0001_initial'),
        ('portal', '0013_one_unfinished_invitation'),
    ]

    operations = [
        migrations.RunPython(rows_of_failed_operations_finish, migrations.RunPython.noop),
    ]
