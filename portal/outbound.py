"""Outbound HTTP to an address someone else chose (a tool's webhook URL): the public internet only.

The portal POSTs to URLs that company admins type in. Unchecked, such a URL reaches inside: this machine
(127.0.0.1, [::1], localhost and the Auth0 emulator beside the portal), the private network, the cloud's
metadata service (169.254.169.254). This module is the policy, in one place, for any app to use:

- **Addresses** (``address_refusal``): only global unicast addresses. Refused: unspecified, loopback,
  link-local, multicast, shared (carrier-grade NAT, 100.64/10), private, reserved, and whatever else
  Python's ``ipaddress`` does not call global, in IPv4 and IPv6. An IPv4 address carried inside IPv6
  (``::ffff:a.b.c.d``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``) is judged as the IPv4 address it reaches.
  Loopback alone may be allowed (``OutboundPolicy.allow_loopback``), for development.
- **Hosts** are read the way the system resolver reads them (``host_address_literal``): ``127.1``,
  ``2130706433``, ``0177.0.0.1`` and ``0x7f.0.0.1`` are all 127.0.0.1, as ``inet_aton`` says. ``localhost``
  and ``*.localhost`` are loopback without asking DNS (RFC 6761). Any other name is resolved, and every
  address it resolves to must pass: a name with one private address among public ones is refused.
- **Schemes**: https; plain http only to loopback, and only where loopback is allowed.
- **Sending** (``outbound_post``): the name is resolved once, every address checked, and the connection
  made to a checked address (pinned), so a name that answers differently the second time (DNS rebinding)
  gains nothing; the socket's peer is checked once more when connected. TLS still names (SNI) and verifies
  the certificate against the URL's host, and the Host header is the URL's. No redirects are followed, no
  proxy is taken from the environment (it would be the proxy's address that was checked), the answer's
  body is read to at most ``max_body`` bytes, and one deadline bounds the whole exchange (connect, TLS,
  send, answer), so a receiver that drips its answer a byte at a time cannot hold a worker.

A refusal is ``OutboundRefused``, with a sentence for the person who typed the URL; it is permanent
(trying again will not help). A name that does not resolve, a refused connection or a timeout are
``httpx`` errors, which may pass.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import ssl
import time
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598; Python calls it neither private nor global
_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                              "fc00::/7", "fec0::/10")]  # fec0::/10: site-local, deprecated
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052's well-known prefix: the last 32 bits are IPv4
# What inet_aton takes: one to four parts, each decimal, octal (leading 0) or hex (0x). Only such hosts
# are read as numbers; inet_aton itself also takes trailing junk after a space, which no resolver does.
_INET_ATON_FORM = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", re.IGNORECASE)
_DEFAULT_PORTS = {"https": 443, "http": 80}


class OutboundRefused(Exception):
    """The policy refuses this URL or address: permanent, the message says why to the person who set it."""


class HostUnresolved(Exception):
    """The name did not resolve (it may later)."""


@dataclass(frozen=True)
class OutboundPolicy:
    """What may be reached beyond the public internet: by default nothing."""

    # This machine (loopback), for a developer's local receiver. Never private ranges.
    allow_loopback: bool = False
    # Ports of this machine that stay refused even so: the portal's own services (its Auth0 emulator, the
    # portal itself), which are not receivers and which a POST could change.
    loopback_ports_refused: frozenset[int] = frozenset()

    def https_message(self) -> str:
        if self.allow_loopback:
            return _("Enter an https:// address (http:// only for this machine, e.g. http://127.0.0.1:9000/hook).")
        return _("Enter an https:// address.")


@dataclass(frozen=True)
class OutboundTarget:
    scheme: str
    host: str  # as the connection names it: IDNA-encoded, an IPv6 address without brackets
    port: int


@dataclass(frozen=True)
class OutboundAnswer:
    status_code: int
    body: bytes  # at most the max_body asked for


# -- addresses -------------------------------------------------------------------------------------------------
def address_embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches when it carries one (mapped, 6to4, NAT64), else None."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_is_loopback(address: IPAddress) -> bool:
    embedded = address_embedded_ipv4(address)
    return (embedded or address).is_loopback


def address_refusal(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why the address may not be reached ("a private network address"), or None when it may."""
    embedded = address_embedded_ipv4(address)
    if embedded is not None:
        return address_refusal(embedded, allow_loopback=allow_loopback)
    if address.is_unspecified:
        return _("the unspecified address (it reaches this machine)")
    if address.is_loopback:
        return None if allow_loopback else _("a loopback address (this machine)")
    if address.is_link_local:
        return _("a link-local address (where cloud metadata services answer)")
    if address.is_multicast:
        return _("a multicast address")
    if address in _SHARED:
        return _("a shared address (carrier-grade NAT)")
    if any(address in network for network in _PRIVATE):
        return _("a private network address")
    if address.is_reserved:
        return _("a reserved address")
    if not address.is_global:
        return _("not a public internet address")
    return None


