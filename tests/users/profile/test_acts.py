"""The self-service acts (users.profile.acts, users.acts.metadata's profile_metadata_edit_*, users.profile.data_export).

The request halves on the directory alone: only the person's own fields, in one of their own organizations;
every refusal keyed by the field it concerns, with nothing recorded; where a password lives when it is not
Auth0's; each quota. The task halves with .apply() against an emulator of their own (they change its users):
the edit reaches Auth0 as a user_metadata merge and nothing else, the change-password email carries a
working ticket in the organization's branding (or the portal's), and so does the verification email, signing
out everywhere ends the person's Auth0 sessions and refresh tokens, and the export holds what the person may
see and nothing else. A task refuses an operation that was not asked for by the person it is about."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import httpx
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from app_roles.models import AppRoleGrant, TenantRole
from auth0_gateway import gateway
from history.retry import operation_retry_allowed
from organizations.models import Audience, MetadataField
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation, OperationKind
from portal.operations import operation_create
from portal.principal import Principal
from tests.contract.test_mgmt_user_sessions import refreshes, signed_in, signs_in_silently
from tests.factories import OrganizationFactory, RoleFactory, UserFactory
from tests.support.budget import REDIS_URL
from tests.support.concurrency import needs_database_server, simultaneously
from tests.users.auth0_users import auth0_user
from tests.users.org_modes import SHARED, admin_of, member_create, organizations_per_mode
from users.directory.mirror import directory_user_write_through, directory_users_upsert
from users.models import DataExport, DirectoryUser
from users.profile import data_export
from users.profile.acts import (
    profile_password_email_request,
    profile_password_home,
    profile_sessions_revoke_request,
    profile_verification_email_request,
)
from users.profile.data_export import data_exports_purge, profile_data_export_request
from users.profile.metadata import profile_metadata_edit_preview, profile_metadata_edit_request
from users.tasks import profile_action, profile_data_export, profile_metadata_edit

pytestmark = pytest.mark.django_db
PASSWORD = "Profile-pass-2026!"


def schema_add(organization) -> None:
    for position, (key, target, editable, visible, label) in enumerate([
        ("desk", "user_metadata", Audience.END_USER, Audience.END_USER, "Desk"),
        ("team", "user_metadata", Audience.ORG_ADMIN, Audience.END_USER, "Team"),
        ("cost_centre", "app_metadata", Audience.ORG_ADMIN, Audience.END_USER, "Cost centre"),
        ("risk", "app_metadata", Audience.COMPANY_ADMIN, Audience.COMPANY_ADMIN, "Risk score"),
        ("review_note", "user_metadata", Audience.COMPANY_ADMIN, Audience.COMPANY_ADMIN, "Review note"),
    ]):
        MetadataField.objects.create(organization=organization, key=key, target=target, editable_by=editable,
                                     visible_to=visible, label=label, position=position)


# -- the request halves, on the directory ------------------------------------------------------------------------
@pytest.fixture
def acme():
    organization = OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users")
    schema_add(organization)
    return organization


@pytest.fixture
def grace(acme) -> Principal:
    user = auth0_user(connection="acme-users", email="grace@acme.test", name="Grace Hopper", email_verified=False,
                      user_metadata={"desk": "B12", "team": "Compilers"}, app_metadata={"cost_centre": "CC-7"})
    directory_users_upsert([user])
    return principal_for_user_id(user["user_id"], "Grace Hopper")


def refused(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    assert not Operation.objects.exists() and not AuditEvent.objects.exists()
    return caught.value.message_dict if hasattr(caught.value, "error_dict") else {"": caught.value.messages}


def test_a_person_edits_their_own_field_and_nothing_else(grace, acme, django_capture_on_commit_callbacks) -> None:
    changes = profile_metadata_edit_preview(actor=grace, organization=acme, values={"user_metadata": {"desk": "C3"}})
    assert [(c.name, c.before, c.after) for c in changes] == [("user_metadata.desk", "B12", "C3")]
    assert not Operation.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        operation = profile_metadata_edit_request(actor=grace, organization=acme,
                                                  values={"user_metadata": {"desk": "C3"}})
    assert (operation.kind, operation.target, operation.actor_user_id) == (
        OperationKind.PROFILE_METADATA_EDIT, grace.user_id, grace.user_id)
    assert operation.payload == {"user_id": grace.user_id, "email": "grace@acme.test", "user_metadata": {"desk": "C3"}}
    event = AuditEvent.objects.get()
    assert event.action == "profile_metadata_edit.requested" and event.organization == acme
    assert event.details["changes"] == [{"field": "user_metadata.desk", "label": "Desk", "before": "B12",
                                         "after": "C3"}]


@pytest.mark.parametrize(("values", "errors"), [
    ({"app_metadata": {"cost_centre": "CC-1"}},
     {"app_metadata.cost_centre": ["Cost centre is kept by Acme's admins: you cannot change it yourself."]}),
    ({"user_metadata": {"team": "Sales"}},
     {"user_metadata.team": ["Team is kept by Acme's admins: you cannot change it yourself."]}),
    ({"user_metadata": {"review_note": "fine"}},
     {"user_metadata.review_note": ["Review note is kept by Acme's admins: you cannot change it yourself."]}),
    ({"app_metadata": {"risk": "none"}},
     {"app_metadata.risk": ["Risk score is kept by Acme's admins: you cannot change it yourself."]}),
    ({"app_metadata": {"organizations": ["globex"]}},
     {"app_metadata.organizations": ["“organizations” is reserved by the portal in app_metadata: it is never "
                                     "edited here."]}),
    ({"user_metadata": {"portal": {"admin": True}}},
     {"user_metadata.portal": ["“portal” is reserved by the portal in user_metadata: it is never edited here."]}),
    ({"user_metadata": {"desk": "C3", "hobby": "chess"}},
     {"user_metadata.hobby": ["“hobby” is not a field of Acme's metadata schema."]}),
])
def test_anything_but_their_own_fields_is_refused_by_name(grace, acme, values, errors) -> None:
    assert refused(profile_metadata_edit_request, actor=grace, organization=acme, values=values) == errors


def test_only_their_own_organizations_and_only_once_mirrored(grace, acme) -> None:
    other = OrganizationFactory(slug="globex")
    MetadataField.objects.create(organization=other, key="desk", label="Desk", editable_by=Audience.END_USER,
                                 visible_to=Audience.END_USER)
    with pytest.raises(PermissionDenied):
        profile_metadata_edit_request(actor=grace, organization=other, values={"user_metadata": {"desk": "X"}})
    with pytest.raises(PermissionDenied):
        profile_password_email_request(actor=grace, organization=other)
    stranger = principal_for_user_id("auth0|" + "f" * 24, "New")
    assert refused(profile_password_email_request, actor=stranger, organization=None) == {
        "": ["Your profile has not been read from Auth0 yet: try again in a minute."]}


@pytest.mark.parametrize(("identity", "where"), [
    ({"connection": "google-oauth2", "provider": "google-oauth2", "isSocial": True},
     "You sign in with your Google account: your password is Google's, so change it in your Google account "
     "settings."),
    ({"connection": "acme-entra", "provider": "waad", "isSocial": False},
     "You sign in through your organization's own identity provider (Microsoft Entra ID, connection acme-entra): "
     "your password is kept there, so change it the way your organization tells you to."),
    ({"connection": "email", "provider": "email", "isSocial": False},
     "You sign in with a one-time code sent to your email: there is no password to change."),
])
def test_where_a_password_lives_when_it_is_not_auth0s(identity, where) -> None:
    user = auth0_user(connection=identity["connection"], identities=[{**identity, "user_id": "1"}])
    directory_users_upsert([user])
    person = DirectoryUser.objects.get(user_id=user["user_id"])
    assert profile_password_home(person) == where
    actor = principal_for_user_id(user["user_id"])
    assert refused(profile_password_email_request, actor=actor, organization=None) == {"": [where]}


def test_a_database_account_has_its_password_here(grace) -> None:
    assert profile_password_home(DirectoryUser.objects.get(user_id=grace.user_id)) == ""


@pytest.mark.parametrize(("ask", "what"), [
    (profile_password_email_request, "change-password emails"),
    (profile_verification_email_request, "verification emails"),
])
def test_each_email_has_a_limit_per_person(grace, acme, ask, what) -> None:
    for _ in range(3):
        ask(actor=grace, organization=acme)
    with pytest.raises(ValidationError) as caught:
        ask(actor=grace, organization=acme)
    assert caught.value.code == "rate_limited"
    assert caught.value.messages[0].startswith(f"You have already asked for 3 {what} this hour, the most allowed: "
                                               "nothing was sent this time. You can ask again in ")
    assert Operation.objects.count() == 3
    # The limit is the person's: someone else asks as they like.
    other = auth0_user(connection="acme-users", email="other@acme.test", email_verified=False)
    directory_users_upsert([other])
    ask(actor=principal_for_user_id(other["user_id"]), organization=acme)


def test_the_limit_opens_again_when_its_window_ends(grace, acme, monkeypatch) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr("portal.quota.time.time", lambda: clock[0])
    for _ in range(3):
        profile_password_email_request(actor=grace, organization=acme)
    clock[0] += 3599
    with pytest.raises(ValidationError, match="You can ask again in 1 second"):
        profile_password_email_request(actor=grace, organization=acme)
    clock[0] += 1
    profile_password_email_request(actor=grace, organization=acme)
    assert Operation.objects.count() == 4


@needs_database_server
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache", ["database", "redis"])
def test_simultaneous_asks_send_no_more_than_the_limit(grace, acme, settings, cache) -> None:
    """Ten change-password emails asked for at the same instant (a button pressed in a loop, from two browsers):
    three are recorded, seven are told when to ask again, whichever store counts them (on Redis, under a key
    prefix of the test's own, whose count expires with its window)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                   "LOCATION": "profile_test_cache"} if cache == "database" else
                       {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                        "KEY_PREFIX": f"test-profile-{uuid.uuid4().hex[:12]}"}}
    outcomes = simultaneously(lambda _: profile_password_email_request(actor=grace, organization=acme), 10)
    refusals = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len([o for o in outcomes if isinstance(o, Operation)]) == 3 and len(refusals) == 7, outcomes
    assert {r.code for r in refusals} == {"rate_limited"}
    assert Operation.objects.filter(kind=OperationKind.PROFILE_PASSWORD_EMAIL).count() == 3


