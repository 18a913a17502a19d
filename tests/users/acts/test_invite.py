"""Inviting a person, in each membership mode, run with .apply() against the emulator over HTTP: the
user is created where the mode says (or found, when a run was cut off after Auth0 answered), becomes a
member, lands in the directory and gets an email with a set-password link; the random password is
used once and appears nowhere. Someone with an account already is invited to join, never added.
Bad input is refused beside its field and records nothing."""

from __future__ import annotations

import json
import logging
import threading
import uuid

import httpx
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from auth0_gateway import Auth0Gateway, Auth0Transient, gateway
from auth0_gateway.budget import GROUP_LABELS
from organizations.membership import membership_of
from organizations.models import MembershipMode, Organization
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from portal.operations import operation_create
from portal.ratelimit import Limit, RateLimiter
from tests.factories import OrganizationFactory, RoleFactory
from tests.support.authn_browser import Browser
from tests.support.budget import IsolatedRedisStore
from tests.support.concurrency import needs_database_server, simultaneously
from users.acts import invite as invitations
from users.acts.invite import password_random, user_invite_apply, user_invite_request
from users.directory.selectors import organization_member_lookup
from users.models import DirectoryUser, JoinInvitation
from users.tasks import user_invite

pytestmark = pytest.mark.django_db
SHARED = "Username-Password-Authentication"


@pytest.fixture
def organizations(auth0_on_changing_emulator) -> dict[str, Organization]:
    """The demo tenant's three organizations, one per mode, connected to their Auth0 side (an emulator
    of their own: these tests add members to the demo's organizations)."""
    globex = gateway().organization_get_by_name(name="globex")
    return {
        "acme": OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                                    membership_mode=MembershipMode.ISOLATED_CONNECTION, auth0_connection_id="con_a"),
        "initech": OrganizationFactory(slug="initech", display_name="Initech", connection_name=SHARED,
                                       membership_mode=MembershipMode.SHARED_CONNECTION, auth0_connection_id="con_s"),
        "globex": OrganizationFactory(slug="globex", display_name="Globex", connection_name=SHARED,
                                      membership_mode=MembershipMode.AUTH0_ORGANIZATION, auth0_connection_id="con_s",
                                      auth0_organization_id=globex["id"]),
    }


def admin_of(organization: Organization):
    role = RoleFactory(organization=organization, role="admin", email=f"boss@{organization.slug}.test")
    return principal_for_user_id(role.user_id, "Boss")


def new_email(slug: str) -> str:
    return f"new-{uuid.uuid4().hex[:8]}@{slug}.test"


def invite(organization: Organization, email: str, name: str = "") -> Operation:
    operation = user_invite_request(actor=admin_of(organization), organization=organization, email=email, name=name)
    user_invite.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    return operation


