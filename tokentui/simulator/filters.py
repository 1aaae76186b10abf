"""Token list filters and sorts (``PersonalAccessTokensFinder``, gitlab-api.md §4.1)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from tokentui.simulator.context import Ctx
from tokentui.simulator.records import TokenRecord

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

FILTER_KEYS = (
    "revoked",
    "state",
    "created_before",
    "created_after",
    "last_used_before",
    "last_used_after",
    "expires_before",
    "expires_after",
    "search",
    "sort",
)
_QUOTED = re.compile(r'(?:^|(?<= ))"[^"]+"(?= |$)')
_MIN_WORD = 3


def search_matcher(query: str) -> Callable[[str], bool] | None:
    """``Gitlab::SQL::Pattern.fuzzy_search`` on one column; None means "no filter"."""
    query = " ".join(query.split())
    if not query:
        return None
    quoted = _QUOTED.findall(query)
    rest = query
    for phrase in quoted:
        rest = rest.replace(phrase, "", 1)
    words = [w for w in rest.split() + [q[1:-1] for q in quoted] if len(w) >= _MIN_WORD]
    if words:
        lowered = [w.lower() for w in words]
        return lambda name: all(w in name.lower() for w in lowered)
    exact = query.lower()
    return lambda name: name.lower() == exact


_FAR = datetime.max.replace(tzinfo=UTC)
_NEVER = datetime.min.replace(tzinfo=UTC)


def _sorter(sort: str) -> tuple[Callable[[TokenRecord], SupportsRichComparison], bool] | None:
    """Key and reverse flag for a ``sort`` value; None for unknown values (ignored)."""
    nulls_date = date.max
    table: dict[str, tuple[Callable[[TokenRecord], SupportsRichComparison], bool]] = {
        "created_asc": (lambda t: (t.created_at, t.id), False),
        "created_at_asc": (lambda t: (t.created_at, t.id), False),
        "created_desc": (lambda t: (t.created_at, t.id), True),
        "created_at_desc": (lambda t: (t.created_at, t.id), True),
        "created_date": (lambda t: (t.created_at, t.id), True),
        "updated_asc": (lambda t: (t.last_used_at or t.created_at, t.id), False),
        "updated_at_asc": (lambda t: (t.last_used_at or t.created_at, t.id), False),
        "updated_desc": (lambda t: (t.last_used_at or t.created_at, t.id), True),
        "updated_at_desc": (lambda t: (t.last_used_at or t.created_at, t.id), True),
        "id_asc": (lambda t: t.id, False),
        "id_desc": (lambda t: t.id, True),
        "name_asc": (lambda t: (t.name, t.id), False),
        "name_desc": (lambda t: (t.name, t.id), True),
        # PostgreSQL: NULLs last on ASC, first on DESC — a max sentinel does both.
        "expires_asc": (lambda t: (t.expires_at or nulls_date, t.id), False),
        "expires_desc": (lambda t: (t.expires_at or nulls_date, t.id), True),
        "last_used_asc": (lambda t: (t.last_used_at or _FAR, t.id), False),
        "last_used_desc": (lambda t: (t.last_used_at or _FAR, t.id), True),
    }
    if sort == "expires_at_asc_id_desc":
        return (lambda t: ((t.expires_at or nulls_date).toordinal(), -t.id)), False
    return table.get(sort)


def has_filters(ctx: Ctx) -> bool:
    """Whether any list filter (or sort) was sent."""
    return any(ctx.params.has(k) for k in FILTER_KEYS)


def filter_tokens(
    ctx: Ctx, records: Sequence[TokenRecord], *, allowed: tuple[str, ...] = FILTER_KEYS
) -> Sequence[TokenRecord]:
    """Apply the filters in ``allowed`` that the request sent; raises Grape 400s."""
    p = ctx.params
    revoked = p.boolean("revoked") if "revoked" in allowed else None
    state = p.choice("state", ("active", "inactive")) if "state" in allowed else None
    dt = {
        key: p.datetime(key)
        for key in ("created_before", "created_after", "last_used_before", "last_used_after")
        if key in allowed
    }
    expires_before = p.date("expires_before") if "expires_before" in allowed else None
    expires_after = p.date("expires_after") if "expires_after" in allowed else None
    search = p.string("search") if "search" in allowed else None
    sort = p.string("sort") if "sort" in allowed else None
    p.check()
    tests: list[Callable[[TokenRecord], bool]] = []
    today = ctx.today
    if revoked is not None:
        tests.append(lambda t: t.revoked is revoked)
    if state == "active":
        tests.append(lambda t: t.active(today))
    elif state == "inactive":
        tests.append(lambda t: not t.active(today))
    if (created_before := dt.get("created_before")) is not None:
        tests.append(lambda t: t.created_at <= created_before)
    if (created_after := dt.get("created_after")) is not None:
        tests.append(lambda t: t.created_at >= created_after)
    if (used_before := dt.get("last_used_before")) is not None:
        tests.append(lambda t: t.last_used_at is not None and t.last_used_at <= used_before)
    if (used_after := dt.get("last_used_after")) is not None:
        tests.append(lambda t: t.last_used_at is not None and t.last_used_at >= used_after)
    if expires_before is not None:
        tests.append(lambda t: t.expires_at is not None and t.expires_at < expires_before)
    if expires_after is not None:
        tests.append(lambda t: t.expires_at is not None and t.expires_at >= expires_after)
    matcher = search_matcher(search) if search else None
    if matcher is not None:
        tests.append(lambda t: matcher(t.name))
    rows: Sequence[TokenRecord] = (
        [t for t in records if all(test(t) for test in tests)] if tests else records
    )
    sorter = _sorter(sort) if sort else None
    if sorter is not None:
        key, reverse = sorter
        rows = sorted(rows, key=key, reverse=reverse)
    return rows
