"""The email page (users.views.email_change): a form, a confirmation, then the queued operation; refused with
the reason, and no link, for someone whose address the portal cannot change.
(The service itself, against the emulator: tests/users/acts/test_email_change.py.)"""

from __future__ import annotations

import pytest
from django.utils.html import escape

from portal.models import Operation
from tests.users.auth0_users import auth0_user
from tests.users.views import edit_pages
from tests.users.views.edit_pages import signed_in, urls
from users.directory.mirror import directory_users_upsert

pytestmark = pytest.mark.django_db

# The shared fixtures, found by pytest under these names.
acme, ada = edit_pages.acme, edit_pages.ada


def test_the_email_page_confirms_the_change_before_queueing_it(
    client, acme, ada, django_capture_on_commit_callbacks, published_tasks
) -> None:
    admin = signed_in(client, acme, "admin")
    detail, _, email = urls(ada)
    assert 'name="email"' in admin.get(email).content.decode()
    bad = admin.post(email, {"email": "ada@acme"})
    assert bad.status_code == 400
    page = bad.content.decode()
    assert 'value="ada@acme"' in page and "Enter a valid email address, like name@example.com." in page
    same = admin.post(email, {"email": "ADA@acme.test"}).content.decode()
    assert escape("ada@acme.test is already Ada Lovelace's email address.") in same
    confirm = admin.post(email, {"email": "Ada.Byron@acme.test"}).content.decode()
    assert "Change Ada Lovelace's email address?" in confirm and "ada.byron@acme.test" in confirm
    assert not Operation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(email, {"email": "ada.byron@acme.test", "confirm": "yes"})
    assert (response.status_code, response["Location"]) == (302, detail)
    assert Operation.objects.get().payload["new_email"] == "ada.byron@acme.test"
    assert published_tasks == ["users.tasks.user_email_change"]
    assert "Change the email address:" in admin.get(detail).content.decode()


def test_a_social_user_gets_the_reason_and_no_link(client, acme) -> None:
    social = auth0_user(connection="acme-users", email="gia@acme.test", name="Gia", user_id="oidc|gia",
                        identities=[{"connection": "acme-sso", "provider": "oidc", "user_id": "gia"},
                                    {"connection": "acme-users", "provider": "auth0", "user_id": "g"}])
    directory_users_upsert([social])
    admin = signed_in(client, acme, "admin")
    detail, _, email = urls(social)
    assert email not in admin.get(detail).content.decode()
    page = admin.get(email).content.decode()
    assert "can only be changed there." in page and 'name="email"' not in page