def test_a_verified_address_is_refused(acme) -> None:
    user = auth0_user(connection="acme-users", email="ok@acme.test", email_verified=True)
    directory_users_upsert([user])
    assert refused(profile_verification_email_request, actor=principal_for_user_id(user["user_id"]),
                   organization=acme) == {"": ["ok@acme.test is verified already."]}


def test_signing_out_everywhere_is_for_oneself_only(grace, acme) -> None:
    someone = UserFactory()
    with pytest.raises(PermissionDenied):
        profile_sessions_revoke_request(actor=grace, account=someone, organization=acme)
    account = UserFactory(auth0_user_id=grace.user_id)
    before = account.get_session_auth_hash()
    operation = profile_sessions_revoke_request(actor=grace, account=account, organization=acme)
    account.refresh_from_db()
    assert account.get_session_auth_hash() != before and not account.has_usable_password()
    assert operation.kind == OperationKind.PROFILE_SESSIONS_REVOKE and operation.payload == {"user_id": grace.user_id}


@needs_database_server
@pytest.mark.django_db(transaction=True)
def test_simultaneous_exports_asked_for_record_one(grace, acme, monkeypatch, settings) -> None:
    """Five exports asked for at the same instant, all past the check (which finds none being prepared): the
    database records one, and the others are told one is being prepared, with nothing recorded for them. (The
    daily quota is counted under a key prefix of the test's own: the suite's earlier exports do not spend it.)"""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                                   "KEY_PREFIX": f"test-export-{uuid.uuid4().hex[:12]}"}}
    monkeypatch.setattr(data_export.DataExport.objects, "filter", _nothing_found_first(DataExport.objects.filter))
    outcomes = simultaneously(lambda _: profile_data_export_request(actor=grace, organization=acme), 5)
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len([o for o in outcomes if isinstance(o, DataExport)]) == 1 and len(refused) == 4, outcomes
    assert {r.messages[0] for r in refused} == {"An export of your data is already being prepared: it is offered "
                                                "here when it is ready."}
    assert DataExport.objects.count() == Operation.objects.filter(kind=OperationKind.PROFILE_DATA_EXPORT).count() == 1


