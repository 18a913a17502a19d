"""Celery tasks of application roles: each calls one service (no rules here), on the Auth0 queue. Their names are
stored on every operation row (the sweeper sends them again by name): never rename one once released."""

from __future__ import annotations

from celery import shared_task

from app_roles import acts, catalog, demo, sync
from portal.faults import TransientFault
from portal.models import OperationKind
from portal.operations import operation_execute, operation_task, task_attempt


@operation_task(OperationKind.APP_ROLE_ASSIGN)
@shared_task(bind=True, name="app_roles.tasks.app_role_assign", acks_late=True)
def app_role_assign(self, operation_id: str) -> None:
    """Give a person an application role in Auth0, as their organization grants it, and record the grant."""
    operation_execute(self, operation_id, acts.app_role_assign_apply)


@operation_task(OperationKind.APP_ROLE_REMOVE)
@shared_task(bind=True, name="app_roles.tasks.app_role_remove", acks_late=True)
def app_role_remove(self, operation_id: str) -> None:
    """Take an organization's grant of an application role away (and the role in Auth0 with the last grant)."""
    operation_execute(self, operation_id, acts.app_role_remove_apply)


@operation_task(OperationKind.APP_ROLES_REFRESH)
@shared_task(bind=True, name="app_roles.tasks.app_roles_refresh", acks_late=True)
def app_roles_refresh(self, operation_id: str) -> None:
    """Read the tenant's roles from Auth0 into the mirror company admins choose grantable roles from."""
    operation_execute(self, operation_id, catalog.tenant_roles_refresh_apply)


@shared_task(bind=True, name=sync.REFRESH_TASK, acks_late=True)
def person_app_roles_refresh(self, user_id: str) -> str:
    """Read one person's roles from Auth0 into the mirror (a change Auth0 pushed)."""
    return task_attempt(self, lambda: sync.person_app_roles_refresh(user_id=user_id))


@shared_task(
    bind=True, name="app_roles.tasks.demo_app_roles_seed", acks_late=True,
    autoretry_for=(TransientFault,), retry_backoff=2, retry_backoff_max=30, max_retries=30,
)
def demo_app_roles_seed(self) -> str:
    """Let the demo's Acme grant two of the demo tenant's roles (idempotent). Retries until the demo's
    organizations exist and the emulator answers."""
    return demo.demo_app_roles_seed()
