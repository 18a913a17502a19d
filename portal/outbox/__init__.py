"""The embedded mode's outbox: the email backend that keeps emails instead of sending them, and its pages."""
