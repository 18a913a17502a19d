"""The isolation matrix: as an admin of organization B, every organization-scoped URL and method
aimed at organization A's objects answers 404 and queues no Management API work; and every route that
looks an object up by two keys (an organization's slug and an object id) answers 404 to B's own slug
with A's object id.

A new URL with a ``<slug>`` (or any other org-scoped route) fails ``test_every_scoped_route_is_in_the_matrix``
until it is added to ROUTES below, or to PUBLIC with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from app_roles.models import AppRoleGrant, GrantableRole, TenantRole
from domains.models import Domain
from onboarding.models import BulkJob, BulkRow
from organizations.models import OrganizationRole
from portal.models import Operation
from portal.operations import operation_create
from scim.models import ScimToken
from sso.models import SsoConnection
from tests.factories import OrganizationFactory, RoleFactory, UserFactory
from tests.isolation.test_scim_matrix import SCIM_ROUTES
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert
from users.models import DirectoryUser, JoinInvitation, OrganizationBlock

ROLE_IN_A = "rol_a000000000000000"
# Routes that carry an organization slug but are public by design, and why.
PUBLIC = {
    "organization_signin": "the bookmarkable sign-in page; it reveals nothing but the display name and logo",
    "organization_logo": "branding shown on sign-in pages and in emails",
    "organization_theme": "branding (accent colour) shown on sign-in pages",
}

# Routes that are not under an organization but that only company admins may use.
COMPANY_ONLY = [
    ("organization_list", "GET"), ("organization_create", "GET"), ("organization_create", "POST"),
    ("directory_user_list", "GET"), ("directory_user_export", "GET"), ("directory_user_detail", "GET"),
    ("directory_user_activity", "GET"), ("directory_user_activity", "POST"),
    ("directory_sync_status", "GET"), ("directory_sync_start", "POST"), ("rate_limits", "GET"),
    ("company_operation_list", "GET"), ("company_audit_event_list", "GET"), ("company_audit_event_export", "GET"),
    ("api_client_list", "GET"), ("api_client_list", "POST"), ("api_client_edit", "GET"), ("api_client_edit", "POST"),
    ("api_client_webhook", "GET"), ("api_client_webhook", "POST"), ("api_client_redeliver", "POST"),
]

# Routes outside organizations that anyone (signed in or not, as each says) may reach, and why; with
# PUBLIC, ROUTES and COMPANY_ONLY they must name every route, so a new one cannot be forgotten.
OPEN_TO_ALL = {
    "home": "the front page", "healthz": "health for load balancers (no data)",
    "healthz_live": "Kubernetes' liveness probe (no data)",
    "healthz_ready": "Kubernetes' readiness probe: which dependency is not ready, no data",
    "metrics": "Prometheus's scrape: only with the METRICS_TOKEN bearer token (404 without one configured, 401 "
               "without it or with a wrong one: tests/portal/test_metrics.py); counts, never names or ids",
    "javascript_catalog": "the scripts' translated strings, the same for everyone reading a language",
    "signin": "sign-in", "signout": "sign-out", "landing": "where a signed-in person belongs",
    "profile": "one's own profile",
    # The self-service profile's acts: each works on the signed-in person alone and takes no user id; an
    # organization posted with them must be one of the person's own (tests/isolation/test_profile.py).
    "profile_password_email": "a change-password email to oneself",
    "profile_verification_email": "one's own verification email",
    "profile_sessions_revoke": "signing oneself out everywhere",
    "profile_activity": "one's own sign-in activity",
    "profile_language": "one's own choice of language",
    "profile_data_export": "an export of one's own data",
    "profile_data_export_download": "one's own export, by its id among one's own (404 for anyone else's)",
    "profile_operation": "the status of what one asked for oneself, by its id among one's own (404 otherwise)",
    "join_invitation": "an invitation to join, answered by the account invited alone (404 for anyone else: "
                       "tests/isolation/test_profile.py)",
    "outbox": "the embedded mode's local mail catcher (404 unless emails are kept locally, never in production)",
    "outbox_message": "one email of the embedded mode's outbox (404 unless emails are kept locally)",
    "outbox_message_html": "its HTML part (404 unless emails are kept locally)",
    "organization_choose": "the organizations one holds a role in",
    "openid_connect_callback": "the OIDC callback", "account_login": "leads to sign-in",
    "socialaccount_login_cancelled": "leads to sign-in",
    "sso_test_callback": "the return of an SSO connection's test sign-in: acts only on the test its own session "
                         "started, for a connection the signed-in admin administers (tests/sso/test_pages.py)",
    "auth0_hook": "Auth0's pushes, authenticated by the stream's bearer token (tests/users/directory/test_hooks.py)",
}


@dataclass(frozen=True)
class Route:
    name: str
    methods: tuple[str, ...]


# Each route with every method it accepts (other methods are refused with 405 before any lookup).
ROUTES = [
    Route("organization_detail", ("GET",)),
    Route("organization_edit", ("GET", "POST")),
    Route("organization_schema", ("GET", "POST")),
    Route("organization_language", ("GET", "POST")),
    Route("organization_provision_retry", ("POST",)),
    Route("role_grant", ("POST",)),
    Route("role_revoke", ("GET", "POST")),
    Route("operation_detail", ("GET",)),
    Route("operation_list", ("GET",)),
    Route("operation_retry", ("GET", "POST")),
    Route("audit_event_list", ("GET",)),
    Route("audit_event_export", ("GET",)),
    Route("user_list", ("GET",)),
    Route("user_export", ("GET",)),
    Route("user_invite", ("GET", "POST")),
    Route("user_selection", ("POST",)),
    Route("user_action", ("GET", "POST")),
    Route("user_metadata_edit", ("GET", "POST")),
    Route("user_email_change", ("GET", "POST")),
    Route("user_remove", ("GET", "POST")),
    Route("user_delete", ("GET", "POST")),
    Route("invitation_list", ("GET",)),
    Route("invitation_resend", ("GET", "POST")),
    Route("invitation_revoke", ("GET", "POST")),
    # Invitations to join sent to people with an account already, and people blocked in the organization.
    Route("join_invitation_resend", ("GET", "POST")),
    Route("join_invitation_revoke", ("GET", "POST")),
    Route("organization_block_list", ("GET",)),
    Route("organization_unblock", ("GET", "POST")),
    Route("user_detail", ("GET",)),
    Route("user_activity", ("GET", "POST")),
    # Application roles: what the organization may grant (company admins), a person's roles given and taken.
    Route("organization_app_roles", ("GET", "POST")),
    Route("organization_app_roles_refresh", ("POST",)),
    Route("user_app_role_assign", ("POST",)),
    Route("user_app_role_remove", ("GET", "POST")),
    # One's own details in one of one's own organizations: anyone else's organization is a 404.
    Route("profile_metadata_edit", ("GET", "POST")),
    # Bulk onboarding: the upload page, the template, and a job's page, progress, report and acts.
    Route("bulk_upload", ("GET", "POST")),
    Route("bulk_template", ("GET",)),
    Route("bulk_job", ("GET",)),
    Route("bulk_job_progress", ("GET",)),
    Route("bulk_job_report", ("GET",)),
    Route("bulk_job_act", ("GET", "POST")),
    # Verified domains (domains/): the list and its add form, a domain's record, its check and its removal.
    Route("domain_list", ("GET", "POST")),
    Route("domain_detail", ("GET",)),
    Route("domain_verify", ("POST",)),
    Route("domain_remove", ("GET", "POST")),
    # SSO connections (sso/): the list, the guided set-up, a connection's page, its change, on and off, removal,
    # and its test sign-in.
    Route("sso_connection_list", ("GET",)),
    Route("sso_connection_create_saml", ("GET", "POST")),
    Route("sso_connection_create_oidc", ("GET", "POST")),
    Route("sso_connection_detail", ("GET",)),
    Route("sso_connection_change", ("POST",)),
    Route("sso_connection_on", ("GET", "POST")),
    Route("sso_connection_off", ("GET", "POST")),
    Route("sso_connection_remove", ("GET", "POST")),
    Route("sso_test_start", ("POST",)),
    # SCIM provisioning's settings (the SCIM endpoint itself, with tokens: tests/isolation/test_scim_matrix.py).
    Route("scim_settings", ("GET", "POST")),
    Route("scim_token_act", ("GET", "POST")),
    Route("scim_role_mappings", ("POST",)),
]


def _all_patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            found += _all_patterns(entry, prefix + str(entry.pattern))
        else:
            found.append((prefix + str(entry.pattern), entry))
    return found


def test_every_scoped_route_is_in_the_matrix() -> None:
    # The REST API's routes have their own matrix, with bearer tokens: tests/isolation/test_api_matrix.py.
    scoped = {
        pattern.name for path, pattern in _all_patterns()
        if ("<slug:slug>" in path or path.startswith("o/")) and not path.startswith("api/")
    }
    covered = {route.name for route in ROUTES} | set(PUBLIC)
    missing = scoped - covered
    assert not missing, f"organization-scoped routes missing from the isolation matrix: {sorted(missing)}"
    assert not (covered - scoped), "the matrix names routes that no longer exist"


@pytest.fixture
def world(db):
    """Organization A with a role, an operation and a user in the directory; an admin of organization B
    (with a user of their own) who signs in."""
    org_a = OrganizationFactory(slug="org-a")
    org_b = OrganizationFactory(slug="org-b")
    user_in_a = auth0_user(connection=org_a.connection_name, email="member@org-a.test")
    directory_users_upsert([user_in_a, auth0_user(connection=org_b.connection_name, email="member@org-b.test")])
    role_in_a = RoleFactory(organization=org_a, role="admin", email="a-admin@example.test")
    operation_in_a = operation_create(kind="organization_provision", actor=None, organization=org_a, target="org-a")
    # A's user was invited and never signed in: a pending invitation, which B must not reach either.
    invited_in_a = operation_create(kind="user_invite", actor=None, organization=org_a, target="member@org-a.test")
    Operation.objects.filter(pk=invited_in_a.pk).update(status=Operation.Status.SUCCEEDED,
                                                        result={"user_id": user_in_a["user_id"]})
    # A failed one, which its admins could send again: the retry route must not reach it from B.
    failed_in_a = operation_create(kind="user_block", actor=None, organization=org_a, target=user_in_a["user_id"])
    Operation.objects.filter(pk=failed_in_a.pk).update(status=Operation.Status.FAILED, last_error="Auth0 said no")
    # A checked bulk file of A's, waiting for confirmation: B must neither see, confirm nor discard it.
    bulk_in_a = BulkJob.objects.create(organization=org_a, actor_user_id=role_in_a.user_id, file_name="a.csv",
                                       status=BulkJob.Status.READY, total_rows=1, checked_rows=1,
                                       columns=[["email", "email"]])
    BulkRow.objects.create(job=bulk_in_a, line=2, email="new@org-a.test", cells={"email": "new@org-a.test"},
                           action=BulkRow.Action.INVITE)
    # Someone with an account already, invited to join A and not answered; someone blocked in A alone.
    join_in_a = JoinInvitation.objects.create(organization=org_a, user_id="auth0|joiner", email="joiner@else.test",
                                              sent_at=timezone.now(), expires_at=timezone.now() + timedelta(days=7))
    OrganizationBlock.objects.create(organization=org_a, user_id="auth0|blocked-in-a", email="blocked@else.test")
    # An application role A may grant (B may grant it too, under a label of its own), which A granted its user.
    now = timezone.now()
    TenantRole.objects.create(pk=ROLE_IN_A, name="Editor", refreshed_at=now)
    GrantableRole.objects.create(organization=org_a, role_id=ROLE_IN_A, label="A's secret editors")
    GrantableRole.objects.create(organization=org_b, role_id=ROLE_IN_A, label="B editors")
    AppRoleGrant.objects.create(user=DirectoryUser.objects.get(user_id=user_in_a["user_id"]), role_id=ROLE_IN_A,
                                scope="tenant", organization=org_a, granted_at=now, confirmed_at=now)
    domain_in_a = Domain.objects.create(organization=org_a, name="org-a.example")
    sso_in_a = SsoConnection.objects.create(organization=org_a, strategy="samlp", name="org-a-saml",
                                            display_name="A's secret editors IdP", status="on",
                                            auth0_connection_id="con_sso_a", tested_at=timezone.now())
    # A's SCIM token (which B must neither see, rotate nor revoke).
    scim_token_in_a = ScimToken.objects.create(organization=org_a, name="A's Okta", token_hash="0" * 64,
                                               token_prefix="scim_a")
    b_admin = UserFactory()
    RoleFactory(organization=org_b, user_id=b_admin.auth0_user_id, role="admin")
    client = Client()
    client.force_login(b_admin)
    kwargs = {
        "organization_detail": {"slug": org_a.slug},
        "organization_edit": {"slug": org_a.slug},
        "organization_schema": {"slug": org_a.slug},
        "organization_language": {"slug": org_a.slug},
        "organization_provision_retry": {"slug": org_a.slug},
        "role_grant": {"slug": org_a.slug},
        "role_revoke": {"slug": org_a.slug, "role_id": role_in_a.pk},
        "operation_detail": {"slug": org_a.slug, "operation_id": operation_in_a.pk},
        "operation_list": {"slug": org_a.slug},
        "operation_retry": {"slug": org_a.slug, "operation_id": failed_in_a.pk},
        "audit_event_list": {"slug": org_a.slug},
        "audit_event_export": {"slug": org_a.slug},
        "user_list": {"slug": org_a.slug},
        "user_export": {"slug": org_a.slug},
        "user_invite": {"slug": org_a.slug},
        "user_selection": {"slug": org_a.slug},
        "user_action": {"slug": org_a.slug, "user_id": user_in_a["user_id"], "action": "block"},
        "user_metadata_edit": {"slug": org_a.slug, "user_id": user_in_a["user_id"]},
        "user_email_change": {"slug": org_a.slug, "user_id": user_in_a["user_id"]},
        "user_remove": {"slug": org_a.slug, "user_id": user_in_a["user_id"]},
        "user_delete": {"slug": org_a.slug, "user_id": user_in_a["user_id"]},
        "invitation_list": {"slug": org_a.slug},
        "invitation_resend": {"slug": org_a.slug, "user_id": user_in_a["user_id"]},
        "invitation_revoke": {"slug": org_a.slug, "user_id": user_in_a["user_id"]},
        "join_invitation_resend": {"slug": org_a.slug, "invitation_id": join_in_a.pk},
        "join_invitation_revoke": {"slug": org_a.slug, "invitation_id": join_in_a.pk},
        "organization_block_list": {"slug": org_a.slug},
        "organization_unblock": {"slug": org_a.slug, "user_id": "auth0|blocked-in-a"},
        "user_detail": {"slug": org_a.slug, "user_id": user_in_a["user_id"]},
        "user_activity": {"slug": org_a.slug, "user_id": user_in_a["user_id"]},
        "organization_app_roles": {"slug": org_a.slug},
        "organization_app_roles_refresh": {"slug": org_a.slug},
        "user_app_role_assign": {"slug": org_a.slug, "user_id": user_in_a["user_id"]},
        "user_app_role_remove": {"slug": org_a.slug, "user_id": user_in_a["user_id"], "role_id": ROLE_IN_A},
        "profile_metadata_edit": {"slug": org_a.slug},
        "bulk_upload": {"slug": org_a.slug},
        "bulk_template": {"slug": org_a.slug},
        "bulk_job": {"slug": org_a.slug, "job_id": bulk_in_a.pk},
        "bulk_job_progress": {"slug": org_a.slug, "job_id": bulk_in_a.pk},
        "bulk_job_report": {"slug": org_a.slug, "job_id": bulk_in_a.pk},
        "bulk_job_act": {"slug": org_a.slug, "job_id": bulk_in_a.pk, "act": "confirm"},
        **{name: {"slug": org_a.slug, "domain_id": domain_in_a.pk}
           for name in ("domain_detail", "domain_verify", "domain_remove")},
        "domain_list": {"slug": org_a.slug},
        "sso_connection_list": {"slug": org_a.slug},
        "sso_connection_create_saml": {"slug": org_a.slug},
        "sso_connection_create_oidc": {"slug": org_a.slug},
        **{name: {"slug": org_a.slug, "connection_id": sso_in_a.pk}
           for name in ("sso_connection_detail", "sso_connection_change", "sso_connection_on", "sso_connection_off",
                        "sso_connection_remove", "sso_test_start")},
        "scim_settings": {"slug": org_a.slug},
        "scim_token_act": {"slug": org_a.slug, "token_id": scim_token_in_a.pk, "act": "revoke"},
        "scim_role_mappings": {"slug": org_a.slug},
    }
    # The company-only routes that name a user: A's.
    company_kwargs = {
        "directory_user_detail": {"user_id": user_in_a["user_id"]},
        "directory_user_activity": {"user_id": user_in_a["user_id"]},
        "api_client_edit": {"client_pk": 1},
        "api_client_webhook": {"client_pk": 1},
        "api_client_redeliver": {"client_pk": 1, "delivery_pk": 1},
    }
    return {"client": client, "kwargs": kwargs, "company_kwargs": company_kwargs, "org_a": org_a, "org_b": org_b,
            "role_in_a": role_in_a, "bulk_in_a": bulk_in_a, "join_in_a": join_in_a}


_POST_DATA = {"email": "a-admin@example.test", "role": "admin", "confirm": "on", "display_name": "Hijacked",
              f"{ROLE_IN_A}.grantable": "on", f"{ROLE_IN_A}.label": "Hijacked",
              "domains": "evil.test", "invite_link_lifetime_days": "7", "accent_colour": "#000000",
              "fields-TOTAL_FORMS": "0", "fields-INITIAL_FORMS": "0", "confirmation": "member@org-a.test",
              "name": "Hijacked", "form": "token", "group_name": "Hijacked",
              "signing_cert": "x", "client_secret": "x", "sign_in_url": "https://evil.example/sso"}


@pytest.mark.parametrize(
    ("route", "method"), [(r, m) for r in ROUTES for m in r.methods], ids=lambda v: getattr(v, "name", v)
)
def test_admin_of_b_gets_404_on_a_and_nothing_is_queued(
    world, route: Route, method: str, django_capture_on_commit_callbacks, published_tasks
) -> None:
    url = reverse(route.name, kwargs=world["kwargs"][route.name])
    operations_before = Operation.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = world["client"].generic(method, url, data="&".join(f"{k}={v}" for k, v in _POST_DATA.items()),
                                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404, (route.name, method, response.status_code)
    assert Operation.objects.count() == operations_before
    assert published_tasks == []
    world["org_a"].refresh_from_db()
    assert world["org_a"].display_name != "Hijacked"
    assert BulkJob.objects.filter(organization=world["org_a"]).count() == 1
    world["bulk_in_a"].refresh_from_db()
    assert world["bulk_in_a"].status == BulkJob.Status.READY
    world["join_in_a"].refresh_from_db()
    assert world["join_in_a"].status == JoinInvitation.Status.PENDING
    assert OrganizationBlock.objects.filter(organization=world["org_a"]).count() == 1
    assert _app_roles_of_a_untouched(world["org_a"])
    assert "secret editors" not in response.content.decode()
    assert list(Domain.objects.values_list("organization__slug", "name")) == [("org-a", "org-a.example")]
    assert list(SsoConnection.objects.values_list("name", "status")) == [("org-a-saml", "on")]
    assert list(ScimToken.objects.values_list("name", "token_hash", "revoked_at")) == [("A's Okta", "0" * 64, None)]


def _app_roles_of_a_untouched(org_a) -> bool:
    return (list(GrantableRole.objects.filter(organization=org_a).values_list("label", flat=True))
            == ["A's secret editors"] and AppRoleGrant.objects.filter(organization=org_a).count() == 1)


@pytest.mark.parametrize(("name", "method"), COMPANY_ONLY)
def test_org_admin_gets_404_on_company_admin_pages(world, name: str, method: str, published_tasks) -> None:
    url = reverse(name, kwargs=world["company_kwargs"].get(name))
    response = world["client"].generic(method, url, data="slug=stolen&display_name=Stolen",
                                       content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404
    assert published_tasks == []


def test_every_route_is_classified() -> None:
    """A route that is neither organization-scoped, company-only, public nor open to all fails here."""
    named = {pattern.name for path, pattern in _all_patterns() if pattern.name and not path.startswith("api/")}
    classified = ({r.name for r in ROUTES} | set(PUBLIC) | {name for name, _ in COMPANY_ONLY} | set(OPEN_TO_ALL)
                  | set(SCIM_ROUTES))
    assert named - classified == set(), f"routes nobody classified: {sorted(named - classified)}"


def test_admin_of_b_sees_b(world) -> None:
    """The matrix is meaningful only if the same person does reach their own organization."""
    response = world["client"].get(reverse("organization_detail", kwargs={"slug": world["org_b"].slug}))
    assert response.status_code == 200
    assert world["org_b"].display_name in response.content.decode()
    users = world["client"].get(reverse("user_list", kwargs={"slug": world["org_b"].slug}))
    assert users.status_code == 200
    assert [u.email for u in users.context["users"]] == ["member@org-b.test"]


def _object_routes() -> set[str]:
    """Routes whose pattern has an object id beside the organization's slug."""
    return {
        pattern.name for path, pattern in _all_patterns()
        if "<slug:slug>" in path and path.count("<") > 1 and not path.startswith("api/")
    }


