"""What the API's act tests share: a tool registered for their module's Acme (each module's ``acme`` fixture says
what Acme is), and users made in Acme's connection on the emulator that tests may change."""

from __future__ import annotations

import uuid

import pytest

from auth0_gateway import gateway
from tests.factories import RoleFactory
from tests.support.api_tokens import register, tool_token
from users.acts.invite import password_random
from users.directory.mirror import directory_user_write_through


@pytest.fixture
def acme_tool(acme, api_on_changing_emulator, changing_emulator):
    """A client registered for Acme alone, with every permission, and its token."""
    RoleFactory(organization=acme, role="admin")  # Acme keeps another admin, so its guardrails allow acts
    register(organizations=[acme])
    return api_on_changing_emulator(tool_token(changing_emulator))


def acme_user() -> dict:
    user = gateway().user_create(connection="acme-users", email=f"api-{uuid.uuid4().hex[:8]}@acme.test",
                                 password=password_random())
    directory_user_write_through(user)
    return user
