"""Fixtures of the bulk onboarding tests: Acme (an isolated organization whose connection the changing emulator's
demo tenant has) with a metadata schema, one of its admins, and helpers to make a job and run it."""

from __future__ import annotations

import io
import uuid

import pytest

from auth0_gateway import gateway
from onboarding.models import BulkJob
from onboarding.processing.check import bulk_job_check
from onboarding.processing.run import bulk_job_advance
from onboarding.services import bulk_job_create
from organizations.models import Audience, MembershipMode, Organization
from organizations.selectors import principal_for_user_id
from portal.celery import app
from portal.models import Operation
from portal.principal import Principal
from tests.factories import OrganizationFactory, RoleFactory, metadata_fields_create
from users import tasks as _users_tasks  # noqa: F401 - registers the operations' tasks
from users.directory.mirror import directory_user_write_through

SCHEMA = [
    ("department", "user_metadata", "text", {"label": "Department", "max_length": 20}),
    ("seats", "user_metadata", "integer", {"label": "Seats"}),
    ("region", "app_metadata", "enum", {"label": "Region", "choices": ["emea", "apac", "amer"]}),
    ("cost_centre", "app_metadata", "text", {"label": "Cost centre", "editable_by": Audience.COMPANY_ADMIN,
                                             "visible_to": Audience.ORG_ADMIN}),
]


def schema_add(organization: Organization) -> None:
    metadata_fields_create(organization, SCHEMA)


@pytest.fixture
def acme(auth0_on_changing_emulator) -> Organization:
    organization = OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                                       membership_mode=MembershipMode.ISOLATED_CONNECTION,
                                       auth0_connection_id="con_a")
    schema_add(organization)
    return organization


@pytest.fixture
def admin(acme) -> Principal:
    return principal_for_user_id(RoleFactory(organization=acme, role="admin", email="boss@acme.test").user_id, "Boss")


def unique_email(local: str = "new") -> str:
    return f"{local}-{uuid.uuid4().hex[:8]}@acme.test"


def member_create(organization: Organization, email: str, **fields) -> dict:
    """A user of the organization, in the emulator and in the directory."""
    user = gateway().user_create(connection=organization.connection_name, email=email, password="Secret-Pass-123!",
                                 **fields)
    directory_user_write_through(user)
    return user


def csv_file(text: str, *, bom: bool = False) -> io.BytesIO:
    return io.BytesIO((("\ufeff" if bom else "") + text).encode())


def job_checked(actor: Principal, organization: Organization, text: str, **kwargs) -> BulkJob:
    """A job made of the CSV ``text`` and checked (the check task's work, run here)."""
    job = bulk_job_create(actor=actor, organization=organization, file=csv_file(text), file_name="people.csv",
                          **kwargs)
    bulk_job_check(job.pk)
    job.refresh_from_db()
    return job


def job_run(job: BulkJob, *, rounds: int = 50) -> BulkJob:
    """Advance the job and run each operation it sends (their own tasks, ``.apply()``) until it ends."""
    for _ in range(rounds):
        bulk_job_advance(job.pk)
        pending = list(Operation.objects.filter(idempotency_key__startswith=f"bulk:{job.pk}:",
                                                status=Operation.Status.PENDING).order_by("created_at"))
        for operation in pending:
            app.tasks[operation.task_name].apply(args=[str(operation.pk)])
        job.refresh_from_db()
        if job.finished_at is not None:
            return job
    raise AssertionError(f"the job did not end: {job.status}")
