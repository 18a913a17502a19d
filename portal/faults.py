"""How a failure of background work is classified: the vocabulary the operation runner retries by.

The gateway's Auth0 errors subclass these, so the runner (in this base layer) needs to know nothing
about Auth0 or its SDK; other failures (the database, the network, Celery's time limit) are classified
by the runner itself in :mod:`portal.operations`.
"""

from __future__ import annotations


class PermanentFault(Exception):
    """Trying again will not help (a refused request, a rule broken, missing configuration).

    ``str(exc)`` or ``exc.message`` is what a person reads on the operation's page, so it says what is
    wrong in their terms."""


class TransientFault(Exception):
    """A passing condition (a timeout, a 5xx, a dropped connection): worth trying again later."""


class RateLimitedFault(TransientFault):
    """Refused for now by a rate limit: ``retry_after`` says how many seconds to wait (None: unknown).
    ``by_budget``: refused by the portal's own shared budget before the call left, not by Auth0."""

    retry_after: float | None = None
    by_budget: bool = False
