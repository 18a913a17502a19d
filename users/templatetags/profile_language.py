"""``{% profile_language_form as form %}``: the profile's choice of language, as the signed-in person left it."""

from __future__ import annotations

from django import template

from users.profile.language_views import ProfileLanguageForm

register = template.Library()


@register.simple_tag(takes_context=True)
def profile_language_form(context: template.Context) -> ProfileLanguageForm:
    return ProfileLanguageForm(initial={"language": context["request"].user.language})
