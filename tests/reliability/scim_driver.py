"""The operations cluster driver's SCIM commands (tests/support/operations_driver.py dispatches to them): a provider
token for each of the driver's organizations, SCIM creates and deactivations sent to the real SCIM views as Okta and
Entra ID send them (through Django's test client, in the driver process that plays the web process), waiting until
every operation they led to has finished (the sweeper run as beat runs it), and a report of what became of each
person in the portal and in the tenant.

Run inside the driver process (Django is set up there); each function is one command.
"""

from __future__ import annotations

import json
import time
from typing import Any

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
_UNFINISHED = ("pending", "running")


def _client():
    from django.test import Client

    return Client(HTTP_HOST="localhost")


def scim_setup() -> dict[str, str]:
    """A token for each organization (made as its admin makes one), by slug. The per-token rate is raised: this
    driver is every provider at once, and the rate is tested on its own (tests/scim/test_protocol.py)."""
    from django.conf import settings

    from organizations.models import Organization
    from organizations.selectors import principal_for_user_id
    from scim.models import ScimToken
    from scim.tokens import scim_token_create
    from tests.support.operations_driver import ORGANIZATIONS, _admin_id

    settings.SCIM_RATE_PER_MINUTE = 1_000_000
    tokens = {}
    for slug, *_ in ORGANIZATIONS:
        organization = Organization.objects.get(slug=slug)
        ScimToken.objects.filter(organization=organization).delete()
        actor = principal_for_user_id(_admin_id(slug), f"Admin of {organization.display_name}")
        tokens[slug] = scim_token_create(actor=actor, organization=organization, name="Okta")[1]
    return tokens


def _send(client, method: str, url: str, token: str, body: dict) -> Any:
    response = client.generic(method, url, data=json.dumps(body), content_type="application/scim+json",
                              HTTP_AUTHORIZATION=f"Bearer {token}")
    return response.status_code, json.loads(response.content or b"null")


def scim_provision(prefix: str, count: int, tokens: dict[str, str]) -> dict[str, Any]:
    """``count`` people created over the three organizations, each deactivated right after (before their invitation
    has run, mostly): half as Okta deactivates (a replace without a path), half as Entra ID does (``"Replace"``,
    ``"active"``, ``"False"``)."""
    from django.conf import settings

    settings.SCIM_RATE_PER_MINUTE = 1_000_000
    client = _client()
    slugs = sorted(tokens)
    people, errors = [], []
    for n in range(count):
        slug = slugs[n % len(slugs)]
        email = f"{prefix}-{n:05d}@{slug}.test"
        base = f"/scim/v2/{slug}/Users"
        status, created = _send(client, "POST", base, tokens[slug], {
            "schemas": [USER], "userName": email, "externalId": f"ext-{n}", "active": True,
            "name": {"givenName": "Pat", "familyName": f"Number {n}"},
            "emails": [{"value": email, "type": "work", "primary": True}]})
        if status != 201:
            errors.append(f"{email}: create {status} {created}")
            continue
        operation = ({"op": "replace", "value": {"active": False}} if n % 2
                     else {"op": "Replace", "path": "active", "value": "False"})
        status, patched = _send(client, "PATCH", f"{base}/{created['id']}", tokens[slug],
                                {"schemas": [PATCH], "Operations": [operation]})
        if status != 200 or patched.get("active") is not False:
            errors.append(f"{email}: deactivate {status} {patched}")
        people.append({"email": email, "slug": slug, "scim_id": created["id"]})
    return {"people": people, "errors": errors}


def scim_settle(timeout: float) -> dict[str, Any]:
    """Wait (running the sweeper) until no operation is unfinished, those the finished ones queued included."""
    from portal.models import Operation
    from tests.support.operations_driver import wait

    deadline = time.monotonic() + timeout
    rounds, swept = 0, 0
    while True:
        unfinished = [str(pk) for pk in Operation.objects.filter(status__in=_UNFINISHED).values_list("pk", flat=True)]
        if not unfinished or time.monotonic() > deadline:
            return {"unfinished": len(unfinished), "rounds": rounds, "swept": swept,
                    "operations": Operation.objects.count()}
        waited = wait(unfinished, timeout=max(1.0, deadline - time.monotonic()))
        rounds, swept = rounds + 1, swept + waited["swept"]


def scim_report(people: list[dict[str, str]]) -> dict[str, Any]:
    """Each person as the tenant holds them (read without faults: the caller turns them off), as the directory
    does, and the operations the portal recorded for them."""
    from django.db.models import Count

    from portal.models import Operation
    from scim.models import ScimUser
    from tests.support.operations_driver import _plain_gateway
    from users.models import DirectoryUser

    auth0 = _plain_gateway()
    mapped = {str(u.pk): u for u in ScimUser.objects.filter(pk__in=[p["scim_id"] for p in people])}
    kinds = dict(Operation.objects.values_list("kind").annotate(n=Count("pk")).order_by())
    statuses = dict(Operation.objects.values_list("status").annotate(n=Count("pk")).order_by())
    failed = list(Operation.objects.filter(status="failed").values_list("kind", "target", "last_error")[:10])
    attempts = sum(Operation.objects.values_list("attempts", flat=True))
    rows = []
    for person in people:
        users = auth0.users_by_email(email=person["email"])
        user_ids = [u["user_id"] for u in users]
        mirrored = DirectoryUser.objects.filter(user_id__in=user_ids).first()
        rows.append({
            **person, "accounts": len(users), "user_id": user_ids[0] if user_ids else None,
            "blocked": [bool(u.get("blocked")) for u in users],
            "mapped_user_id": mapped[person["scim_id"]].user_id, "mapped_active": mapped[person["scim_id"]].active,
            "mirrored_blocked": mirrored.blocked if mirrored else None,
            "mirrored_in": sorted(DirectoryUser.objects.filter(user_id__in=user_ids)
                                  .values_list("memberships__organization__slug", flat=True)),
            "invitations": Operation.objects.filter(kind="user_invite", target=person["email"]).count(),
            "blocks": Operation.objects.filter(kind="user_block", target__in=user_ids).count(),
            "sessions_ended": Operation.objects.filter(kind="scim_user_sync", target__in=user_ids,
                                                       status="succeeded", result__sessions_ended=True).count(),
        })
    auth0.close()
    return {"people": rows, "kinds": kinds, "statuses": statuses, "failed": failed, "attempts": attempts}


COMMANDS = {"scim_setup": scim_setup, "scim_provision": scim_provision, "scim_settle": scim_settle,
            "scim_report": scim_report}
