"""One change of a person's email address on its way at a time, and one export of a person's data being
prepared: partial unique indexes on the unfinished operations of those kinds (pending or running) by their
target, the person, as 0013 did for invitations.

Two requests at the same instant could both be recorded before. Any such pair still unfinished would stop the
index from being made, so first each group keeps one (the one running, else the one asked for first) and the
others are ended as failed, with a message that says why and an audit event, as a failed operation has. Nothing
is deleted."""

from django.db import migrations, models
from django.utils import timezone

UNFINISHED = ["pending", "running"]
KINDS = {"user_email_change": ("A change of this email address", "Change the email address"),
         "profile_data_export": ("An export of this person's data", "Export own data (self-service)")}


def duplicates_end(apps, schema_editor) -> None:
    Operation = apps.get_model("portal", "Operation")
    AuditEvent = apps.get_model("portal", "AuditEvent")
    now = timezone.now()
    for kind, (what, label) in KINDS.items():
        groups: dict[str, list] = {}
        for operation in Operation.objects.filter(kind=kind, status__in=UNFINISHED).order_by("created_at", "pk"):
            groups.setdefault(operation.target, []).append(operation)
        for operations in groups.values():
            if len(operations) < 2:
                continue
            kept = next((o for o in operations if o.status == "running"), operations[0])
            message = (f"{what} was already on its way (asked for at {kept.created_at:%Y-%m-%d %H:%M:%S} UTC): this "
                       "one was stopped when the portal began keeping one at a time. Ask again once that one has "
                       "finished, if it is still needed.")
            for operation in operations:
                if operation.pk == kept.pk:
                    continue
                operation.status, operation.last_error, operation.finished_at = "failed", message, now
                operation.save(update_fields=["status", "last_error", "finished_at", "updated_at"])
                AuditEvent.objects.create(
                    actor_display="system", organization_id=operation.organization_id, action=f"{kind}.failed",
                    target_type="operation", target_id=operation.target, operation=operation,
                    summary=f"{label}: failed: {message}"[:500])


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0013_one_unfinished_invitation'),
    ]

    operations = [
        migrations.RunPython(duplicates_end, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='operation',
            constraint=models.UniqueConstraint(models.F('target'), condition=models.Q(
                ('kind', 'user_email_change'), ('status__in', ['pending', 'running'])),
                name='operation_one_unfinished_email_change'),
        ),
        migrations.AddConstraint(
            model_name='operation',
            constraint=models.UniqueConstraint(models.F('target'), condition=models.Q(
                ('kind', 'profile_data_export'), ('status__in', ['pending', 'running'])),
                name='operation_one_unfinished_data_export'),
        ),
    ]
