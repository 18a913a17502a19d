from __future__ import annotations

from django.http import HttpRequest

from portal.principal import principal_from_request


def portal(request: HttpRequest) -> dict:
    return {"product_name": "Delegated Admin", "principal": principal_from_request(request)}
