"""The history pages' own reads, built on the scoped reads of operations every layer shares
(``organizations.selectors.operation_list``: scoping in the query)."""

from __future__ import annotations

from django.db.models import QuerySet

from organizations.models import Organization
from organizations.selectors import operation_list
from portal.keyset import SortKey
from portal.models import Attention, Operation
from portal.principal import Principal

# The operations page's groups, in the order it shows them: what needs someone first, then what is under
# way, then the rest. Each is a value of Operation.attention, which the database keeps from the status.
OPERATION_GROUPS: dict[str, Attention] = {
    "failed": Attention.FAILED,
    "unfinished": Attention.UNFINISHED,
    "succeeded": Attention.SUCCEEDED,
}
# The page's order as keyset paging reads it (indexes operation_org_attention and operation_attention): the
# group seeks twice, within the cursor's group and then the groups after it, so the last page of the
# succeeded ones costs what the first page of failures does.
ATTENTION_FIRST = [SortKey("attention", grouped=True), SortKey("created_at", descending=True),
                   SortKey("pk", descending=True)]


def operation_list_attention_first(
    *, principal: Principal, organization: Organization | None, group: str = ""
) -> QuerySet[Operation]:
    """Failures first, then running and pending operations, then the rest; newest first within each.
    ``group`` (a key of OPERATION_GROUPS) keeps one of them."""
    operations = operation_list(principal=principal, organization=organization)
    if group:
        operations = operations.filter(attention=OPERATION_GROUPS[group])
    return operations.order_by("attention", "-created_at", "-pk")
