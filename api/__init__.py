"""The REST API for internal tools (``/api/v1/``): thin DRF views over the same selectors and services as the
pages, authenticated by access tokens validated locally against the tenant's JWKS.

Where things are: ``urls``; the views (``views`` for reads, ``action_views`` for acts, ``bulk/`` for bulk jobs)
on ``base.ApiView``; ``serializers``, ``query`` (query parameters) and ``examples``; ``errors`` and ``schema`` (the
OpenAPI description's shared parts); ``idempotency``; ``auth/`` (the token, the caller, permissions, throttling).
"""
