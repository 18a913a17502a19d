"""Where the link of an Auth0 ticket (a change-password or email-verification link in one of the portal's emails)
leads back to: an organization's sign-in page with ``?done=<what the link does>``, to which Auth0 adds
``success=true`` once the person has used it. The sign-in page then says what just happened in the portal's own
words, in the reader's language; Auth0's ``message`` parameter is never shown (anyone can put text in a URL)."""

from __future__ import annotations

from django.http import QueryDict
from django.utils.translation import gettext

EMAIL_CONFIRMED = "email-confirmed"
PASSWORD_SET = "password-set"  # noqa: S105 - what a link did, not a password


def ticket_return_notice(query: QueryDict) -> str:
    """What the sign-in page says to a person whom a used ticket sent back to it, or ""."""
    if query.get("success") != "true":
        return ""
    done = query.get("done", "")
    if done == EMAIL_CONFIRMED:
        return gettext("Your email address is confirmed. Sign in to continue.")
    if done == PASSWORD_SET:
        return gettext("Your password is set. Sign in with it to continue.")
    return ""
