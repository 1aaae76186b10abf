"""Everything about time: the injectable clock, expiry instants, bands, countdowns, dates.

GitLab expires a token at 00:00 UTC at the *start* of its ``expires_at`` date: on that day it
is already expired (``expires_at <= Time.current``). This module is the one place that knows,
so the table, the detail pane, the dialogs and the scripting CLI all agree. No Textual import.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Literal

from tokentui.gitlab.models import Token
from tokentui.gitlab.scopes import MAX_LIFETIME_DAYS

#: A clock returns the current instant as an aware UTC datetime.
Clock = Callable[[], datetime]

TokenState = Literal["active", "expired", "revoked"]

#: Expiry presets (days from today) the create and rotate dialogs offer.
EXPIRY_PRESET_DAYS: tuple[int, ...] = (7, 30, 90, 180, 365)

_DAY = timedelta(days=1)


def system_clock() -> datetime:
    """The real current instant, in UTC."""
    return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until told otherwise (tests, screenshots, benchmarks)."""

    def __init__(self, at: datetime) -> None:
        self._now = _as_utc(at)

    def __call__(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        """Jump to ``at``."""
        self._now = _as_utc(at)

    def advance(self, delta: timedelta) -> None:
        """Move forward (or back, with a negative delta) by ``delta``."""
        self._now += delta

    def __repr__(self) -> str:
        return f"FrozenClock({self._now.isoformat()})"


def _as_utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("a clock needs an aware datetime (e.g. tzinfo=UTC)")
    return at.astimezone(UTC)


def today(clock_or_now: Clock | datetime) -> date:
    """The current UTC date (GitLab's notion of "today" for expiry rules)."""
    now = clock_or_now if isinstance(clock_or_now, datetime) else clock_or_now()
    return now.astimezone(UTC).date()


def expiry_instant(expires_at: date) -> datetime:
    """The instant a token with ``expires_at`` stops working: 00:00 UTC on that date."""
    return datetime(expires_at.year, expires_at.month, expires_at.day, tzinfo=UTC)


def _expires_at(token_or_date: Token | date | None) -> date | None:
    if isinstance(token_or_date, Token):
        return token_or_date.expires_at
    return token_or_date


def remaining(token_or_date: Token | date | None, now: datetime) -> timedelta | None:
    """Time left before expiry (negative once expired); None when it never expires."""
    expires_at = _expires_at(token_or_date)
    if expires_at is None:
        return None
    return expiry_instant(expires_at) - now


class Band(Enum):
    """How close a token is to expiry; decides colour and how often the countdown ticks."""

    REVOKED = "revoked"
    EXPIRED = "expired"
    UNDER_1_DAY = "under-1-day"
    UNDER_7_DAYS = "under-7-days"
    UNDER_30_DAYS = "under-30-days"
    UNDER_60_DAYS = "under-60-days"
    LATER = "later"
    NEVER = "never"


_BAND_LIMITS: tuple[tuple[timedelta, Band], ...] = (
    (timedelta(days=1), Band.UNDER_1_DAY),
    (timedelta(days=7), Band.UNDER_7_DAYS),
    (timedelta(days=30), Band.UNDER_30_DAYS),
    (timedelta(days=60), Band.UNDER_60_DAYS),
)


def band(token_or_date: Token | date | None, now: datetime) -> Band:
    """The expiry band of a token or an ``expires_at`` date at ``now`` (a revoked token has
    no countdown: :attr:`Band.REVOKED`)."""
    if isinstance(token_or_date, Token) and token_or_date.revoked:
        return Band.REVOKED
    left = remaining(token_or_date, now)
    if left is None:
        return Band.NEVER
    if left <= timedelta(0):
        return Band.EXPIRED
    for limit, result in _BAND_LIMITS:
        if left < limit:
            return result
    return Band.LATER


def format_countdown(token_or_date: Token | date | None, now: datetime) -> str:
    """The one countdown text of the app and the CLI (list, detail, dialogs, ``show``, ``list``).

    Every number carries its unit, so it never reads as a time of day: ``42s left``,
    ``39m 05s left``, ``16h 39m 51s left`` (under a day: ticks each second),
    ``3d 04h 12m left`` (under 60 days), ``273d left``; ``expired just now``,
    ``expired 5m ago`` / ``3h`` / ``12d`` / ``1y`` (one scale: m, h, d up to a year, then y);
    ``never`` without expiry; ``revoked`` for a revoked token (no countdown at all).
    """
    if isinstance(token_or_date, Token) and token_or_date.revoked:
        return "revoked"
    left = remaining(token_or_date, now)
    if left is None:
        return "never"
    if left <= timedelta(0):
        if -left < timedelta(minutes=1):
            return "expired just now"
        return f"expired {_short_span(-left)} ago"
    seconds = int(left.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days >= 60:
        return f"{days}d left"
    if days:
        return f"{days}d {hours:02d}h {minutes:02d}m left"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s left"
    if minutes:
        return f"{minutes}m {secs:02d}s left"
    return f"{secs}s left"


def _short_span(span: timedelta) -> str:
    """A coarse length of time on one scale: ``12m``, ``5h``, ``3d`` (up to 364d), ``1y``."""
    seconds = int(span.total_seconds())
    if seconds >= 365 * 86_400:
        return f"{seconds // (365 * 86_400)}y"
    if seconds >= 86_400:
        return f"{seconds // 86_400}d"
    if seconds >= 3_600:
        return f"{seconds // 3_600}h"
    return f"{max(seconds // 60, 1)}m"


def format_ago(moment: datetime | None, now: datetime, *, never: str = "never") -> str:
    """A past instant relative to ``now``: ``just now``, ``5m ago``, ``3d ago``, ``1y ago``."""
    if moment is None:
        return never
    span = now - moment
    if span < timedelta(minutes=1):
        return "just now" if span >= -timedelta(minutes=1) else f"in {_short_span(-span)}"
    return f"{_short_span(span)} ago"


def token_state(token: Token, now: datetime) -> TokenState:
    """``revoked``, ``expired`` or ``active`` at ``now``.

    Computed from the clock rather than only GitLab's ``active`` flag, so a countdown crossing
    midnight UTC flips the badge without a reload. A token GitLab calls inactive that is neither
    revoked nor past its date (an older server, clock skew) is shown as expired.
    """
    if token.revoked:
        return "revoked"
    if token.expires_at is not None:
        return "expired" if now >= expiry_instant(token.expires_at) else "active"
    return "active" if token.active else "expired"


def last_allowed_expiry(today_: date) -> date:
    """The latest ``expires_at`` GitLab accepts when created or rotated today (inclusive)."""
    return today_ + timedelta(days=MAX_LIFETIME_DAYS)


def preset_date(days: int, today_: date) -> date:
    """The expiry date of a preset: ``days`` after today."""
    return today_ + timedelta(days=days)


def current_lifetime_days(token: Token) -> int | None:
    """The token's lifetime in days (``expires_at`` minus its creation date), or None when it
    never expires (or the dates make no sense)."""
    if token.expires_at is None or token.created_at is None:
        return None
    days = (token.expires_at - token.created_at.astimezone(UTC).date()).days
    return days if days > 0 else None


def same_lifetime_days(token: Token) -> int | None:
    """Days from today for a rotation that keeps the token's lifetime, capped by the
    instance's maximum (GitLab refuses more than :data:`MAX_LIFETIME_DAYS`); None without
    an expiry."""
    days = current_lifetime_days(token)
    return None if days is None else min(days, MAX_LIFETIME_DAYS)


def validate_expiry(expires_at: date, today_: date) -> str | None:
    """Why ``expires_at`` cannot be used for a new or rotated token, or None when it can."""
    if expires_at <= today_:
        return (
            f"{expires_at.isoformat()} is not in the future: a token expires at 00:00 UTC on "
            f"that date; pick {(today_ + _DAY).isoformat()} or later"
        )
    last = last_allowed_expiry(today_)
    if expires_at > last:
        return (
            f"{expires_at.isoformat()} is more than {MAX_LIFETIME_DAYS} days away; "
            f"the last allowed date is {last.isoformat()}"
        )
    return None


def parse_date(text: str) -> date:
    """Parse a typed date ``YYYY-MM-DD``; raises ``ValueError`` with a user-ready message."""
    value = text.strip()
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2026-03-31") from None
