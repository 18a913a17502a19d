"""``python -m auth0_emulator``: run the emulated tenant."""

from __future__ import annotations

import argparse
import logging
import os

import uvicorn

from .app import create_app
from .config import DEFAULT_RATE_LIMITS, EmulatorConfig, RateLimit


def _rate_limit(text: str) -> tuple[str, RateLimit]:
    # group=burst/per_minute, e.g. read_users=40/500
    try:
        group, spec = text.split("=", 1)
        burst, per_minute = spec.split("/", 1)
        if group not in DEFAULT_RATE_LIMITS:
            raise ValueError(f"unknown group {group!r}")
        return group, RateLimit(int(burst), int(per_minute))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected GROUP=BURST/PER_MINUTE with GROUP one of {', '.join(DEFAULT_RATE_LIMITS)}"
        ) from exc


def parse_args(argv: list[str] | None = None) -> EmulatorConfig:
    p = argparse.ArgumentParser(prog="python -m auth0_emulator", description=__doc__)
    # Defaults also come from EMULATOR_* variables, so compose and the Procfile run the same command.
    env = os.environ.get
    p.add_argument("--host", default=env("EMULATOR_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env("EMULATOR_PORT", "8900")))
    p.add_argument("--public-url", default=env("EMULATOR_PUBLIC_URL"),
                   help="URL browsers use to reach the emulator (default http://HOST:PORT)")
    p.add_argument("--data", default=env("EMULATOR_DATA", "var/auth0-emulator.sqlite3"),
                   help="SQLite file holding the tenant")
    p.add_argument("--seed", choices=["demo", "empty", "synthetic"], default="demo",
                   help="what to load into an empty data file (an existing tenant is kept)")
    p.add_argument("--users", type=int, default=1000, help="synthetic seed: number of users")
    p.add_argument("--orgs", type=int, default=10, help="synthetic seed: number of organizations")
    p.add_argument("--no-rate-limits", action="store_true", help="turn the rate limiter off")
    p.add_argument("--rate-limit", type=_rate_limit, action="append", default=[],
                   metavar="GROUP=BURST/PER_MINUTE", help="override one endpoint group's bucket")
    p.add_argument("--fault-rate", type=float, default=0.0, help="fraction of Management API calls that fail")
    p.add_argument("--fault-status", type=int, default=503, help="status of injected faults")
    p.add_argument("--latency-ms", type=int, default=0, help="added to every Management API call")
    p.add_argument("--search-lag", type=float, default=0.0, help="seconds before writes show in search")
    p.add_argument("--test-controls", action="store_true", help="enable the /emulator/* test controls")
    a = p.parse_args(argv)
    limits = dict(DEFAULT_RATE_LIMITS)
    limits.update(dict(a.rate_limit))
    return EmulatorConfig(
        host=a.host,
        port=a.port,
        public_url=a.public_url or f"http://{a.host}:{a.port}",
        data_file=a.data,
        seed=a.seed,
        synthetic_users=a.users,
        synthetic_orgs=a.orgs,
        rate_limits_enabled=not a.no_rate_limits,
        rate_limits=limits,
        fault_rate=a.fault_rate,
        fault_status=a.fault_status,
        latency_ms=a.latency_ms,
        search_lag_seconds=a.search_lag,
        test_controls=a.test_controls,
    )


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = parse_args(argv)
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="info",
                access_log=False)


if __name__ == "__main__":
    main()
