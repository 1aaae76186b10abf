"""The new expiry of each rotated token: the same lifetime as now, one date (a preset or a typed
date), or "spread": the new expiries spread evenly over N days, so tokens that all expire on one
day (an expiry cliff, :mod:`tokentui.core.cliffs`) do not all expire together again.

One rule for both fronts (the TUI's rotate dialogs, ``tokentui rotate --spread``). No Textual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from tokentui.core.expiry import last_allowed_expiry, preset_date, same_lifetime_days
from tokentui.gitlab.models import Token
from tokentui.gitlab.scopes import MAX_LIFETIME_DAYS

#: Where a spread starts when no date is given: this many days from today.
SPREAD_DEFAULT_START_DAYS = 30


@dataclass(frozen=True)
class RotateExpiry:
    """How the new expiries are chosen.

    ``same_lifetime``: each token keeps its lifetime from today (capped at the maximum; a token
    that never expires gets GitLab's default). Otherwise ``on`` (a date); with ``spread_days``
    the tokens' new expiries go from ``on`` (default :data:`SPREAD_DEFAULT_START_DAYS` from
    today) over that many days, evenly, in the order of their current expiry.
    """

    same_lifetime: bool = False
    on: date | None = None
    spread_days: int | None = None

    def describe(self, today: date) -> str:
        """The choice in words, for a preview: ``spread over 14 days from 2026-12-23``."""
        if self.spread_days:
            start = spread_start(self, today)
            return f"spread over {self.spread_days} days from {start.isoformat()}"
        if self.same_lifetime:
            return "the same lifetime as now, from today"
        if self.on is not None:
            return f"expiring {self.on.isoformat()}"
        return "GitLab's default expiry"


def spread_start(choice: RotateExpiry, today: date) -> date:
    """The first day of a spread."""
    return choice.on or preset_date(SPREAD_DEFAULT_START_DAYS, today)


def spread_dates(count: int, start: date, days: int) -> list[date]:
    """``count`` dates spread evenly over ``days`` days from ``start``: the i-th is
    ``start + floor(i * days / count)`` days, so no day gets more than ``ceil(count / days)``
    and with fewer tokens than days they are ``days / count`` apart."""
    if days < 1:
        raise ValueError("a spread takes at least 1 day")
    return [start + timedelta(days=(i * days) // count) for i in range(count)]


def spread_problem(choice: RotateExpiry, today: date) -> str | None:
    """Why the spread cannot be used (past GitLab's maximum lifetime), or None."""
    if not choice.spread_days:
        return None
    if choice.spread_days < 1:
        return "a spread takes at least 1 day"
    start = spread_start(choice, today)
    end = start + timedelta(days=choice.spread_days - 1)
    last = last_allowed_expiry(today)
    if end > last:
        return (
            f"spreading over {choice.spread_days} days from {start.isoformat()} ends "
            f"{end.isoformat()}, past the {MAX_LIFETIME_DAYS}-day maximum ({last.isoformat()}): "
            "start earlier or spread over fewer days"
        )
    return None


def _order(token: Token) -> tuple[date, int]:
    return (token.expires_at or date.max, token.key)


def new_expiries(
    choice: RotateExpiry, tokens: Sequence[Token], today: date
) -> dict[int, date | None]:
    """Each token's new expiry by :attr:`Token.key` (None: GitLab's default). Raises
    ``ValueError`` with :func:`spread_problem`'s sentence for a spread past the maximum."""
    if choice.spread_days:
        problem = spread_problem(choice, today)
        if problem:
            raise ValueError(problem)
        ordered = sorted(tokens, key=_order)
        dates = spread_dates(len(ordered), spread_start(choice, today), choice.spread_days)
        return {token.key: when for token, when in zip(ordered, dates, strict=True)}
    if choice.same_lifetime:
        result: dict[int, date | None] = {}
        for token in tokens:
            days = same_lifetime_days(token)
            result[token.key] = None if days is None else preset_date(days, today)
        return result
    return {token.key: choice.on for token in tokens}
