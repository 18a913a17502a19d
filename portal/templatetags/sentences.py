"""``{{ label|in_sentence }}``: a label (a role, a mode, a status) inside a sentence. English, French and Spanish write
such a common noun in lower case mid-sentence ("Remove Ann as admin"); German capitalizes every noun ("Ann als
Administratorin entfernen"), so there the label is left as it is. Never ``|lower``, which is wrong in German."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

register = template.Library()

# Languages whose nouns keep their capital inside a sentence.
CAPITALIZED_NOUNS = ("de",)


@register.filter
def in_sentence(label: object) -> str:
    text = str(label)
    if (get_language() or "en").split("-")[0] in CAPITALIZED_NOUNS:
        return text
    return text.lower()
