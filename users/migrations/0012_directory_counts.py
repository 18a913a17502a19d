"""The directory's counts (``users.directory.counts``): each organization's members, blocked members and members
who never signed in, and the tenant's number of people, counted once here from the mirror as it stands; the
directory's writes keep them from then on, and ``manage.py directory_counts_check`` recounts them."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, Q


def count(apps, schema_editor) -> None:
    Membership = apps.get_model("users", "Membership")
    OrganizationCounts = apps.get_model("users", "OrganizationCounts")
    DirectoryCounts = apps.get_model("users", "DirectoryCounts")
    DirectoryUser = apps.get_model("users", "DirectoryUser")
    rows = Membership.objects.order_by().values("organization_id").annotate(
        members=Count("pk"), blocked=Count("pk", filter=Q(blocked=True)),
        never_signed_in=Count("pk", filter=Q(last_login__isnull=True)))
    OrganizationCounts.objects.bulk_create([OrganizationCounts(**row) for row in rows], batch_size=1000)
    DirectoryCounts.objects.create(pk=1, people=DirectoryUser.objects.count())


class Migration(migrations.Migration):

    dependencies = [
        ('organizations', '0005_api_events_webhooks'),
        ('users', '0011_directory_user_email_lower'),
    ]

    operations = [
        migrations.CreateModel(
            name='DirectoryCounts',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('people', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='OrganizationCounts',
            fields=[
                ('organization', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='directory_counts', serialize=False, to='organizations.organization')),
                ('members', models.BigIntegerField(default=0)),
                ('blocked', models.BigIntegerField(default=0)),
                ('never_signed_in', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(count, migrations.RunPython.noop),
    ]
