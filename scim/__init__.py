"""SCIM 2.0 provisioning (RFC 7643, RFC 7644): an organization's identity provider (Okta, Entra ID, …) creates,
changes and deactivates the organization's people and groups through ``/scim/v2/<slug>/``, with a bearer token
the organization's admins make on its settings (docs/scim.md)."""