def _nothing_found_first(real_filter):
    """The check's read, made to find nothing (as every request at the same instant finds)."""
    def filter_(*args, **kwargs):
        if "ready_at__isnull" in kwargs:
            return DataExport.objects.none()
        return real_filter(*args, **kwargs)
    return filter_


def test_an_export_at_a_time_and_a_few_a_day(grace, acme) -> None:
    export = profile_data_export_request(actor=grace, organization=acme)
    assert export.user_id == grace.user_id and export.operation.payload == {"export_id": str(export.pk)}
    with pytest.raises(ValidationError, match="already being prepared"):
        profile_data_export_request(actor=grace, organization=acme)
    for _ in range(4):
        Operation.objects.filter(kind=OperationKind.PROFILE_DATA_EXPORT).update(status=Operation.Status.FAILED)
        profile_data_export_request(actor=grace, organization=acme)
    Operation.objects.update(status=Operation.Status.FAILED)
    with pytest.raises(ValidationError, match="You have already asked for 5 exports of your data within 24 hours"):
        profile_data_export_request(actor=grace, organization=acme)
    assert DataExport.objects.count() == 5


def test_expired_exports_are_deleted(grace) -> None:
    now = timezone.now()
    old = DataExport.objects.create(user_id=grace.user_id, content="{}", ready_at=now, expires_at=now)
    fresh = DataExport.objects.create(user_id=grace.user_id, content="{}", ready_at=now,
                                      expires_at=now + dt.timedelta(days=1))
    assert data_exports_purge(now=now) == 1
    assert list(DataExport.objects.values_list("pk", flat=True)) == [fresh.pk] and old.pk


