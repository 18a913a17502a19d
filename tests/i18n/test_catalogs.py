"""The catalog checker: every string a person reads in the portal's templates is marked for translation, and
every catalog (German, French, Spanish) translates every marked string, none of them fuzzy, placeholders
intact, in the formal address throughout (Sie, vous, usted), gathered from the sources as they are now."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tests.i18n.checker import template_unmarked
from tests.i18n.python_checker import python_unmarked

REPO = Path(settings.BASE_DIR)
LANGUAGES = [code for code, _ in settings.LANGUAGES if code != "en"]
# What messages_make reads: the portal's own code and templates (not the emulator, the tests or the benches).
SOURCES = ["templates", "api", "app_roles", "auth0_gateway", "config", "domains", "history", "onboarding",
           "organizations", "portal", "scim", "signin", "sso", "users", "static"]


# The pages' strings, and the scripts' (served by /jsi18n/).
DOMAINS = ["django", "djangojs"]


def _catalog(language: str, domain: str = "django") -> Path:
    return REPO / "locale" / language / "LC_MESSAGES" / f"{domain}.po"


# The portal's own Python (not its migrations, which record what fields were, nor its management commands, whose
# output is for operators).
PYTHON_PACKAGES = ["api", "app_roles", "auth0_gateway", "domains", "history", "onboarding", "organizations",
                   "portal", "scim", "signin", "sso", "users"]


def test_every_message_a_person_reads_in_the_python_is_marked_for_translation() -> None:
    unmarked = [str(found) for package in PYTHON_PACKAGES for path in sorted((REPO / package).rglob("*.py"))
                if not {"migrations", "management"} & set(path.parts) for found in python_unmarked(path, REPO)]
    assert unmarked == [], f"{len(unmarked)} messages not marked for translation:\n" + "\n".join(unmarked)


def test_the_python_checker_finds_what_it_looks_for(tmp_path: Path) -> None:
    (tmp_path / "users").mkdir()
    source = tmp_path / "users" / "sample.py"
    source.write_text('''
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

class SampleForm(forms.Form):
    name = forms.CharField(label="Your name", help_text=_("As people should read it."))

def view(request, form, who):
    messages.success(request, f"{who} was invited.")
    messages.error(request, _("That did not work."))
    form.add_error("name", "Choose another name.")
    raise ValidationError("The %(name)s is taken.")

def stored():
    raise ValidationError("Kept in English in the operation's error.")  # untranslated: stored once, shown later
''')
    found = [(item.line, item.text) for item in python_unmarked(source, tmp_path)]
    assert found == [(8, "Your name"), (11, " was invited."), (13, "Choose another name."),
                     (14, "The %(name)s is taken.")], found


def test_every_string_in_the_templates_is_marked_for_translation() -> None:
    unmarked = [str(found) for path in sorted((REPO / "templates").rglob("*")) if path.is_file()
                for found in template_unmarked(path)]
    assert unmarked == [], f"{len(unmarked)} strings not marked for translation:\n" + "\n".join(unmarked)


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_translates_every_string_and_none_is_fuzzy(language: str, domain: str) -> None:
    catalog = polib.pofile(str(_catalog(language, domain)))
    assert catalog.metadata.get("Language") == language
    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]
    assert untranslated == [] and fuzzy == [], f"untranslated: {untranslated}\nfuzzy: {fuzzy}"
    assert len(catalog.translated_entries()) > 0
    # gettext's own check: placeholders (%(name)s) as in the English, plural forms as the header says.
    checked = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(_catalog(language, domain))],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


# The familiar forms of address, which the portal never uses: it addresses people as Sie, vous and usted, as a
# company's tool does (case-sensitive, so that an abbreviation such as Spanish "TI", IT, is not one).
FAMILIAR = {
    "de": r"\b([Dd]u|[Dd]ich|[Dd]ir|[Dd]ein(e[mnrs]?)?|[Ee]uch|[Ee]uer|[Ee]ure)\b",
    "fr": r"\b([Tt]u|[Tt]oi|[Tt]on|[Tt]a|[Tt]es)\b|\b[Tt]'",
    "es": r"\b([Tt]ú|[Tt]u|[Tt]us|[Tt]i|[Tt]ienes|[Pp]uedes|[Qq]uieres|[Vv]osotros)\b",
}


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_addresses_the_reader_formally(language: str, domain: str) -> None:
    catalog = polib.pofile(str(_catalog(language, domain)))
    familiar = [text for entry in catalog.translated_entries()
                for text in [entry.msgstr, *entry.msgstr_plural.values()]
                if re.search(FAMILIAR[language], text)]
    assert familiar == []


def test_the_formal_address_check_finds_the_familiar_forms() -> None:
    for language, familiar in {"de": "Hast du dein Passwort?", "fr": "As-tu ton mot de passe ?",
                               "es": "¿Tienes tu contraseña?"}.items():
        assert re.search(FAMILIAR[language], familiar)
    for language, formal in {"de": "Haben Sie Ihr Passwort?", "fr": "Avez-vous votre mot de passe ?",
                             "es": "¿Tiene su contraseña? Su equipo de TI lo sabe."}.items():
        assert not re.search(FAMILIAR[language], formal)


def test_the_catalogs_hold_exactly_the_strings_the_sources_mark(tmp_path: Path) -> None:
    """Gathered afresh from a copy of the sources, the strings are those in the committed catalogs: a string
    marked since (or changed) and not gathered with ``manage.py messages_make`` fails here."""
    for name in SOURCES:
        if (REPO / name).exists():
            shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    (tmp_path / "locale").mkdir()
    shutil.copytree(REPO / "locale", tmp_path / "locale", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.mo"))
    committed = {(language, domain): polib.pofile(str(_catalog(language, domain)))
                 for language in LANGUAGES for domain in DOMAINS}
    with pytest.MonkeyPatch.context() as patch, override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        patch.chdir(tmp_path)
        call_command("messages_make", verbosity=0)
    for language, domain in committed:
        fresh = polib.pofile(str(tmp_path / "locale" / language / "LC_MESSAGES" / f"{domain}.po"))
        keys = {(entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in fresh}
        held = {(entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in committed[language, domain]}
        assert keys - held == set(), f"{language} {domain}: marked but not in the catalog: {sorted(keys - held)}"
        assert held - keys == set(), f"{language} {domain}: in the catalog but no longer marked: {sorted(held - keys)}"
