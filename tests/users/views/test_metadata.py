"""The metadata page (users.views.metadata): linked from the user's page for the organization's admins only;
a form, then a page showing exactly what will change, then the queued operation and the user's page
following it. A refusal shows beside its field with what was typed kept, and records nothing.
(The service itself, against the emulator: tests/users/acts/test_metadata.py.)"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from portal.models import Operation
from tests.factories import CompanyAdminFactory
from tests.users.views import edit_pages
from tests.users.views.edit_pages import signed_in, urls

pytestmark = pytest.mark.django_db

# The shared fixtures, found by pytest under these names.
acme, ada = edit_pages.acme, edit_pages.ada



def test_admins_are_linked_to_both_pages_and_viewers_are_not(client, acme, ada) -> None:
    detail, metadata, email = urls(ada)
    page = signed_in(client, acme, "admin").get(detail).content.decode()
    assert f'href="{metadata}">Edit metadata</a>' in page
    assert f'href="{email}">Change the email address</a>' in page
    viewer = signed_in(Client(), acme, "viewer")
    page = viewer.get(detail).content.decode()
    assert metadata not in page and email not in page
    for url in (metadata, email):
        assert viewer.get(url).status_code == 403
        assert viewer.post(url, {"user_metadata.department": "x", "email": "x@acme.test", "confirm": "yes"}
                           ).status_code == 403
    assert not Operation.objects.exists()


def test_the_form_shows_the_stored_values_and_what_the_admin_may_not_change(client, acme, ada) -> None:
    page = signed_in(client, acme, "admin").get(urls(ada)[1]).content.decode()
    assert 'name="user_metadata.department" value="Research"' in page
    assert '<option value="yes" selected>Yes</option>' in page
    # A stored date with a time cannot sit in a date input: it is shown as text, so saving keeps it.
    assert re.search(r'<input type="text" name="user_metadata.start_date" value="2024-05-01T09:00:00Z"', page)
    assert "Fields only company admins may change" in page and "<li>Cost centre</li>" in page
    assert 'name="app_metadata.cost_centre"' not in page


def test_a_bad_value_is_shown_beside_its_field_with_the_input_kept(client, acme, ada) -> None:
    admin = signed_in(client, acme, "admin")
    response = admin.post(urls(ada)[1], {"user_metadata.department": "Quality Assurance",
                                         "user_metadata.newsletter": "yes",
                                         "user_metadata.start_date": "2024-05-01T09:00:00Z"})
    assert response.status_code == 400
    page = response.content.decode()
    error = re.search(r'id="(id_user_metadata\.department_error)"[^>]*>(.*?)</', page, re.S)
    assert error is not None and "Keep it to 12 characters (this is 17)." in error.group(2)
    assert re.search(r'name="user_metadata.department" value="Quality Assurance"[^>]*aria-invalid="true"', page)
    assert not Operation.objects.exists()


def test_review_then_confirm_queues_the_edit_and_the_user_page_follows_it(
    client, acme, ada, django_capture_on_commit_callbacks, published_tasks
) -> None:
    admin = signed_in(client, acme, "admin")
    detail, metadata, _ = urls(ada)
    posted = {"user_metadata.department": "Sales", "user_metadata.newsletter": "",
              "user_metadata.start_date": "2024-05-01T09:00:00Z",
              # Posted by hand, never part of the form: ignored.
              "app_metadata.organizations": "evil", "app_metadata.cost_centre": "CC-0"}
    review = admin.post(metadata, posted)
    assert review.status_code == 200
    page = review.content.decode()
    assert "Save these changes to Ada Lovelace" in page
    assert "<td role=\"cell\" data-label=\"Now\" class=\"wrap-anywhere\">Research</td>" in page
    assert "Not set (removed)" in page and "Cost centre" not in page
    assert not Operation.objects.exists()
    back = admin.post(metadata, {**posted, "back": "yes"}).content.decode()
    assert 'name="user_metadata.department" value="Sales"' in back and "Save these changes" not in back
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(metadata, {**posted, "confirm": "yes"})
    assert (response.status_code, response["Location"]) == (302, detail)
    operation = Operation.objects.get()
    assert operation.payload == {"user_id": ada["user_id"], "email": "ada@acme.test",
                                 "user_metadata": {"department": "Sales", "newsletter": None}}
    assert published_tasks == ["users.tasks.user_metadata_edit"]
    page = admin.get(detail).content.decode()
    assert "Edit metadata:" in page and "data-operation-poll" in page and "portal/operations" in page


def test_a_nul_character_is_refused_beside_its_field(client, acme, ada) -> None:
    response = signed_in(client, acme, "admin").post(urls(ada)[1], {"user_metadata.department": "Sa\x00les"})
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()
    assert not Operation.objects.exists()


def test_saving_the_form_unchanged_says_so(client, acme, ada) -> None:
    response = signed_in(client, acme, "admin").post(urls(ada)[1], {
        "user_metadata.department": "Research", "user_metadata.newsletter": "yes",
        "user_metadata.start_date": "2024-05-01T09:00:00Z"})
    assert response.status_code == 400
    assert "Nothing changed: every value is as it was, so nothing was sent to Auth0." in response.content.decode()


def test_org_admins_get_the_reason_instead_of_a_form_for_a_company_admin(client, acme, ada) -> None:
    CompanyAdminFactory(user_id=ada["user_id"])
    admin = signed_in(client, acme, "admin")
    for url in urls(ada)[1:]:
        response = admin.get(url)
        assert response.status_code == 403
        assert "Company admins are managed by company admins only." in response.content.decode()
        assert admin.post(url, {"user_metadata.department": "x", "email": "n@acme.test",
                                "confirm": "yes"}).status_code == 403
    assert not Operation.objects.exists()
