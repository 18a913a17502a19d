from __future__ import annotations

from django.http import HttpRequest

from portal.principal import principal_from_request

PRODUCT_NAME = "Delegated Admin"


def portal(request: HttpRequest) -> dict:
    return {"product_name": PRODUCT_NAME, "principal": principal_from_request(request)}
