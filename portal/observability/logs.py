"""Logs: JSON lines in production, plain readable lines in the embedded mode, both with the context of the work
(request id, organization, operation, Celery task) and neither with a secret.

- **Context** lives in structlog's context variables: the web request binds its request id (``X-Request-ID``,
  or a new one) and the organization of its URL; a task sent while they are bound carries them in its message
  headers (``portal_context``), and the worker binds them again with its own task id; the operation runner
  binds the operation id. Every log line, the standard library's too, carries what is bound.
- **Redaction**: :class:`RedactSecrets` (a logging filter on the console handler) and the formatters (on the
  finished line, tracebacks included) replace the values of known secret keys (password, client_secret,
  tokens…), bearer tokens, JWTs, the passwords of URLs, Auth0 ticket URLs' tickets and the configured secrets
  themselves (SECRET_KEY, the Auth0 client secrets, METRICS_TOKEN, …).

``LOG_FORMAT``: ``json`` (the production default) or ``plain`` (the other profiles' default).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars, get_contextvars, merge_contextvars

REDACTED = "[redacted]"
# Header of a Celery message that carries the sender's context to the task.
CONTEXT_HEADER = "portal_context"
CARRIED = ("request_id", "organization", "operation_id")

# The names of secrets (not secrets): their values are replaced wherever a key of these names is written.
_SECRET_NAMES = ("password", "passwd", "client_secret", "secret", "token", "access_token", "refresh_token", "id_token",
                 "api_key", "apikey", "authorization", "cookie", "sessionid", "csrftoken", "ticket", "stream_token",
                 "metrics_token", "secret_key")
_SECRET_KEYS = "|".join(_SECRET_NAMES)
_PATTERNS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # Ticket URLs (password change, email verification): the ticket is the credential.
    (re.compile(r"([?&#]ticket=)[^&#\s\"'<>]+", re.IGNORECASE), rf"\1{REDACTED}"),
    # Bearer and Basic credentials.
    (re.compile(r"\b(Bearer|Basic)(\s+)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE), rf"\1\2{REDACTED}"),
    # JSON Web Tokens wherever they appear.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    # user:password@ in URLs (databases, brokers, SMTP).
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@", re.IGNORECASE), rf"\1{REDACTED}@"),
    # key=value, key: value, "key": "value", 'key': 'value' for the known secret keys.
    (re.compile(rf"((?<![A-Za-z0-9])[\"']?(?:{_SECRET_KEYS})[\"']?\s*[:=]\s*[\"']?)([^\"'\s,&;}}\]]+)",
                re.IGNORECASE), rf"\1{REDACTED}"),
]

_known_secrets: list[str] = []


def secrets_known(values: Iterable[str]) -> None:
    """The configured secrets, replaced wherever they appear (only values long enough to be secrets)."""
    _known_secrets[:] = sorted({v for v in values if isinstance(v, str) and len(v) >= 8}, key=len, reverse=True)


def redact(text: str) -> str:
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: REDACTED if re.fullmatch(_SECRET_KEYS, str(k), re.IGNORECASE) else _redact_value(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    return value


_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class RedactSecrets(logging.Filter):
    """Rewrites a record before any formatter sees it: its message rendered and redacted, its extra fields
    redacted, its traceback rendered and redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        for key, value in list(vars(record).items()):
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                setattr(record, key, _redact_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


class ContextFilter(logging.Filter):
    """Adds the bound context to a standard record (the plain format shows it as ``key=value``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = get_contextvars()
        order = {key: i for i, key in enumerate(("request_id", "organization", "operation_id", "task_id", "task"))}
        keys = sorted(context, key=lambda k: (order.get(k, len(order)), k))
        record.context = " ".join(f"{k}={context[k]}" for k in keys if context[k] not in (None, ""))
        return True


class PlainFormatter(logging.Formatter):
    """The readable line of the embedded mode: time, level, logger, message, then the context."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = getattr(record, "context", "")
        return redact(f"{line} [{context}]" if context else line)


def _redact_event(logger: Any, method: str, event: dict) -> dict:
    return {key: (REDACTED if re.fullmatch(_SECRET_KEYS, key, re.IGNORECASE) else _redact_value(value))
            for key, value in event.items()}


_SHARED = [merge_contextvars, structlog.stdlib.add_log_level, structlog.stdlib.add_logger_name,
           structlog.processors.TimeStamper(fmt="iso", utc=True)]


class JsonFormatter(structlog.stdlib.ProcessorFormatter):
    """One JSON object a line: timestamp, level, logger, event (the message), the bound context, extras."""

    def __init__(self) -> None:
        super().__init__(
            foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder()],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        structlog.processors.format_exc_info, _redact_event,
                        structlog.processors.JSONRenderer(sort_keys=False)],
        )

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def logging_config(*, log_format: str, level: str) -> dict:
    """Django's LOGGING for ``plain`` or ``json`` lines on the console."""
    if log_format not in ("plain", "json"):
        raise ValueError(f"LOG_FORMAT must be plain or json, not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "redact": {"()": "portal.observability.logs.RedactSecrets"},
            "context": {"()": "portal.observability.logs.ContextFilter"},
        },
        "formatters": {
            "plain": {"()": "portal.observability.logs.PlainFormatter"},
            "json": {"()": "portal.observability.logs.JsonFormatter"},
        },
        # JSON lines carry the context as fields of their own (merge_contextvars); plain ones append it.
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format,
                                 "filters": ["redact", "context"] if log_format == "plain" else ["redact"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "INFO"}},
    }


def structlog_configure() -> None:
    """structlog's own loggers (``structlog.get_logger``) go through the standard library's handlers."""
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


# -- the context of the work -----------------------------------------------------------------------------------
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_from(header: str | None) -> str:
    """The caller's X-Request-ID when it is a plain token (a proxy's), else a new one."""
    return header if header and _REQUEST_ID.fullmatch(header) else uuid.uuid4().hex


def context_bind(**values: Any) -> None:
    bind_contextvars(**{k: v for k, v in values.items() if v is not None})


def context_clear() -> None:
    clear_contextvars()


def context_carried() -> dict[str, str]:
    """What a task sent now carries to the worker."""
    context = get_contextvars()
    return {key: str(context[key]) for key in CARRIED if context.get(key)}


def context_from_task_request(request: Any) -> dict[str, str]:
    """The sender's context from a task's request (a worker's message headers, or ``apply(headers=…)``)."""
    carried = getattr(request, CONTEXT_HEADER, None) or (getattr(request, "headers", None) or {}).get(CONTEXT_HEADER)
    return {key: str(value) for key, value in (carried or {}).items() if key in CARRIED}
