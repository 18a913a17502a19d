"""Who reads which language: a person's own choice, else their organization's default, else their browser's;
the organization's default set by its admins, a person's choice on their profile (mirrored to Auth0's
user_metadata.locale where their schema lets them edit it)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from organizations.models import Audience, MetadataField
from portal.models import AuditEvent, Operation, OperationKind, User
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory, UserFactory
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert

pytestmark = pytest.mark.django_db


def _signed_in(user: User, **headers: str) -> Client:
    client = Client(headers=headers)
    client.force_login(user)
    return client


def _admin(organization, role: str = "admin") -> User:
    user = UserFactory()
    RoleFactory(organization=organization, user_id=user.auth0_user_id, role=role)
    return user


def test_a_browser_decides_for_a_person_not_signed_in() -> None:
    response = Client(headers={"accept-language": "fr-CH, fr;q=0.9, en;q=0.5"}).get(reverse("signin"))
    assert response["Content-Language"] == "fr"
    assert 'lang="fr"' in response.content.decode()
    assert "Accept-Language" in response["Vary"]
    english = Client().get(reverse("signin"))
    assert english["Content-Language"] == "en"


def test_an_organizations_default_decides_for_its_admins_over_their_browser() -> None:
    acme = OrganizationFactory(default_language="de")
    admin = _admin(acme)
    page = _signed_in(admin, accept_language="es").get(reverse("user_list", args=[acme.slug]))
    assert page.status_code == 200 and page["Content-Language"] == "de"
    assert "Benutzer" in page.content.decode()


def test_a_persons_choice_decides_over_their_organizations_default() -> None:
    acme = OrganizationFactory(default_language="de")
    admin = _admin(acme)
    admin.language = "fr"
    admin.save()
    assert _signed_in(admin).get(reverse("user_list", args=[acme.slug]))["Content-Language"] == "fr"


def test_an_organizations_default_is_not_a_company_admins_language() -> None:
    OrganizationFactory(default_language="de")
    company_admin = UserFactory()
    CompanyAdminFactory(user_id=company_admin.auth0_user_id)
    assert _signed_in(company_admin, accept_language="es").get(reverse("organization_list"))["Content-Language"] == "es"


def test_a_member_reads_their_organizations_default() -> None:
    acme = OrganizationFactory(slug="acme", connection_name="shared-users", membership_mode="shared_connection",
                               default_language="es")
    person = auth0_user(connection="shared-users", email="ana@example.test", app_metadata={"organizations": ["acme"]})
    directory_users_upsert([person])
    account = UserFactory(auth0_user_id=person["user_id"], email="ana@example.test")
    assert acme.memberships.exists()
    assert _signed_in(account).get(reverse("profile"))["Content-Language"] == "es"


def test_an_admin_sets_the_default_language_and_it_is_audited() -> None:
    acme = OrganizationFactory()
    admin = _admin(acme)
    client = _signed_in(admin)
    response = client.post(reverse("organization_language", args=[acme.slug]), {"default_language": "de"})
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.default_language == "de"
    event = AuditEvent.objects.get(action="organization.language_changed")
    assert event.details == {"from": "", "to": "de"} and event.organization == acme
    # The next page, the admin's choice being none, is in German.
    assert client.get(response["Location"])["Content-Language"] == "de"


def test_a_language_not_offered_is_refused_beside_the_field_and_changes_nothing() -> None:
    acme = OrganizationFactory(default_language="fr")
    response = _signed_in(_admin(acme)).post(reverse("organization_language", args=[acme.slug]),
                                             {"default_language": "xx"})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()  # Acme's language, the admin's none
    acme.refresh_from_db()
    assert acme.default_language == "fr" and not AuditEvent.objects.filter(action="organization.language_changed")


def test_a_viewer_sees_the_default_language_and_may_not_change_it() -> None:
    acme = OrganizationFactory(default_language="es")
    viewer = _signed_in(_admin(acme, role="viewer"))
    page = viewer.get(reverse("organization_language", args=[acme.slug]))
    assert page.status_code == 200 and "Español" in page.content.decode() and "<select" not in page.content.decode()
    refused = viewer.post(reverse("organization_language", args=[acme.slug]), {"default_language": "de"})
    assert refused.status_code == 403
    acme.refresh_from_db()
    assert acme.default_language == "es"


def test_a_person_chooses_their_language_on_their_profile() -> None:
    account = UserFactory()
    client = _signed_in(account)
    response = client.post(reverse("profile_language"), {"language": "fr"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.language == "fr"
    page = client.get(reverse("profile"))
    assert page["Content-Language"] == "fr" and "Votre langue a été enregistrée." in page.content.decode()
    assert client.post(reverse("profile_language"), {"language": "xx"}).status_code == 302
    account.refresh_from_db()
    assert account.language == "fr"  # refused, unchanged
    client.post(reverse("profile_language"), {"language": ""})
    account.refresh_from_db()
    assert account.language == ""


def test_a_choice_is_mirrored_to_auth0_where_the_schema_lets_people_edit_their_locale() -> None:
    acme = OrganizationFactory(slug="acme", connection_name="shared-users", membership_mode="shared_connection")
    MetadataField.objects.create(organization=acme, key="locale", label="Language", editable_by=Audience.END_USER,
                                 visible_to=Audience.END_USER)
    person = auth0_user(connection="shared-users", email="ana@example.test", app_metadata={"organizations": ["acme"]})
    directory_users_upsert([person])
    client = _signed_in(UserFactory(auth0_user_id=person["user_id"], email="ana@example.test"))
    client.post(reverse("profile_language"), {"language": "de"})
    operation = Operation.objects.get(kind=OperationKind.PROFILE_METADATA_EDIT)
    assert operation.organization == acme and operation.target == person["user_id"]
    assert operation.payload["user_metadata"] == {"locale": "de"}
    # Auth0 has it already (the directory's copy says so): nothing more is sent.
    Operation.objects.all().delete()
    directory_users_upsert([{**person, "user_metadata": {"locale": "fr"}}])
    client.post(reverse("profile_language"), {"language": "fr"})
    assert not Operation.objects.exists()


def test_the_scripts_strings_come_in_the_pages_language() -> None:
    catalog = Client(headers={"accept-language": "de"}).get(reverse("javascript_catalog"))
    assert catalog.status_code == 200 and "weniger als eine Minute" in catalog.content.decode()
    page = Client(headers={"accept-language": "de"}).get(reverse("signin")).content.decode()
    assert f'<script src="{reverse("javascript_catalog")}" defer></script>' in page


def test_an_email_is_written_in_the_recipients_language_not_the_senders(settings) -> None:
    from django.core import mail
    from django.utils import translation

    from users.acts.invite import invitation_email_send

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    acme = OrganizationFactory(display_name="Acme", default_language="de")
    with translation.override("es"):  # the sender's language, which is not the recipient's
        invitation_email_send(acme, email="neu@acme.test", name="", link="https://x.test/t", inviter="Ana",
                              new_user=True, user_id="auth0|new")
    german = mail.outbox[-1]
    assert german.subject != "You are invited to Acme"
    with translation.override("de"):
        assert german.subject == translation.gettext("You are invited to %(organization)s") % {"organization": "Acme"}
        assert translation.gettext("If you did not expect this email, you can ignore it.") in german.body
    assert german.extra_headers["Content-Language"] == "de"
    assert '<html lang="de">' in german.alternatives[0][0]
    # A person who chose French gets French, whatever their organization's default.
    UserFactory(auth0_user_id="auth0|fr", language="fr")
    invitation_email_send(acme, email="fr@acme.test", name="", link="https://x.test/t", inviter="Ana",
                          new_user=False, user_id="auth0|fr")
    with translation.override("fr"):
        assert mail.outbox[-1].subject == translation.gettext("You now have access to %(organization)s") % {
            "organization": "Acme"}
    assert mail.outbox[-1].subject != "You now have access to Acme"


def test_the_verification_email_is_the_portals_own_in_the_recipients_language(settings) -> None:
    from django.core import mail
    from django.utils import translation

    from users.acts.rules import verification_email_send

    class Tickets:  # the ticket itself is the gateway's, tested against the emulator (tests/contract)
        asked: dict = {}

        def email_verification_ticket_create(self, **asked) -> str:
            self.asked.update(asked)
            return "https://tenant.test/u/email-verification?ticket=t"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    acme = OrganizationFactory(slug="acme", display_name="Acme", default_language="de", accent_colour="#aa0000")
    tickets = Tickets()
    with translation.override("es"):  # the admin asking writes Spanish; Acme reads German
        verification_email_send(tickets, acme, user_id="auth0|neu", email="neu@acme.test", name="Jan",
                                reason="admin", asked_by="Ana")
    [german] = mail.outbox
    with translation.override("de"):
        assert german.subject == translation.gettext("Confirm your email address for %(organization)s") % {
            "organization": "Acme"}
        assert translation.gettext("%(asked_by)s, an admin of %(organization)s, asked for you to confirm your "
                                   "email address.") % {"asked_by": "Ana", "organization": "Acme"} in german.body
        assert translation.gettext("Confirm my email address") in german.alternatives[0][0]
    assert german.subject != "Confirm your email address for Acme"
    assert german.extra_headers["Content-Language"] == "de" and "#aa0000" in german.alternatives[0][0]
    assert "https://tenant.test/u/email-verification?ticket=t" in german.body
    assert tickets.asked["result_url"].endswith("/o/acme/login?done=email-confirmed")


def test_dates_and_labels_in_sentences_follow_the_language() -> None:
    import datetime as dt

    from django.template import Context, Template
    from django.utils import translation

    day = dt.date(2026, 12, 7)
    template = Template('{% load sentences %}{{ day|date:"DATE_FORMAT" }} · {{ role|in_sentence }}')
    shown = {}
    for language in ("en", "de", "fr", "es"):
        with translation.override(language):
            shown[language] = template.render(Context({"day": day, "role": "Viewer"}))
    assert shown["en"] == "7 December 2026 · viewer"  # day, month, year: config/formats/en
    assert shown["de"] == "7. Dezember 2026 · Viewer"  # German keeps a noun's capital
    assert shown["fr"] == "7 décembre 2026 · viewer"
    assert shown["es"].startswith("7 de diciembre de 2026")


def test_an_organizations_sign_in_page_is_in_its_language_for_someone_not_signed_in() -> None:
    OrganizationFactory(slug="acme", default_language="de")
    OrganizationFactory(slug="initech")
    browser = Client(headers={"accept-language": "en"})
    assert browser.get(reverse("organization_signin", args=["acme"]))["Content-Language"] == "de"
    assert browser.get(reverse("organization_signin", args=["initech"]))["Content-Language"] == "en"
    assert browser.get(reverse("signin"))["Content-Language"] == "en"
