"""Expiry cliffs: days on which many active tokens expire at once.

A cliff is what GitLab 16.0 left behind when it gave every token without an expiry the same
date one year ahead: on that day, CI breaks everywhere at 00:00 UTC. The horizon chart marks
cliffs and the hygiene findings flag the tokens on one; both ask this module, so they agree.

A day is a cliff when at least ``min_tokens`` active tokens expire on it **and** it holds at
least ``factor`` times the (lower) median of the days on which any token expires (a single
expiry day only needs ``min_tokens``). The second rule
keeps a big instance's ordinary days (a few expiries each) from all counting as cliffs; the
median, unlike the mean, is not raised by the cliffs themselves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from statistics import median_low

from tokentui.gitlab.models import Token

#: Fewest tokens expiring on one day for it to be a cliff (config: ``[hygiene] cliff_tokens``).
DEFAULT_MIN_TOKENS = 5
#: How many times the median day a cliff holds, at least.
DEFAULT_FACTOR = 3.0


def expiry_days(tokens: Iterable[Token]) -> Counter[date]:
    """How many active (not revoked, not expired) tokens expire on each date."""
    return Counter(t.expires_at for t in tokens if t.expires_at is not None and t.active)


def expiry_cliffs(
    tokens: Iterable[Token],
    *,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    factor: float = DEFAULT_FACTOR,
) -> dict[date, int]:
    """The cliff days among the active tokens' expiry dates, with their token counts, by date.

    >>> from datetime import UTC, datetime
    >>> created = datetime(2026, 1, 1, tzinfo=UTC)
    >>> def token(i: int, day: date) -> Token:
    ...     return Token(id=i, name="t", created_at=created, expires_at=day)
    >>> cliff = date(2027, 5, 1)
    >>> quiet = [token(100 + n, date(2027, 6, n)) for n in range(1, 4)]
    >>> tokens = [token(i, cliff) for i in range(6)] + quiet
    >>> expiry_cliffs(tokens)
    {datetime.date(2027, 5, 1): 6}
    """
    return cliff_days(expiry_days(tokens), min_tokens=min_tokens, factor=factor)


def cliff_days(
    days: Mapping[date, int],
    *,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    factor: float = DEFAULT_FACTOR,
) -> dict[date, int]:
    """The cliff days among ``days`` (active tokens expiring on each date, as
    :func:`expiry_days` counts them; days counting 0 are ignored), for a caller that keeps the
    counts up to date itself (the hygiene findings, as pages arrive)."""
    counts = {day: n for day, n in days.items() if n > 0}
    if not counts:
        return {}
    typical = median_low(counts.values()) if len(counts) > 1 else 0
    floor = max(min_tokens, factor * typical)
    return {day: n for day, n in sorted(counts.items()) if n >= floor}
