"""A Management API budget (:mod:`portal.ratelimit`) of a test's own: Redis keys no other test or run
shares, removed afterwards."""

from __future__ import annotations

import secrets

from portal.ratelimit import RedisStore

REDIS_URL = "redis://127.0.0.1:6379/14"


class IsolatedRedisStore(RedisStore):
    def __init__(self) -> None:
        super().__init__(REDIS_URL, prefix=f"test:{secrets.token_hex(6)}:")

    def clear(self) -> None:
        for key in self.client.scan_iter(f"{self.prefix}*"):
            self.client.delete(key)
        self.client.close()
