"""User search (``GET /api/v2/users``, search_engine v3): an in-memory index and a Lucene evaluator.

The index keeps each user's JSON text plus lookup tables for the fields the portal filters on
(connection, ``app_metadata.organizations``, lower-cased email, Auth0 Organization membership), so a
typical query is a set lookup, not a scan. Other queries are evaluated against each user's parsed
JSON. Queries are parsed with luqum; the subset Auth0 documents is supported (fields, phrases,
AND/OR/NOT, groups, ranges with ``*`` ends, ``*`` wildcards) and the rest is a 400.

Search is eventually consistent like Auth0's: ``directory`` calls ``touch(user_id)`` after each write,
and the change reaches the index ``config.search_lag_seconds`` later.
"""

from __future__ import annotations

import fnmatch
import json
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from luqum.exceptions import ParseError
from luqum.parser import parser
from luqum.tree import (
    AndOperation,
    FieldGroup,
    Group,
    Item,
    Not,
    OrOperation,
    Phrase,
    Plus,
    Prohibit,
    Range,
    SearchField,
    UnknownOperation,
    Word,
)

from ...directory.organizations import organization_member_ids
from ...errors import Auth0Error
from ...tenant import Tenant

# Fields Auth0 matches case-insensitively; everything else (metadata included) is case-sensitive.
CASE_INSENSITIVE = {"email", "name", "given_name", "family_name", "nickname"}
# What a term without a field matches (never metadata).
DEFAULT_FIELDS = (
    "email",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "username",
    "user_id",
    "phone_number",
)
# Root fields that can be sorted on, kept per user so sorting never parses JSON.
SORT_FIELDS = (
    "created_at",
    "updated_at",
    "last_login",
    "logins_count",
    "email",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "username",
    "user_id",
    "email_verified",
    "last_ip",
    "blocked",
    "phone_number",
)
_SORT_POS = {f: i for i, f in enumerate(SORT_FIELDS)}
# Dates Auth0 indexes as dates: a range bound on them may be a bare day (``2025-01-01``) or any ISO-8601
# time, and compares as a point in time, not as text.
DATE_FIELDS = ("created_at", "updated_at", "last_login", "last_password_reset")
SORT_PATTERN = re.compile(r"^[a-zA-Z0-9_.]+:(1|-1)$")

Predicate = Callable[[dict, frozenset], bool]


def query_error(message: str) -> Auth0Error:
    return Auth0Error(400, message, "invalid_query_string")


class _Entry:
    __slots__ = ("doc_json", "org_ids", "rank", "sort_values")

    def __init__(self, doc_json: str, doc: dict, org_ids: frozenset, rank: int) -> None:
        self.doc_json = doc_json
        self.org_ids = org_ids
        self.rank = rank
        self.sort_values = tuple(doc.get(f) for f in SORT_FIELDS)

    def doc(self) -> dict:
        return json.loads(self.doc_json)


def _index_keys(doc: dict) -> tuple[set[str], set[str], str | None]:
    connections = {i.get("connection") for i in doc.get("identities") or [] if i.get("connection")}
    orgs = (doc.get("app_metadata") or {}).get("organizations")
    slugs = {o for o in orgs if isinstance(o, str)} if isinstance(orgs, list) else set()
    email = doc.get("email")
    return connections, slugs, email.lower() if isinstance(email, str) else None


