"""The outbound address policy (portal.outbound) on its own: how hosts are read, which addresses are refused
and why, and how a POST is sent: pinned to the checked address with TLS still verified against the name, no
redirect followed, the answer read to a cap, the whole exchange within one deadline. Against servers on
loopback ports, with a resolver the tests control (tests/support/outbound.py)."""

from __future__ import annotations

import ipaddress
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from portal.outbound import (
    OutboundPolicy,
    OutboundRefused,
    address_refusal,
    host_address_literal,
    outbound_post,
    url_check,
)
from tests.support.outbound import PUBLIC_ADDRESS, AnswerServer, ConnectionListener, dns_fake, tls_contexts

LOOPBACK_ALLOWED = OutboundPolicy(allow_loopback=True)


@pytest.mark.parametrize(("host", "address"), [
    ("127.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"), ("0x7f.0.0.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("10.1", "10.0.0.1"),
    ("[::1]", "::1"), ("::ffff:127.0.0.1", "::ffff:127.0.0.1"), ("8.8.8.8", "8.8.8.8"),
])
def test_a_host_written_as_a_number_is_read_as_the_system_resolver_reads_it(host: str, address: str) -> None:
    assert host_address_literal(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["example.com", "4294967296", "1.2.3.4.5", "127.0.0.1 x", "0x", "localhost"])
def test_a_host_that_is_no_number_to_the_resolver_is_a_name(host: str) -> None:
    assert host_address_literal(host) is None


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"), ("2002:7f00:1::", "loopback"),  # mapped and 6to4 carry IPv4
    ("10.0.0.1", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fc00::1", "private"),
    ("64:ff9b::a00:1", "private"),  # NAT64 to 10.0.0.1
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("100.64.0.1", "shared"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),  # noqa: S104 - refused here, bound nowhere
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"), ("192.0.2.1", "not a public"),
    ("198.18.0.1", "not a public"), ("2001:db8::1", "not a public"),
])
def test_every_address_but_a_public_one_is_refused_with_its_reason(address: str, reason: str) -> None:
    refusal = address_refusal(ipaddress.ip_address(address))
    assert refusal is not None and reason in refusal


@pytest.mark.parametrize("address", ["8.8.8.8", PUBLIC_ADDRESS, "2606:4700::1111", "64:ff9b::808:808",
                                     "2002:808:808::1"])
