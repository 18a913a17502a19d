"""Tokens are validated locally: each bad token is a 401 with WWW-Authenticate error="invalid_token" and
writes nothing; a registered client's token without the needed scope is a 403 insufficient_scope."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from api.auth.authentication import jwks_cache
from api.models import IdempotentRequest
from organizations.models import OrganizationRole
from portal.models import AuditEvent, Operation
from tests.factories import OrganizationFactory
from tests.support.api_tokens import AUDIENCE, TOOL_ID, forged, register, tool_token

ORGS = "/api/v1/organizations/"


def _rows() -> tuple[int, ...]:
    return (Operation.objects.count(), AuditEvent.objects.count(), IdempotentRequest.objects.count(),
            OrganizationRole.objects.count())


def _hs256_with_public_key(emulator) -> str:
    """The classic confusion: HS256 "signed" with the RSA public key as the shared secret."""
    token = tool_token(emulator)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    jwks = jwt.PyJWKClient(f"{emulator.url}/.well-known/jwks.json").get_signing_key(header["kid"])
    from cryptography.hazmat.primitives import serialization
    pem = jwks.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': header['kid']}).encode())}." \
                    f"{b64(json.dumps(claims).encode())}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def _alg_none(emulator) -> str:
    claims = jwt.decode(tool_token(emulator), options={"verify_signature": False})
    return jwt.encode(claims, key=None, algorithm="none", headers={"kid": "x"})


def _tampered(emulator) -> str:
    header, payload, signature = tool_token(emulator, scope="users:read").split(".")
    import base64
    import json
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scope"] = "users:read users:write"
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def _unknown_kid(emulator) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = jwt.decode(tool_token(emulator), options={"verify_signature": False})
    return jwt.encode(claims, other, algorithm="RS256", headers={"kid": "not-a-key-of-the-tenant"})


BAD_TOKENS = {
    "expired": lambda emu: forged(emu, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
    "not_yet_valid": lambda emu: forged(emu, nbf=int(time.time()) + 3600),
    "wrong_audience": lambda emu: forged(emu, aud="https://another.example/api/"),
    "wrong_issuer": lambda emu: forged(emu, iss="https://another-tenant.example/"),
    "alg_none": _alg_none,
    "hs256_with_public_key": _hs256_with_public_key,
    "unknown_kid": _unknown_kid,
    "tampered_payload": _tampered,
    "not_a_jwt": lambda emu: "not-a-token",
    "no_subject": lambda emu: forged(emu, sub=None),
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_bad_token_is_401_and_writes_nothing(db, api, emulator, kind, django_capture_on_commit_callbacks,
                                             published_tasks) -> None:
    organization = OrganizationFactory(slug="org-a")
    register()
    token = BAD_TOKENS[kind](emulator)
    before = _rows()
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            api(token).get(ORGS),
            api(token).post(f"/api/v1/organizations/{organization.slug}/users/", {"email": "x@org-a.test"},
                            format="json", HTTP_IDEMPOTENCY_KEY="k1"),
        ]
    for response in responses:
        assert response.status_code == 401, (kind, response.content)
        assert response["WWW-Authenticate"] == 'Bearer realm="portal-api", error="invalid_token"'
        assert response.json()["error"] == "invalid_token"
    assert _rows() == before
    assert published_tasks == []


def test_a_small_clock_skew_is_tolerated(db, api, emulator) -> None:
    register()
    just_expired = forged(emulator, iat=int(time.time()) - 600, exp=int(time.time()) - 5)
    assert api(just_expired).get(ORGS).status_code == 200


def test_no_token_is_401_without_an_error_code(db, api) -> None:
    response = api().get(ORGS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="portal-api"'


def test_valid_token_without_the_scope_is_403(db, api, emulator) -> None:
    register()
    response = api(tool_token(emulator, scope="users:read")).get(ORGS)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert response["WWW-Authenticate"] == 'Bearer error="insufficient_scope", scope="organizations:read"'


def test_scope_not_in_the_registration_is_403(db, api, emulator) -> None:
    register(permissions=["users:read"])
    response = api(tool_token(emulator)).get(ORGS)  # the token has every scope; the registration does not
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_unregistered_and_disabled_clients_get_nothing(db, api, emulator) -> None:
    OrganizationFactory(slug="org-a")
    token = tool_token(emulator)
    response = api(token).get(ORGS)
    assert response.status_code == 403
    assert "not registered" in response.json()["detail"]
    client = register()
    assert api(token).get(ORGS).status_code == 200
    client.active = False
    client.save()
    assert api(token).get(ORGS).status_code == 403


def test_unknown_kids_refresh_the_jwks_at_most_so_often(db, api, emulator, settings) -> None:
    register()
    settings.PORTAL_API_JWKS_REFRESH_SECONDS = 3600
    assert api(tool_token(emulator)).get(ORGS).status_code == 200
    fetched = jwks_cache.fetches
    for _ in range(5):
        assert api(_unknown_kid(emulator)).get(ORGS).status_code == 401
    assert jwks_cache.fetches == fetched  # fetched a moment ago: not again for forged kids
    settings.PORTAL_API_JWKS_REFRESH_SECONDS = 0
    assert api(_unknown_kid(emulator)).get(ORGS).status_code == 401
    assert jwks_cache.fetches == fetched + 1  # a rotated key would have been found


def test_claims_are_checked_with_the_configured_audience(db, api, emulator, settings) -> None:
    register()
    token = tool_token(emulator)
    settings.PORTAL_API_AUDIENCE = "https://elsewhere.example/api/"
    assert api(token).get(ORGS).status_code == 401
    settings.PORTAL_API_AUDIENCE = AUDIENCE
    assert api(token).get(ORGS).status_code == 200
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == f"{TOOL_ID}@clients"
