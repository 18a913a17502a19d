"""``python -m auth0_emulator``: run the emulated tenant."""

from __future__ import annotations

import argparse
import logging
import os

import uvicorn

from .app import create_app
from .config import (
    CLAIMS_IN,
    DEFAULT_RATE_LIMITS,
    OIDC_PROFILES,
    OIDC_SWITCHES,
    TOKEN_AUTH_METHODS,
    EmulatorConfig,
    RateLimit,
    fault_statuses_parse,
    oidc_value_problem,
)


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


def _fault_statuses(text: str) -> tuple[int, ...]:
    try:
        return fault_statuses_parse(text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


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
    p.add_argument("--orgs", type=int, default=10, help="synthetic seed: number of organizations (three or more "
                   "give every membership mode: isolated connection, shared connection, Auth0 Organization)")
    p.add_argument("--big-org-users", type=int, default=0, metavar="N",
                   help="synthetic seed: put N of the users in the first organization (org0000, an isolated "
                        "connection) and spread the others over the rest")
    p.add_argument("--no-rate-limits", action="store_true", help="turn the rate limiter off")
    p.add_argument("--rate-limit", type=_rate_limit, action="append", default=[],
                   metavar="GROUP=BURST/PER_MINUTE", help="override one endpoint group's bucket")
    p.add_argument("--fault-rate", type=float, default=0.0, help="fraction of Management API calls that fail")
    p.add_argument("--fault-status", type=_fault_statuses, default=(503,), metavar="STATUS[,STATUS...]",
                   help="status of injected faults; several (e.g. 500,503): each fault answers one at random")
    p.add_argument("--latency-ms", type=int, default=0, help="added to every Management API call")
    p.add_argument("--search-lag", type=float, default=0.0, help="seconds before writes show in search")
    p.add_argument("--test-controls", action="store_true", help="enable the /emulator/* test controls")
    # Event streams and log streams (pushed changes).
    p.add_argument("--allow-http-destinations", action="store_true",
                   default=env("EMULATOR_ALLOW_HTTP_DESTINATIONS", "") in ("1", "true", "yes"),
                   help="accept http:// webhook and log stream endpoints (Auth0 requires https://), for "
                        "receivers on this machine or a compose network (EMULATOR_ALLOW_HTTP_DESTINATIONS=1)")
    p.add_argument("--delivery-attempts", type=int, default=5, metavar="N",
                   help="event stream deliveries: attempts before a delivery is recorded as failed")
    p.add_argument("--delivery-backoff", type=float, default=1.0, metavar="SECONDS",
                   help="first retry delay of event and log stream deliveries, doubled at each retry")
    p.add_argument("--log-batch-seconds", type=float, default=1.0, metavar="SECONDS",
                   help="log streams: send a batch when 100 events wait or the oldest has waited this long")
    # The OpenID provider's shape (config.OIDC_PROFILES); each switch overrides the profile.
    p.add_argument("--oidc-profile", default=env("EMULATOR_OIDC_PROFILE", "auth0"), metavar="|".join(OIDC_PROFILES),
                   help="auth0 (default), or plain: userinfo, /connect/endsession, client_secret_basic "
                        "(EMULATOR_OIDC_PROFILE)")
    p.add_argument("--claims-in", default=env("EMULATOR_CLAIMS_IN"), metavar="|".join(CLAIMS_IN),
                   help="where profile claims (email, name, ...) go: the ID token, or only /userinfo "
                        "(EMULATOR_CLAIMS_IN)")
    p.add_argument("--end-session-path", default=env("EMULATOR_END_SESSION_PATH"), metavar="PATH",
                   help="path of RP-initiated logout, discovery's end_session_endpoint "
                        "(EMULATOR_END_SESSION_PATH)")
    p.add_argument("--token-auth-method", default=env("EMULATOR_TOKEN_AUTH_METHOD"),
                   metavar="|".join(TOKEN_AUTH_METHODS),
                   help="client authentication the token endpoint accepts (EMULATOR_TOKEN_AUTH_METHOD)")
    p.add_argument("--portal-api-audience", default=env("EMULATOR_PORTAL_API_AUDIENCE", "https://portal.local/api/"),
                   metavar="URL", help="the portal REST API's audience, which the tool clients are granted "
                   "(the portal's PORTAL_API_AUDIENCE; EMULATOR_PORTAL_API_AUDIENCE)")
    a = p.parse_args(argv)
    if a.delivery_attempts < 1 or a.delivery_backoff < 0 or a.log_batch_seconds < 0:
        p.error("--delivery-attempts must be 1 or more, --delivery-backoff and --log-batch-seconds 0 or more")
    if a.users < 0 or a.orgs < 0 or not 0 <= a.big_org_users <= a.users or (a.big_org_users and not a.orgs):
        p.error("--users, --orgs and --big-org-users must be 0 or more, --big-org-users at most --users and "
                "only with --orgs 1 or more")
    oidc = _oidc_settings(p, a)
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
        synthetic_big_org_users=a.big_org_users,
        rate_limits_enabled=not a.no_rate_limits,
        rate_limits=limits,
        fault_rate=a.fault_rate,
        fault_statuses=a.fault_status,
        latency_ms=a.latency_ms,
        search_lag_seconds=a.search_lag,
        test_controls=a.test_controls,
        allow_http_destinations=a.allow_http_destinations,
        delivery_attempts=a.delivery_attempts,
        delivery_backoff_seconds=a.delivery_backoff,
        log_batch_seconds=a.log_batch_seconds,
        portal_api_audience=a.portal_api_audience,
        **oidc,
    )


def _oidc_settings(p: argparse.ArgumentParser, a: argparse.Namespace) -> dict[str, str]:
    """The OIDC switches: the profile's values, each overridden by its own option or variable.
    Checked here rather than with ``choices`` so values from the environment are checked too."""
    if a.oidc_profile not in OIDC_PROFILES:
        p.error(f"--oidc-profile {a.oidc_profile!r}: must be one of {', '.join(OIDC_PROFILES)}")
    values = dict(OIDC_PROFILES[a.oidc_profile])
    for name in OIDC_SWITCHES:
        given = getattr(a, name)
        if given is None:
            continue
        problem = oidc_value_problem(name, given)
        if problem:
            p.error(f"--{name.replace('_', '-')} {given!r}: {problem}")
        values[name] = given
    return values


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = parse_args(argv)
    try:
        app = create_app(config)
    except ValueError as exc:  # a setting only the assembled application can check
        raise SystemExit(f"python -m auth0_emulator: error: {exc}") from None
    uvicorn.run(app, host=config.host, port=config.port, log_level="info", access_log=False)


if __name__ == "__main__":
    main()
