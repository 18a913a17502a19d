"""The tenant's directory: the data layer both halves of the emulator share (the Authentication API and
the Management API).

- ``schema``: the tables; ``formats``: Auth0's timestamps and ids; ``hooks``: how a write tells the
  search index and the delivery of events;
- ``users``, ``passwords``, ``connections``, ``organizations`` (members, enabled connections,
  invitations), ``roles`` (users' roles and organization members' roles), ``logs``, ``tickets``,
  ``brute_force`` (failed logins and blocks), ``jobs``, ``outbox``.

Every write to a user goes through here so that the in-memory search index (owned by
``management.users.search``) hears about it, and changes are announced to whatever pushes them to
receivers (``delivery``): ``user.created|updated|deleted``, ``organization.member.added|deleted`` and
``organization.member.role.assigned|deleted``, in the transaction of the change, and ``"logs_appended"``
after each log event (see ``hooks``).
Functions return Auth0-shaped JSON (plain dicts) and raise ``Auth0Error`` where Auth0 would answer with
an error.
"""

# The tables exist as soon as any part of the directory is imported, as when it was one module: a store
# opened afterwards has all of them, whichever function a caller reaches for first.
from . import schema  # noqa: F401