class UsersIndex:
    """What search sees. Registered as ``tenant.extensions["users_index"]``."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.entries: dict[str, _Entry] = {}
        self.by_connection: dict[str, set[str]] = {}
        self.by_org_slug: dict[str, set[str]] = {}
        self.by_org_id: dict[str, set[str]] = {}
        self.by_email: dict[str, set[str]] = {}
        self.pending: deque[tuple[float, str]] = deque()
        self.version = 0
        self._next_rank = 0
        self._ordered: list[str] | None = None
        self._cache: OrderedDict[tuple, list[str]] = OrderedDict()
        self._load()

    # -- building --------------------------------------------------------------------------------
    def _load(self) -> None:
        memberships: dict[str, set[str]] = {}
        for row in self.tenant.store.execute("SELECT org_id, user_id FROM organization_members"):
            memberships.setdefault(row["user_id"], set()).add(row["org_id"])
        # Row by row from the cursor, so a million users never sit in one list beside the index.
        for row in self.tenant.store.execute("SELECT user_id, data FROM users ORDER BY rowid"):
            doc = json.loads(row["data"])
            self._put(row["user_id"], row["data"], doc, frozenset(memberships.pop(row["user_id"], ())))

    def _put(self, user_id: str, doc_json: str, doc: dict, org_ids: frozenset) -> None:
        old = self.entries.get(user_id)
        if old is not None:
            self._unindex(user_id, old)
            rank = old.rank
        else:
            rank = self._next_rank
            self._next_rank += 1
            self._ordered = None
        entry = _Entry(doc_json, doc, org_ids, rank)
        self.entries[user_id] = entry
        connections, slugs, email = _index_keys(doc)
        for c in connections:
            self.by_connection.setdefault(c, set()).add(user_id)
        for s in slugs:
            self.by_org_slug.setdefault(s, set()).add(user_id)
        for o in org_ids:
            self.by_org_id.setdefault(o, set()).add(user_id)
        if email:
            self.by_email.setdefault(email, set()).add(user_id)

    def _unindex(self, user_id: str, entry: _Entry) -> None:
        connections, slugs, email = _index_keys(entry.doc())
        for table, keys in (
            (self.by_connection, connections),
            (self.by_org_slug, slugs),
            (self.by_org_id, entry.org_ids),
            (self.by_email, {email} if email else set()),
        ):
            for key in keys:
                ids = table.get(key)
                if ids is not None:
                    ids.discard(user_id)
                    if not ids:
                        del table[key]

    # -- keeping up with writes (called by directory) ---------------------------------------------
    def touch(self, user_id: str) -> None:
        self.pending.append((time.monotonic() + self.tenant.config.search_lag_seconds, user_id))

    def sync(self) -> None:
        """Apply the writes whose search lag has passed."""
        now = time.monotonic()
        changed = False
        while self.pending and self.pending[0][0] <= now:
            _, user_id = self.pending.popleft()
            changed = True
            row = self.tenant.store.one("SELECT data FROM users WHERE user_id = ?", (user_id,))
            if row is None:
                old = self.entries.pop(user_id, None)
                if old is not None:
                    self._unindex(user_id, old)
                    self._ordered = None
                continue
            org_ids = frozenset(organization_member_ids(self.tenant, user_id))
            self._put(user_id, row["data"], json.loads(row["data"]), org_ids)
        if changed:
            self.version += 1
            self._cache.clear()

    # -- querying ----------------------------------------------------------------------------------
    def ordered_ids(self) -> list[str]:
        if self._ordered is None:
            self._ordered = sorted(self.entries, key=lambda uid: self.entries[uid].rank)
        return self._ordered

    def search(self, q: str | None, sort: str | None) -> list[str]:
        """Ids of the matching users, in result order."""
        self.sync()
        key = (q or "", sort or "")
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        if q and q.strip():
            plan = _compile(_parse(q), self)
            if plan.ids is None:
                candidates: Iterable[str] = self.entries
            else:
                candidates = plan.ids
            if not plan.exact:
                predicate = plan.predicate
                entries = self.entries
                candidates = [
                    uid for uid in candidates if predicate(entries[uid].doc(), entries[uid].org_ids)
                ]
            ids = [uid for uid in candidates if uid in self.entries]
            ids.sort(key=lambda uid: self.entries[uid].rank)
        else:
            ids = self.ordered_ids()
        if sort:
            ids = self._sorted(ids, sort)
        self._cache[key] = ids
        if len(self._cache) > 64:
            self._cache.popitem(last=False)
        return ids

    def scan(self, positions: list[int], matcher: Callable[[Any], bool]) -> set[str]:
        """Users whose kept root fields (``SORT_FIELDS`` at ``positions``) match."""
        return {
            uid
            for uid, entry in self.entries.items()
            if any((v := entry.sort_values[p]) is not None and matcher(v) for p in positions)
        }

    def _sorted(self, ids: list[str], sort: str) -> list[str]:
        field, direction = sort.rsplit(":", 1)
        pos = _SORT_POS.get(field)
        if pos is None:
            # Auth0 cannot sort on metadata and ignores unknown root fields: keep the default order.
            return ids
        entries = self.entries
        present = [uid for uid in ids if entries[uid].sort_values[pos] is not None]
        missing = [uid for uid in ids if entries[uid].sort_values[pos] is None]
        insensitive = field in CASE_INSENSITIVE

        def sort_key(uid: str) -> Any:
            value = entries[uid].sort_values[pos]
            return value.lower() if insensitive and isinstance(value, str) else value

        present.sort(key=sort_key, reverse=direction == "-1")
        # Users without the field come last either way, as Elasticsearch sorts missing values.
        return present + missing


def users_index(tenant: Tenant) -> UsersIndex:
    index = tenant.extensions.get("users_index")
    if index is None:
        index = UsersIndex(tenant)
        tenant.extensions["users_index"] = index
    return index


# -- query compilation --------------------------------------------------------------------------
def _parse(q: str) -> Item:
    try:
        return parser.parse(q)
    except (ParseError, ValueError) as exc:
        raise query_error(
            f"Query validation error: 'Invalid query string: {exc}' on property q "
            "(Query in Lucene query string syntax)."
        ) from None


class _Plan:
    """A compiled query: an optional candidate set from the index, whether that set is exactly the
    answer, and a predicate over (user JSON, Auth0 Organization ids) for everything else."""

    __slots__ = ("exact", "ids", "predicate")

    def __init__(self, predicate: Predicate, ids: set[str] | None = None, exact: bool = False) -> None:
        self.predicate = predicate
        self.ids = ids
        self.exact = exact


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _term(node: Item) -> tuple[str, bool]:
    """(value, is_phrase) of a Word or Phrase."""
    if isinstance(node, Phrase):
        return _unescape(node.value[1:-1]), True
    if isinstance(node, Word):
        return node.value, False
    raise query_error(f"Query validation error: 'Unsupported query syntax: {node}' on property q.")


def _field_values(doc: dict, org_ids: frozenset, field: str) -> list[Any]:
    """Every value at a dotted path, arrays flattened (``identities.connection``, metadata paths)."""
    if field == "organization_id":
        return list(org_ids)
    if field == "email.domain":
        email = doc.get("email")
        return [email.rsplit("@", 1)[1]] if isinstance(email, str) and "@" in email else []
    values: list[Any] = [doc]
    for part in field.split("."):
        nxt: list[Any] = []
        for value in values:
            if isinstance(value, dict) and part in value:
                found = value[part]
                if isinstance(found, list):
                    nxt.extend(found)
                else:
                    nxt.append(found)
        values = nxt
        if not values:
            break
    # Nulls, empty objects and empty arrays are not indexed (so they never match).
    return [v for v in values if v is not None and v != {} and v != []]


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date_bound(text: str) -> str:
    """A range bound on a date field in the stored format (``2025-01-01T00:00:00.000Z``), so that text
    comparison is time comparison: a bare day is its midnight UTC, offsets are converted to UTC. ``*``
    and anything that is not a date stay as they are (compared as text, as before)."""
    if text == "*":
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _value_matcher(field: str | None, node: Item) -> Callable[[Any], bool]:
    """A test for one field value against a term, wildcard or range."""
    insensitive = field is None or field in CASE_INSENSITIVE or field == "email.domain"
    is_metadata = field is not None and field.startswith("user_metadata")
    if isinstance(node, Range):
        if is_metadata:
            raise query_error(
                "Query validation error: 'Range queries are not supported on user_metadata "
                "fields' on property q."
            )
        low, _ = _term(node.low)
        high, _ = _term(node.high)
        if field in DATE_FIELDS:
            low, high = _date_bound(low), _date_bound(high)
        low_n, high_n = _number(low), _number(high)
        numeric = (low == "*" or low_n is not None) and (high == "*" or high_n is not None)

        def in_range(value: Any) -> bool:
            if numeric and isinstance(value, int | float) and not isinstance(value, bool):
                v: Any = float(value)
                lo, hi = low_n, high_n
            elif isinstance(value, str):
                v, lo, hi = value, low, high
            else:
                return False
            if low != "*" and (v < lo or (v == lo and not node.include_low)):
                return False
            return not (high != "*" and (v > hi or (v == hi and not node.include_high)))

        return in_range
    text, phrase = _term(node)
    if not phrase and "?" in text.replace("\\?", ""):
        raise query_error("Query validation error: 'Wildcard ? is not supported, use *' on property q.")
    if not phrase and "*" in text.replace("\\*", ""):
        if is_metadata:
            raise query_error(
                "Query validation error: 'Wildcard queries are not supported on user_metadata "
                "fields' on property q."
            )
        literal = text.replace("*", "")
        prefix_only = text.endswith("*") and "*" not in text[:-1]
        # Anything but a plain prefix search (``jo*``) needs at least 3 literal characters (Auth0 v3).
        if text != "*" and not prefix_only and len(literal) < 3:
            raise query_error(
                "Query validation error: 'Wildcard searches need at least 3 characters "
                f"besides the wildcard: {text}' on property q."
            )
        if text == "*":
            return lambda value: True
        pattern = re.compile(
            fnmatch.translate(_unescape(text).lower() if insensitive else _unescape(text)), re.DOTALL
        )

        def wildcard(value: Any) -> bool:
            s = _scalar_text(value)
            if s is None:
                return False
            return pattern.match(s.lower() if insensitive else s) is not None

        return wildcard
    text = _unescape(text)
    wanted = text.lower() if insensitive else text
    wanted_n = _number(text)

    def equals(value: Any) -> bool:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return wanted_n is not None and float(value) == wanted_n
        s = _scalar_text(value)
        if s is None:
            return False
        return (s.lower() if insensitive else s) == wanted

    return equals


def _exact_ids(index: UsersIndex, field: str, node: Item) -> set[str] | None:
    """The index's answer for ``field:"value"`` when it has one (no wildcard, no range)."""
    if not isinstance(node, Word | Phrase):
        return None
    text, phrase = _term(node)
    if not phrase and ("*" in text or "?" in text):
        return None
    text = _unescape(text)
    if field == "identities.connection":
        return index.by_connection.get(text, set())
    if field == "app_metadata.organizations":
        return index.by_org_slug.get(text, set())
    if field == "organization_id":
        return index.by_org_id.get(text, set())
    if field == "email":
        return index.by_email.get(text.lower(), set())
    if field == "user_id":
        return {text} if text in index.entries else set()
    return None


