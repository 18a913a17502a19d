"""A bulk job (one uploaded file, or the API's rows) and its rows: what each row asked for, what the check
planned for it, and what happened when it ran. Rows are kept with the job: they are its preview and its
report."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import pgettext_lazy


class BulkJob(models.Model):
    class Status(models.TextChoices):
        CHECKING = "checking", pgettext_lazy("bulk job status", "Checking the file")
        READY = "ready", pgettext_lazy("bulk job status", "Checked: waiting for confirmation")
        RUNNING = "running", pgettext_lazy("bulk job status", "Running")
        PAUSED = "paused", pgettext_lazy("bulk job status", "Paused")
        CANCELLED = "cancelled", pgettext_lazy("bulk job status", "Cancelled")
        FINISHED = "finished", pgettext_lazy("bulk job status", "Finished")

    class Source(models.TextChoices):
        PAGE = "page", pgettext_lazy("bulk job source", "Uploaded on the page")
        API = "api", pgettext_lazy("bulk job source", "Sent through the API")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="bulk_jobs")
    actor_user_id = models.CharField(max_length=255)
    actor_display = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.PAGE)
    file_name = models.CharField(max_length=255, blank=True)
    # The file's columns as it named them, in its order (the report repeats them), and what each one sets.
    columns = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CHECKING)
    total_rows = models.PositiveIntegerField(default=0)
    checked_rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Set when nothing of the job is left to run or finish (finished, or cancelled and its last row ended).
    finished_at = models.DateTimeField(null=True, blank=True)
    # Who confirmed, paused, resumed or cancelled last (the audit trail has each act).
    changed_by = models.CharField(max_length=255, blank=True)
    # The API caller's Idempotency-Key, so the same upload sent twice makes one job.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"]), models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.file_name or 'Bulk job'} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        """Rows may still be sent or be finishing."""
        return self.status in (self.Status.RUNNING, self.Status.PAUSED) or (
            self.status == self.Status.CANCELLED and self.finished_at is None)


class BulkRow(models.Model):
    class Action(models.TextChoices):
        UNCHECKED = "", pgettext_lazy("bulk row action", "Not checked yet")
        INVITE = "invite", pgettext_lazy("bulk row action", "Invite")
        ADD = "add", pgettext_lazy("bulk row action", "Add an existing user to the organization")
        UPDATE = "update", pgettext_lazy("bulk row action", "Update")
        NOTHING = "nothing", pgettext_lazy("bulk row action", "Nothing to do")
        ERROR = "error", pgettext_lazy("bulk row action", "Error")

    class Outcome(models.TextChoices):
        NOT_RUN = "", pgettext_lazy("bulk row outcome", "Not run")
        QUEUED = "queued", pgettext_lazy("bulk row outcome", "Under way")
        DONE = "done", pgettext_lazy("bulk row outcome", "Done")
        FAILED = "failed", pgettext_lazy("bulk row outcome", "Failed")
        SKIPPED = "skipped", pgettext_lazy("bulk row outcome", "Skipped")
        CANCELLED = "cancelled", pgettext_lazy("bulk row outcome", "Cancelled")

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="rows")
    # The line of the file the row starts on (the header is line 1); for the API's JSON rows, position + 1.
    line = models.PositiveIntegerField()
    # The row's cells by column, as given (the report repeats them).
    cells = models.JSONField(default=dict)
    email = models.CharField(max_length=320, blank=True)
    name = models.CharField(max_length=300, blank=True)
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    # Metadata to set, keyed as users.acts.metadata keys an edit ({"user_metadata": {…}, "app_metadata": {…}}).
    values = models.JSONField(default=dict, blank=True)
    # Block (True) or unblock (False) the person; None leaves them as they are.
    block = models.BooleanField(null=True, blank=True)
    # The application roles (Auth0 role ids) to give: all the row names for someone invited (their invitation's
    # roles), those not granted yet for a member (an assignment each).
    app_role_ids = models.JSONField(default=list, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices, blank=True)
    # The check's reason for an error, or what else the admin should know of the row.
    message = models.TextField(blank=True)
    # The existing user the row is about (an update, an add), as the check found them.
    user_id = models.CharField(max_length=255, blank=True)
    # Whether the row changes the person's metadata, and their block, at run time.
    changes_metadata = models.BooleanField(default=False)
    changes_block = models.BooleanField(default=False)
    operation = models.ForeignKey("portal.Operation", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    block_operation = models.ForeignKey("portal.Operation", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    outcome_message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "line"]
        constraints = [models.UniqueConstraint(fields=["job", "line"], name="bulk_row_line")]
        indexes = [
            models.Index(fields=["job", "action", "line"], name="bulk_row_action"),
            models.Index(fields=["job", "outcome", "line"], name="bulk_row_outcome"),
            # The check's search for the first line of each email (a repeat is an error).
            models.Index(fields=["job", "email", "line"], name="bulk_row_email"),
        ]

    def __str__(self) -> str:
        return f"line {self.line}: {self.email or '(no email)'}"


# The planned actions a run sends (the others are skipped when the job starts).
SENT_ACTIONS = (BulkRow.Action.INVITE, BulkRow.Action.ADD, BulkRow.Action.UPDATE)
