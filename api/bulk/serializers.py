"""Bulk onboarding's shapes in the API: a job (with its planned actions and progress), its rows, and what a
new job is made of (the JSON rows or a CSV file). The input serializers describe the request for the OpenAPI
schema and check the rows' shape; the rows themselves are then read by ``onboarding.intake.files.json_rows``, as the
page reads a file's."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import serializers

from api.serializers import ROLES_MAX, InputSerializer, StrictBooleanField, TextField
from onboarding.models import BulkJob, BulkRow
from onboarding.processing.progress import bulk_job_progress
from onboarding.selectors import bulk_action_counts

# The longest a role's name may be (a label, an Auth0 name or id: app_roles.models.TenantRole.name).
ROLE_NAME_MAX_LENGTH = 255
PLANNED_ACTIONS = [value for value in BulkRow.Action.values if value]


# A job's status and source are described as text with their values listed (an enum here would collide with
# the operations' status enum in the schema's component names).
STATUS_HELP = "One of " + ", ".join(BulkJob.Status.values)
SOURCE_HELP = "One of " + ", ".join(BulkJob.Source.values)


def bulk_job_url(job: BulkJob, name: str = "api_bulk_job_detail") -> str:
    return reverse(name, kwargs={"slug": job.organization.slug, "job_id": job.pk})


class BulkJobSerializer(serializers.ModelSerializer):
    """A job as a list shows it."""

    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    source = serializers.CharField(read_only=True, help_text=SOURCE_HELP)
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    actor = serializers.CharField(source="actor_display", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = BulkJob
        fields = ["id", "organization", "status", "status_label", "source", "source_label", "file_name", "actor",
                  "total_rows", "checked_rows", "changed_by", "created_at", "checked_at", "started_at",
                  "finished_at", "url"]

    def get_url(self, job: BulkJob) -> str:
        return bulk_job_url(job)


class BulkProgressSerializer(serializers.Serializer):
    status = serializers.CharField(help_text=STATUS_HELP)
    status_label = serializers.CharField()
    total_rows = serializers.IntegerField()
    checked_rows = serializers.IntegerField()
    rows_to_send = serializers.IntegerField(help_text="Rows planned as invite, add or update")
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    under_way = serializers.IntegerField()
    rows_left = serializers.IntegerField(help_text="Rows to send still to be sent or finished")
    percent = serializers.IntegerField(help_text="Of the check while checking; of the rows to send after")
    rows_per_minute = serializers.FloatField(allow_null=True)
    seconds_left = serializers.IntegerField(allow_null=True, help_text="An estimate, while running")
    finished = serializers.BooleanField()


class BulkActionCountsSerializer(serializers.Serializer):
    invite = serializers.IntegerField()
    add = serializers.IntegerField()
    update = serializers.IntegerField()
    nothing = serializers.IntegerField()
    error = serializers.IntegerField()


class BulkJobDetailSerializer(BulkJobSerializer):
    """One job: also how many rows the check planned for each action, its progress and its rows' links."""

    actions = serializers.SerializerMethodField(help_text="Rows per planned action (unchecked rows in none)")
    progress = serializers.SerializerMethodField()
    rows_url = serializers.SerializerMethodField()
    report_url = serializers.SerializerMethodField()

    class Meta(BulkJobSerializer.Meta):
        fields = [*BulkJobSerializer.Meta.fields, "actions", "progress", "rows_url", "report_url"]

    def get_actions(self, job: BulkJob) -> BulkActionCountsSerializer:
        counts = bulk_action_counts(job)
        return {action: counts.get(action, 0) for action in PLANNED_ACTIONS}

    def get_progress(self, job: BulkJob) -> BulkProgressSerializer:
        return bulk_job_progress(job).as_json()

    def get_rows_url(self, job: BulkJob) -> str:
        return bulk_job_url(job, "api_bulk_job_rows")

    def get_report_url(self, job: BulkJob) -> str:
        return bulk_job_url(job, "api_bulk_job_report")


class BulkRowSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    outcome_label = serializers.CharField(source="get_outcome_display", read_only=True)
    user_id = serializers.SerializerMethodField(help_text="The existing user the row is about, or the user an "
                                                          "invitation made")

    class Meta:
        model = BulkRow
        fields = ["line", "email", "action", "action_label", "message", "outcome", "outcome_label",
                  "outcome_message", "user_id", "operation", "block_operation", "finished_at"]

    def get_user_id(self, row: BulkRow) -> str:
        if row.user_id:
            return row.user_id
        return str((row.operation.result or {}).get("user_id", "")) if row.operation else ""


class BulkRowPageSerializer(serializers.Serializer):
    results = BulkRowSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)
    previous_cursor = serializers.CharField(allow_null=True)


class BulkJobPageSerializer(serializers.Serializer):
    results = BulkJobSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)
    previous_cursor = serializers.CharField(allow_null=True)


# -- input ----------------------------------------------------------------------------------------------------
class BulkRowInput(InputSerializer):
    """A row's shape, checked before the job is made (a row that is not this is a 400 naming it). Whether its
    values make sense (a valid address, a metadata key of the organization's schema, a block the caller may
    set) is the job's check, reported per row like a file's."""

    unknown_field = _("Not a field of a row: a row has email, given_name, family_name, name, block, roles, "
                      "user_metadata and app_metadata.")

    email = TextField(max_length=320)
    given_name = TextField(required=False, allow_blank=True)
    family_name = TextField(required=False, allow_blank=True)
    name = TextField(required=False, allow_blank=True)
    block = StrictBooleanField(required=False, allow_null=True,
                               help_text="true blocks, false unblocks; absent or null leaves them as they are")
    roles = serializers.ListField(
        child=TextField(max_length=ROLE_NAME_MAX_LENGTH), required=False, max_length=ROLES_MAX,
        help_text="Application roles to give, each by the organization's label (or the role's Auth0 name or id): "
                  "someone new gets them once ready, a member those not granted yet. A role outside the "
                  "organization's grantable set is the row's error in the check.")
    user_metadata = serializers.DictField(required=False, help_text="Schema field key -> value")
    app_metadata = serializers.DictField(required=False, help_text="Schema field key -> value")


def _rows_max(limit: int) -> str:
    return ngettext("Send at most %(limit)s row in one job.", "Send at most %(limit)s rows in one job.", limit) % {
        "limit": number_format(limit, force_grouping=True)}


def _rows_max_message():
    """The message, in the language of the request that reads it (the limit is a setting, read at import)."""
    return lazy(_rows_max, str)(settings.BULK_MAX_ROWS)


class BulkRowsInput(InputSerializer):
    rows = serializers.ListField(
        child=BulkRowInput(), min_length=1, max_length=settings.BULK_MAX_ROWS, help_text="One object per person",
        error_messages={"min_length": _("Send at least one row."), "max_length": _rows_max_message()})


class BulkFileInput(serializers.Serializer):
    file = serializers.FileField(help_text="A CSV file (UTF-8; commas or semicolons) whose first line names the "
                                           "columns, as the bulk template does: email, given_name, family_name, "
                                           "name, block, roles (labels separated by |) and the metadata fields")