def test_admins_cannot_try_a_persons_own_request_again(grace, acme) -> None:
    operation = profile_password_email_request(actor=grace, organization=acme)
    Operation.objects.filter(pk=operation.pk).update(status=Operation.Status.FAILED)
    operation.refresh_from_db()
    admin = principal_for_user_id(RoleFactory(organization=acme, role="admin").user_id)
    assert operation_retry_allowed(actor=admin, operation=operation) is False


# -- the task halves, against an emulator of their own --------------------------------------------------------
@pytest.fixture
def tenant(auth0_on_changing_emulator, settings):
    settings.PORTAL_BASE_URL = "http://portal.test"
    organizations = organizations_per_mode()
    for organization in organizations.values():
        schema_add(organization)
    return organizations


def person(organization, **fields) -> tuple[Principal, dict]:
    user = member_create(organization, password=PASSWORD, name="Grace Hopper")
    if fields:
        user = gateway().user_update(user_id=user["user_id"], **fields)
        directory_user_write_through(user)
    return principal_for_user_id(user["user_id"], "Grace Hopper"), user


def run(task, operation: Operation) -> Operation:
    task.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    return operation


def test_the_edit_reaches_auth0_as_user_metadata_only(tenant) -> None:
    acme = tenant["acme"]
    actor, user = person(acme, user_metadata={"desk": "B12", "team": "Compilers"},
                         app_metadata={"cost_centre": "CC-7", "risk": "low"})
    operation = profile_metadata_edit_request(actor=actor, organization=acme, values={"user_metadata": {"desk": "C3"}})
    assert run(profile_metadata_edit, operation).status == Operation.Status.SUCCEEDED, operation.last_error
    stored = gateway().user_get(user_id=user["user_id"])
    assert stored["user_metadata"] == {"desk": "C3", "team": "Compilers"}
    assert stored["app_metadata"] == {"cost_centre": "CC-7", "risk": "low"}
    assert DirectoryUser.objects.get(user_id=user["user_id"]).user_metadata["desk"] == "C3"
    assert operation.result == {"changed": ["user_metadata.desk"]}


