"""What organizations announce to the packages above them (which organizations must not import)."""

from django.dispatch import Signal

# Sent inside the transaction that saved an organization's metadata schema; argument: organization.
metadata_schema_saved = Signal()
