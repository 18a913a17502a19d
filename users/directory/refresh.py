"""Refreshing one user from Auth0: what a pushed event, an admin opening a user's page, or an operation
that changed the user asks for. The refresh reads the user itself; nothing a caller or a payload says
about the user is trusted beyond their id."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from auth0_gateway import Auth0NotFound, gateway
from organizations.membership import modes_in_auth0_organizations
from organizations.models import Organization
from portal.celery import app
from users.directory.mirror import directory_user_write_through, directory_users_delete

REFRESH_TASK = "users.tasks.directory_user_refresh"
# While a refresh of a user is queued and not started, more requests for the same user add nothing.
QUEUED_FOR_SECONDS = 300


def _queued_key(user_id: str) -> str:
    return f"directory:refresh-queued:{user_id}"


def directory_user_refresh_request(user_id: str) -> bool:
    """Queue a refresh of ``user_id`` (after the current transaction commits); False if one is already
    queued and has not started yet."""
    if not cache.add(_queued_key(user_id), 1, timeout=QUEUED_FOR_SECONDS):
        return False
    transaction.on_commit(lambda: app.send_task(REFRESH_TASK, args=[user_id]))
    return True


def directory_user_refresh(*, user_id: str) -> str:
    """Read the user from Auth0 and write what it says into the mirror: ``"updated"``, or ``"deleted"``
    when Auth0 no longer has them."""
    cache.delete(_queued_key(user_id))  # a change arriving from now on queues a new refresh
    auth0 = gateway()
    try:
        user = auth0.user_get(user_id=user_id)
    except Auth0NotFound:
        directory_users_delete([user_id])
        return "deleted"
    auth0_organization_ids = None
    if Organization.objects.filter(membership_mode__in=modes_in_auth0_organizations()).exists():
        auth0_organization_ids = [o["id"] for o in auth0.user_organizations(user_id=user_id)]
    directory_user_write_through(user, auth0_organization_ids=auth0_organization_ids)
    return "updated"
