"""Expiry rules, bands and countdown text, with an injected clock (no Textual, no server)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tokentui.core.expiry import (
    EXPIRY_PRESET_DAYS,
    Band,
    FrozenClock,
    band,
    current_lifetime_days,
    expiry_instant,
    format_ago,
    format_countdown,
    parse_date,
    remaining,
    same_lifetime_days,
    system_clock,
    token_state,
    validate_expiry,
)
from tokentui.gitlab.models import Token

EXPIRES = date(2026, 6, 10)
MIDNIGHT = datetime(2026, 6, 10, tzinfo=UTC)


def make_token(**kw) -> Token:
    data = {"id": 1, "name": "ci", "created_at": "2026-01-01T00:00:00Z", "expires_at": EXPIRES}
    data.update(kw)
    return Token.model_validate(data)


def test_expiry_instant_is_midnight_utc_at_start_of_day() -> None:
    assert expiry_instant(EXPIRES) == MIDNIGHT


def test_system_clock_is_aware_utc() -> None:
    assert system_clock().tzinfo is UTC


def test_frozen_clock_advances_and_rejects_naive() -> None:
    clock = FrozenClock(MIDNIGHT)
    clock.advance(timedelta(seconds=5))
    assert clock() == MIDNIGHT + timedelta(seconds=5)
    clock.set(MIDNIGHT)
    assert clock() == MIDNIGHT
    with pytest.raises(ValueError):
        FrozenClock(datetime(2026, 1, 1))


def test_remaining_for_token_date_and_never() -> None:
    now = MIDNIGHT - timedelta(hours=2)
    assert remaining(EXPIRES, now) == timedelta(hours=2)
    assert remaining(make_token(), now) == timedelta(hours=2)
    assert remaining(None, now) is None
    assert remaining(make_token(expires_at=None), now) is None


# Each band boundary: just before it, exactly at it.
@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (timedelta(days=400), Band.LATER),
        (timedelta(days=60), Band.LATER),
        (timedelta(days=60) - timedelta(seconds=1), Band.UNDER_60_DAYS),
        (timedelta(days=30), Band.UNDER_60_DAYS),
        (timedelta(days=30) - timedelta(seconds=1), Band.UNDER_30_DAYS),
        (timedelta(days=7), Band.UNDER_30_DAYS),
        (timedelta(days=7) - timedelta(seconds=1), Band.UNDER_7_DAYS),
        (timedelta(days=1), Band.UNDER_7_DAYS),
        (timedelta(days=1) - timedelta(seconds=1), Band.UNDER_1_DAY),
        (timedelta(seconds=1), Band.UNDER_1_DAY),
        (timedelta(0), Band.EXPIRED),
        (-timedelta(days=3), Band.EXPIRED),
    ],
)
def test_band_boundaries(left: timedelta, expected: Band) -> None:
    assert band(EXPIRES, MIDNIGHT - left) is expected


def test_band_never() -> None:
    assert band(None, MIDNIGHT) is Band.NEVER
    assert band(make_token(expires_at=None), MIDNIGHT) is Band.NEVER


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(seconds=1), "1s left"),
        (timedelta(seconds=59), "59s left"),
        (timedelta(minutes=39, seconds=5), "39m 05s left"),
        (timedelta(hours=16, minutes=39, seconds=51), "16h 39m 51s left"),
        (timedelta(hours=4, minutes=2, seconds=9), "4h 02m 09s left"),
        (timedelta(days=1) - timedelta(seconds=1), "23h 59m 59s left"),
        (timedelta(days=1), "1d 00h 00m left"),
        (timedelta(days=3, hours=4, minutes=12, seconds=9), "3d 04h 12m left"),
        (timedelta(days=59, hours=23, minutes=59, seconds=59), "59d 23h 59m left"),
        (timedelta(days=60), "60d left"),
        (timedelta(days=273, hours=5), "273d left"),
        (timedelta(days=365), "365d left"),
        (timedelta(0), "expired just now"),
        (-timedelta(seconds=30), "expired just now"),
        (-timedelta(minutes=12), "expired 12m ago"),
        (-timedelta(hours=5), "expired 5h ago"),
        (-timedelta(days=3, hours=2), "expired 3d ago"),
        (-timedelta(days=90), "expired 90d ago"),
        (-timedelta(days=364), "expired 364d ago"),
        (-timedelta(days=365), "expired 1y ago"),
        (-timedelta(days=800), "expired 2y ago"),
    ],
)
def test_format_countdown(left: timedelta, text: str) -> None:
    assert format_countdown(EXPIRES, MIDNIGHT - left) == text
    assert format_countdown(make_token(), MIDNIGHT - left) == text


def test_format_countdown_never_reads_as_a_clock_time_or_mixes_units() -> None:
    seen = set()
    for seconds in range(-900 * 86_400, 400 * 86_400, 3_607):
        text = format_countdown(EXPIRES, MIDNIGHT - timedelta(seconds=seconds))
        assert ":" not in text, text
        assert "mo" not in text, text  # one scale: s, m, h, d, y
        seen.add(text.split()[-2] if text.startswith("expired") else text.split()[0])
    assert any(s.endswith("y") for s in seen) and any(s.endswith("d") for s in seen)


def test_format_countdown_never_and_revoked() -> None:
    assert format_countdown(None, MIDNIGHT) == "never"
    assert format_countdown(make_token(expires_at=None), MIDNIGHT) == "never"
    # A revoked token has no countdown, whatever its date.
    assert format_countdown(make_token(revoked=True), MIDNIGHT - timedelta(hours=3)) == "revoked"
    assert format_countdown(make_token(revoked=True), MIDNIGHT + timedelta(days=3)) == "revoked"
    assert band(make_token(revoked=True), MIDNIGHT - timedelta(hours=3)) is Band.REVOKED


def test_countdown_ticks_across_midnight_utc_and_flips_state() -> None:
    clock = FrozenClock(MIDNIGHT - timedelta(seconds=2))
    token = make_token()
    seen = []
    for _ in range(4):
        seen.append((format_countdown(token, clock()), token_state(token, clock())))
        clock.advance(timedelta(seconds=1))
    assert seen == [
        ("2s left", "active"),
        ("1s left", "active"),
        ("expired just now", "expired"),
        ("expired just now", "expired"),
    ]


@pytest.mark.parametrize(
    ("created", "expires_at", "lifetime", "same"),
    [
        ("2026-03-01T09:00:00Z", date(2026, 11, 26), 270, 270),
        ("2025-01-01T00:00:00Z", date(2026, 6, 10), 525, 365),
        ("2026-06-01T23:59:00Z", date(2026, 6, 10), 9, 9),
        ("2026-06-01T00:00:00Z", None, None, None),
    ],
)
def test_same_lifetime_days(created, expires_at, lifetime, same) -> None:
    token = make_token(created_at=created, expires_at=expires_at)
    assert current_lifetime_days(token) == lifetime
    assert same_lifetime_days(token) == same


def test_on_the_expiry_day_the_token_is_already_expired() -> None:
    noon = MIDNIGHT + timedelta(hours=12)
    assert token_state(make_token(), noon) == "expired"
    assert token_state(make_token(), MIDNIGHT - timedelta(microseconds=1)) == "active"


def test_token_state_revoked_wins_and_inactive_without_date_is_expired() -> None:
    now = MIDNIGHT - timedelta(days=10)
    assert token_state(make_token(revoked=True, active=False), now) == "revoked"
    assert token_state(make_token(expires_at=None), now) == "active"
    assert token_state(make_token(expires_at=None, active=False), now) == "expired"
    # GitLab's flag says active, but the clock has passed the date: the clock wins.
    assert token_state(make_token(active=True), MIDNIGHT + timedelta(days=1)) == "expired"


def test_format_ago() -> None:
    now = MIDNIGHT
    assert format_ago(None, now) == "never"
    assert format_ago(now - timedelta(seconds=10), now) == "just now"
    assert format_ago(now - timedelta(minutes=5), now) == "5m ago"
    assert format_ago(now - timedelta(hours=3), now) == "3h ago"
    assert format_ago(now - timedelta(days=2), now) == "2d ago"
    assert format_ago(now - timedelta(days=90), now) == "90d ago"
    assert format_ago(now - timedelta(days=400), now) == "1y ago"


def test_presets() -> None:
    assert EXPIRY_PRESET_DAYS == (7, 30, 90, 180, 365)


def test_validate_expiry() -> None:
    today = date(2026, 6, 10)
    assert validate_expiry(date(2026, 6, 11), today) is None
    assert validate_expiry(date(2027, 6, 10), today) is None  # today + 365 is inclusive
    past = validate_expiry(date(2026, 6, 9), today)
    assert past is not None and "not in the future" in past
    same_day = validate_expiry(today, today)
    assert same_day is not None and "2026-06-11" in same_day
    far = validate_expiry(date(2027, 6, 11), today)
    assert far is not None and "2027-06-10" in far and "365" in far


@pytest.mark.parametrize("text", ["2026-13-01", "yesterday", "2026-1-5", "", "2026-02-30"])
def test_parse_date_rejects_with_message(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date(text)


def test_parse_date_accepts_iso() -> None:
    assert parse_date(" 2026-02-28 ") == date(2026, 2, 28)