# -- hosts -----------------------------------------------------------------------------------------------------
def host_address_literal(host: str) -> IPAddress | None:
    """The address a host names as a number, read as the system resolver reads it, or None for a name.
    "127.1", "2130706433", "0177.0.0.1" and "0x7f.0.0.1" are 127.0.0.1 to getaddrinfo (inet_aton), though
    ``ipaddress`` refuses them: read them the resolver's way, or they would pass for names."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _INET_ATON_FORM.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:  # out of range (4294967296): the resolver would look it up as a name
            return None
    return None


def host_is_localhost_name(host: str) -> bool:
    """localhost and its subdomains are this machine whatever DNS says (RFC 6761)."""
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def host_lookup(host: str, port: int) -> list[IPAddress]:
    """Ask the system resolver (DNS, /etc/hosts) for a name's addresses. Tests replace this."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise HostUnresolved(f"{host} could not be resolved: {exc}") from None
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def host_addresses(host: str, port: int) -> list[IPAddress]:
    """Every address the host stands for, in the resolver's order, each once."""
    literal = host_address_literal(host)
    if literal is not None:
        return [literal]
    if host_is_localhost_name(host):
        return [ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1")]
    return list(dict.fromkeys(host_lookup(host, port)))


# -- URLs ------------------------------------------------------------------------------------------------------
def url_target(url: str, policy: OutboundPolicy) -> OutboundTarget:
    """Where the URL leads, as httpx will connect (its parser, not another that might read the host
    differently), refusing what no address can make right: another scheme, or http where loopback is not
    allowed. Asks no resolver."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        _url_unparsed_refuse(url, policy)
        raise OutboundRefused(_("Enter a valid address: %(problem)s.") % {"problem": exc}) from None
    if parsed.scheme not in _DEFAULT_PORTS or not parsed.raw_host:
        raise OutboundRefused(policy.https_message())
    if parsed.scheme == "http" and not policy.allow_loopback:
        raise OutboundRefused(policy.https_message())
    return OutboundTarget(scheme=parsed.scheme, host=parsed.raw_host.decode("ascii"),
                          port=parsed.port or _DEFAULT_PORTS[parsed.scheme])


def _url_unparsed_refuse(url: str, policy: OutboundPolicy) -> None:
    """A URL httpx cannot send may still name an address the policy refuses (0177.0.0.1, which httpx reads
    as a bad dotted quad and the resolver as 127.0.0.1): say that, rather than only that it is malformed."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return
    literal = host_address_literal(host) if host else None
    reason = literal and address_refusal(literal, allow_loopback=policy.allow_loopback)
    if host and literal and reason:
        raise OutboundRefused(_address_refused(host, literal, reason))


def target_addresses_check(target: OutboundTarget, addresses: Iterable[IPAddress], policy: OutboundPolicy) -> None:
    """Refuse the target unless every address it resolved to may be reached, and over plain http only
    loopback ones."""
    addresses = list(addresses)
    for address in addresses:
        reason = address_refusal(address, allow_loopback=policy.allow_loopback)
        if reason is not None:
            raise OutboundRefused(_address_refused(target.host, address, reason))
        if address_is_loopback(address) and target.port in policy.loopback_ports_refused:
            raise OutboundRefused(_("Port %(port)s of this machine is one of the portal's own services (its Auth0 "
                                    "tenant, or the portal itself), not a receiver.") % {"port": target.port})
    if target.scheme == "http" and not all(address_is_loopback(a) for a in addresses):
        raise OutboundRefused(policy.https_message())


def _address_refused(host: str, address: IPAddress, reason: str) -> str:
    """Why the host may not be reached (``reason``: :func:`address_refusal`'s), naming it as the person typed it,
    with the address it stands for when that is not plain to see."""
    said = {"host": host, "address": _address_said(address), "reason": reason}
    if host_is_localhost_name(host):
        return _("%(host)s is %(reason)s: the portal sends only to public internet addresses.") % said
    if host_address_literal(host) is None:
        return _("%(host)s resolves to %(address)s, which is %(reason)s: the portal sends only to public internet "
                 "addresses.") % said
    try:
        ipaddress.ip_address(host)  # written the usual way: plain to see
    except ValueError:  # 2130706433 (127.0.0.1): the address the number stands for
        return _("%(host)s (%(address)s) is %(reason)s: the portal sends only to public internet addresses.") % said
    return _("%(host)s is %(reason)s: the portal sends only to public internet addresses.") % said


def _address_said(address: IPAddress) -> str:
    # Python before 3.13 writes ::ffff:127.0.0.1 as ::ffff:7f00:1, which hides the IPv4 address
    mapped = getattr(address, "ipv4_mapped", None)
    return f"::ffff:{mapped}" if mapped is not None else str(address)


def url_loopback_port(url: str) -> int | None:
    """The port of a URL on this machine (a loopback address or localhost, no DNS asked), else None."""
    try:
        target = url_target(url, OutboundPolicy(allow_loopback=True))
    except OutboundRefused:
        return None
    address = host_address_literal(target.host)
    on_this_machine = host_is_localhost_name(target.host) or (address is not None and address_is_loopback(address))
    return target.port if on_this_machine else None


def url_check(url: str, policy: OutboundPolicy) -> OutboundTarget:
    """Check a URL when it is set: its form, and every address its host resolves to now. Sending checks
    again (``outbound_post``): what a name resolves to may change."""
    target = url_target(url, policy)
    try:
        addresses = host_addresses(target.host, target.port)
    except HostUnresolved:
        if target.scheme == "http":  # plain http is for this machine, and this is no name of it
            raise OutboundRefused(policy.https_message()) from None
        raise OutboundRefused(_("%(host)s could not be found (DNS): check the address.") % {
            "host": target.host}) from None
    target_addresses_check(target, addresses, policy)
    return target


# -- sending ---------------------------------------------------------------------------------------------------
_DEADLINE_PASSED = "The time allowed for the whole exchange ran out."


def _time_left(deadline: float, timeout: float | None, error: type[Exception]) -> float:
    """The timeout for one step: what the step allows, and never past the exchange's deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise error(_DEADLINE_PASSED)
    return left if timeout is None else min(timeout, left)


@contextlib.contextmanager
def _deadline_said(deadline: float) -> Iterator[None]:
    """A step that timed out because the exchange's deadline came says so (the socket says "timed out")."""
    try:
        yield
    except (httpcore.ReadTimeout, httpcore.WriteTimeout, httpcore.ConnectTimeout) as exc:
        if time.monotonic() >= deadline:
            raise type(exc)(_DEADLINE_PASSED) from None
        raise


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends by the deadline: the per-read timeout
    alone lets an answer that drips a byte at a time go on for ever."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _deadline_said(self._deadline):
            return self._stream.read(max_bytes, _time_left(self._deadline, timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        with _deadline_said(self._deadline):
            self._stream.write(buffer, _time_left(self._deadline, timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        # server_hostname is the URL's host (httpcore passes it), not the pinned address: SNI and the
        # certificate check are against the name.
        with _deadline_said(self._deadline):
            stream = self._stream.start_tls(ssl_context, server_hostname,
                                            _time_left(self._deadline, timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """httpcore's sockets, opened only to checked addresses: resolve once, check every address, connect to
    one of them by number, then check the peer of the socket actually opened."""

    def __init__(self, target: OutboundTarget, policy: OutboundPolicy, deadline: float) -> None:
        self._target = target
        self._policy = policy
        self._deadline = deadline
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        target = OutboundTarget(scheme=self._target.scheme, host=host, port=port)
        try:
            addresses = host_addresses(host, port)
        except HostUnresolved as exc:
            raise httpcore.ConnectError(str(exc)) from None
        target_addresses_check(target, addresses, self._policy)
        failure: Exception | None = None
        for address in addresses:
            try:
                with _deadline_said(self._deadline):
                    stream = self._sockets.connect_tcp(
                        str(address), port, timeout=_time_left(self._deadline, timeout, httpcore.ConnectTimeout),
                        local_address=local_address, socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # the next address, as create_connection would
                continue
            self._peer_check(stream, target)
            return _DeadlineStream(stream, self._deadline)
        raise failure or httpcore.ConnectError(f"{host} has no address")

    def _peer_check(self, stream: httpcore.NetworkStream, target: OutboundTarget) -> None:
        peer = ipaddress.ip_address(stream.get_extra_info("socket").getpeername()[0])
        try:
            target_addresses_check(target, [peer], self._policy)
        except OutboundRefused:
            stream.close()
            raise

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        raise OutboundRefused("Unix sockets are not reachable from outside.")

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)


def _transport_pinned(backend: _PinnedBackend, ssl_context: ssl.SSLContext) -> httpx.HTTPTransport:
    """An httpx transport over ``backend``. httpx takes no network backend, so its connection pool is
    replaced by one built on ours; should a later httpx keep its pool elsewhere, this fails here rather
    than send through an unchecked one."""
    transport = httpx.HTTPTransport(verify=ssl_context, retries=0)
    if not isinstance(getattr(transport, "_pool", None), httpcore.ConnectionPool):
        raise RuntimeError("httpx.HTTPTransport no longer keeps an httpcore.ConnectionPool in _pool")
    transport._pool = httpcore.ConnectionPool(ssl_context=ssl_context, max_connections=1, retries=0,
                                              network_backend=backend)
    return transport


def _body_read_capped(response: httpx.Response, max_body: int) -> bytes:
    """At most ``max_body`` bytes of the answer, as sent (not decompressed: a small gzip body can inflate
    to gigabytes); the rest is never read."""
    body = bytearray()
    for chunk in response.iter_raw():
        body += chunk[: max_body - len(body)]
        if len(body) >= max_body:
            break
    return bytes(body)


def outbound_get(url: str, *, policy: OutboundPolicy, timeout: float, max_body: int,
                 ssl_context: ssl.SSLContext | None = None) -> OutboundAnswer:
    """GET ``url`` under ``policy``, as :func:`outbound_post` posts (a document someone named, e.g. an identity
    provider's metadata)."""
    target = url_target(url, policy)
    deadline = time.monotonic() + timeout
    transport = _transport_pinned(_PinnedBackend(target, policy, deadline),
                                  ssl_context or httpx.create_ssl_context())
    client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)
    with client, client.stream("GET", url, headers={"accept-encoding": "identity"}) as response:
        body = _body_read_capped(response, max_body)
    return OutboundAnswer(status_code=response.status_code, body=body)


def outbound_post(url: str, *, content: bytes | str, headers: Mapping[str, str], policy: OutboundPolicy,
                  timeout: float, max_body: int, ssl_context: ssl.SSLContext | None = None) -> OutboundAnswer:
    """POST to ``url`` under ``policy``, the whole exchange within ``timeout`` seconds. OutboundRefused when
    the policy refuses the URL or an address its host resolves to now; an httpx.HTTPError when the receiver
    cannot be reached or is too slow. A redirect is an answer like any other, not followed."""
    target = url_target(url, policy)
    deadline = time.monotonic() + timeout
    transport = _transport_pinned(_PinnedBackend(target, policy, deadline),
                                  ssl_context or httpx.create_ssl_context())
    client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)
    with client, client.stream("POST", url, content=content,
                               headers={"accept-encoding": "identity", **headers}) as response:
        body = _body_read_capped(response, max_body)
    return OutboundAnswer(status_code=response.status_code, body=body)
