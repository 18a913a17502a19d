"""Celery tasks for SSO connections: each claims its operation and runs one apply half (no rules here)."""

from __future__ import annotations

from celery import shared_task

from portal.models import OperationKind
from portal.operations import operation_execute, operation_task
from sso import auth0_side


@operation_task(OperationKind.SSO_CONNECTION_CREATE)
@shared_task(bind=True, name="sso.tasks.sso_connection_create", acks_late=True)
def sso_connection_create(self, operation_id: str) -> None:
    operation_execute(self, operation_id, auth0_side.connection_create_apply)


@operation_task(OperationKind.SSO_CONNECTION_UPDATE)
@shared_task(bind=True, name="sso.tasks.sso_connection_update", acks_late=True)
def sso_connection_update(self, operation_id: str) -> None:
    operation_execute(self, operation_id, auth0_side.connection_update_apply)


@operation_task(OperationKind.SSO_CONNECTION_SWITCH)
@shared_task(bind=True, name="sso.tasks.sso_connection_switch", acks_late=True)
def sso_connection_switch(self, operation_id: str) -> None:
    operation_execute(self, operation_id, auth0_side.connection_switch_apply)
