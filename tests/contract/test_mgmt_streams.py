"""Event streams and log streams through the official SDK, every response validated against Auth0's
spec: create, read, list (with its checkpoint), update, delete; a failed delivery listed, its history,
bulk and single redelivery; log streams of type http; errors as the SDK's exception types."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import Any

import httpx
import pytest
from auth0.management.errors import BadRequestError, NotFoundError
from auth0.management.types import (
    CreateEventStreamWebHookRequestContent,
    CreateLogStreamHttpRequestBody,
    EventStreamSubscription,
    EventStreamWebhookBearerAuth,
    EventStreamWebhookConfiguration,
    EventStreamWebhookDestination,
    LogStreamHttpSink,
)

from tests.support.openapi import management_token, response_check, validating_client
from tests.support.processes import EmulatorProcess, free_port


@pytest.fixture(scope="module")
def emu(emulator_factory) -> EmulatorProcess:
    # Receivers must be https:// here, as in Auth0 (the spec's pattern): responses stay valid.
    return emulator_factory("--seed", "empty", "--test-controls", "--no-rate-limits",
                            "--delivery-backoff", "0.02", "--delivery-attempts", "2")


@pytest.fixture(scope="module")
def sdk(emu: EmulatorProcess):
    return validating_client(f"{emu.url}/api/v2", management_token(emu.url))


def webhook(url: str) -> EventStreamWebhookDestination:
    return EventStreamWebhookDestination(type="webhook", configuration=EventStreamWebhookConfiguration(
        webhook_endpoint=url,
        # The token is write-only, so the spec's (response) schema has no place for it; the SDK's
        # models accept it as an extra property, as Auth0's CLI and Terraform provider send it.
        webhook_authorization=EventStreamWebhookBearerAuth(method="bearer", token="secret-token")))


def all_validated(recorder, since: int, validated_before: int) -> bool:
    """Every successful answer with a body since response number ``since`` was checked against the spec."""
    bodies = [r for r in recorder.responses[since:] if 200 <= r.status_code < 300 and r.content]
    return bool(bodies) and recorder.validated - validated_before == len(bodies)


def test_event_stream_lifecycle(sdk) -> None:
    mgmt, recorder = sdk
    since, before = len(recorder.responses), recorder.validated
    names = [f"contract-{secrets.token_hex(3)}" for _ in range(2)]
    created = [mgmt.event_streams.create(request=CreateEventStreamWebHookRequestContent(
        name=name, subscriptions=[EventStreamSubscription(event_type="user.created")],
        destination=webhook("https://example.com/hooks"))) for name in names]
    first = created[0]
    assert recorder.last.status_code == 201
    assert first.id.startswith("est_") and len(first.id) == 26 and first.status == "enabled"
    assert "token" not in recorder.last.text
    assert mgmt.event_streams.get(first.id).name == names[0]
    seen = len(recorder.responses)
    listed = list(mgmt.event_streams.list(take=1))  # the SDK's pager follows ``next`` page by page
    pages = [r.json() for r in recorder.responses[seen:]]
    assert len(pages) >= 2 and all(len(p["eventStreams"]) == 1 for p in pages[:-1])
    assert pages[0]["next"] == pages[0]["eventStreams"][0]["id"] and "next" not in pages[-1]
    assert {s.id for s in listed} >= {s.id for s in created}
    updated = mgmt.event_streams.update(first.id, status="disabled", name=names[0] + "-x",
                                        subscriptions=[EventStreamSubscription(event_type="user.deleted")])
    assert updated.status == "disabled" and updated.subscriptions[0].event_type == "user.deleted"
    for stream in created:
        mgmt.event_streams.delete(stream.id)
    with pytest.raises(NotFoundError):
        mgmt.event_streams.get(first.id)
    with pytest.raises(BadRequestError) as err:
        mgmt.event_streams.create(request=CreateEventStreamWebHookRequestContent(destination=webhook("nope")))
    assert err.value.body["errorCode"] == "invalid_body"
    assert all_validated(recorder, since, before)


def get_checked(emu: EmulatorProcess, path: str, **params: str) -> Any:
    """A GET over plain HTTP, its answer checked against the spec. The deliveries endpoints are read
    this way, not through the SDK: auth0-python 6.8.0 expects ``{deliveries, next}`` from the list and
    an object in ``event.data``, while Auth0's published spec (the copy in tests/contract/spec/), which
    the emulator follows, answers a bare array and the data as a JSON string."""
    r = httpx.get(f"{emu.url}/api/v2{path}", params=params,
                  headers={"Authorization": f"Bearer {management_token(emu.url)}"})
    assert r.status_code == 200, r.text
    assert response_check("GET", path, 200, r.json())
    return r.json()


def deliveries_list(emu: EmulatorProcess, stream_id: str, **params: str) -> list[dict]:
    return get_checked(emu, f"/event-streams/{stream_id}/deliveries", **params)


def test_failed_deliveries_their_history_and_redelivery(sdk, emu: EmulatorProcess) -> None:
    mgmt, recorder = sdk
    stream = mgmt.event_streams.create(request=CreateEventStreamWebHookRequestContent(
        subscriptions=[EventStreamSubscription(event_type="user.created")],
        destination=webhook(f"https://127.0.0.1:{free_port()}/nobody-listens")))
    user = mgmt.users.create(connection="Username-Password-Authentication", password="Str0ng-pass!",
                             email=f"contract-{secrets.token_hex(4)}@streams.test", verify_email=False)
    deadline = time.monotonic() + 5
    while not (deliveries := deliveries_list(emu, stream.id)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(deliveries) == 1
    delivery = deliveries[0]
    assert delivery["status"] == "failed" and delivery["event_type"] == "user.created"
    assert len(delivery["attempts"]) == 2 and user.user_id in delivery["event"]["data"]
    assert deliveries_list(emu, stream.id, statuses="failed", event_types="user.created,user.deleted",
                           date_from="2020-01-01T00:00:00Z") == deliveries
    assert get_checked(emu, f"/event-streams/{stream.id}/deliveries/{delivery['id']}") == delivery
    mgmt.event_streams.redeliveries.create(stream.id, statuses=["failed"], event_types=["user.created"],
                                           date_from=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert recorder.last.status_code == 202
    assert recorder.last.json() == {"statuses": ["failed"], "event_types": ["user.created"],
                                    "date_from": "2020-01-01T00:00:00Z"}
    deadline = time.monotonic() + 5
    while not deliveries_list(emu, stream.id) and time.monotonic() < deadline:
        time.sleep(0.05)  # redelivered, and (nobody listening) failed again
    mgmt.event_streams.redeliveries.create_by_id(stream.id, delivery["id"])
    assert recorder.last.status_code == 202
    missing = httpx.get(f"{emu.url}/api/v2/event-streams/{stream.id}/deliveries/evt_{'0' * 22}",
                        headers={"Authorization": f"Bearer {management_token(emu.url)}"})
    assert missing.status_code == 404 and missing.json()["errorCode"] == "inexistent_event"
    mgmt.event_streams.delete(stream.id)
    mgmt.users.delete(user.user_id)


def test_log_stream_lifecycle(sdk) -> None:
    mgmt, recorder = sdk
    since, before = len(recorder.responses), recorder.validated
    created = mgmt.log_streams.create(request=CreateLogStreamHttpRequestBody(
        type="http", name="contract", sink=LogStreamHttpSink(
            http_endpoint="https://example.com/logs", http_authorization="Bearer logs",
            http_content_format="JSONARRAY", http_content_type="application/json")))
    assert recorder.last.status_code == 200 and recorder.last.json()["status"] == "active"
    stream_id = recorder.last.json()["id"]
    assert created is not None and stream_id.startswith("lst_")
    assert stream_id in [recorder_item["id"] for recorder_item in _json_list(mgmt, recorder)]
    mgmt.log_streams.get(stream_id)
    assert recorder.last.json()["sink"]["httpAuthorization"] == "Bearer logs"
    mgmt.log_streams.update(stream_id, status="paused", name="contract-paused")
    assert recorder.last.json()["status"] == "paused"
    mgmt.log_streams.delete(stream_id)
    with pytest.raises(NotFoundError):
        mgmt.log_streams.get(stream_id)
    assert all_validated(recorder, since, before)


def _json_list(mgmt, recorder) -> list[dict]:
    mgmt.log_streams.list()
    return recorder.last.json()
