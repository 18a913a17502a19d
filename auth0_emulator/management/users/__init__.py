"""The Management API's user operations: ``/api/v2/users`` itself (``users``), the search index behind
``GET /users`` (``search``), and what hangs off a user: authentication methods, sessions and refresh
tokens (``user_sessions``) and brute-force blocks (``blocks``, ``/api/v2/user-blocks``)."""
