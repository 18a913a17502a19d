"""Celery tasks of the directory: each calls one service (no rules here), on the Auth0 queue."""

from __future__ import annotations

from celery import shared_task

from organizations.models import Organization
from portal.faults import TransientFault
from portal.models import OperationKind
from portal.operations import operation_execute, operation_task, task_attempt
from users.acts import account as actions
from users.acts import block_here as org_blocks
from users.acts import email_change, metadata, pending, removal
from users.acts import invite as invitations
from users.acts import join as joining
from users.directory import mirror as directory
from users.directory import refresh, streams, sync
from users.directory.activity import ACTIVITY_TASK, user_activity_fetch
from users.profile import acts as profile
from users.profile import data_export
from users.profile import metadata as profile_metadata


@shared_task(bind=True, name=refresh.REFRESH_TASK, acks_late=True)
def directory_user_refresh(self, user_id: str) -> str:
    """Read one user from Auth0 into the mirror (or remove them if Auth0 no longer has them)."""
    return task_attempt(self, lambda: refresh.directory_user_refresh(user_id=user_id))


# A full import of a large tenant is one long step: it may run far beyond the default time limit
# (the Redis visibility timeout, 7200 s, stays above it).
SYNC_SOFT_TIME_LIMIT = 3000


@shared_task(bind=True, name=sync.SYNC_TASK, acks_late=True, soft_time_limit=SYNC_SOFT_TIME_LIMIT,
             time_limit=SYNC_SOFT_TIME_LIMIT + 120)
def directory_sync(self, run_id: int) -> float | None:
    """Advance a sync run by one step, and send the next step (run here in place: ``.apply()``)."""
    step = sync.sync_run_advance(run_id=run_id)
    if step.wait is not None and not self.request.is_eager:
        self.apply_async(args=[run_id], countdown=step.wait)
    return step.wait


@shared_task(name="users.tasks.directory_sync_schedule")
def directory_sync_schedule() -> list[str]:
    """Beat runs this every minute: due syncs start, dead steps are sent again."""
    return sync.sync_schedule()


@shared_task(bind=True, name="users.tasks.organization_search_text_rebuild", acks_late=True)
def organization_search_text_rebuild(self, organization_id: int) -> int:
    """An organization's searchable fields changed: rebuild its members' search text."""
    return directory.organization_search_text_rebuild(Organization.objects.get(pk=organization_id))


@shared_task(bind=True, name=ACTIVITY_TASK, acks_late=True)
def user_activity_refresh(self, user_id: str) -> int:
    """Read a user's newest Auth0 log events and brute-force blocks into their UserActivity (the user's
    page shows them); returns how many events are stored."""
    return task_attempt(self, lambda: len(user_activity_fetch(user_id=user_id).events))


@shared_task(
    bind=True, name="users.tasks.directory_streams_register", acks_late=True,
    autoretry_for=(TransientFault,), retry_backoff=2, retry_backoff_max=30, max_retries=30,
)
def directory_streams_register(self, url: str, kind: str = "auto") -> dict:
    """Register the portal's receiver with the tenant's event or log streams (retried until Auth0 answers)."""
    return streams.directory_streams_register(url=url, kind=kind)


@operation_task(OperationKind.USER_INVITE)
@shared_task(bind=True, name="users.tasks.user_invite", acks_late=True)
def user_invite(self, operation_id: str) -> None:
    """Create (or find) the invited person in Auth0, make them a member and send the invitation."""
    operation_execute(self, operation_id, invitations.user_invite_apply)


@operation_task(
    OperationKind.USER_BLOCK,
    OperationKind.USER_UNBLOCK,
    OperationKind.USER_BLOCKS_CLEAR,
    OperationKind.USER_PASSWORD_EMAIL,
    OperationKind.USER_VERIFICATION_EMAIL,
    OperationKind.USER_MFA_RESET,
)
@shared_task(bind=True, name="users.tasks.user_action", acks_late=True)
def user_action(self, operation_id: str) -> None:
    """Block, unblock, clear failed sign-in blocks, or send a password or verification email."""
    operation_execute(self, operation_id, actions.user_action_apply)


@operation_task(OperationKind.USER_METADATA_EDIT)
@shared_task(bind=True, name="users.tasks.user_metadata_edit", acks_late=True)
def user_metadata_edit(self, operation_id: str) -> None:
    """Send an edit of a user's metadata to Auth0 as one first-level merge."""
    operation_execute(self, operation_id, metadata.user_metadata_edit_apply)


