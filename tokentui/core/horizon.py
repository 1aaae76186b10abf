"""The expiry horizon: how many active tokens expire each week over the next weeks.

Week 0 holds the tokens that stop working within seven days (expiry dates from tomorrow
through today + 7: a token stops at 00:00 UTC on its date, so one dated today is already
expired), the same window as the "expiring 7d" filter; each later week the next seven dates.
Days on which many tokens expire at once are cliffs (:func:`tokentui.core.cliffs.expiry_cliffs`,
the rule the hygiene findings use too); a week holding one is marked. The fronts draw it
(the TUI's chart, ``H``) and filter the list to a week (``ClientFilters.expiry_week``). One pass
over the tokens, plus the cliff rule's: computed when the tokens change, not per repaint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from tokentui.core.cliffs import DEFAULT_FACTOR, DEFAULT_MIN_TOKENS, expiry_cliffs
from tokentui.gitlab.models import Token

#: Weeks the horizon covers (about three months).
WEEKS = 13


@dataclass(frozen=True, slots=True)
class Week:
    """One week of the horizon: expiry dates ``start`` through ``start + 6``."""

    start: date
    count: int
    #: The cliff days in this week, with their token counts.
    cliffs: tuple[tuple[date, int], ...] = ()

    @property
    def end(self) -> date:
        """The week's last expiry date."""
        return self.start + timedelta(days=6)


@dataclass(frozen=True, slots=True)
class Horizon:
    """The weeks ahead, and what is not in them."""

    weeks: tuple[Week, ...]
    #: Active tokens expiring after the last week.
    later: int = 0
    #: Active tokens that never expire.
    never: int = 0

    @property
    def total(self) -> int:
        """Active tokens expiring within the horizon."""
        return sum(week.count for week in self.weeks)

    @property
    def peak(self) -> int:
        """The busiest week's count (0 when none expires)."""
        return max((week.count for week in self.weeks), default=0)

    def week_of(self, start: date | None) -> int | None:
        """The index of the week starting on ``start``, or None."""
        return next((i for i, w in enumerate(self.weeks) if w.start == start), None)


def first_week(today: date) -> date:
    """The first expiry date of week 0: tomorrow (a token dated today has expired)."""
    return today + timedelta(days=1)


def horizon(
    tokens: Iterable[Token],
    today: date,
    *,
    weeks: int = WEEKS,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    factor: float = DEFAULT_FACTOR,
) -> Horizon:
    """Active tokens (not revoked, not expired by ``today``) per week from tomorrow, for
    ``weeks`` weeks, with the cliff days marked.

    >>> from datetime import UTC, datetime
    >>> made = datetime(2026, 1, 1, tzinfo=UTC)
    >>> today = date(2026, 11, 23)
    >>> tokens = [Token(id=i, name="t", created_at=made, expires_at=today + timedelta(days=d))
    ...           for i, d in enumerate((1, 7, 8, 0, 400))]
    >>> h = horizon(tokens, today, weeks=2)
    >>> [(w.start.isoformat(), w.count) for w in h.weeks], h.later
    ([('2026-11-24', 2), ('2026-12-01', 1)], 1)
    """
    rows: Sequence[Token] = tokens if isinstance(tokens, Sequence) else list(tokens)
    start = first_week(today)
    first = start.toordinal()
    counts = [0] * weeks
    later = never = 0
    for token in rows:
        if token.revoked:
            continue
        expires = token.expires_at
        if expires is None:
            if token.active:
                never += 1
            continue
        offset = expires.toordinal() - first
        if offset < 0:
            continue  # expired
        week = offset // 7
        if week < weeks:
            counts[week] += 1
        else:
            later += 1
    cliffs = expiry_cliffs(rows, min_tokens=min_tokens, factor=factor)
    result = []
    for i, count in enumerate(counts):
        begin = start + timedelta(days=7 * i)
        marked = tuple(
            (day, n) for day, n in cliffs.items() if begin <= day < begin + timedelta(days=7)
        )
        result.append(Week(begin, count, marked))
    return Horizon(tuple(result), later=later, never=never)
