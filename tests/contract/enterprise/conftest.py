from __future__ import annotations

import pytest

from tests.sso.saml_idp import LoopbackIdentityProvider


@pytest.fixture
def saml_idp(tmp_path):
    """A SAML identity provider on loopback (pysaml2), stopped after the test."""
    idp = LoopbackIdentityProvider(tmp_path).start()
    yield idp
    idp.stop()
