"""Schemathesis against the portal's own OpenAPI schema (/api/schema/), through the WSGI application with
every middleware, authenticated as a company-wide tool with a real emulator token, every check on: no 500s,
every response (status, headers, body) is what the schema says, a request the schema forbids is refused, and
a request it allows is accepted unless a rule the schema cannot state refuses it (tests/support/api_fuzz.py
lists each). Bounded: a few examples per operation. The full run against the real processes is
``python -m tests.support.api_fuzz`` (docs/rest-api.md)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app_roles.models import GrantableRole, TenantRole
from organizations.models import MembershipMode, MetadataField
from tests.factories import OrganizationFactory, RoleFactory
from tests.support.api_fuzz import positive_data_acceptance_within_rules
from tests.support.api_tokens import register, tool_token
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 10
# Every check. positive_data_acceptance runs as positive_data_acceptance_within_rules: the same, with only the
# refusals a schema cannot describe excused, each named with its reason in tests/support/api_fuzz.py (a cursor
# the API did not make, a range that ends before it starts, the organization's metadata schema, a guardrail).
# (negative_data_rejection itself lets a request through whose only fault is a query parameter the API does
# not know: those are ignored by design, as the API's description says.)
EXCLUDED_CHECKS = [positive_data_acceptance]
ADDED_CHECKS = [positive_data_acceptance_within_rules]


@pytest.fixture
def api_schema(api, emulator, settings):
    settings.PORTAL_API_RATE = "100000/min"  # the fuzzer's own burst is not what this test is about
    acme = OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                               membership_mode=MembershipMode.ISOLATED_CONNECTION,
                               auth0_connection_id="con_a")  # connected: bulk jobs are made, not refused
    RoleFactory(organization=acme, role="admin")
    # The field the bulk upload's example sets, so the example makes a job.
    MetadataField.objects.create(organization=acme, key="department", target="user_metadata", type="text",
                                 label="Department")
    directory_users_upsert([auth0_user(connection="acme-users", email=f"user{n}@acme.test") for n in range(5)])
    # A role Acme may grant, so its application roles' routes answer with something.
    role = TenantRole.objects.create(pk="rol_fuzz000000000000", name="Editor", refreshed_at=timezone.now())
    GrantableRole.objects.create(organization=acme, role=role, label="Editor", is_default=True)
    register()
    token = tool_token(emulator)
    config = SchemathesisConfig.from_dict({
        "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True},
        # The token as the schema's security scheme (not a header added to every call), so the cases that leave
        # it out on purpose go without it and must be refused.
        "auth": {"openapi": {"portalToken": {"bearer": token}}},
    })
    # The raw WSGI handler closes the database connection after each request, as a server must; inside the
    # test's transaction that would lose it, so (as Django's own test client does) not here.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=config)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_every_operation_conforms_to_the_schema(api_schema) -> None:
    # One test walks every operation (schemathesis' pytest loader from a fixture does not run on pytest 9),
    # with data the schema allows and data it does not (which must be a documented 4xx, never a 500).
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        for mode in GenerationMode:
            # Most generated slugs would be a 404: the one organization that exists makes the rest reachable.
            slug = {"slug": "acme"} if "{slug}" in operation.path else None

            @given(case=operation.as_strategy(mode, path_parameters=slug))
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case) -> None:
                case.call_and_validate(excluded_checks=EXCLUDED_CHECKS, additional_checks=ADDED_CHECKS)

            check()


def test_every_operation_is_described_with_its_permission_examples_and_errors(client) -> None:
    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert document["components"]["securitySchemes"]["portalToken"]["scheme"] == "bearer"
    operations = [(path, method, operation) for path, item in document["paths"].items()
                  for method, operation in item.items()]
    assert len(operations) >= 15
    ids = [operation["operationId"] for _, _, operation in operations]
    assert len(ids) == len(set(ids))
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert "Permission: " in operation["description"], where
        assert {"portalToken": []} in operation["security"], where
        successes = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
        assert successes, where
        for code, response in successes.items():
            if code != "204":  # JSON, or the media type the operation answers (a report's text/csv)
                content = response["content"].get("application/json") or next(iter(response["content"].values()))
                assert content["examples"], (where, code)
        if "requestBody" in operation:
            assert operation["requestBody"]["content"]["application/json"]["examples"], where
        for code in ("401", "403", "429"):
            error = operation["responses"][code]["content"]["application/json"]
            assert error["schema"] == {"$ref": "#/components/schemas/Error"}, (where, code)