def _compile(
    node: Item, index: UsersIndex | None, field: str | None = None, defaults: tuple[str, ...] = DEFAULT_FIELDS
) -> _Plan:
    if isinstance(node, SearchField):
        if field is not None:
            raise query_error("Query validation error: 'Nested field names are not supported' on property q.")
        return _compile(node.expr, index, node.name, defaults)
    if isinstance(node, Group | FieldGroup):
        return _compile(node.expr, index, field, defaults)
    if isinstance(node, Not | Prohibit):
        inner = _compile(node.a, index, field, defaults)
        return _Plan(lambda doc, orgs, p=inner.predicate: not p(doc, orgs))
    if isinstance(node, Plus):
        return _compile(node.a, index, field, defaults)
    if isinstance(node, AndOperation):
        return _combine_and([_compile(c, index, field, defaults) for c in node.children])
    if isinstance(node, OrOperation | UnknownOperation):
        # Lucene's default operator between bare terms is OR.
        return _combine_or([_compile(c, index, field, defaults) for c in node.children])
    if isinstance(node, Word | Phrase | Range):
        if field is None:
            matcher = _value_matcher(None, node)
            ids = None
            if index is not None and all(f in _SORT_POS for f in defaults):
                ids = index.scan([_SORT_POS[f] for f in defaults], matcher)
            return _Plan(
                lambda doc, orgs: any(matcher(doc[f]) for f in defaults if doc.get(f) is not None),
                ids,
                exact=ids is not None,
            )
        matcher = _value_matcher(field, node)
        ids = _exact_ids(index, field, node) if index is not None else None
        if ids is None and index is not None and field in _SORT_POS:
            # Root scalar fields are kept per user: match them without parsing any JSON.
            ids = index.scan([_SORT_POS[field]], matcher)
        name = field
        return _Plan(
            lambda doc, orgs: any(matcher(v) for v in _field_values(doc, orgs, name)),
            ids,
            exact=ids is not None,
        )
    raise query_error(f"Query validation error: 'Unsupported query syntax: {node}' on property q.")


def _combine_and(plans: list[_Plan]) -> _Plan:
    preds = [p.predicate for p in plans]
    sets = [p.ids for p in plans if p.ids is not None]
    ids = set.intersection(*sorted(sets, key=len)) if sets else None
    exact = all(p.exact for p in plans)
    return _Plan(lambda doc, orgs: all(p(doc, orgs) for p in preds), ids, exact)


def _combine_or(plans: list[_Plan]) -> _Plan:
    preds = [p.predicate for p in plans]
    if all(p.ids is not None for p in plans):
        ids: set[str] | None = set().union(*(p.ids for p in plans))  # type: ignore[arg-type]
        exact = all(p.exact for p in plans)
    else:
        ids, exact = None, False
    return _Plan(lambda doc, orgs: any(p(doc, orgs) for p in preds), ids, exact)


def record_predicate(q: str, default_fields: tuple[str, ...]) -> Callable[[dict], bool]:
    """A Lucene filter over plain JSON records (log events): no index, same syntax and rules."""
    plan = _compile(_parse(q), None, None, default_fields)
    predicate = plan.predicate
    return lambda record: predicate(record, frozenset())
