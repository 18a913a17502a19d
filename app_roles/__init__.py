"""Application roles, delegated: the Auth0 RBAC roles people hold in the company's applications (the word
"roles" alone means the portal's own: admin, viewer, company admin).

Company admins choose, per organization, which of the tenant's roles its admins may grant (``catalog``);
the directory mirrors who holds which role and which organization granted it (``holdings``, filled by the
directory's syncs through ``sync``); an organization's admins assign and remove them on a person (``acts``),
each an operation whose task makes the Auth0 call the organization's membership mode needs. Its modules sit
in the rooms of ``users`` they serve (pyproject.toml, contract ``users-rooms``): see docs/app-roles.md.
"""
