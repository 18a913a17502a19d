"""Celery tasks for organizations: take an operation id, call the gateway, record the outcome."""

from __future__ import annotations

import contextlib

from celery import shared_task
from django.conf import settings

from organizations import demo, services
from organizations.membership import user_belongs, user_connections
from organizations.models import MembershipMode, Organization
from portal.models import Operation
from portal.operations import operation_execute
from portal.principal import principal_for_user_id
from users.gateway import Auth0Conflict, Auth0NotFound, Auth0Permanent, Auth0Transient, gateway


def _provision(operation: Operation) -> dict:
    organization: Organization = operation.organization
    auth0 = gateway()
    if organization.membership_mode == MembershipMode.ISOLATED_CONNECTION:
        try:
            connection = auth0.connection_get_by_name(name=organization.connection_name)
        except Auth0NotFound:
            connection = auth0.connection_create_database(
                name=organization.connection_name, display_name=organization.display_name,
                enabled_clients=[settings.AUTH0_CLIENT_ID],
            )
        services.organization_auth0_link(organization=organization, connection_id=connection["id"])
        return {"connection_id": connection["id"], "connection": connection["name"]}

    try:
        connection = auth0.connection_get_by_name(name=organization.connection_name)
    except Auth0NotFound as exc:
        raise Auth0Permanent(
            f"The shared connection “{organization.connection_name}” does not exist in the tenant.", status=404
        ) from exc
    if organization.membership_mode == MembershipMode.SHARED_CONNECTION:
        services.organization_auth0_link(organization=organization, connection_id=connection["id"])
        return {"connection_id": connection["id"], "connection": connection["name"]}

    try:
        auth0_org = auth0.organization_get_by_name(name=organization.slug)
        with contextlib.suppress(Auth0Conflict):  # already enabled: linking an existing org is idempotent
            auth0.organization_connection_enable(organization_id=auth0_org["id"], connection_id=connection["id"])
    except Auth0NotFound:
        auth0_org = auth0.organization_create(
            name=organization.slug, display_name=organization.display_name,
            enabled_connection_ids=[connection["id"]],
        )
    services.organization_auth0_link(
        organization=organization, connection_id=connection["id"], auth0_organization_id=auth0_org["id"]
    )
    return {"connection_id": connection["id"], "organization_id": auth0_org["id"]}


@shared_task(bind=True, name="organizations.tasks.organization_provision", acks_late=True)
def organization_provision(self, operation_id: str) -> None:
    """Create (or link, when it exists) the organization's connection or Auth0 Organization."""
    operation_execute(self, operation_id, _provision)


def _role_grant(operation: Operation) -> dict:
    organization: Organization = operation.organization
    email, role = operation.payload["email"], operation.payload["role"]
    auth0 = gateway()
    candidates = auth0.users_by_email(email=email)
    members = []
    for user in candidates:
        org_ids: list[str] = []
        if organization.membership_mode == MembershipMode.AUTH0_ORGANIZATION:
            org_ids = [o["id"] for o in auth0.user_organizations(user_id=user["user_id"])]
        if user_belongs(organization, user, org_ids):
            members.append(user)
    if not members:
        raise Auth0Permanent(f"No user with the email {email} belongs to {organization.display_name}.")
    if len(members) > 1:
        raise Auth0Permanent(f"{len(members)} users of {organization.display_name} have the email {email}.")
    user = members[0]
    # The actor's rights are checked again now, not only when the request was made.
    actor = principal_for_user_id(operation.actor_user_id, operation.actor_display)
    services.role_grant(
        actor=actor, organization=organization, user_id=user["user_id"], role=role, email=user.get("email", ""),
        name=user.get("name", ""), operation=operation,
    )
    return {"user_id": user["user_id"], "role": role}


@shared_task(bind=True, name="organizations.tasks.role_grant_resolve", acks_late=True)
def role_grant_resolve(self, operation_id: str) -> None:
    """Find the person by email among the organization's users and give them the role."""
    operation_execute(self, operation_id, _role_grant)


def _user_in_connection(email: str, connection: str) -> dict:
    for user in gateway().users_by_email(email=email):
        if connection in user_connections(user):
            return user
    raise Auth0Permanent(f"The demo user {email} is missing from {connection}: is the emulator on the demo seed?")


@shared_task(
    bind=True, name="organizations.tasks.demo_seed", acks_late=True,
    autoretry_for=(Auth0Transient,), retry_backoff=2, retry_backoff_max=30, max_retries=30,
)
def demo_seed(self) -> str:
    """Create the demo organizations and roles (idempotent). Retries until the emulator answers."""
    admin = _user_in_connection(demo.COMPANY_ADMIN_EMAIL, demo.SHARED_CONNECTION)
    services.company_admin_grant(actor=None, user_id=admin["user_id"], email=admin["email"],
                                 name=admin.get("name", ""))
    actor = principal_for_user_id(admin["user_id"], admin.get("name", ""))
    for spec in demo.ORGANIZATIONS:
        organization = Organization.objects.filter(slug=spec["slug"]).first()
        if organization is None:
            organization = services.organization_create(actor=actor, **spec)
        for email, role in demo.role_emails(spec["slug"]).items():
            if organization.roles.filter(email=email).exists():
                continue
            user = _user_in_connection(email, spec["connection_name"])
            services.role_grant(actor=actor, organization=organization, user_id=user["user_id"], role=role,
                                email=email, name=user.get("name", ""))
    return "demo ready"
