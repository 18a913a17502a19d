"""How the directory's pages show values: numbers, Auth0's dates, event codes, identity providers and
metadata fields by their schema's type. Labels, never raw codes or enum values."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django import template
from django.forms import BoundField
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format, number_format
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, pgettext

from organizations.models import MetadataField, Organization
from organizations.validation import METADATA_PHONE_RE
from portal.principal import Principal
from users.directory import activity
from users.directory.identities import identity_provider_label
from users.directory.mirror import auth0_time
from users.directory.selectors import user_count
from users.models import DirectoryUser, Membership

register = template.Library()


@register.filter
def thousands(value: object) -> str:
    """1234 -> "1,234"."""
    try:
        return f"{int(value):,}"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""


@register.filter
def auth0_datetime(value: object) -> dt.datetime | None:
    """Auth0's ISO 8601 timestamp as a datetime (for the date filter)."""
    return auth0_time(value)


@register.filter
def event_label(event: dict) -> str:
    return activity.event_label(event)


@register.filter
def event_failed(event: dict) -> bool:
    return activity.event_failed(event)


@register.filter
def device(user_agent: str) -> str:
    return activity.device_of(user_agent)


@register.filter
def provider_label(provider: str) -> str:
    return identity_provider_label(provider)


@register.simple_tag
def organization_user_count(principal: Principal, organization: Organization) -> int:
    """How many users of the organization the directory holds (the organization page's summary)."""
    return user_count(principal=principal, organization=organization)


@dataclass(frozen=True)
class MetadataShown:
    label: str
    text: str
    href: str = ""
    missing: bool = False


