"""Editing a user's metadata through the organization's schema (users.acts.metadata).

The request half, on the directory alone: every field type's rules with a specific message keyed by the
field, reserved keys and keys outside the schema refused, fields the actor may not edit refused, nothing
recorded on any refusal, only changed fields in the payload and each one's before and after in the audit
event. The apply half, run with .apply() against an emulator over HTTP: one first-level merge (null
deletes a key; other keys, reserved ones included, untouched), written through to the directory, harmless
when sent twice, and refused when the actor's rights or the schema changed in between."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from auth0_gateway import gateway
from organizations.models import Audience, MembershipMode, MetadataField, Organization
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory, metadata_fields_create
from tests.users.auth0_users import auth0_user
from users.acts.invite import password_random
from users.acts.metadata import user_metadata_edit_apply, user_metadata_edit_preview, user_metadata_edit_request
from users.directory.mirror import directory_user_write_through, directory_users_upsert
from users.directory.selectors import user_metadata_fields_editable
from users.models import DirectoryUser
from users.tasks import user_metadata_edit

pytestmark = pytest.mark.django_db
SHARED = "Username-Password-Authentication"

# (key, target, type, extra attributes)
SCHEMA = [
    ("department", "user_metadata", "text", {"label": "Department", "required": True, "max_length": 20}),
    ("employee_code", "user_metadata", "text", {"label": "Employee code", "pattern": r"[A-Z]{3}-\d{4}"}),
    ("start_date", "user_metadata", "date", {"label": "Start date"}),
    ("contact", "user_metadata", "email", {"label": "Contact email"}),
    ("mobile", "user_metadata", "phone", {"label": "Mobile"}),
    ("homepage", "user_metadata", "url", {"label": "Homepage"}),
    ("seats", "user_metadata", "integer", {"label": "Seats"}),
    ("newsletter", "user_metadata", "boolean", {"label": "Newsletter"}),
    ("tier", "user_metadata", "enum", {"label": "Tier", "choices": ["bronze", "silver", "gold"]}),
    ("region", "app_metadata", "enum", {"label": "Region", "choices": ["emea", "apac", "amer"]}),
    ("cost_centre", "app_metadata", "text", {"label": "Cost centre", "editable_by": Audience.COMPANY_ADMIN,
                                             "visible_to": Audience.ORG_ADMIN}),
]


def schema_add(organization: Organization) -> None:
    metadata_fields_create(organization, SCHEMA)


@pytest.fixture
def acme() -> Organization:
    organization = OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                                       auth0_connection_id="con_a")
    schema_add(organization)
    return organization


@pytest.fixture
def admin(acme):
    return principal_for_user_id(RoleFactory(organization=acme, role="admin").user_id, "Boss")


@pytest.fixture
def ada(acme) -> dict:
    """A user of Acme in the directory only (the request half never calls Auth0)."""
    user = auth0_user(connection="acme-users", email="ada@acme.test", name="Ada Lovelace",
                      user_metadata={"department": "Engineering", "seats": 3, "newsletter": False,
                                     "mobile": "+44 20 7946 0000", "hobby": "chess"},
                      app_metadata={"region": "emea"})
    directory_users_upsert([user])
    return user


def edit(actor, organization, user_id, **values) -> Operation:
    return user_metadata_edit_request(actor=actor, organization=organization, user_id=user_id, values=values)


def refused(actor, organization, user_id, values) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        user_metadata_edit_request(actor=actor, organization=organization, user_id=user_id, values=values)
    assert not Operation.objects.exists() and not AuditEvent.objects.exists()
    return caught.value.message_dict if hasattr(caught.value, "error_dict") else {"": caught.value.messages}


@pytest.mark.parametrize(("key", "value", "message"), [
    ("department", "x" * 21, "Keep it to 20 characters (this is 21)."),
    ("department", "", "Enter a value: this field is required."),
    ("department", None, "Enter a value: this field is required."),
    ("department", 42, "Enter text."),
    ("department", "Sa\x00les", "Null characters are not allowed."),
    ("employee_code", "abc-1234", r"Enter a value of the form this field expects (the pattern [A-Z]{3}-\d{4})."),
    ("employee_code", "ABC-12345", r"Enter a value of the form this field expects (the pattern [A-Z]{3}-\d{4})."),
    ("start_date", "31/03/2026", "Enter a date as YYYY-MM-DD, like 2026-03-31."),
    ("start_date", "2025-02-30", "There is no such day as 2025-02-30."),
    ("contact", "not-an-address", "Enter a valid email address, like name@example.com."),
    ("mobile", "call me", "Enter a phone number: digits, optionally starting with +, with spaces, brackets, dots "
                          "or hyphens if you like (3 to 32 characters)."),
    ("homepage", "javascript:alert(1)", "Enter a full web address starting with https:// (or http://)."),
    ("homepage", "example.com", "Enter a full web address starting with https:// (or http://)."),
    ("seats", "4.5", "Enter a whole number, like 42."),
    ("seats", True, "Enter a whole number, like 42."),
    ("seats", "9007199254740992", "Enter a number between -9,007,199,254,740,991 and 9,007,199,254,740,991."),
    ("newsletter", "maybe", "Choose Yes or No."),
    ("tier", "platinum", "Choose one of: bronze, silver, gold."),
])
def test_each_type_refuses_a_bad_value_beside_its_field(admin, acme, ada, key, value, message) -> None:
    errors = refused(admin, acme, ada["user_id"], {"user_metadata": {key: value}})
    assert errors == {f"user_metadata.{key}": [message]}


def test_every_bad_field_is_reported_at_once(admin, acme, ada) -> None:
    errors = refused(admin, acme, ada["user_id"], {"user_metadata": {"seats": "many", "tier": "x", "hobby": "go"},
                                                   "app_metadata": {"region": "mars"}})
    assert set(errors) == {"user_metadata.seats", "user_metadata.tier", "user_metadata.hobby", "app_metadata.region"}
    assert errors["user_metadata.hobby"] == ["“hobby” is not a field of Acme's metadata schema."]


def test_values_are_stored_as_their_type_and_only_changes_are_kept(admin, acme, ada) -> None:
    operation = edit(admin, acme, ada["user_id"], user_metadata={
        "department": " Engineering ", "seats": "12", "newsletter": "yes", "start_date": "2026-03-31",
        "tier": "gold", "homepage": "https://ada.example/", "contact": "ada@work.test", "employee_code": "",
        "mobile": "+44 20 7946 0000",
    }, app_metadata={"region": "emea"})
    # Unchanged (department, mobile, region) and still-empty (employee_code) fields are left out.
    assert operation.payload["user_metadata"] == {
        "seats": 12, "newsletter": True, "start_date": "2026-03-31", "tier": "gold",
        "homepage": "https://ada.example/", "contact": "ada@work.test"}
    assert "app_metadata" not in operation.payload
    assert operation.kind == "user_metadata_edit" and operation.target == ada["user_id"]


def test_typed_values_are_taken_as_they_are(admin, acme, ada) -> None:
    operation = edit(admin, acme, ada["user_id"], user_metadata={"seats": 7, "newsletter": True})
    assert operation.payload["user_metadata"] == {"seats": 7, "newsletter": True}


def test_an_emptied_optional_field_is_sent_as_null(admin, acme, ada) -> None:
    operation = edit(admin, acme, ada["user_id"], user_metadata={"mobile": "", "seats": None})
    assert operation.payload["user_metadata"] == {"mobile": None, "seats": None}


def test_the_audit_event_holds_each_changed_fields_before_and_after(admin, acme, ada) -> None:
    operation = edit(admin, acme, ada["user_id"], user_metadata={"department": "Sales", "mobile": ""},
                     app_metadata={"region": "apac"})
    event = AuditEvent.objects.get(operation=operation)
    assert event.action == "user_metadata_edit.requested" and event.target_id == ada["user_id"]
    assert event.summary == "Edited the metadata of Ada Lovelace: Department, Mobile, Region"
    assert event.details == {"changes": [
        {"field": "user_metadata.department", "label": "Department", "before": "Engineering", "after": "Sales"},
        {"field": "user_metadata.mobile", "label": "Mobile", "before": "+44 20 7946 0000", "after": None},
        {"field": "app_metadata.region", "label": "Region", "before": "emea", "after": "apac"},
    ]}


def test_reserved_keys_are_refused_whatever_is_posted(admin, acme, ada) -> None:
    company = principal_for_user_id(CompanyAdminFactory().user_id, "Chief")
    # Even a schema field with a reserved key (the schema editor refuses them) is never edited.
    MetadataField.objects.create(organization=acme, key="organizations", target="app_metadata", label="Orgs")
    for actor in (admin, company):
        errors = refused(actor, acme, ada["user_id"], {"app_metadata": {"organizations": ["evil"], "roles": ["x"]},
                                                        "user_metadata": {"portal": {"x": 1}}})
        assert errors["app_metadata.organizations"] == [
            "“organizations” is reserved by the portal in app_metadata: it is never edited here."]
        assert set(errors) == {"app_metadata.organizations", "app_metadata.roles", "user_metadata.portal"}


def test_fields_the_actor_may_not_edit_are_refused(admin, acme, ada) -> None:
    errors = refused(admin, acme, ada["user_id"], {"app_metadata": {"cost_centre": "CC-1"}})
    assert errors == {"app_metadata.cost_centre": ["Only company admins may change Cost centre."]}
    company = principal_for_user_id(CompanyAdminFactory().user_id, "Chief")
    assert edit(company, acme, ada["user_id"], app_metadata={"cost_centre": "CC-1"}).payload["app_metadata"] == {
        "cost_centre": "CC-1"}


def test_viewers_and_org_admins_acting_on_company_admins_are_refused(admin, acme, ada) -> None:
    viewer = principal_for_user_id(RoleFactory(organization=acme, role="viewer").user_id, "V")
    with pytest.raises(PermissionDenied, match="admins"):
        edit(viewer, acme, ada["user_id"], user_metadata={"department": "Sales"})
    CompanyAdminFactory(user_id=ada["user_id"])
    with pytest.raises(PermissionDenied, match="Company admins are managed by company admins only."):
        edit(admin, acme, ada["user_id"], user_metadata={"department": "Sales"})
    assert not Operation.objects.exists()


def test_nothing_changed_is_said_and_records_nothing(admin, acme, ada) -> None:
    errors = refused(admin, acme, ada["user_id"], {"user_metadata": {"department": "Engineering", "seats": "3",
                                                                     "newsletter": "no", "tier": ""}})
    assert errors == {"": ["Nothing changed: every value is as it was, so nothing was sent to Auth0."]}


def test_a_stored_value_that_breaks_a_newer_rule_does_not_block_other_edits(admin, acme, ada) -> None:
    MetadataField.objects.filter(organization=acme, key="department").update(max_length=5)
    operation = edit(admin, acme, ada["user_id"], user_metadata={"department": "Engineering", "seats": "4"})
    assert operation.payload["user_metadata"] == {"seats": 4}


def test_the_preview_checks_the_same_and_records_nothing(admin, acme, ada) -> None:
    changes = user_metadata_edit_preview(actor=admin, organization=acme, user_id=ada["user_id"],
                                         values={"user_metadata": {"department": "Sales"}})
    assert [(c.name, c.before, c.after) for c in changes] == [("user_metadata.department", "Engineering", "Sales")]
    assert not Operation.objects.exists()
    with pytest.raises(ValidationError):
        user_metadata_edit_preview(actor=admin, organization=acme, user_id=ada["user_id"],
                                   values={"user_metadata": {"seats": "x"}})


def test_malformed_values_are_refused(admin, acme, ada) -> None:
    assert refused(admin, acme, ada["user_id"], {"metadata": {"department": "x"}})[""][0].startswith(
        "An edit's values are")
    assert refused(admin, acme, ada["user_id"], {"user_metadata": ["department"]}) == {
        "user_metadata": ["user_metadata must map field keys to values."]}


def test_who_may_edit_which_field(acme) -> None:
    MetadataField.objects.create(organization=acme, key="roles", target="app_metadata", label="Roles")
    viewer = principal_for_user_id(RoleFactory(organization=acme, role="viewer").user_id, "V")
    admin = principal_for_user_id(RoleFactory(organization=acme, role="admin").user_id, "A")
    company = principal_for_user_id(CompanyAdminFactory().user_id, "C")

    def keys(principal) -> set[str]:
        return set(user_metadata_fields_editable(principal=principal, organization=acme).values_list("key", flat=True))

    every = {key for key, *_ in SCHEMA}
    assert keys(viewer) == set()
    assert keys(admin) == every - {"cost_centre"}
    assert keys(company) == every  # the reserved key, though in the schema, for nobody


# -- the apply half, against the emulator ---------------------------------------------------------------
@pytest.fixture
def acme_live(auth0_on_changing_emulator, acme) -> Organization:
    return acme


def auth0_user_new(connection: str = "acme-users", **fields) -> dict:
    user = gateway().user_create(connection=connection, email=f"m-{uuid.uuid4().hex[:8]}@acme.test",
                                 password=password_random(), **fields)
    directory_user_write_through(user)
    return user


def run(operation: Operation) -> Operation:
    user_metadata_edit.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    return operation


def test_the_edit_is_one_merge_in_auth0_and_lands_in_the_directory(acme_live, admin) -> None:
    user = auth0_user_new(user_metadata={"department": "Ops", "mobile": "+1 555 0100", "hobby": "chess"},
                          app_metadata={"region": "emea", "plan": "gold"})
    operation = run(edit(admin, acme_live, user["user_id"],
                         user_metadata={"department": "Sales", "mobile": "", "newsletter": "yes", "seats": "5"},
                         app_metadata={"region": "apac"}))
    assert operation.status == "succeeded", operation.last_error
    assert operation.result == {"changed": ["app_metadata.region", "user_metadata.department",
                                            "user_metadata.mobile", "user_metadata.newsletter", "user_metadata.seats"]}
    now = gateway().user_get(user_id=user["user_id"])
    # null deleted mobile; the keys outside the schema (hobby, plan) are as they were.
    assert now["user_metadata"] == {"department": "Sales", "hobby": "chess", "newsletter": True, "seats": 5}
    assert now["app_metadata"] == {"region": "apac", "plan": "gold"}
    mirrored = DirectoryUser.objects.get(user_id=user["user_id"])
    assert mirrored.user_metadata == now["user_metadata"] and mirrored.app_metadata == now["app_metadata"]
    actions = set(AuditEvent.objects.filter(operation=operation).values_list("action", flat=True))
    assert actions == {"user_metadata_edit.requested", "user_metadata_edit.succeeded"}
    # A retry after Auth0 answered (a worker killed before the outcome was recorded) sends the same merge.
    assert user_metadata_edit_apply(operation) == operation.result
    assert gateway().user_get(user_id=user["user_id"])["user_metadata"] == now["user_metadata"]


def test_a_shared_connection_users_organizations_stay_as_they_are(auth0_on_changing_emulator) -> None:
    initech = OrganizationFactory(slug="initech", display_name="Initech", connection_name=SHARED,
                                  membership_mode=MembershipMode.SHARED_CONNECTION, auth0_connection_id="con_s")
    schema_add(initech)
    admin = principal_for_user_id(RoleFactory(organization=initech, role="admin").user_id, "Boss")
    user = auth0_user_new(connection=SHARED, app_metadata={"organizations": ["initech", "hooli"]})
    operation = run(edit(admin, initech, user["user_id"], app_metadata={"region": "amer"}))
    assert operation.status == "succeeded", operation.last_error
    assert gateway().user_get(user_id=user["user_id"])["app_metadata"] == {
        "organizations": ["initech", "hooli"], "region": "amer"}
    assert DirectoryUser.objects.get(user_id=user["user_id"]).memberships.filter(organization=initech).exists()


@pytest.mark.parametrize("change", ["field_removed", "company_admins_only", "rule_tightened", "admin_demoted"])
def test_rights_and_schema_are_checked_again_when_it_runs(acme_live, admin, change) -> None:
    user = auth0_user_new(user_metadata={"department": "Ops"})
    operation = edit(admin, acme_live, user["user_id"], user_metadata={"department": "Research and Dev"})
    department = MetadataField.objects.filter(organization=acme_live, key="department")
    expected = {
        "field_removed": "“department” is no longer a field of Acme's metadata schema: nothing was changed.",
        "company_admins_only": "Only company admins may change Department. Nothing was changed.",
        "rule_tightened": "Department: Keep it to 10 characters (this is 16). The schema changed since the edit was "
                          "asked for: nothing was changed.",
        "admin_demoted": "Only this organization's admins may do this.",
    }[change]
    if change == "field_removed":
        department.delete()
    elif change == "company_admins_only":
        department.update(editable_by=Audience.COMPANY_ADMIN)
    elif change == "rule_tightened":
        department.update(max_length=10)
    else:
        acme_live.roles.filter(user_id=admin.user_id).update(role="viewer")
    operation = run(operation)
    assert (operation.status, operation.last_error) == ("failed", expected)
    assert gateway().user_get(user_id=user["user_id"])["user_metadata"] == {"department": "Ops"}
