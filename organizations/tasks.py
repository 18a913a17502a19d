"""Celery tasks for organizations: each claims its operation and calls one service (no rules here)."""

from __future__ import annotations

from celery import shared_task

from organizations import roles, services
from organizations.management import demo
from organizations.webhooks import services as webhooks
from portal.faults import TransientFault
from portal.models import OperationKind
from portal.operations import operation_execute, operation_task


@operation_task(OperationKind.ORGANIZATION_PROVISION)
@shared_task(bind=True, name="organizations.tasks.organization_provision", acks_late=True)
def organization_provision(self, operation_id: str) -> None:
    """Create (or link, when it exists) the organization's connection or Auth0 Organization."""
    operation_execute(self, operation_id, services.organization_provision_apply)


@operation_task(OperationKind.ROLE_GRANT)
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


# About 2 hours of attempts in all: 30 s, 1, 2, 4, 8, 16, 32, 64 minutes (capped), with jitter.
WEBHOOK_RETRIES = 8


@shared_task(bind=True, name=webhooks.DELIVERY_TASK, acks_late=True, max_retries=WEBHOOK_RETRIES)
def webhook_deliver(self, delivery_id: int) -> str:
    """POST one event to a client's webhook; a receiver that does not take it is tried again with backoff,
    then the delivery is marked failed (a company admin may deliver it again from the log)."""
    try:
        return webhooks.webhook_deliver_attempt(delivery_id).status
    except webhooks.DeliveryFailed as exc:
        if self.request.retries >= self.max_retries:
            return webhooks.webhook_delivery_give_up(delivery_id, f"Gave up after {self.request.retries + 1} "
                                                                  f"attempts: {exc}").status
        raise self.retry(countdown=min(30 * 2 ** self.request.retries, 3600)) from None


@shared_task(name="organizations.tasks.api_events_prune")
def api_events_prune() -> int:
    """Beat runs this daily: events older than PORTAL_API_EVENTS_KEEP_DAYS go."""
    return webhooks.api_events_prune()