def test_every_two_key_route_is_in_the_matrix() -> None:
    covered = {route.name for route in ROUTES}
    assert _object_routes() <= covered, sorted(_object_routes() - covered)


@pytest.mark.parametrize(
    ("route", "method"),
    [(r, m) for r in ROUTES for m in r.methods if r.name in _object_routes()],
    ids=lambda v: getattr(v, "name", v),
)
def test_own_slug_with_another_organizations_object_is_404(
    world, route: Route, method: str, django_capture_on_commit_callbacks, published_tasks
) -> None:
    """B's admin may use B's slug, but an id of A's object under it must not reach that object, even for
    someone who may see A (a viewer of A): the object is looked up by both keys, not by its id alone."""
    viewer_of_a = Client()
    straddler = UserFactory()
    RoleFactory(organization=world["org_b"], user_id=straddler.auth0_user_id, role="admin")
    RoleFactory(organization=world["org_a"], user_id=straddler.auth0_user_id, role="viewer")
    viewer_of_a.force_login(straddler)
    kwargs = {**world["kwargs"][route.name], "slug": world["org_b"].slug}
    url = reverse(route.name, kwargs=kwargs)
    operations_before = Operation.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = viewer_of_a.generic(method, url, data="&".join(f"{k}={v}" for k, v in _POST_DATA.items()),
                                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404, (route.name, method, response.status_code)
    assert Operation.objects.count() == operations_before
    assert published_tasks == []
    assert OrganizationRole.objects.filter(pk=world["role_in_a"].pk).exists()
    world["bulk_in_a"].refresh_from_db()
    assert world["bulk_in_a"].status == BulkJob.Status.READY
    world["join_in_a"].refresh_from_db()
    assert world["join_in_a"].status == JoinInvitation.Status.PENDING
    assert OrganizationBlock.objects.filter(organization=world["org_a"]).count() == 1
    assert _app_roles_of_a_untouched(world["org_a"])
