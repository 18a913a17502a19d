"""Celery tasks for verified domains: each calls one service (no rules here)."""

from __future__ import annotations

from celery import shared_task

from domains import services
from organizations.selectors import principal_for_user_id


@shared_task(name=services.VERIFY_TASK, acks_late=True)
def domain_verify(domain_id: int, actor_user_id: str = "", actor_display: str = "") -> str:
    """Look the domain's TXT record up and record what was found (idempotent: a second run finds the same)."""
    actor = principal_for_user_id(actor_user_id, actor_display) if actor_user_id else None
    domain = services.domain_check_apply(domain_id, actor=actor)
    return domain.status if domain else "removed"


@shared_task(name="domains.tasks.domains_recheck")
def domains_recheck() -> int:
    """Beat runs this hourly: verified domains due a check get one."""
    return services.domains_recheck()
