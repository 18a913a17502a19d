from __future__ import annotations

from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    return {"product_name": "Delegated Admin"}