@operation_task(OperationKind.USER_EMAIL_CHANGE)
@shared_task(bind=True, name="users.tasks.user_email_change", acks_late=True)
def user_email_change(self, operation_id: str) -> None:
    """Set a user's new email address in Auth0, unverified, with Auth0's verification email."""
    operation_execute(self, operation_id, email_change.user_email_change_apply)


@operation_task(OperationKind.USER_REMOVE)
@shared_task(bind=True, name="users.tasks.user_remove", acks_late=True)
def user_remove(self, operation_id: str) -> None:
    """Take a user out of an organization (its slug out of their list, or their Auth0 membership)."""
    operation_execute(self, operation_id, removal.user_remove_apply)


@operation_task(OperationKind.USER_DELETE)
@shared_task(bind=True, name="users.tasks.user_delete", acks_late=True)
def user_delete(self, operation_id: str) -> None:
    """Delete a user's account in Auth0, then from the directory (with a tombstone)."""
    operation_execute(self, operation_id, removal.user_delete_apply)


@operation_task(OperationKind.USER_INVITE_RESEND)
@shared_task(bind=True, name="users.tasks.invitation_resend", acks_late=True)
def invitation_resend(self, operation_id: str) -> None:
    """Send a pending invitation again, with a new set-password link."""
    operation_execute(self, operation_id, pending.invitation_resend_apply)


@operation_task(OperationKind.USER_INVITE_REVOKE)
@shared_task(bind=True, name="users.tasks.invitation_revoke", acks_late=True)
def invitation_revoke(self, operation_id: str) -> None:
    """Revoke a pending invitation: delete the unused account it created, or take the person out."""
    operation_execute(self, operation_id, pending.invitation_revoke_apply)


@operation_task(OperationKind.PROFILE_METADATA_EDIT)
@shared_task(bind=True, name="users.tasks.profile_metadata_edit", acks_late=True)
def profile_metadata_edit(self, operation_id: str) -> None:
    """Send a person's edit of their own details to Auth0 (user_metadata only)."""
    operation_execute(self, operation_id, profile_metadata.profile_metadata_edit_apply)


@operation_task(
    OperationKind.PROFILE_PASSWORD_EMAIL,
    OperationKind.PROFILE_VERIFICATION_EMAIL,
    OperationKind.PROFILE_SESSIONS_REVOKE,
)
@shared_task(bind=True, name="users.tasks.profile_action", acks_late=True)
def profile_action(self, operation_id: str) -> None:
    """A person's own change-password email, verification email, or sign-out everywhere at Auth0."""
    operation_execute(self, operation_id, profile.profile_action_apply)


@operation_task(OperationKind.PROFILE_DATA_EXPORT)
@shared_task(bind=True, name="users.tasks.profile_data_export", acks_late=True)
def profile_data_export(self, operation_id: str) -> None:
    """Build a person's export of their data and keep it for them to download."""
    operation_execute(self, operation_id, data_export.profile_data_export_apply)


@operation_task(OperationKind.USER_BLOCK_HERE)
@shared_task(bind=True, name="users.tasks.user_block_here", acks_late=True)
def user_block_here(self, operation_id: str) -> None:
    """Block a person in one organization: their membership (and portal roles) there end, nothing else."""
    operation_execute(self, operation_id, org_blocks.user_block_here_apply)


@operation_task(OperationKind.USER_UNBLOCK_HERE)
@shared_task(bind=True, name="users.tasks.user_unblock_here", acks_late=True)
def user_unblock_here(self, operation_id: str) -> None:
    """Lift an organization's block of a person: their membership there again."""
    operation_execute(self, operation_id, org_blocks.user_unblock_here_apply)


@operation_task(OperationKind.USER_JOIN_RESEND)
@shared_task(bind=True, name="users.tasks.join_invitation_resend", acks_late=True)
def join_invitation_resend(self, operation_id: str) -> None:
    """Email an invitation to join again."""
    operation_execute(self, operation_id, joining.join_invitation_resend_apply)


@operation_task(OperationKind.USER_JOIN_ACCEPT)
@shared_task(bind=True, name="users.tasks.join_invitation_accept", acks_late=True)
def join_invitation_accept(self, operation_id: str) -> None:
    """The invited person accepted: add their membership by the organization's mode."""
    operation_execute(self, operation_id, joining.join_invitation_accept_apply)
