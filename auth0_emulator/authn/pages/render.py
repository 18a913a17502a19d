"""Hosted HTML pages (login, change password, errors, outbox, the index): rendering and security headers.

Every page is rendered by Jinja2 with autoescaping, uses only the emulator's own stylesheet (no
inline style or script, no external asset), and is sent with a strict Content-Security-Policy and
``X-Frame-Options: DENY`` so the pages behave like Auth0's hosted pages inside a browser test.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

_ENV = Environment(
    loader=PackageLoader("auth0_emulator", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# The templates are the package's (auth0_emulator/templates), two levels above this module.
_STYLESHEET = (Path(__file__).resolve().parents[2] / "templates" / "style.css").read_text()
STYLESHEET_PATH = "/u/assets/style.css"


def url_origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, for a CSP source list; None otherwise."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(form_targets: list[str] | None = None) -> dict[str, str]:
    """CSP and framing headers for a hosted page.

    ``form_targets`` are URLs a form on the page may end up at: browsers apply ``form-action`` to the
    redirect that follows a form POST, so the login page must allow the application's callback.
    """
    origins = [o for o in (url_origin(u) for u in form_targets or []) if o]
    form_action = " ".join(["'self'", *sorted(set(origins))])
    csp = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def page_render(
    template: str, context: dict, *, status: int = 200, form_targets: list[str] | None = None
) -> HTMLResponse:
    html = _ENV.get_template(template).render(stylesheet=STYLESHEET_PATH, **context)
    return HTMLResponse(html, status_code=status, headers=security_headers(form_targets))


def error_page(status: int, error: str, description: str) -> HTMLResponse:
    """Auth0's hosted error page ("Oops!, something went wrong"), with the error code and text."""
    return page_render("error.html", {"error": error, "description": description}, status=status)


def message_page(title: str, message: str, *, status: int = 200) -> HTMLResponse:
    return page_render("message.html", {"title": title, "message": message}, status=status)


_FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" '
    'fill="#eb5424"/><path d="M16 5l9 6-3.5 11h-11L7 11z" fill="#fff"/></svg>'
)


async def favicon(request: Request) -> Response:
    """Browsers ask every host for /favicon.ico; answering keeps their consoles free of 404s."""
    return Response(_FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


async def stylesheet(request: Request) -> Response:
    return Response(
        _STYLESHEET,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
