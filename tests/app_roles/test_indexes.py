"""The user lists' role filter stays an indexed query: its page, its exact total and the company admins' list of
every user read the mirror of who holds which role through its composite indexes, never a scan of it. Asked of the
database's own planner (PostgreSQL with sequential scans priced out, so that the small tables of a test answer as a
large directory's would; SQLite's query plan as it is)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from app_roles.models import AppRoleGrant, TenantRole
from organizations.models import MembershipMode
from organizations.selectors import principal_for_user_id
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert
from users.directory.selectors import UserQuery, member_list, user_list
from users.models import DirectoryUser

pytestmark = pytest.mark.django_db
ROLE = "rol_indexed000000000"
INDEXES = ("app_role_grant_holders", "app_role_grant_user")


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # until the test's transaction ends
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())


@pytest.fixture
def directory():
    now = timezone.now()
    TenantRole.objects.create(pk=ROLE, name="Editor", refreshed_at=now)
    organizations = {mode: OrganizationFactory(membership_mode=mode, connection_name="Username-Password-Authentication",
                                               auth0_organization_id="org_x" if mode == "auth0_organization" else "")
                     for mode in (MembershipMode.SHARED_CONNECTION, MembershipMode.AUTH0_ORGANIZATION)}
    shared = organizations[MembershipMode.SHARED_CONNECTION]
    users = [auth0_user(app_metadata={"organizations": [shared.slug]}) for _ in range(20)]
    directory_users_upsert(users)
    for user in DirectoryUser.objects.all()[:5]:
        AppRoleGrant.objects.create(user=user, role_id=ROLE, scope="tenant", organization=shared, granted_at=now,
                                    confirmed_at=now)
    return organizations


@pytest.mark.parametrize("mode", [MembershipMode.SHARED_CONNECTION, MembershipMode.AUTH0_ORGANIZATION])
def test_an_organizations_filtered_page_and_total_use_the_indexes(directory, mode) -> None:
    organization = directory[mode]
    principal = principal_for_user_id(RoleFactory(organization=organization, role="viewer").user_id)
    members = member_list(principal=principal, organization=organization, query=UserQuery(app_role=ROLE))
    page = _plan(members.order_by("email", "pk")[:26])
    total = _plan(members.order_by().values("pk"))
    for plan in (page, total):
        assert any(index in plan for index in INDEXES), plan


def test_every_users_list_filtered_by_role_uses_the_indexes(directory) -> None:
    principal = principal_for_user_id(CompanyAdminFactory().user_id)
    users = user_list(principal=principal, organization=None, query=UserQuery(app_role=ROLE))
    assert users.count() == 5
    plan = _plan(users.order_by("email", "pk")[:26])
    assert any(index in plan for index in INDEXES), plan
