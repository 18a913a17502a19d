"""The acts on a person, one module per act: each a request (what a view or the API calls: checks, an
operation, an audit event) and an apply (what its task runs against Auth0)."""