def test_the_edit_is_refused_when_the_field_became_the_admins(tenant) -> None:
    acme = tenant["acme"]
    actor, user = person(acme, user_metadata={"desk": "B12"})
    operation = profile_metadata_edit_request(actor=actor, organization=acme, values={"user_metadata": {"desk": "C3"}})
    MetadataField.objects.filter(organization=acme, key="desk").update(editable_by=Audience.ORG_ADMIN)
    assert run(profile_metadata_edit, operation).status == Operation.Status.FAILED
    assert operation.last_error == "Desk is kept by Acme's admins: you cannot change it yourself. Nothing was changed."
    assert gateway().user_get(user_id=user["user_id"])["user_metadata"] == {"desk": "B12"}


def test_a_task_refuses_what_someone_else_asked_for_about_a_person(tenant) -> None:
    """An admin (or an admin's retry) cannot pass their own act off as the person's: the task checks who asked."""
    acme = tenant["acme"]
    _actor, user = person(acme, user_metadata={"desk": "B12"})
    admin = admin_of(acme)
    forged = [
        operation_create(kind=OperationKind.PROFILE_METADATA_EDIT, actor=admin, organization=acme,
                         target=user["user_id"], payload={"user_metadata": {"desk": "HACKED"}}),
        operation_create(kind=OperationKind.PROFILE_SESSIONS_REVOKE, actor=admin, organization=acme,
                         target=user["user_id"], payload={}),
    ]
    for operation, task in zip(forged, (profile_metadata_edit, profile_action), strict=True):
        assert run(task, operation).status == Operation.Status.FAILED
        assert operation.last_error == "Only the person themselves may ask for this, on their profile page."
    assert gateway().user_get(user_id=user["user_id"])["user_metadata"] == {"desk": "B12"}


def test_the_change_password_email_is_branded_and_its_link_works(tenant) -> None:
    acme = tenant["acme"]
    actor, user = person(acme)
    operation = profile_password_email_request(actor=actor, organization=acme)
    assert run(profile_action, operation).status == Operation.Status.SUCCEEDED, operation.last_error
    [email] = mail.outbox
    assert email.to == [user["email"]] and email.subject == "Choose a new password for Acme"
    assert "You asked for a link to choose a new password for Acme." in email.body
    link = next(line for line in email.body.splitlines() if "reset-password?ticket=" in line)
    assert httpx.get(link).status_code == 200  # the emulator's page to choose it
    assert "Acme" in email.alternatives[0][0]


def test_a_person_in_no_organization_gets_the_portals_email(tenant) -> None:
    user = gateway().user_create(connection=SHARED, email="solo-profile@portal.test", password=PASSWORD,
                                 email_verified=True)
    directory_user_write_through(user)
    actor = principal_for_user_id(user["user_id"])
    try:
        assert run(profile_action, profile_password_email_request(actor=actor, organization=None)).status == "succeeded"
        [email] = mail.outbox
        assert email.subject == "Choose a new password"
        assert "Delegated Admin" in email.alternatives[0][0]
    finally:
        gateway().user_delete(user_id=user["user_id"])


def test_the_verification_email_is_branded_and_its_link_confirms_the_address(tenant, changing_emulator) -> None:
    initech = tenant["initech"]
    actor, user = person(initech)
    def auth0_sent() -> list[dict]:
        return httpx.get(f"{changing_emulator.url}/emulator/outbox", params={"to": user["email"]}).json()

    before = auth0_sent()  # Auth0 sent one when the account was made: the portal asks it for no more
    operation = profile_verification_email_request(actor=actor, organization=initech)
    assert run(profile_action, operation).status == Operation.Status.SUCCEEDED, operation.last_error
    assert auth0_sent() == before
    [email] = mail.outbox
    assert email.to == [user["email"]] and email.subject == "Confirm your email address for Initech"
    assert "You asked, on your profile page, for a link to confirm your email address." in email.body
    link = next(line for line in email.body.splitlines() if "/u/email-verification?ticket=" in line)
    assert link in email.alternatives[0][0]
    assert httpx.get(link).status_code == 302
    assert gateway().user_get(user_id=user["user_id"])["email_verified"] is True


