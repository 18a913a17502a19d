from __future__ import annotations

import pytest

from tests.domains.dns_server import loopback_dns


@pytest.fixture
def dns_server(settings):
    """A DNS server on loopback that the portal's resolver asks (settings point it there)."""
    with loopback_dns() as server:
        settings.DOMAINS_DNS_NAMESERVERS = ["127.0.0.1"]
        settings.DOMAINS_DNS_PORT = server.port
        settings.DOMAINS_DNS_TIMEOUT = 2.0
        yield server
