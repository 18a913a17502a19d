"""The tests' emulator helper trusts only its own process: a port taken by someone else between
``free_port()`` and the emulator's bind must not leave the tests talking to the other listener."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from tests.support.processes import EmulatorProcess


class _Impostor(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def test_a_port_taken_before_the_bind_moves_the_emulator_elsewhere(tmp_path: Path) -> None:
    emu = EmulatorProcess(tmp_path, "--seed", "empty", "--no-rate-limits")
    impostor = ThreadingHTTPServer(("127.0.0.1", emu.port), _Impostor)
    taken = emu.port
    threading.Thread(target=impostor.serve_forever, daemon=True).start()
    try:
        emu.start()
        assert emu.port != taken
        issuer = httpx.get(f"{emu.url}/.well-known/openid-configuration").json()["issuer"]
        assert issuer.startswith(f"http://127.0.0.1:{emu.port}")
    finally:
        emu.stop()
        impostor.shutdown()
        impostor.server_close()
