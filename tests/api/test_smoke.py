from __future__ import annotations

from tests.factories import OrganizationFactory
from tests.support.api_tokens import register, tool_token


def test_company_wide_client_lists_organizations(db, api, emulator) -> None:
    OrganizationFactory(slug="org-a", display_name="Org A")
    register()
    response = api(tool_token(emulator)).get("/api/v1/organizations/")
    assert response.status_code == 200, response.content
    assert [o["slug"] for o in response.json()] == ["org-a"]
