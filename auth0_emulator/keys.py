"""The tenant's RS256 signing key (kept in the store so tokens survive restarts) and its JWKS."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .store import Store


class SigningKey:
    def __init__(self, store: Store) -> None:
        pem = store.kv_get("signing_key_pem")
        if pem is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()
            store.kv_set("signing_key_pem", pem)
        self.private_key = serialization.load_pem_private_key(pem.encode(), password=None)
        self.public_key = self.private_key.public_key()
        self.jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.public_key))
        # A stable kid: the RFC 7638 thumbprint of the public key.
        canonical = json.dumps({k: self.jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
        self.jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})

    def jwks(self) -> dict:
        return {"keys": [self.jwk]}

    def sign(self, claims: dict[str, Any], lifetime: int) -> str:
        now = int(time.time())
        payload = {"iat": now, "exp": now + lifetime, **claims}
        return jwt.encode(payload, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def verify(self, token: str, *, audience: str | list[str], issuer: str) -> dict[str, Any]:
        """Decode and validate a token this tenant issued; raises ``jwt.InvalidTokenError``."""
        return jwt.decode(
            token,
            self.public_key,
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
