"""The directory: the portal's mirror of the tenant's users, how it is kept in step with Auth0 (syncs,
streams, refreshes), and its scoped reads."""