@pytest.fixture
def passwords(monkeypatch) -> list[str]:
    """Every random password the invitations make (the real generator, watched)."""
    made: list[str] = []

    def watched(*args, **kwargs) -> str:
        made.append(password_random(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(invitations, "password_random", watched)
    return made


@pytest.mark.parametrize("slug", ["acme", "initech", "globex"])
def test_a_new_person_is_created_made_a_member_mirrored_and_emailed(organizations, slug, passwords, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    organization = organizations[slug]
    email = new_email(slug)
    operation = invite(organization, email.upper(), name="  Ada   Lovelace ")
    assert operation.status == "succeeded", operation.last_error
    [user] = [u for u in gateway().users_by_email(email=email)]
    assert operation.result == {"user_id": user["user_id"], "new_user": True, "outcome": "invited"}
    assert [i["connection"] for i in user["identities"]] == [organization.connection_name]
    assert user["name"] == "Ada Lovelace" and user["email_verified"] is False
    if slug == "initech":
        assert user["app_metadata"]["organizations"] == ["initech"]
    if slug == "globex":
        assert [o["id"] for o in gateway().user_organizations(user_id=user["user_id"])] == [
            organization.auth0_organization_id]
    # Mirrored at once, as a member of the organization.
    mirrored = DirectoryUser.objects.get(user_id=user["user_id"])
    assert list(mirrored.memberships.values_list("organization__slug", flat=True)) == [slug]
    # The email: branded, in text and HTML, with a set-password link that lasts the organization's lifetime.
    [message] = mail.outbox
    assert message.to == [email] and message.subject == f"You are invited to {organization.display_name}"
    assert "Boss has invited you to" in message.body and "works for 7 days" in message.body
    html = message.alternatives[0][0]
    assert organization.accent_colour in html and "Choose your password" in html
    link = next(w for w in message.body.split() if w.startswith("http") and "/login" not in w)
    assert link in html
    # The password was made once, used in the create call, and kept nowhere.
    [password] = passwords
    stored = json.dumps([list(Operation.objects.values()), list(AuditEvent.objects.values()),
                         list(DirectoryUser.objects.values())], default=str)
    for place in (stored, caplog.text, message.body, html):
        assert password not in place


def test_the_set_password_link_is_a_working_ticket_that_leads_back_to_the_organizations_sign_in(
    organizations, settings
) -> None:
    email = new_email("acme")
    assert invite(organizations["acme"], email).status == "succeeded"
    body = mail.outbox[0].body
    link = next(w for w in body.split() if w.startswith("http") and "/login" not in w)
    page = httpx.get(link)
    assert page.status_code == 200 and "password" in page.text.lower()


def test_a_create_that_came_back_409_finds_the_user_and_carries_on(organizations, monkeypatch) -> None:
    """A run killed after Auth0 created the user: the retry's lookup misses them (Auth0's answer was lost
    with the run), its create is a 409, and the invitation carries on with the user Auth0 has."""
    organization = organizations["acme"]
    email = new_email("acme")
    created = gateway().user_create(connection="acme-users", email=email, password=password_random())
    real, lookups = invitations.connection_user, []

    def first_misses(auth0, connection, address):
        lookups.append(address)
        return None if len(lookups) == 1 else real(auth0, connection, address)

    monkeypatch.setattr(invitations, "connection_user", first_misses)
    operation = invite(organization, email)
    assert operation.status == "succeeded", operation.last_error
    assert operation.result["user_id"] == created["user_id"] and len(lookups) == 2
    assert len(gateway().users_by_email(email=email)) == 1 and len(mail.outbox) == 1


@pytest.mark.parametrize("slug", ["acme", "initech", "globex"])
def test_a_run_cut_off_before_it_heard_its_account_made_still_makes_it_a_member(organizations, monkeypatch,
                                                                                slug) -> None:
    """Auth0 made the account, but the run never heard its answer (killed, or its broker gone): nothing noted
    the account as the invitation's. The retry knows it by the id the invitation asked for (the operation's)
    and makes it a member, in every mode: not someone else's account, to be invited to join (in the Auth0
    Organizations mode nothing else on the account says whose it is)."""
    organization, email = organizations[slug], new_email(slug)
    real, answers_lost = Auth0Gateway.user_create, []

    def made_but_answer_lost(self, **kwargs):
        if answers_lost:
            return real(self, **kwargs)
        answers_lost.append(real(self, **kwargs)["user_id"])
        raise Auth0Transient("The connection to Auth0 was lost before its answer came.")

    monkeypatch.setattr(Auth0Gateway, "user_create", made_but_answer_lost)
    operation = invite(organization, email)
    assert operation.status == "succeeded", operation.last_error
    assert operation.result.get("outcome") != "awaiting_acceptance" and not JoinInvitation.objects.exists()
    [account] = gateway().users_by_email(email=email)
    assert answers_lost == [account["user_id"]] == [f"auth0|{operation.pk.hex}"] == [operation.result["user_id"]]
    assert membership_of(organization).belongs(account, membership_of(organization).auth0_organization_ids(
        gateway(), account))
    assert [user_id for user_id, *_ in organization_member_lookup(organization, email).members] == [account["user_id"]]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [email]


def test_someone_with_an_account_elsewhere_is_invited_to_join_not_added(organizations, changing_emulator) -> None:
    """A user of the shared connection in another organization already has an account: the invitation
    changes nothing in Auth0 and emails them an invitation to join, which they accept or not themselves
    (users.acts.join). The admin learns neither their account's id nor where else they belong."""
    organization = organizations["initech"]
    email, password = new_email("elsewhere"), password_random()
    gateway().user_create(connection=SHARED, email=email, password=password,
                          app_metadata={"organizations": ["other-org"]})
    with Browser(changing_emulator) as browser:
        assert browser.login(email, password).status_code == 302
    [before] = gateway().users_by_email(email=email)
    operation = invite(organization, email)
    assert operation.status == "succeeded", operation.last_error
    assert operation.result["outcome"] == "awaiting_acceptance" and "user_id" not in operation.result
    [after] = gateway().users_by_email(email=email)
    assert after == before
    assert not DirectoryUser.objects.filter(email=email, memberships__organization=organization).exists()
    [invitation] = JoinInvitation.objects.filter(organization=organization)
    assert invitation.user_id == before["user_id"] and invitation.status == JoinInvitation.Status.PENDING
    [message] = mail.outbox
    assert message.subject == "Boss invites you to join Initech"
    assert f"/invitations/{invitation.pk}/" in message.body and "Nothing changes until you say yes" in message.body
    # Invited again while they have not answered: refused beside the field, nothing recorded.
    with pytest.raises(ValidationError) as caught:
        user_invite_request(actor=admin_of(organization), organization=organization, email=email)
    assert caught.value.message_dict["email"] == [f"{email} has been invited already and has not answered yet: "
                                                  "the pending invitations page can send the invitation again."]
    # The task run again (a retry) finds its own invitation and sends it again: still one invitation.
    again = user_invite_apply(Operation.objects.get(pk=operation.pk))
    assert again["invitation_id"] == str(invitation.pk) and JoinInvitation.objects.count() == 1
    assert gateway().users_by_email(email=email) == [after]


@pytest.mark.parametrize(("email", "name", "field", "message"), [
    ("not-an-email", "", "email", "Enter a valid email address, like name@example.com."),
    ("a@" + "b" * 260 + ".test", "", "email", "Enter a valid email address, like name@example.com."),
    ("ok@acme.test", "x" * 121, "name", "Keep the name to 120 characters."),
])
def test_bad_input_is_refused_beside_its_field_and_records_nothing(organizations, email, name, field, message):
    with pytest.raises(ValidationError) as caught:
        user_invite_request(actor=admin_of(organizations["acme"]), organization=organizations["acme"], email=email,
                            name=name)
    assert caught.value.message_dict[field] == [message]
    assert not Operation.objects.filter(kind="user_invite").exists()


def test_an_email_already_in_the_organization_or_already_invited_is_refused(organizations) -> None:
    organization = organizations["acme"]
    actor = admin_of(organization)
    email = new_email("acme")
    assert invite(organization, email).status == "succeeded"
    with pytest.raises(ValidationError) as caught:
        user_invite_request(actor=actor, organization=organization, email=email)
    assert caught.value.message_dict["email"] == [f"{email} is already a user of Acme."]
    waiting = new_email("acme")
    user_invite_request(actor=actor, organization=organization, email=waiting)
    with pytest.raises(ValidationError) as caught:
        user_invite_request(actor=actor, organization=organization, email=waiting.upper())
    assert caught.value.message_dict["email"] == [f"An invitation to {waiting} is already on its way."]
    assert Operation.objects.filter(kind="user_invite", target=waiting).count() == 1


def test_only_the_organizations_admins_may_invite(organizations) -> None:
    viewer = RoleFactory(organization=organizations["acme"], role="viewer")
    other_admin = admin_of(organizations["initech"])
    for actor in (principal_for_user_id(viewer.user_id, "Viewer"), other_admin):
        with pytest.raises(PermissionDenied):
            user_invite_request(actor=actor, organization=organizations["acme"], email=new_email("acme"))
    assert not Operation.objects.filter(kind="user_invite").exists()


def test_rights_are_checked_again_when_the_invitation_runs(organizations) -> None:
    organization = organizations["acme"]
    actor = admin_of(organization)
    operation = user_invite_request(actor=actor, organization=organization, email=new_email("acme"))
    organization.roles.filter(user_id=actor.user_id).update(role="viewer")
    user_invite.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "failed" and "admins" in operation.last_error and not mail.outbox


def test_random_passwords_have_every_class_and_no_runs() -> None:
    for _ in range(200):
        p = password_random()
        assert len(p) == 32
        assert any(c.islower() for c in p) and any(c.isupper() for c in p) and any(c.isdigit() for c in p)
        assert any(not c.isalnum() for c in p)
        assert not any(p[i] == p[i + 1] == p[i + 2] for i in range(30))
    assert len({password_random() for _ in range(50)}) == 50


@pytest.mark.parametrize("slug", ["acme", "initech", "globex"])
def test_an_invitation_may_set_names_and_metadata_by_the_schemas_rules(organizations, slug) -> None:
    """What bulk onboarding's rows send: given and family names, and metadata checked as an admin's edit is
    (here an app_metadata field beside the shared mode's organizations list, which it must not disturb)."""
    from organizations.models import MetadataField

    organization = organizations[slug]
    MetadataField.objects.create(organization=organization, key="region", target="app_metadata", type="enum",
                                 label="Region", choices=["emea", "apac"], position=0)
    MetadataField.objects.create(organization=organization, key="seats", target="user_metadata", type="integer",
                                 label="Seats", position=1)
    actor, email = admin_of(organization), new_email(slug)
    with pytest.raises(ValidationError) as caught:
        user_invite_request(actor=actor, organization=organization, email=email,
                            values={"app_metadata": {"region": "mars"}, "user_metadata": {"hobby": "chess"}})
    not_in_schema = f"“hobby” is not a field of {organization.display_name}'s metadata schema."
    assert caught.value.message_dict == {"app_metadata.region": ["Choose one of: emea, apac."],
                                         "user_metadata.hobby": [not_in_schema]}
    operation = user_invite_request(actor=actor, organization=organization, email=email, given_name="Ada",
                                    family_name="Lovelace",
                                    values={"app_metadata": {"region": "apac"}, "user_metadata": {"seats": "4"}})
    user_invite.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "succeeded", operation.last_error
    [user] = gateway().users_by_email(email=email)
    assert (user["given_name"], user["family_name"], user["user_metadata"]) == ("Ada", "Lovelace", {"seats": 4})
    assert user["app_metadata"]["region"] == "apac"
    if slug == "initech":
        assert user["app_metadata"]["organizations"] == ["initech"]
    event = AuditEvent.objects.get(action="user.invite_requested")
    assert {c["field"] for c in event.details["changes"]} == {"app_metadata.region", "user_metadata.seats"}


def _writes(emulator) -> int:
    """Write Users calls the tenant has answered so far (the emulator's own count)."""
    groups = httpx.get(f"{emulator.url}/emulator/stats", timeout=10).json()["groups"]
    return groups.get("write_users", {}).get("served", 0)


def test_a_run_finding_the_person_with_the_metadata_already_sends_no_merge(organizations, changing_emulator) -> None:
    """A run retried after an earlier one created the person with the invitation's metadata (and then waited
    for the ticket's budget, or was cut off) finds them holding it: no second merge is sent. Someone whose
    account holds other values gets the merge."""
    from organizations.models import MetadataField

    organization = organizations["acme"]
    MetadataField.objects.create(organization=organization, key="seats", target="user_metadata", type="integer",
                                 label="Seats", position=0)
    actor = admin_of(organization)
    for held, merges in (({"seats": 4}, 0), ({"seats": 2}, 1)):
        email = new_email("acme")
        gateway().user_create(connection="acme-users", email=email, password=password_random(), user_metadata=held)
        operation = user_invite_request(actor=actor, organization=organization, email=email,
                                        values={"user_metadata": {"seats": "4"}})
        before = _writes(changing_emulator)
        user_invite.apply(args=[str(operation.id)])
        operation.refresh_from_db()
        assert operation.status == "succeeded", operation.last_error
        assert _writes(changing_emulator) - before == merges, held
        [user] = gateway().users_by_email(email=email)
        assert user["user_metadata"] == {"seats": 4}


def _required_schema(organization: Organization) -> None:
    """A required field the organization's admins set, and a required one only company admins set."""
    from organizations.models import Audience
    from tests.factories import metadata_fields_create

    metadata_fields_create(organization, [
        ("department", "user_metadata", "text", {"label": "Department", "required": True}),
        ("on_call", "user_metadata", "boolean", {"label": "On call", "required": True}),
        ("seats", "user_metadata", "integer", {"label": "Seats"}),
        ("cost_centre", "app_metadata", "text", {"label": "Cost centre", "required": True,
                                                 "editable_by": Audience.COMPANY_ADMIN,
                                                 "visible_to": Audience.ORG_ADMIN}),
    ])


def _recorded() -> tuple[int, int]:
    return Operation.objects.filter(kind="user_invite").count(), AuditEvent.objects.count()


def test_a_required_field_the_admin_may_set_must_be_given_and_nothing_is_recorded_without_it(organizations) -> None:
    organization = organizations["acme"]
    _required_schema(organization)
    actor, email = admin_of(organization), new_email("acme")
    before = _recorded()
    required = ["Enter a value: this field is required."]
    for values in (None, {}, {"user_metadata": {"department": "  ", "on_call": ""}}):
        with pytest.raises(ValidationError) as caught:
            user_invite_request(actor=actor, organization=organization, email=email, values=values)
        # Beside each field, named as the invitation names every metadata error; not the company admins' field.
        assert caught.value.message_dict == {"user_metadata.department": required, "user_metadata.on_call": required}
    # Every error at once: the email's, a value's, and a required field still missing.
    with pytest.raises(ValidationError) as caught:
        user_invite_request(actor=actor, organization=organization, email="not-an-email",
                            values={"user_metadata": {"on_call": "perhaps", "seats": "2"}})
    assert caught.value.message_dict == {"email": ["Enter a valid email address, like name@example.com."],
                                         "user_metadata.on_call": ["Choose Yes or No."],
                                         "user_metadata.department": required}
    assert _recorded() == before
    assert gateway().users_by_email(email=email) == []

    # Given (a "no" is a value), the invitation goes through and the person holds them.
    operation = user_invite_request(actor=actor, organization=organization, email=email,
                                    values={"user_metadata": {"department": "Sales", "on_call": "no"}})
    user_invite.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "succeeded", operation.last_error
    [user] = gateway().users_by_email(email=email)
    assert user["user_metadata"] == {"department": "Sales", "on_call": False}
    assert "cost_centre" not in (user.get("app_metadata") or {})  # left for company admins to set


def test_a_required_field_only_company_admins_set_binds_them_not_the_organizations_admins(organizations) -> None:
    """An organization's admin cannot give a field only company admins edit: it does not stop their invitations
    (it stays unset for a company admin to fill in). A company admin inviting must give it."""
    from tests.factories import CompanyAdminFactory

    organization = organizations["acme"]
    _required_schema(organization)
    given = {"user_metadata": {"department": "Sales", "on_call": "yes"}}
    operation = user_invite_request(actor=admin_of(organization), organization=organization,
                                    email=new_email("acme"), values=given)
    assert operation.payload["user_metadata"] == {"department": "Sales", "on_call": True}
    assert "app_metadata" not in operation.payload
    # The organization's admin may not set it at all: refused beside it, as before.
    with pytest.raises(ValidationError) as caught:
        user_invite_request(actor=admin_of(organization), organization=organization, email=new_email("acme"),
                            values={**given, "app_metadata": {"cost_centre": "CC-1"}})
    assert caught.value.message_dict == {"app_metadata.cost_centre": ["Only company admins may change Cost centre."]}

    company = principal_for_user_id(CompanyAdminFactory().user_id, "Chief")
    before = _recorded()
    with pytest.raises(ValidationError) as caught:
        user_invite_request(actor=company, organization=organization, email=new_email("acme"), values=given)
    assert caught.value.message_dict == {"app_metadata.cost_centre": ["Enter a value: this field is required."]}
    assert _recorded() == before
    operation = user_invite_request(actor=company, organization=organization, email=new_email("acme"),
                                    values={**given, "app_metadata": {"cost_centre": "CC-1"}})
    assert operation.payload["app_metadata"] == {"cost_centre": "CC-1"}


# -- one invitation per organization and email on its way at a time ----------------------------------------------
def test_an_invitation_is_one_at_a_time_per_organization_and_email(organizations) -> None:
    acme, initech = organizations["acme"], organizations["initech"]
    acme_admin, email = admin_of(acme), new_email("partner")
    first = user_invite_request(actor=acme_admin, organization=acme, email=email)
    # Another organization's invitation of the same person is its own.
    user_invite_request(actor=admin_of(initech), organization=initech, email=email)
    with pytest.raises(ValidationError) as caught:
        user_invite_request(actor=acme_admin, organization=acme, email=f"  {email.upper()} ")
    assert caught.value.error_dict["email"][0].code == invitations.ON_ITS_WAY
    assert Operation.objects.filter(organization=acme, kind="user_invite").count() == 1
    # Once it has finished (here failed), the person may be invited again.
    Operation.objects.filter(pk=first.pk).update(status="failed")
    again = user_invite_request(actor=acme_admin, organization=acme, email=email.upper())
    assert again.target == email and again.status == "pending"
    # The database holds it whatever writes the row, in any case of the email.
    with pytest.raises(IntegrityError), transaction.atomic():
        operation_create(kind="user_invite", actor=None, organization=acme, target=email.upper())


def _check_sees_nothing_first(monkeypatch) -> None:
    """Each thread's check finds no invitation on its way, as when requests arrive at the same instant and each
    reads before any has recorded its own; the insert then meets the database's index."""
    checked = threading.local()
    check = invitations.invitation_on_its_way

    def blind_once(organization, email) -> bool:
        if not getattr(checked, "once", False):
            checked.once = True
            return False
        return check(organization, email)

    monkeypatch.setattr(invitations, "invitation_on_its_way", blind_once)


def test_a_second_invitation_past_the_check_is_refused_at_its_insert_and_records_nothing(organizations,
                                                                                           monkeypatch) -> None:
    organization = organizations["acme"]
    actor, email = admin_of(organization), new_email("acme")
    user_invite_request(actor=actor, organization=organization, email=email)
    events = AuditEvent.objects.count()
    _check_sees_nothing_first(monkeypatch)
    with pytest.raises(ValidationError) as caught:
        user_invite_request(actor=actor, organization=organization, email=email)
    assert caught.value.message_dict == {"email": [f"An invitation to {email} is already on its way."]}
    assert caught.value.error_dict["email"][0].code == invitations.ON_ITS_WAY
    assert Operation.objects.filter(kind="user_invite").count() == 1 and AuditEvent.objects.count() == events


@needs_database_server
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("arrival", ["as they come", "all past the check"])
def test_simultaneous_identical_invitations_record_one_and_refuse_the_others(monkeypatch, arrival) -> None:
    """Six requests at once for the same person (in two spellings of the email): one invitation, five refusals
    that say so, no other error, and nothing recorded for the refused."""
    organization = OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                                       membership_mode=MembershipMode.ISOLATED_CONNECTION, auth0_connection_id="con_a")
    actor, email = admin_of(organization), new_email("acme")
    if arrival == "all past the check":
        _check_sees_nothing_first(monkeypatch)
    outcomes = simultaneously(lambda n: user_invite_request(actor=actor, organization=organization,
                                                            email=email.upper() if n % 2 else email), 6)
    recorded = [o for o in outcomes if isinstance(o, Operation)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(recorded) == 1 and len(refused) == 5, outcomes
    assert all(r.message_dict == {"email": [f"An invitation to {email} is already on its way."]} for r in refused)
    assert list(Operation.objects.values_list("pk", flat=True)) == [recorded[0].pk]
    assert AuditEvent.objects.filter(action="user.invite_requested").count() == 1


# -- a run that waits for its budget does not read again (issue 19) -------------------------------------------------
class Budget:
    """The gateway's shared budget made of this test's own buckets (tests/support/budget.py), ample in every
    group, one of which a test empties so that the run meets it mid-way; ``refill`` fills them all again."""

    def __init__(self) -> None:
        self.store = IsolatedRedisStore()
        # A refill far slower than any test: an emptied group stays empty until refilled.
        self.limit = Limit(burst=1000, per_minute=0.01)
        self.limiter = RateLimiter(self.store, {group: self.limit for group in GROUP_LABELS})

    def empty(self, group: str) -> None:
        self.store.lower(group, self.limit, 0.0)

    def refill(self) -> None:
        self.store.clear()


@pytest.fixture
def budget(organizations, monkeypatch) -> Budget:
    from auth0_gateway import core, gateway_reset

    made = Budget()
    monkeypatch.setattr(core, "rate_limiter", lambda: made.limiter)
    gateway_reset()
    yield made
    gateway_reset()
    made.refill()


def _calls(emulator, group: str) -> int:
    """Calls of ``group`` the tenant has answered so far (the emulator's own count)."""
    groups = httpx.get(f"{emulator.url}/emulator/stats", timeout=10).json()["groups"]
    return groups.get(group, {}).get("served", 0)


@pytest.fixture
def retried(budget):
    """Run ``then`` (default: refill the budget) when the invitation's run is released to wait for its budget,
    before ``.apply()`` runs the retry it scheduled; the operation as each release left it."""
    from celery.signals import task_retry

    released: list[Operation] = []
    then = [budget.refill]

    def record(sender=None, request=None, **kwargs) -> None:
        released.append(Operation.objects.get(pk=request.args[0]))
        then.pop(0)()

    task_retry.connect(record, weak=False)
    yield released, then
    task_retry.disconnect(record)


@pytest.mark.parametrize("slug", ["acme", "initech", "globex"])
@pytest.mark.parametrize("group", ["write_users", "other"])
def test_a_run_that_waits_for_its_budget_mid_way_does_not_read_again(organizations, changing_emulator, budget,
                                                                      retried, slug, group) -> None:
    """The run reads (users-by-email: no account), then finds no budget for its create (Write Users) or, the
    account made, for its set-password ticket ("other", the group that binds in bulk). It is released and
    retried, and the retry does not read again: one Read Users call per invitation, one account, one email."""
    organization, email = organizations[slug], new_email(slug)
    released, _ = retried
    budget.empty(group)
    before = {g: _calls(changing_emulator, g) for g in ("read_users", "write_users", "other")}
    operation = invite(organization, email)
    assert operation.status == "succeeded", operation.last_error
    [waited] = released
    assert waited.status == "pending" and waited.last_error.startswith("Waiting for the Management API rate limit")
    spent = {g: _calls(changing_emulator, g) - before[g] for g in before}
    assert spent == {"read_users": 1, "write_users": 1, "other": 1}
    # What the waiting run had noted for its retry (the notes go with the outcome).
    assert waited.result["run_notes"] == (
        {"no_account": True} if group == "write_users" else
        {"no_account": True, "ready_user_id": operation.result["user_id"]})
    assert operation.result == {"user_id": operation.result["user_id"], "new_user": True, "outcome": "invited"}
    assert [u["user_id"] for u in gateway().users_by_email(email=email)] == [operation.result["user_id"]]
    assert DirectoryUser.objects.filter(user_id=operation.result["user_id"],
                                        memberships__organization=organization).exists()
    [message] = mail.outbox
    assert message.to == [email] and message.subject == f"You are invited to {organization.display_name}"


def test_an_account_made_by_someone_else_while_a_run_waited_is_not_made_again(organizations, changing_emulator,
                                                                              budget, retried) -> None:
    """The run noted that no account had the email, then waited for its create's budget; meanwhile someone made
    the account elsewhere. The retry's create is a 409 (Auth0 checks, whatever the note says), the run reads
    then and does what a fresh read would have had it do: an invitation to join, no second account."""
    organization, email = organizations["initech"], new_email("elsewhere")
    _, then = retried

    def someone_else_creates() -> None:
        budget.refill()
        gateway().user_create(connection=SHARED, email=email, password=password_random(),
                              app_metadata={"organizations": ["other-org"]})

    then[:] = [someone_else_creates]
    budget.empty("write_users")
    reads = _calls(changing_emulator, "read_users")
    operation = invite(organization, email)
    assert operation.status == "succeeded", operation.last_error
    assert operation.result["outcome"] == "awaiting_acceptance"
    [account] = gateway().users_by_email(email=email)
    assert JoinInvitation.objects.get(organization=organization).user_id == account["user_id"]
    # The first run's read, and the one after the 409 (the note cost a call, never an account).
    assert _calls(changing_emulator, "read_users") - reads == 2 + 1  # + this test's own users_by_email
