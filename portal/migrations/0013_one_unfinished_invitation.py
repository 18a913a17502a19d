"""One invitation per organization and email on its way at a time: a partial unique index on the unfinished
invitations (kind user_invite, pending or running), by organization and the invited email (the target),
case-insensitively.

Before the index, two invitations to the same email could both be recorded when asked for at the same instant.
Any such pair still unfinished would stop the index from being made, so first each group keeps one (the one
running, else the one asked for first: the one that would have run first) and the others are ended as failed,
with a message that says why and an audit event, as a failed operation has. Nothing is deleted: an ended one
can be tried again once the one kept has finished. (Their bulk rows, if any, are brought up to date by
onboarding's migration 0002.)"""

from django.db import migrations, models
from django.db.models.functions import Lower
from django.utils import timezone

UNFINISHED = ["pending", "running"]


def duplicate_invitations_end(apps, schema_editor) -> None:
    Operation = apps.get_model("portal", "Operation")
    AuditEvent = apps.get_model("portal", "AuditEvent")
    groups: dict[tuple, list] = {}
    for operation in Operation.objects.filter(kind="user_invite", status__in=UNFINISHED).order_by("created_at", "pk"):
        groups.setdefault((operation.organization_id, operation.target.lower()), []).append(operation)
    now = timezone.now()
    for (_, email), operations in groups.items():
        if len(operations) < 2:
            continue
        kept = next((o for o in operations if o.status == "running"), operations[0])
        for operation in operations:
            if operation.pk == kept.pk:
                continue
            message = (f"Another invitation to {email} was already on its way (asked for at "
                       f"{kept.created_at:%Y-%m-%d %H:%M:%S} UTC): this one was stopped when the portal began "
                       "keeping one invitation per person at a time. Try it again once that one has finished, "
                       "if it is still needed.")
            operation.status, operation.last_error, operation.finished_at = "failed", message, now
            operation.save(update_fields=["status", "last_error", "finished_at", "updated_at"])
            AuditEvent.objects.create(
                actor_display="system", organization_id=operation.organization_id, action="user_invite.failed",
                target_type="operation", target_id=operation.target, operation=operation,
                summary=f"Invite a user: failed: {message}"[:500])


class Migration(migrations.Migration):

    dependencies = [
        ('organizations', '0005_api_events_webhooks'),
        ('portal', '0012_quota_count'),
    ]

    operations = [
        migrations.RunPython(duplicate_invitations_end, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='operation',
            constraint=models.UniqueConstraint(Lower('target'), models.F('organization'),
                                               condition=models.Q(('kind', 'user_invite'),
                                                                  ('status__in', ['pending', 'running'])),
                                               name='operation_one_unfinished_invitation'),
        ),
    ]
