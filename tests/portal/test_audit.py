"""The audit trail is append-only in code: an event is written once and never changed or deleted, by the
model or by a queryset; its actions read as labels."""

from __future__ import annotations

import pytest
from django.db import transaction

from organizations.models import Organization
from portal.audit import audit_action_choices, audit_action_label, audit_record
from portal.models import AUDIT_APPEND_ONLY, AuditEvent, OperationKind
from tests.factories import OrganizationFactory


@pytest.fixture
def event(db) -> AuditEvent:
    return audit_record(actor=None, action="organization.updated", organization=OrganizationFactory(),
                        summary="Updated organization settings")


def test_an_event_cannot_be_saved_again(event) -> None:
    event.summary = "Nothing happened"
    with pytest.raises(ValueError, match=AUDIT_APPEND_ONLY):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).summary == "Updated organization settings"


def test_an_event_cannot_be_deleted(event) -> None:
    with pytest.raises(ValueError, match=AUDIT_APPEND_ONLY):
        event.delete()
    with pytest.raises(ValueError, match=AUDIT_APPEND_ONLY):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_events_cannot_be_changed_in_bulk(event) -> None:
    with pytest.raises(ValueError, match=AUDIT_APPEND_ONLY):
        AuditEvent.objects.filter(pk=event.pk).update(summary="Rewritten")
    event_copy = AuditEvent.objects.get(pk=event.pk)
    event_copy.summary = "Rewritten"
    # bulk_update's own transaction is broken by the refusal: a savepoint keeps the test's usable.
    with pytest.raises(ValueError, match=AUDIT_APPEND_ONLY), transaction.atomic():
        AuditEvent.objects.bulk_update([event_copy], ["summary"])
    assert AuditEvent.objects.get(pk=event.pk).summary == "Updated organization settings"


def test_deleting_an_organization_keeps_its_events(event) -> None:
    """Django unlinks the events (SET_NULL through its base manager); the events themselves stay."""
    Organization.objects.filter(pk=event.organization_id).delete()
    kept = AuditEvent.objects.get(pk=event.pk)
    assert kept.organization_id is None and kept.summary == "Updated organization settings"


def test_actions_read_as_labels() -> None:
    assert audit_action_label("role.granted") == "Admin or viewer appointed"
    assert audit_action_label("user_block.failed") == "Block a user: failed"
    assert audit_action_label("user_invite.succeeded") == "Invite a user: done"
    # One nobody labelled yet still reads as words.
    assert audit_action_label("user.something_new") == "User: something new"
    choices = dict(audit_action_choices())
    assert choices["user_block.requested"] == "Block a user: requested"
    assert "user_invite.requested" not in choices  # invitations record "user.invite_requested"
    assert all(kind.value + ".failed" in choices for kind in OperationKind)
