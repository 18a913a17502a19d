"""The REST API for internal tools (``/api/v1/``): thin DRF views over the same selectors and services as the
pages, authenticated by access tokens validated locally against the tenant's JWKS."""
