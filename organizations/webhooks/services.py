"""Telling tools when something happens instead of making them poll: events, webhooks and their log.

An event (``ApiEvent``) belongs to one organization: an operation there finished, or a user of it changed
or was deleted (from the directory's write path: the portal's own acts and the changes Auth0 pushes; a
full sync's reconciliation is no event). Every registered, active client that may read that organization's
users gets it in the feed (/api/v1/events) and, if it has a webhook URL, as a POST signed by the Standard
Webhooks scheme with its own secret, sent by a Celery task with retries and backoff (``WebhookDelivery``
is the log; a company admin may deliver one again).

A webhook URL is typed in by a company admin and POSTed to by the portal's workers, so where it may lead
is the address policy of ``portal.outbound``: the public internet only, checked when the URL is set and
again, against the address actually connected to, on every delivery (a refusal then fails the delivery
for good). PORTAL_WEBHOOK_ALLOW_LOOPBACK lets a developer's local receiver on this machine have them.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable, Iterator

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from prometheus_client.core import GaugeMetricFamily, Metric
from standardwebhooks import Webhook

from organizations.access.authorization import require_company_admin_person
from organizations.models import ApiClient, ApiEvent, ApiPermission, Organization, WebhookDelivery
from portal.audit import audit_record
from portal.outbound import OutboundPolicy, OutboundRefused, outbound_post, url_check, url_loopback_port
from portal.principal import Principal

# The whole exchange (connect, TLS, send, answer), not each step: a receiver cannot hold a worker longer.
DELIVERY_TIMEOUT_SECONDS = 10
# How much of a receiver's answer is read (and then dropped: only its status counts).
DELIVERY_ANSWER_MAX_BYTES = 64 * 1024
DELIVERY_TASK = "organizations.tasks.webhook_deliver"


class DeliveryFailed(Exception):
    """The receiver did not take the event (no answer, or not a 2xx): try again later."""


# -- configuration -----------------------------------------------------------------------------------------
def webhook_policy() -> OutboundPolicy:
    """Where webhooks may go: the public internet; this machine too where PORTAL_WEBHOOK_ALLOW_LOOPBACK says
    so (development), except the ports of the portal's own services there (the Auth0 emulator, the portal),
    which a POST could change and which are no receivers."""
    own = (url_loopback_port(url) for url in (settings.AUTH0_BASE_URL, settings.PORTAL_BASE_URL))
    return OutboundPolicy(allow_loopback=settings.PORTAL_WEBHOOK_ALLOW_LOOPBACK,
                          loopback_ports_refused=frozenset(port for port in own if port is not None))


def _url_clean(url: str) -> str:
    """The URL to keep, or ValidationError beside the field: the address policy's sentence when it would
    lead inside (checked with what its host resolves to now; delivery checks again)."""
    url = url.strip()
    if not url:
        return ""
    if len(url) > 500:
        raise ValidationError({"webhook_url": _("Keep the address to 500 characters.")})
    try:
        url_check(url, webhook_policy())
    except OutboundRefused as exc:
        raise ValidationError({"webhook_url": str(exc)}) from None
    return url


def webhook_secret_new() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def webhook_configure(*, actor: Principal | None, client: ApiClient, url: str, rotate: bool = False) -> str | None:
    """Set (or clear, with "") the client's webhook URL. A new secret is made when the client has none yet or
    ``rotate``: it is returned once, to be shown once, and never shown again."""
    if actor is not None:
        require_company_admin_person(actor)
    url = _url_clean(url)
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().get(pk=client.pk)
        secret = webhook_secret_new() if url and (rotate or not client.webhook_secret) else None
        client.webhook_url = url
        if secret:
            client.webhook_secret = secret
        client.save(update_fields=["webhook_url", "webhook_secret", "updated_at"])
        audit_record(actor=actor, action="api_client.webhook_changed", target_type="api_client",
                     target_id=client.client_id,
                     summary=(f"Set the webhook of the API client {client.name} to {url}" if url
                              else f"Removed the webhook of the API client {client.name}")
                     + (" with a new secret" if secret else ""),
                     details={"url": url, "new_secret": bool(secret)})
    return secret


# -- events --------------------------------------------------------------------------------------------------
def _clients_of(organization: Organization) -> QuerySet[ApiClient]:
    """The active clients with a webhook that may reach this organization (users:read is checked by the caller:
    the events are about its users)."""
    return (ApiClient.objects.filter(active=True).exclude(webhook_url="")
            .filter(Q(all_organizations=True) | Q(organizations=organization)).distinct())


def api_events_record(*, type: str, organizations: Iterable[Organization], data: dict) -> list[ApiEvent]:
    """Record the event once per organization and queue its webhooks once the transaction commits."""
    events = []
    with transaction.atomic():
        for organization in organizations:
            event = ApiEvent.objects.create(type=type, organization=organization, data=data)
            events.append(event)
            for client in _clients_of(organization):
                if ApiPermission.USERS_READ.value not in client.permissions:
                    continue
                delivery = WebhookDelivery.objects.create(client=client, event=event, url=client.webhook_url)
                _send_on_commit(delivery)
    return events


def _send_on_commit(delivery: WebhookDelivery) -> None:
    from portal.celery import app

    # Robust: the delivery is logged as pending; should the broker be down, a redelivery sends it.
    transaction.on_commit(lambda: app.send_task(DELIVERY_TASK, args=[delivery.pk]), robust=True)


def api_event_payload(event: ApiEvent) -> dict:
    """The event as the feed and the webhooks carry it."""
    return {"id": event.message_id, "type": event.type, "organization": event.organization.slug,
            "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"), "data": event.data}


def api_event_list(*, principal: Principal, after: int = 0, size: int = 100) -> list[ApiEvent]:
    """The events of the organizations ``principal`` may see, oldest first, after the event id ``after``."""
    from organizations.selectors import organization_list

    events = ApiEvent.objects.filter(pk__gt=after).select_related("organization").order_by("pk")
    if not principal.is_company_admin:
        events = events.filter(organization__in=organization_list(principal=principal))
    return list(events[:size])


# -- delivery --------------------------------------------------------------------------------------------------
def webhook_deliver_attempt(delivery_id: int) -> WebhookDelivery:
    """POST the event, signed; DeliveryFailed (recorded on the delivery) for the task to retry. A delivery
    whose client was disabled or lost its webhook in between is failed, not sent; so is one the address
    policy refuses now (its host resolves inside, or the policy changed since the URL was set): sending it
    again would be refused again."""
    delivery = WebhookDelivery.objects.select_related("client", "event__organization").get(pk=delivery_id)
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        return delivery
    client = delivery.client
    if not client.active or not client.webhook_url or not client.webhook_secret:
        return webhook_delivery_give_up(delivery.pk, "The client is disabled or has no webhook any more.")
    body = json.dumps(api_event_payload(delivery.event), separators=(",", ":"))
    now = timezone.now()
    signature = Webhook(client.webhook_secret).sign(delivery.event.message_id, now, body)
    headers = {"content-type": "application/json", "webhook-id": delivery.event.message_id,
               "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts + 1, url=client.webhook_url)
    try:
        response = outbound_post(client.webhook_url, content=body, headers=headers, policy=webhook_policy(),
                                 timeout=DELIVERY_TIMEOUT_SECONDS, max_body=DELIVERY_ANSWER_MAX_BYTES)
    except OutboundRefused as exc:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(response_status=None)
        return webhook_delivery_give_up(delivery.pk, f"Not sent (refused by the address policy): {exc}")
    except httpx.HTTPError as exc:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(last_error=f"No answer: {exc}"[:500],
                                                              response_status=None)
        raise DeliveryFailed(str(exc)) from None
    if not 200 <= response.status_code < 300:
        redirect = " (redirects are not followed)" if 300 <= response.status_code < 400 else ""
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            response_status=response.status_code,
            last_error=f"The receiver answered {response.status_code}{redirect}.")
        raise DeliveryFailed(f"answered {response.status_code}")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.DELIVERED, response_status=response.status_code, last_error="",
        delivered_at=timezone.now())
    delivery.refresh_from_db()
    return delivery


def webhook_delivery_give_up(delivery_id: int, message: str) -> WebhookDelivery:
    WebhookDelivery.objects.filter(pk=delivery_id).exclude(status=WebhookDelivery.Status.DELIVERED).update(
        status=WebhookDelivery.Status.FAILED, last_error=message[:500])
    return WebhookDelivery.objects.get(pk=delivery_id)


def webhook_redeliver(*, actor: Principal, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the event again to the client's webhook, as a new delivery in the log (the same message id, so
    a receiver that had it already can tell)."""
    require_company_admin_person(actor)
    client = delivery.client
    if not client.active or not client.webhook_url:
        raise ValidationError(_("This client is disabled or has no webhook: set its webhook URL first."))
    with transaction.atomic():
        again = WebhookDelivery.objects.create(client=client, event=delivery.event, url=client.webhook_url)
        audit_record(actor=actor, action="api_client.webhook_redelivered", target_type="api_client",
                     target_id=client.client_id, organization=delivery.event.organization,
                     summary=f"Sent the event {delivery.event.message_id} again to {client.name}'s webhook")
        _send_on_commit(again)
    return again


