"""Fixtures for the tests of pushed changes (event streams, log streams; in streams/): an emulator that
accepts plain-HTTP receivers and retries fast, a receiver per test, and a Management API client.

The emulator's tests sit in directories that mirror auth0_emulator/ (authn/, management/, directory/,
streams/); fixtures they share live here, where every one of them sees them."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.emulator.receiver import Receiver
from tests.support.openapi import management_token, spec
from tests.support.processes import EmulatorProcess

# Fast retries (50 ms, doubling) and three attempts, batches after 200 ms: tests stay short.
STREAMS_OPTIONS = ("--seed", "demo", "--test-controls", "--no-rate-limits", "--allow-http-destinations",
                   "--delivery-backoff", "0.05", "--delivery-attempts", "3", "--log-batch-seconds", "0.2")


@pytest.fixture(scope="session")
def streams_emulator(emulator_factory) -> EmulatorProcess:
    return emulator_factory(*STREAMS_OPTIONS)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rx = Receiver()
    yield rx
    rx.close()


class Api:
    """Raw Management API calls on one emulator (status codes and bodies as they come)."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.http = httpx.Client(base_url=f"{emulator.url}/api/v2", timeout=10,
                                 headers={"Authorization": f"Bearer {management_token(emulator.url)}"})

    def __getattr__(self, method: str) -> Any:
        return getattr(self.http, method)


@pytest.fixture
def api(streams_emulator: EmulatorProcess) -> Iterator[Api]:
    client = Api(streams_emulator)
    yield client
    client.http.close()


# Envelopes are checked against the spec's CloudEvent schemas. As in tests/support/openapi.py, oneOf
# is read as anyOf: the identity variants of a user overlap (a database identity fits two of them).
_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"oneOf": jsonschema.Draft202012Validator.VALIDATORS["anyOf"]}
)
CLOUD_EVENT_SCHEMAS = {
    "user.created": "EventStreamCloudEventUserCreatedCloudEvent",
    "user.updated": "EventStreamCloudEventUserUpdatedCloudEvent",
    "user.deleted": "EventStreamCloudEventUserDeletedCloudEvent",
    "organization.member.added": "EventStreamCloudEventOrgMemberAddedCloudEvent",
    "organization.member.deleted": "EventStreamCloudEventOrgMemberDeletedCloudEvent",
    "organization.member.role.assigned": "EventStreamCloudEventOrgMemberRoleAssignedCloudEvent",
    "organization.member.role.deleted": "EventStreamCloudEventOrgMemberRoleDeletedCloudEvent",
}


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource("urn:spec", Resource.from_contents(spec(), default_specification=DRAFT202012))


def cloud_event_check(envelope: dict) -> None:
    """Assert ``envelope`` is the CloudEvent Auth0's spec describes for its type."""
    name = CLOUD_EVENT_SCHEMAS[envelope["type"]]
    validator = _Validator({"$ref": f"urn:spec#/components/schemas/{name}"}, registry=_registry())
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(envelope)]
    assert not errors, f"{envelope['type']} does not match {name}: {errors}"
