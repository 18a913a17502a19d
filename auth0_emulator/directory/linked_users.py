"""The users a row of another table links to (a role's holders, an organization's members), read a page at a
time in SQL: after an id (checkpoints), at an offset (pages), counted, or one asked about. Only the page's ids
are read, so a role a third of a million people hold costs what a small one does."""

from __future__ import annotations

from dataclasses import dataclass

from ..tenant import Tenant


@dataclass(frozen=True)
class LinkedUsers:
    """``source``: the ``FROM … WHERE`` clause (a constant) joining the link table to ``users``, with one
    placeholder, the linking row's id; ``id_column``: the link table's user id column."""

    source: str
    id_column: str

    def after(self, tenant: Tenant, parent_id: str, after: str | None, count: int) -> list[str]:
        """Up to ``count`` ids after ``after`` (from the first when None), in id order."""
        rows = tenant.store.all(
            f"SELECT {self.id_column} AS user_id {self.source} AND {self.id_column} > ? "  # noqa: S608 - constants
            f"ORDER BY {self.id_column} LIMIT ?",
            (parent_id, after or "", count),
        )
        return [row["user_id"] for row in rows]

    def at(self, tenant: Tenant, parent_id: str, start: int, count: int) -> list[str]:
        """Up to ``count`` ids from the ``start``-th, in id order."""
        rows = tenant.store.all(
            f"SELECT {self.id_column} AS user_id {self.source} ORDER BY {self.id_column} "  # noqa: S608 - constants
            "LIMIT ? OFFSET ?",
            (parent_id, count, start),
        )
        return [row["user_id"] for row in rows]

    def count(self, tenant: Tenant, parent_id: str) -> int:
        return tenant.store.one(f"SELECT COUNT(*) AS n {self.source}", (parent_id,))["n"]  # noqa: S608 - constants

    def includes(self, tenant: Tenant, parent_id: str, user_id: str) -> bool:
        found = tenant.store.one(f"SELECT 1 AS linked {self.source} AND {self.id_column} = ?",  # noqa: S608
                                 (parent_id, user_id))
        return found is not None
