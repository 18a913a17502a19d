"""The history pages' tests act on the same Acme and admin as the users' tests (tests/users/conftest.py)."""

from tests.users.conftest import acme, admin  # noqa: F401 - fixtures, found by name

