"""Gather the portal's translatable strings into its catalogs (locale/<language>/LC_MESSAGES/django.po, and
djangojs.po for its scripts), for every language in settings.LANGUAGES but English, the language the strings are
written in.

Django's ``makemessages`` over the portal's own code only: not the virtual environment, the tests, the
benchmarks, or the Auth0 emulator (which stands in for Auth0's own pages and is not the portal).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

IGNORED = [".venv/*", ".tools/*", "node_modules/*", "auth0_emulator/*", "tests/*", "bench/*", "var/*", "deploy/*"]


class Command(BaseCommand):
    help = __doc__.split("\n\n")[0]

    def handle(self, *args: object, **options: object) -> None:
        languages = [code for code, _ in settings.LANGUAGES if code != "en"]
        call_command("makemessages", locale=languages, ignore_patterns=IGNORED, no_obsolete=True,
                     add_location="file", verbosity=options.get("verbosity", 1))
        # The scripts' strings (static/portal/*.js: gettext, ngettext, interpolate), served by /jsi18n/.
        call_command("makemessages", locale=languages, domain="djangojs", ignore_patterns=[*IGNORED, "var/*"],
                     no_obsolete=True, add_location="file", verbosity=options.get("verbosity", 1))
