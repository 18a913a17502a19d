"""What the SCIM tests share: a provider (a token made as an organization's admin makes it, and a client that
sends it as SCIM providers do), and running every queued operation with ``.apply()`` in the order it was asked
for, as the workers would, until none is left."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.test import Client

from organizations.models import Organization
from organizations.selectors import principal_for_user_id
from portal.celery import app
from portal.models import Operation
from scim.models import ScimToken
from scim.tokens import scim_token_create
from tests.factories import OrganizationFactory, RoleFactory

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class Provider:
    """An identity provider holding one organization's token."""

    organization: Organization
    token: ScimToken
    secret: str
    client: Client

    @property
    def base(self) -> str:
        return f"/scim/v2/{self.organization.slug}"

    def call(self, method: str, path: str, body=None, *, secret: str | None = None, **headers):
        data = body if isinstance(body, bytes | str) else (json.dumps(body) if body is not None else "")
        response = self.client.generic(method, self.base + path, data=data, content_type="application/scim+json",
                                       HTTP_AUTHORIZATION=f"Bearer {self.secret if secret is None else secret}",
                                       **headers)
        response.json_body = json.loads(response.content) if response.content else None
        return response

    def get(self, path: str, **kw):
        return self.call("GET", path, **kw)

    def post(self, path: str, body, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body, **kw):
        return self.call("PUT", path, body, **kw)

    def patch(self, path: str, body, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw):
        return self.call("DELETE", path, **kw)


def provider_for(organization: Organization, name: str = "Okta") -> Provider:
    admin = RoleFactory(organization=organization, role="admin")
    token, secret = scim_token_create(actor=principal_for_user_id(admin.user_id, "Ada Admin"),
                                      organization=organization, name=name)
    return Provider(organization, token, secret, Client())


@pytest.fixture
def organization(db) -> Organization:
    return OrganizationFactory(slug="acme", display_name="Acme", auth0_connection_id="con_acme")


@pytest.fixture
def okta(organization) -> Provider:
    return provider_for(organization)


def drain(limit: int = 200) -> list[Operation]:
    """Run every pending operation's task with ``.apply()``, oldest first, until none is left (the operations
    each run queues included); the operations run, in order."""
    ran: list[Operation] = []
    for _ in range(limit):
        pending = list(Operation.objects.filter(status=Operation.Status.PENDING).order_by("created_at", "pk"))
        progressed = False
        for operation in pending:
            app.tasks[operation.task_name].apply(args=[str(operation.pk)])
            operation.refresh_from_db()
            if operation.status != Operation.Status.PENDING:
                ran.append(operation)
                progressed = True
        if not progressed:
            return ran
    raise AssertionError("operations kept coming")


def user_body(email: str, *, given: str = "Ann", family: str = "Lee", external_id: str | None = None,
              active: bool = True) -> dict:
    """A User as Okta and Entra ID create one."""
    return {"schemas": [USER_SCHEMA], "userName": email, "externalId": external_id or f"ext-{email}",
            "name": {"givenName": given, "familyName": family}, "displayName": f"{given} {family}",
            "emails": [{"primary": True, "value": email, "type": "work"}], "active": active}
