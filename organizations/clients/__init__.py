"""API clients (internal tools' machine-to-machine callers): registering, rotating and revoking them; their
pages."""
