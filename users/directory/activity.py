"""A user's recent Auth0 activity: their newest log events and their brute-force protection blocks.

Views never call Auth0 (DESIGN.md section 4): a user's page shows the copy stored in ``UserActivity``
with its "as of", and asks for a fresh one with :func:`user_activity_refresh_request`, which queues the
task that calls :func:`user_activity_fetch`. Requests are throttled per user (one a minute), so neither
a button nor many people opening the same page can spend the tenant's Management API rate limit.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from auth0_gateway import Auth0NotFound, LogEvent, gateway
from portal.celery import app
from portal.operations import failure_classify
from users.directory.mirror import auth0_time
from users.models import UserActivity

ACTIVITY_TASK = "users.tasks.user_activity_refresh"
EVENTS_KEPT = 50
# At most one fetch of a user's activity is queued per this many seconds.
THROTTLE_SECONDS = 60
# How long a page may say "fetching…" for a queued fetch that has not finished (a lost message ends it).
PENDING_SECONDS = 300
# Opening a user's page fetches their activity again when the stored copy is older than this.
STALE_AFTER = dt.timedelta(minutes=15)

# The parts of a log event the page shows (Auth0 sends more; the rest is not kept).
_EVENT_KEYS = ("log_id", "date", "type", "description", "ip", "client_id", "client_name", "connection",
               "user_agent", "hostname")

# Auth0's log event codes (https://auth0.com/docs/deploy-monitor/logs/log-event-type-codes), as people
# read them.
EVENT_LABELS: dict[str, str] = {
    "s": _("Successful login"),
    "ssa": _("Successful silent authentication"),
    "f": _("Failed login"),
    "fp": _("Failed login (wrong password)"),
    "fu": _("Failed login (unknown email or username)"),
    "fsa": _("Failed silent authentication"),
    "fc": _("Failed login (connection error)"),
    "fcoa": _("Failed cross-origin authentication"),
    "scoa": _("Successful cross-origin authentication"),
    "fco": _("Origin not allowed"),
    "flo": _("Failed logout"),
    "slo": _("Logged out"),
    "ss": _("Signed up"),
    "fs": _("Failed signup"),
    "scp": _("Password changed"),
    "fcp": _("Failed password change"),
    "scpr": _("Password change requested"),
    "fcpr": _("Failed password change request"),
    "sce": _("Email changed"),
    "fce": _("Failed email change"),
    "scu": _("Username changed"),
    "fcu": _("Failed username change"),
    "scpn": _("Phone number changed"),
    "sv": _("Email verified"),
    "fv": _("Failed email verification"),
    "svr": _("Verification email requested"),
    "fvr": _("Failed verification email request"),
    "cls": _("Passwordless code or link sent"),
    "cs": _("Passwordless code sent"),
    "fn": _("Failed to send a notification"),
    "limit_wc": _("Account blocked (too many failed logins)"),
    "limit_sul": _("Blocked (too many logins from one IP address)"),
    "limit_mu": _("IP address blocked (too many accounts tried)"),
    "ublkdu": _("Login block released"),
    "pwd_leak": _("Login with a breached password"),
    "signup_pwd_leak": _("Signup with a breached password"),
    "reset_pwd_leak": _("Password reset with a breached password"),
    "sapi": _("Changed through the Management API"),
    "fapi": _("Failed Management API operation"),
    "seacft": _("Token issued (authorization code)"),
    "feacft": _("Failed token exchange (authorization code)"),
    "seccft": _("Token issued (client credentials)"),
    "feccft": _("Failed token exchange (client credentials)"),
    "sepft": _("Token issued (password)"),
    "fepft": _("Failed token exchange (password)"),
    "sertft": _("Token refreshed"),
    "fertft": _("Failed token refresh"),
    "sd": _("Successful delegation"),
    "fd": _("Failed delegation"),
    "du": _("User deleted"),
    "fdu": _("Failed user deletion"),
    "mfar": _("Multi-factor authentication required"),
    "gd_auth_succeed": _("Multi-factor authentication succeeded"),
    "gd_auth_failed": _("Multi-factor authentication failed"),
    "gd_enrollment_complete": _("Multi-factor enrollment completed"),
    "gd_unenroll": _("Multi-factor device removed"),
    "w": _("Warning during login"),
}


def event_label(event: dict) -> str:
    """What an event was, in words: Auth0's code mapped to a label, else Auth0's own description."""
    code = str(event.get("type") or "")
    if code in EVENT_LABELS:
        return str(EVENT_LABELS[code])
    description = str(event.get("description") or "").strip()
    return description or (gettext("Other event (%(code)s)") % {"code": code} if code else gettext("Unknown event"))


def event_failed(event: dict) -> bool:
    code = str(event.get("type") or "")
    return code.startswith(("f", "limit_")) or code in ("pwd_leak", "gd_auth_failed")


# The events that are a sign-in or an attempt at one: what a person's own profile lists, so that one they do
# not recognise stands out.
SIGN_IN_EVENTS = frozenset({
    "s", "ssa", "scoa", "f", "fp", "fu", "fsa", "fc", "fcoa", "limit_wc", "limit_sul", "limit_mu", "pwd_leak",
    "mfar", "gd_auth_succeed", "gd_auth_failed", "ublkdu",
})


def event_is_sign_in(event: dict) -> bool:
    return str(event.get("type") or "") in SIGN_IN_EVENTS


_BROWSERS = (  # the first match wins: Edge and Opera say "Chrome" too, Chrome says "Safari"
    ("Edge", r"Edg(?:e|A|iOS)?/(\d+)"),
    ("Opera", r"(?:OPR|Opera)/(\d+)"),
    ("Samsung Internet", r"SamsungBrowser/(\d+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+)"),
    ("Chrome", r"(?:Chrome|CriOS)/(\d+)"),
    ("Safari", r"Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/"),
    ("curl", r"curl/([\d.]+)"),
    ("Python requests", r"python-requests/([\d.]+)"),
    ("Python httpx", r"python-httpx/([\d.]+)"),
    ("Node.js", r"node(?:-fetch)?/v?([\d.]+)"),
)
_SYSTEMS = (
    ("iOS", r"iPhone|iPad|iPod"),
    ("Android", r"Android"),
    ("Windows", r"Windows"),
    ("ChromeOS", r"CrOS"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("Linux", r"Linux|X11"),
)


def device_of(user_agent: str) -> str:
    """A browser and system people recognise ("Firefox 128 on Windows") from a User-Agent header."""
    user_agent = (user_agent or "").strip()
    if not user_agent:
        return ""
    browser = ""
    for name, pattern in _BROWSERS:
        if match := re.search(pattern, user_agent):
            browser = f"{name} {match.group(1)}"
            break
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), "")
    if browser and system:
        return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or user_agent[:80]


def _event_kept(event: LogEvent) -> dict:
    return {key: event[key] for key in _EVENT_KEYS if event.get(key) not in (None, "")}  # type: ignore[literal-required]


def _newest_first(events: list[dict]) -> list[dict]:
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(events, key=lambda e: auth0_time(e.get("date")) or epoch, reverse=True)


# -- queueing, throttled -------------------------------------------------------------------------
def _throttle_key(user_id: str) -> str:
    return f"activity:refresh-throttle:{user_id}"


def _pending_key(user_id: str) -> str:
    return f"activity:refresh-pending:{user_id}"


def user_activity_refresh_request(user_id: str) -> bool:
    """Queue a fetch of the user's activity (once the current transaction commits); False when one was
    queued less than :data:`THROTTLE_SECONDS` ago, which then stands for this request too."""
    if not cache.add(_throttle_key(user_id), 1, timeout=THROTTLE_SECONDS):
        return False
    cache.set(_pending_key(user_id), 1, timeout=PENDING_SECONDS)
    transaction.on_commit(lambda: app.send_task(ACTIVITY_TASK, args=[user_id]))
    return True


def user_activity_refresh_pending(user_id: str) -> bool:
    """Whether a fetch was queued and has not finished yet (what the page waits for)."""
    return bool(cache.get(_pending_key(user_id)))


def user_activity_refresh_if_due(
    user_id: str, activity: UserActivity | None, *, now: dt.datetime | None = None,
) -> bool:
    """Opening a user's page: queue a fetch if their activity was never asked for, or is older than
    :data:`STALE_AFTER`. A first attempt that failed is not repeated by opening the page (the refresh
    button is there), so an unreachable Auth0 is not asked again on every visit."""
    now = now or timezone.now()
    if activity is not None and (activity.fetched_at is None or activity.fetched_at > now - STALE_AFTER):
        return False
    return user_activity_refresh_request(user_id)


# -- the task's work -----------------------------------------------------------------------------
def user_activity_fetch(*, user_id: str) -> UserActivity:
    """Read the user's newest log events (up to :data:`EVENTS_KEPT`, newest first) and brute-force
    blocks from Auth0, and store them with the time they were read.

    When Auth0 fails, the events stored before stay, the failure is recorded in ``last_error`` and the
    exception goes on to the task (which retries passing faults). A user Auth0 no longer has is recorded
    the same way, without an exception: there is nothing to retry.
    """
    activity, _ = UserActivity.objects.get_or_create(user_id=user_id)
    auth0 = gateway()
    try:
        page = auth0.user_logs_page(user_id=user_id, per_page=EVENTS_KEPT, sort="date:-1")
        blocks = auth0.user_blocks_get(user_id=user_id)
    except Auth0NotFound:
        _failure_record(activity, "Auth0 has no such user any more.")
        return activity
    except Exception as exc:
        _failure_record(activity, failure_classify(exc).message)
        raise
    activity.events = _newest_first([_event_kept(e) for e in page.logs])[:EVENTS_KEPT]
    activity.blocks = [{"identifier": b.identifier or "", "ip": b.ip or "", "connection": b.connection or ""}
                       for b in blocks]
    activity.fetched_at = timezone.now()
    activity.last_error = ""
    activity.save(update_fields=["events", "blocks", "fetched_at", "last_error"])
    cache.delete(_pending_key(user_id))  # after the save: a page waiting for it reloads onto the new copy
    return activity


def _failure_record(activity: UserActivity, message: str) -> None:
    activity.last_error = message
    activity.save(update_fields=["last_error"])
    cache.delete(_pending_key(activity.user_id))
