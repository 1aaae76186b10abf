"""The expiry horizon (issue 13): weeks of active tokens from tomorrow, cliffs marked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tokentui.core.cliffs import expiry_cliffs
from tokentui.core.horizon import WEEKS, first_week, horizon
from tokentui.core.query import ClientFilters, expiring_filters, filter_tokens
from tokentui.gitlab.models import Token

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MADE = datetime(2026, 1, 1, tzinfo=UTC)


def tok(i: int, days: int | None, **kw) -> Token:
    expires = TODAY + timedelta(days=days) if days is not None else None
    return Token(id=i, name=f"t{i}", created_at=MADE, expires_at=expires, **kw)


def test_weeks_start_tomorrow_and_hold_only_active_tokens() -> None:
    tokens = [
        tok(1, 1),  # tomorrow: week 0
        tok(2, 7),  # last day of week 0
        tok(3, 8),  # week 1
        tok(4, 0),  # dated today: already expired at 00:00 UTC
        tok(5, -3),  # expired
        tok(6, 2, revoked=True, active=False),  # revoked: cannot break anything
        tok(7, 7 * WEEKS + 1),  # after the horizon
        tok(8, None),  # never
        tok(9, None, active=False),  # inactive without a date
    ]
    found = horizon(tokens, TODAY)
    assert len(found.weeks) == WEEKS
    assert found.weeks[0].start == first_week(TODAY) == TODAY + timedelta(days=1)
    assert [w.count for w in found.weeks[:3]] == [2, 1, 0]
    assert found.total == 3 and found.later == 1 and found.never == 1
    assert found.weeks[12].end == TODAY + timedelta(days=7 * WEEKS)


def test_week_zero_is_the_expiring_7d_window_and_the_week_filter_agrees() -> None:
    tokens = [tok(i, d) for i, d in enumerate(range(-2, 40))]
    found = horizon(tokens, TODAY)
    seven = filter_tokens(
        tokens, expiring_filters(7, TODAY), ClientFilters(expiring_within_days=7), NOW
    )
    assert found.weeks[0].count == len(seven)
    for week in found.weeks:
        listed = filter_tokens(tokens, client=ClientFilters(expiry_week=week.start), now=NOW)
        assert len(listed) == week.count


def test_cliffs_come_from_the_shared_rule_and_mark_their_week() -> None:
    cliff = TODAY + timedelta(days=30)
    tokens = [tok(i, 30) for i in range(8)] + [tok(100 + d, d) for d in (3, 12, 50, 60)]
    found = horizon(tokens, TODAY)
    marked = {day: n for week in found.weeks for day, n in week.cliffs}
    assert marked == expiry_cliffs(tokens) == {cliff: 8}
    (week,) = [w for w in found.weeks if w.cliffs]
    assert week.start <= cliff <= week.end and week.count == 8
    assert found.week_of(week.start) == found.weeks.index(week)
    assert found.week_of(TODAY) is None