def test_signing_out_everywhere_ends_auth0_sessions_and_refresh_tokens(tenant, changing_emulator) -> None:
    initech = tenant["initech"]
    actor, user = person(initech)
    browser, refresh_token = signed_in(changing_emulator, user["email"], "laptop", PASSWORD)
    assert signs_in_silently(browser)
    operation = profile_sessions_revoke_request(actor=actor, account=UserFactory(auth0_user_id=actor.user_id),
                                                organization=initech)
    assert run(profile_action, operation).status == Operation.Status.SUCCEEDED, operation.last_error
    assert not signs_in_silently(browser)
    assert refreshes(changing_emulator, refresh_token) == 403
    browser.close()


def test_the_export_holds_what_the_person_may_see(tenant) -> None:
    globex = tenant["globex"]
    actor, user = person(globex, user_metadata={"desk": "B12", "review_note": "slow", "hobby": "sailing"},
                         app_metadata={"cost_centre": "CC-7", "risk": "high"})
    RoleFactory(organization=globex, user_id=user["user_id"], role="viewer")
    actor = principal_for_user_id(user["user_id"], "Grace Hopper")
    edit = profile_metadata_edit_request(actor=actor, organization=globex, values={"user_metadata": {"desk": "C3"}})
    run(profile_metadata_edit, edit)
    now = timezone.now()  # an application role Globex granted them
    TenantRole.objects.create(pk="rol_export0000000000", name="Editor", refreshed_at=now)
    AppRoleGrant.objects.create(user=DirectoryUser.objects.get(user_id=user["user_id"]), role_id="rol_export0000000000",
                                scope="organization", organization=globex, granted_at=now, confirmed_at=now)
    export = profile_data_export_request(actor=actor, organization=globex)
    operation = run(profile_data_export, export.operation)
    assert operation.status == Operation.Status.SUCCEEDED, operation.last_error
    export.refresh_from_db()
    assert export.ready_at is not None and export.expires_at - export.ready_at == data_export.EXPORT_LIFETIME
    document = json.loads(export.content)
    assert document["format"] == data_export.FORMAT
    assert document["account"]["email"] == user["email"] and document["account"]["user_id"] == user["user_id"]
    assert document["identities"] == [{"connection": SHARED, "provider": "auth0",
                                       "user_id": user["user_id"].split("|")[1], "isSocial": False}]
    # Their own data and what the schema shows them; never what it keeps from them.
    assert document["user_metadata"] == {"desk": "C3", "hobby": "sailing"}
    assert document["app_metadata"] == {"cost_centre": "CC-7"}
    assert document["organizations"] == [{"slug": "globex", "name": "Globex"}]
    assert document["portal_roles"] == [{"role": "Viewer", "organization": "Globex"}]
    assert document["application_roles"] == [{"role": "Editor", "granted_by": "Globex"}]
    actions = [e["action"] for e in document["audit_events"]]
    assert "Edit own details (self-service): requested" in actions
    assert "Export own data (self-service): requested" in actions
    assert all(set(e) == {"occurred_at", "by", "action", "summary", "organization"} for e in document["audit_events"])
    assert any(e["type"] == "ss" for e in document["auth0_log_events"])
    assert "slow" not in export.content and "high" not in export.content


def test_the_export_of_a_deleted_account_fails_in_words(tenant) -> None:
    acme = tenant["acme"]
    actor, user = person(acme)
    export = profile_data_export_request(actor=actor, organization=acme)
    gateway().user_delete(user_id=user["user_id"])
    operation = run(profile_data_export, export.operation)
    assert operation.status == Operation.Status.FAILED
    assert operation.last_error == "Auth0 has no such account any more: there is nothing to export."
    export.refresh_from_db()
    assert export.ready_at is None and export.content == ""