_PHONE = METADATA_PHONE_RE
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _plain(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    return str(value)


@register.simple_tag
def metadata_shown(field: MetadataField, person: DirectoryUser) -> MetadataShown:
    """The field's value on the user, formatted by the schema's type ("Not set" when absent)."""
    source = person.app_metadata if field.target == MetadataField.Target.APP_METADATA else person.user_metadata
    value = source.get(field.key) if isinstance(source, dict) else None
    if value is None or value == "" or value == []:
        return MetadataShown(field.label, gettext("Not set"), missing=True)
    kind = field.type
    if kind == MetadataField.Type.BOOLEAN and isinstance(value, bool):
        return MetadataShown(field.label, gettext("Yes") if value else gettext("No"))
    if kind == MetadataField.Type.DATE and isinstance(value, str):
        when = _datetime_or_none(value)
        if when is not None:
            return MetadataShown(field.label, date_format(when, "DATETIME_FORMAT"))
        day = _date_or_none(value)
        if day is not None:
            return MetadataShown(field.label, date_format(day, "DATE_FORMAT"))
    if kind == MetadataField.Type.INTEGER and isinstance(value, int) and not isinstance(value, bool):
        return MetadataShown(field.label, number_format(value, force_grouping=True))
    text = _plain(value)
    if kind == MetadataField.Type.URL and isinstance(value, str) and urlsplit(value).scheme in ("http", "https"):
        return MetadataShown(field.label, text, href=value)
    if kind == MetadataField.Type.EMAIL and isinstance(value, str) and _EMAIL.match(value):
        return MetadataShown(field.label, text, href=f"mailto:{value}")
    if kind == MetadataField.Type.PHONE and isinstance(value, str) and _PHONE.match(value):
        return MetadataShown(field.label, text, href="tel:" + re.sub(r"[^0-9+]", "", value))
    return MetadataShown(field.label, text)


def _datetime_or_none(value: str) -> dt.datetime | None:
    if "T" not in value and " " not in value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _date_or_none(value: str) -> dt.date | None:
    try:
        return parse_date(value)
    except ValueError:  # well formed but impossible, e.g. 2025-02-30
        return None


# -- the user list, built in Python ---------------------------------------------------------------------
# The list shows up to 500 rows of nine cells, and its filter form a dozen fields: through the template
# engine (a variable, a filter or an include at a time) they were most of the page's time, more than its
# queries. These tags write the same markup directly.

def _user_url_maker(route: str, organization: Organization | None):
    """The user page's URL for a user id, reversed once: a marker stands for the id, quoted as reverse()
    quotes path arguments."""
    kwargs = {"user_id": "__user__"}
    if organization is not None:
        kwargs["slug"] = organization.slug
    template_url = reverse(route, kwargs=kwargs)
    return lambda user_id: template_url.replace("__user__", quote(user_id, safe=RFC3986_SUBDELIMS + "/~:@"))


def _english() -> bool:
    return (get_language() or "en").startswith("en")


def _time_cell(value: dt.datetime | None, fmt: str, named: str, missing: str, english: bool) -> str:
    """A <time> element (escaped text): in English ``fmt``, strftime's, with a day's leading zero dropped (the
    list draws hundreds, and strftime costs a fraction of Django's formatting); in another language its own
    ``named`` format (``SHORT_DATE_FORMAT``...)."""
    if value is None:
        return missing
    local = timezone.localtime(value)
    text = local.strftime(fmt).lstrip("0") if english else html.escape(date_format(local, named))
    return f'<time datetime="{local.isoformat()}">{text}</time>'


def _number(value: int, english: bool) -> str:
    return f"{value:,}" if english else number_format(value, force_grouping=True)


def _user_in_organization_url_maker():
    """The user page within an organization, for any slug and user id, reversed once."""
    template_url = reverse("user_detail", kwargs={"slug": "__slug__", "user_id": "__user__"})
    return lambda slug, user_id: template_url.replace("__slug__", slug).replace(
        "__user__", quote(user_id, safe=RFC3986_SUBDELIMS + "/~:@"))


@register.simple_tag
def user_rows(users: list[DirectoryUser] | list[Membership], organization: Organization | None,
              selection_form: str = "") -> SafeString:
    """The rows of the user list (the columns of ``users.views.user_list.COLUMNS``, then organizations for company
    admins), each cell labelled for the phone layout.

    Every value from the directory goes through ``html.escape`` (quotes included): the values are plain
    strings, and Django's lazy-aware escape costs more per call than the rest of a row.

    With ``selection_form`` (the id of the list's selection form), each row begins with a box that selects
    its user for that form."""
    user_url = _user_url_maker("user_detail" if organization else "directory_user_detail", organization)
    selection_form = html.escape(selection_form)
    in_organization = _user_in_organization_url_maker()
    # The page's words, translated once for every row (escaped, as the values are).
    words = {key: html.escape(text) for key, text in {
        "organizations": gettext("Organizations"), "none": pgettext("no organization", "None"),
        "unnamed": gettext("Unnamed user"), "email": gettext("Email"), "verified": gettext("Verified"),
        "connection": gettext("Connection"), "blocked": pgettext("user status", "Blocked"),
        "sign_ins": gettext("Sign-ins"), "last_sign_in": gettext("Last sign-in"),
        "created": pgettext("date the user account was created", "Created"), "yes": gettext("Yes"),
        "no": gettext("No"), "never": pgettext("has never signed in", "Never"),
    }.items()}
    blocked_yes = f'<span class="status-failed">{words["yes"]}</span>'
    select_template, unnamed = gettext("Select %(name)s"), gettext("Unnamed user")
    rows = []
    english = _english()
    for u in users:
        # An organization's rows are its memberships, which name the user's Auth0 id auth0_user_id.
        auth0_id = u.user_id if organization is None else u.auth0_user_id
        organizations = ""
        if organization is None:
            links = ", ".join(
                f'<a href="{html.escape(in_organization(o.slug, auth0_id))}">{html.escape(o.display_name)}</a>'
                for o in getattr(u, "organizations_shown", [])
            )
            organizations = (f'<td role="cell" data-label="{words["organizations"]}" class="wrap-anywhere">'
                             f'{links or words["none"]}</td>')
        name = html.escape(u.display_name) if u.display_name else words["unnamed"]
        select_label = html.escape(select_template % {"name": u.display_name or unnamed})
        select = (f'<td role="cell" class="user-select"><input type="checkbox" class="form-check-input" name="user" '
                  f'value="{html.escape(auth0_id)}" form="{selection_form}" aria-label="{select_label}"></td>'
                  if selection_form else "")
        rows.append(
            f'<tr role="row">{select}'
            f'<td role="cell" class="user-name wrap-anywhere"><a href="{html.escape(user_url(auth0_id))}">'
            f'{name}</a></td>'
            f'<td role="cell" data-label="{words["email"]}" class="user-email">{html.escape(u.email or "—")}</td>'
            f'<td role="cell" data-label="{words["verified"]}">{words["yes"] if u.email_verified else words["no"]}</td>'
            f'<td role="cell" data-label="{words["connection"]}" class="wrap-anywhere">'
            f'{html.escape(u.connection or "—")}</td>'
            f'<td role="cell" data-label="{words["blocked"]}">{blocked_yes if u.blocked else words["no"]}</td>'
            f'<td role="cell" data-label="{words["sign_ins"]}" class="user-number">'
            f'{_number(u.logins_count, english)}</td>'
            f'<td role="cell" data-label="{words["last_sign_in"]}" class="user-date">'
            f'{_time_cell(u.last_login, "%d %b %Y, %H:%M", "SHORT_DATETIME_FORMAT", words["never"], english)}</td>'
            f'<td role="cell" data-label="{words["created"]}" class="user-date">'
            f'{_time_cell(u.created_at, "%d %b %Y", "SHORT_DATE_FORMAT", "—", english)}</td>'
            f"{organizations}</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value escaped above


@register.simple_tag
def field_quick(field: BoundField) -> SafeString:
    """A form field as ``as_field_group`` lays it out (label, help text, errors, widget, with the ids
    the widget's aria-describedby points at), without a template per part."""
    auto_id = html.escape(field.auto_id)
    parts = [f'<label for="{html.escape(field.id_for_label)}">{html.escape(str(field.label))}</label>'
             if field.label else ""]
    if field.help_text:
        parts.append(f'<div class="helptext" id="{auto_id}_helptext">{html.escape(str(field.help_text))}</div>')
    if field.errors:
        items = "".join(f"<li>{html.escape(str(e))}</li>" for e in field.errors)
        parts.append(f'<ul class="errorlist" id="{auto_id}_error">{items}</ul>')
    parts.append(str(field.as_widget()))
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped above or by the widget