def test_a_public_address_passes(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


def test_allowing_loopback_allows_loopback_alone() -> None:
    assert address_refusal(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is None
    assert address_refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allow_loopback=True) is None
    for inside in ("10.0.0.1", "169.254.169.254", "0.0.0.0", "fc00::1"):  # noqa: S104 - refused, not bound
        assert address_refusal(ipaddress.ip_address(inside), allow_loopback=True) is not None


def test_a_name_is_refused_when_any_of_its_addresses_is(monkeypatch) -> None:
    dns = dns_fake(monkeypatch)
    dns.names["mixed.example.test"] = [PUBLIC_ADDRESS, "10.0.0.7"]
    dns.names["public.example.test"] = [PUBLIC_ADDRESS]
    with pytest.raises(OutboundRefused, match=r"mixed.example.test resolves to 10.0.0.7, which is a private"):
        url_check("https://mixed.example.test/hook", OutboundPolicy())
    assert url_check("https://public.example.test/hook", OutboundPolicy()).host == "public.example.test"
    # localhost is this machine whatever a resolver says, and is never asked about
    with pytest.raises(OutboundRefused, match="localhost is a loopback address"):
        url_check("https://api.localhost/hook", OutboundPolicy())
    assert "api.localhost" not in dns.lookups


def test_plain_http_only_to_loopback_and_only_where_it_is_allowed(monkeypatch) -> None:
    dns_fake(monkeypatch).names["public.example.test"] = [PUBLIC_ADDRESS]
    assert url_check("http://127.0.0.1:9000/hook", LOOPBACK_ALLOWED).port == 9000
    with pytest.raises(OutboundRefused, match=r"^Enter an https:// address\.$"):
        url_check("http://127.0.0.1:9000/hook", OutboundPolicy())
    with pytest.raises(OutboundRefused, match=r"http:// only for this machine"):
        url_check("http://public.example.test/hook", LOOPBACK_ALLOWED)
    with pytest.raises(OutboundRefused, match="could not be found"):
        url_check("https://nowhere.example.test/hook", OutboundPolicy())


def test_the_portals_own_ports_stay_refused_where_loopback_is_allowed() -> None:
    policy = OutboundPolicy(allow_loopback=True, loopback_ports_refused=frozenset({8900}))
    for url in ("http://127.0.0.1:8900/api/v2/users", "http://localhost:8900/", "http://[::1]:8900/",
                "http://127.0.0.2:8900/"):
        with pytest.raises(OutboundRefused, match="one of the portal's own services"):
            url_check(url, policy)
    assert url_check("http://127.0.0.1:8901/", policy).port == 8901


# -- sending ---------------------------------------------------------------------------------------------------
def _answer_ok(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "2")
    handler.end_headers()
    handler.wfile.write(b"ok")


def test_the_connection_goes_to_the_address_checked_not_to_a_second_lookup(monkeypatch) -> None:
    """A name resolved once: the check and the connection use the same answer, so one that changes on the
    second lookup (DNS rebinding) changes nothing; the request still names the host."""
    server = AnswerServer(_answer_ok)
    try:
        dns = dns_fake(monkeypatch)
        dns.names["hooks.example.test"] = ["127.0.0.1"]
        dns.after_first["hooks.example.test"] = ["10.0.0.1"]
        answer = outbound_post(f"http://hooks.example.test:{server.port}/hook", content=b"{}", headers={},
                               policy=LOOPBACK_ALLOWED, timeout=10, max_body=1024)
    finally:
        server.close()
    assert (answer.status_code, answer.body) == (200, b"ok")
    assert dns.lookups == ["hooks.example.test"]
    assert server.requests == [{"path": "/hook", "host": f"hooks.example.test:{server.port}"}]


def test_a_name_that_resolves_inside_when_sending_is_refused_before_connecting(monkeypatch) -> None:
    listener = ConnectionListener()
    try:
        dns_fake(monkeypatch).names["hooks.example.test"] = ["127.0.0.1"]
        with pytest.raises(OutboundRefused, match="resolves to 127.0.0.1, which is a loopback address"):
            outbound_post(f"https://hooks.example.test:{listener.port}/hook", content=b"{}", headers={},
                          policy=OutboundPolicy(), timeout=10, max_body=1024)
        assert not listener.connected()
    finally:
        listener.close()


def test_tls_to_a_pinned_address_still_names_and_verifies_the_host(monkeypatch, tmp_path) -> None:
    server_tls, client_tls = tls_contexts(tmp_path, "hooks.example.test")
    server = AnswerServer(_answer_ok, ssl_context=server_tls)
    try:
        dns = dns_fake(monkeypatch)
        dns.names["hooks.example.test"] = ["127.0.0.1"]
        dns.names["other.example.test"] = ["127.0.0.1"]
        answer = outbound_post(f"https://hooks.example.test:{server.port}/hook", content=b"{}", headers={},
                               policy=LOOPBACK_ALLOWED, timeout=10, max_body=1024, ssl_context=client_tls)
        assert answer.status_code == 200
        assert server.server_names == ["hooks.example.test"]  # SNI: the name, not the address
        # The same address under a name the certificate does not carry: refused by TLS, not sent.
        with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
            outbound_post(f"https://other.example.test:{server.port}/hook", content=b"{}", headers={},
                          policy=LOOPBACK_ALLOWED, timeout=10, max_body=1024, ssl_context=client_tls)
        assert len(server.requests) == 1
    finally:
        server.close()


def test_a_redirect_is_an_answer_not_followed() -> None:
    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(307)
        handler.send_header("Location", "/elsewhere")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server = AnswerServer(redirect)
    try:
        answer = outbound_post(f"http://127.0.0.1:{server.port}/hook", content=b"{}", headers={},
                               policy=LOOPBACK_ALLOWED, timeout=10, max_body=1024)
    finally:
        server.close()
    assert answer.status_code == 307
    assert [r["path"] for r in server.requests] == ["/hook"]


def test_a_huge_answer_is_read_only_to_the_cap() -> None:
    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(50 * 1024 * 1024))
        handler.end_headers()
        chunk = b"x" * 65536
        for _ in range(800):
            handler.wfile.write(chunk)

    server = AnswerServer(huge)
    try:
        answer = outbound_post(f"http://127.0.0.1:{server.port}/hook", content=b"{}", headers={},
                               policy=LOOPBACK_ALLOWED, timeout=10, max_body=64 * 1024)
    finally:
        server.close()
    assert answer.status_code == 200 and len(answer.body) == 64 * 1024


def test_an_answer_dripped_a_byte_at_a_time_ends_at_the_deadline() -> None:
    """Each byte comes well within a read's timeout, so only the deadline of the whole exchange ends it."""
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(200):  # 10 s: were there no deadline, each byte would still come within a read's timeout
            if server.stop.is_set():
                break
            handler.wfile.write(b"x")
            handler.wfile.flush()
            server.stop.wait(0.05)

    server = AnswerServer(drip)
    try:
        with pytest.raises(httpx.ReadTimeout, match="time allowed for the whole exchange ran out"):
            outbound_post(f"http://127.0.0.1:{server.port}/hook", content=b"{}", headers={},
                          policy=LOOPBACK_ALLOWED, timeout=1, max_body=64 * 1024)
    finally:
        server.close()
