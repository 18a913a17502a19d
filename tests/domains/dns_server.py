"""A tiny authoritative DNS server on loopback for the tests: answers TXT queries from a dict it holds (built with
dnspython's message API), so verified domains are checked by the real resolver code over real UDP."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class LoopbackDns:
    """``records``: name (no trailing dot, lower case) -> TXT values published there. Change it at will."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.queries: list[str] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="loopback-dns", daemon=True)

    def publish(self, name: str, value: str) -> None:
        self.records.setdefault(name.lower().rstrip("."), []).append(value)

    def unpublish(self, name: str) -> None:
        self.records.pop(name.lower().rstrip("."), None)

    def _answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        self.queries.append(name)
        values = self.records.get(name)
        if values is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.TXT:
            texts = ['"' + v.replace('"', '\\"') + '"' for v in values]
            response.answer.append(dns.rrset.from_text_list(question.name, 60, dns.rdataclass.IN,
                                                            dns.rdatatype.TXT, texts))
        return response.to_wire()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                wire, peer = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self._socket.sendto(self._answer(wire), peer)

    def start(self) -> LoopbackDns:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=2)
        self._socket.close()


@contextmanager
def loopback_dns() -> Iterator[LoopbackDns]:
    server = LoopbackDns().start()
    try:
        yield server
    finally:
        server.stop()
