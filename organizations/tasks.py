"""Celery tasks for organizations: each claims its operation and calls one service (no rules here)."""

from __future__ import annotations

from celery import shared_task

from organizations import demo, roles, services
from portal.faults import TransientFault
from portal.operations import operation_execute


@shared_task(bind=True, name="organizations.tasks.organization_provision", acks_late=True)
def organization_provision(self, operation_id: str) -> None:
    """Create (or link, when it exists) the organization's connection or Auth0 Organization."""
    operation_execute(self, operation_id, services.organization_provision_apply)


@shared_task(bind=True, name="organizations.tasks.role_grant", acks_late=True)
def role_grant(self, operation_id: str) -> None:
    """Find the person by email among the organization's users and give them the role."""
    operation_execute(self, operation_id, roles.role_grant_apply)


@shared_task(
    bind=True, name="organizations.tasks.demo_seed", acks_late=True,
    autoretry_for=(TransientFault,), retry_backoff=2, retry_backoff_max=30, max_retries=30,
)
def demo_seed(self) -> str:
    """Create the demo organizations and roles (idempotent). Retries until the emulator answers."""
    return demo.demo_seed()
