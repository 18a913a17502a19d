"""Celery tasks of SCIM provisioning: each calls one service (no rules here), on the Auth0 queue. Their names are
stored on every operation row (the sweeper sends them again by name): never rename one once released."""

from __future__ import annotations

from celery import shared_task

from portal.models import OperationKind
from portal.operations import operation_execute, operation_task
from scim import sync


@operation_task(OperationKind.SCIM_USER_SYNC)
@shared_task(bind=True, name="scim.tasks.scim_user_sync", acks_late=True)
def scim_user_sync(self, operation_id: str) -> None:
    """Bring a provisioned person, in Auth0 and the directory, to what their SCIM user asks now."""
    operation_execute(self, operation_id, sync.scim_user_sync_apply)