def webhook_delivery_list(*, principal: Principal, client: ApiClient) -> QuerySet[WebhookDelivery]:
    if not principal.is_company_admin:
        return WebhookDelivery.objects.none()
    return client.deliveries.select_related("event__organization")[:200]


def api_events_prune(*, now=None) -> int:
    """Forget events (and their deliveries) older than PORTAL_API_EVENTS_KEEP_DAYS: the feed is for catching
    up after an outage, not an archive (the audit trail is the record). Returns how many events went."""
    from datetime import timedelta

    cutoff = (now or timezone.now()) - timedelta(days=settings.PORTAL_API_EVENTS_KEEP_DAYS)
    deleted, by_model = ApiEvent.objects.filter(occurred_at__lt=cutoff).delete()
    return by_model.get(ApiEvent._meta.label, 0)


# -- what makes events -------------------------------------------------------------------------------------------
def operation_finished_record(*, operation, **_signal) -> None:
    """portal.operations.operation_finished: an operation of an organization finished (either way)."""
    if operation.organization_id is None:
        return
    api_events_record(type=ApiEvent.Type.OPERATION_FINISHED, organizations=[operation.organization], data={
        "operation": {"id": str(operation.pk), "kind": operation.kind, "status": operation.status,
                      "target": operation.target, "error": operation.last_error, "actor": operation.actor_display}})


def user_changed_record(user_id: str, organization_ids: Iterable[int], *, deleted: bool = False) -> None:
    """The directory wrote (or deleted) a user who is (or was) a member of these organizations."""
    organizations = list(Organization.objects.filter(pk__in=set(organization_ids)).order_by("pk"))
    if organizations:
        api_events_record(type=ApiEvent.Type.USER_DELETED if deleted else ApiEvent.Type.USER_CHANGED,
                          organizations=organizations, data={"user_id": user_id})


def webhook_metrics() -> Iterator[Metric]:
    """Webhook deliveries that failed (kept as long as their events), for /metrics (PORTAL_METRICS_SOURCES)."""
    failed = GaugeMetricFamily("portal_webhook_deliveries_failed", "Webhook deliveries that failed after every "
                               "attempt and were not delivered again since")
    failed.add_metric([], WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED).count())
    yield failed
