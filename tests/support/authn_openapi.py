"""Check Authentication API responses against Auth0's published ``authentication-api.openapi.yml``.

The document is OpenAPI 3.0 with small inline schemas and ``$ref``s to ``components/responses``.
``response_check`` asserts that the status code is one the operation documents and, when the
document gives a JSON schema for it, validates the body with jsonschema.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import yaml

# The copy kept in the repository (tests/contract/spec/README.md says where it comes from).
SPEC_PATH = Path(__file__).resolve().parents[1] / "contract" / "spec" / "authentication-api.openapi.yml"


@functools.cache
def spec() -> dict:
    with SPEC_PATH.open() as fh:
        return yaml.safe_load(fh)


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target: Any = spec()
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def response_spec(method: str, path: str, status: int) -> dict:
    """The documented response of ``method path`` for ``status`` (AssertionError if undocumented)."""
    operation = spec()["paths"][path][method.lower()]
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}, not documented: {sorted(responses)}"
    return _resolve(responses[str(status)])


def response_check(method: str, path: str, response: httpx.Response) -> bool:
    """Assert ``response`` fits the document; True when a JSON schema was validated."""
    documented = response_spec(method, path, response.status_code)
    schema = ((documented.get("content") or {}).get("application/json") or {}).get("schema")
    if schema is None:
        return False
    body = json.loads(response.text)
    jsonschema.validate(body, _resolve(schema), cls=jsonschema.Draft4Validator)
    return True
