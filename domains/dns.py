"""Reading a domain's TXT records with dnspython, from the nameservers the settings name (or the system's).

``DOMAINS_DNS_NAMESERVERS`` (comma-separated addresses; empty: the machine's resolver configuration),
``DOMAINS_DNS_PORT`` and ``DOMAINS_DNS_TIMEOUT`` (seconds) configure it, so that tests point it at a DNS server
they run on loopback and an operator at the resolvers they trust.
"""

from __future__ import annotations

import dns.exception
import dns.resolver
from django.conf import settings


class DnsUnavailable(Exception):
    """No answer could be had (timeout, no nameserver answering): nothing can be concluded about the record."""


def _resolver() -> dns.resolver.Resolver:
    nameservers = [ns.strip() for ns in settings.DOMAINS_DNS_NAMESERVERS if ns.strip()]
    resolver = dns.resolver.Resolver(configure=not nameservers)
    if nameservers:
        resolver.nameservers = nameservers
    resolver.port = settings.DOMAINS_DNS_PORT
    resolver.lifetime = settings.DOMAINS_DNS_TIMEOUT
    resolver.cache = None  # a record just published must be seen at the next check
    return resolver


def txt_values(name: str) -> list[str]:
    """The TXT values published at ``name`` (each record's strings joined, as RFC 7208 reads them); [] when the
    name or the record does not exist. Raises :class:`DnsUnavailable` when no answer could be had."""
    try:
        answer = _resolver().resolve(name, "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.LifetimeTimeout) as exc:
        raise DnsUnavailable(str(exc)) from exc
    except dns.exception.DNSException as exc:
        raise DnsUnavailable(str(exc)) from exc
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]
