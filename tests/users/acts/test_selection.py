"""Acts on a selection of an organization's users (users.acts.selection and its page): each person's act goes
through that act's own service, so the selection queues one operation per person it can be done to, says
why for the others, queues nothing twice when the confirmation is sent again, and never reaches a user
outside the organization. The queued operations run with .apply() against the emulator."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from auth0_gateway import gateway
from organizations.models import MembershipMode
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from tests.factories import OrganizationFactory, RoleFactory, UserFactory
from tests.users.acts.test_account import new_user
from tests.users.auth0_users import auth0_user
from users.acts.selection import SELECTION_ACTS, SELECTION_MAX, selection_request, selection_review
from users.directory.mirror import directory_users_upsert
from users.models import DirectoryUser
from users.tasks import user_action

pytestmark = pytest.mark.django_db


def _token() -> str:
    return uuid.uuid4().hex


def test_a_selection_is_blocked_person_by_person_and_each_block_runs(acme, admin) -> None:
    people = [new_user() for _ in range(3)]
    already = new_user(blocked=True)
    ids = [p["user_id"] for p in [*people, already]]
    review = selection_review(actor=admin, organization=acme, user_ids=ids, act=SELECTION_ACTS["block"])
    assert [item.person.user_id for item in review] == ids
    assert [bool(item.refusal) for item in review] == [False, False, False, True]
    assert "already blocked" in review[-1].refusal

    outcome = selection_request(actor=admin, organization=acme, user_ids=ids, act=SELECTION_ACTS["block"],
                                token=_token())
    assert len(outcome.queued) == 3
    assert [item.person.user_id for item in outcome.refused] == [already["user_id"]]
    assert AuditEvent.objects.filter(action="user_block.requested").count() == 3
    for operation in outcome.queued:
        user_action.apply(args=[str(operation.id)])
        operation.refresh_from_db()
        assert operation.status == "succeeded", operation.last_error
    for person in people:
        assert gateway().user_get(user_id=person["user_id"])["blocked"] is True
        assert DirectoryUser.objects.get(user_id=person["user_id"]).blocked is True


def test_the_same_confirmation_sent_twice_queues_nothing_twice(acme, admin) -> None:
    people = [new_user() for _ in range(2)]
    ids, token = [p["user_id"] for p in people], _token()
    first = selection_request(actor=admin, organization=acme, user_ids=ids, act=SELECTION_ACTS["password-email"],
                              token=token)
    again = selection_request(actor=admin, organization=acme, user_ids=ids, act=SELECTION_ACTS["password-email"],
                              token=token)
    assert {op.pk for op in again.queued} == {op.pk for op in first.queued}
    assert Operation.objects.filter(kind="user_password_email").count() == 2
    other = selection_request(actor=admin, organization=acme, user_ids=ids, act=SELECTION_ACTS["password-email"],
                              token=_token())
    assert len(other.queued) == 2  # a new selection is a new request


def test_nobody_blocks_themselves_in_a_selection(acme, admin) -> None:
    me = new_user()
    RoleFactory(organization=acme, role="admin", user_id=me["user_id"])
    myself = principal_for_user_id(me["user_id"], "Me")
    other = new_user()
    outcome = selection_request(actor=myself, organization=acme, user_ids=[me["user_id"], other["user_id"]],
                                act=SELECTION_ACTS["block"], token=_token())
    assert [op.target for op in outcome.queued] == [other["user_id"]]
    assert "locked out" in outcome.refused[0].refusal or "yourself" in outcome.refused[0].refusal


@pytest.mark.parametrize(("ids", "act", "token", "message"), [
    ([], "block", None, "Select at least one user"),
    (["auth0|nobody"], "block", None, "None of the selected people"),
    (["x"] * 1 + [f"auth0|{i}" for i in range(SELECTION_MAX)], "block", None, "at most"),
    (None, "block", "not-a-token", "damaged or out of date"),
])
def test_bad_selections_are_refused_and_queue_nothing(acme, admin, ids, act, token, message) -> None:
    if ids is None:
        ids = [new_user()["user_id"]]
    with pytest.raises(ValidationError, match=message):
        selection_request(actor=admin, organization=acme, user_ids=ids, act=SELECTION_ACTS[act],
                          token=token or _token())
    assert Operation.objects.count() == 0


def test_a_viewer_cannot_act_on_a_selection(acme) -> None:
    viewer = RoleFactory(organization=acme, role="viewer")
    person = new_user()
    with pytest.raises(PermissionDenied):
        selection_review(actor=principal_for_user_id(viewer.user_id), organization=acme,
                         user_ids=[person["user_id"]], act=SELECTION_ACTS["block"])


def test_another_organizations_user_in_a_selection_is_left_out(acme, admin) -> None:
    """An admin of Acme who slips a user of another organization into the posted ids reaches nobody."""
    globex = OrganizationFactory(slug="globex", connection_name="globex-users",
                                 membership_mode=MembershipMode.ISOLATED_CONNECTION)
    outsider = auth0_user(connection="globex-users", email="outsider@globex.test")
    directory_users_upsert([outsider])
    assert DirectoryUser.objects.get(user_id=outsider["user_id"]).memberships.get().organization == globex
    mine = new_user()
    outcome = selection_request(actor=admin, organization=acme, user_ids=[outsider["user_id"], mine["user_id"]],
                                act=SELECTION_ACTS["block"], token=_token())
    assert [op.target for op in outcome.queued] == [mine["user_id"]]
    with pytest.raises(ValidationError, match="None of the selected people"):
        selection_review(actor=admin, organization=acme, user_ids=[outsider["user_id"]],
                         act=SELECTION_ACTS["block"])


def _signed_in(principal_user_id: str) -> Client:
    user = UserFactory(auth0_user_id=principal_user_id)
    client = Client()
    client.force_login(user)
    return client


def test_the_page_reviews_then_queues_and_the_list_offers_it_to_admins_only(acme, admin) -> None:
    people = [new_user() for _ in range(2)]
    already = new_user(blocked=True)
    client = _signed_in(admin.user_id)
    listing = client.get(reverse("user_list", kwargs={"slug": "acme"}))
    assert 'id="user-selection"' in listing.content.decode()
    assert listing.content.decode().count('form="user-selection"') == 3

    url = reverse("user_selection", kwargs={"slug": "acme"})
    ids = [p["user_id"] for p in [*people, already]]
    review = client.post(url, {"act": "block", "user": ids})
    page = review.content.decode()
    assert review.status_code == 200
    assert "Block (2 users)" in page
    assert "already blocked" in page
    assert Operation.objects.count() == 0
    token = review.context["token"]

    done = client.post(url, {"act": "block", "user": ids[:2], "token": token, "confirm": "1"})
    assert done.status_code == 302
    assert done["Location"] == reverse("operation_list", kwargs={"slug": "acme"})
    assert Operation.objects.filter(kind="user_block").count() == 2

    viewer = RoleFactory(organization=acme, role="viewer")
    viewer_client = _signed_in(viewer.user_id)
    assert 'id="user-selection"' not in viewer_client.get(reverse("user_list", kwargs={"slug": "acme"})
                                                          ).content.decode()
    assert viewer_client.post(url, {"act": "block", "user": ids}).status_code == 403


def test_the_page_sends_bad_input_back_to_the_list_with_the_reason(acme, admin) -> None:
    client = _signed_in(admin.user_id)
    url = reverse("user_selection", kwargs={"slug": "acme"})
    response = client.post(url, {"act": "block"}, follow=True)
    assert "Select at least one user first." in response.content.decode()
    response = client.post(url, {"act": "launch-missiles", "user": [new_user()["user_id"]]}, follow=True)
    assert "Choose what to do with the selected users." in response.content.decode()
    assert client.get(url).status_code == 405
    assert Operation.objects.count() == 0
