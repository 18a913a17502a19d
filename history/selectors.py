"""The history pages' own reads, built on the scoped reads of operations every layer shares
(``organizations.selectors.operation_list``: scoping in the query)."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from organizations.models import Organization
from organizations.selectors import operation_list
from portal.models import Operation
from portal.principal import Principal

# The operations page's groups, in the order it shows them: what needs someone first, then what is under
# way, then the rest.
OPERATION_GROUPS: dict[str, tuple[str, ...]] = {
    "failed": (Operation.Status.FAILED,),
    "unfinished": (Operation.Status.RUNNING, Operation.Status.PENDING),
    "succeeded": (Operation.Status.SUCCEEDED,),
}


def operation_list_attention_first(
    *, principal: Principal, organization: Organization | None, group: str = ""
) -> QuerySet[Operation]:
    """Failures first, then running and pending operations, then the rest; newest first within each.
    ``group`` (a key of OPERATION_GROUPS) keeps one of them."""
    operations = operation_list(principal=principal, organization=organization)
    if group:
        operations = operations.filter(status__in=OPERATION_GROUPS[group])
    urgency = Case(
        *(When(status__in=statuses, then=Value(rank)) for rank, statuses in enumerate(OPERATION_GROUPS.values())),
        default=Value(len(OPERATION_GROUPS)), output_field=IntegerField(),
    )
    return operations.alias(urgency=urgency).order_by("urgency", "-created_at", "-pk")
