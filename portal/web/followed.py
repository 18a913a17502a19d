"""Operations a person started and is waiting for: shown on the page they return to until each has
finished and its outcome has been shown once (the asynchronous counterpart of a flash message)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from portal.models import Operation

SESSION_KEY = "portal_followed_operations"
FOLLOWED_MAX = 20


def operation_follow(request: HttpRequest, operation: Operation) -> None:
    """Remember that this browser waits for ``operation``."""
    followed = [i for i in request.session.get(SESSION_KEY, []) if i != str(operation.pk)]
    request.session[SESSION_KEY] = [*followed, str(operation.pk)][-FOLLOWED_MAX:]


def operations_following(request: HttpRequest) -> bool:
    """Whether this browser waits for any operation (a busy page skips building its query when not)."""
    return bool(request.session.get(SESSION_KEY))


def operations_followed(request: HttpRequest, operations: QuerySet[Operation]) -> list[Operation]:
    """The followed operations among ``operations`` (the caller's scoped queryset), oldest first.
    A finished one is returned this once and then forgotten."""
    followed: list[str] = request.session.get(SESSION_KEY, [])
    if not followed:
        return []
    found = sorted(operations.filter(pk__in=followed), key=lambda op: op.created_at)
    finished = {str(op.pk) for op in found if op.is_finished}
    if finished:
        request.session[SESSION_KEY] = [i for i in followed if i not in finished]
    return found
