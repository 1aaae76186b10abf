"""Argument checks of the scripting commands: each bad value is refused with a clear message."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tokentui.cli.commands import arguments as av
from tokentui.core.session import UsageError
from tokentui.gitlab import scopes as sc
from tokentui.gitlab.models import TokenKind

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    "text, expected", [("12", 12), (" 7 ", 7), ("self", "self"), ("SELF", "self")]
)
def test_token_id_accepts_numbers_and_self(text: str, expected: object) -> None:
    assert av.token_id(text) == expected


@pytest.mark.parametrize("text", ["abc", "-3", "0", "1.5", "", "١٢"])
def test_token_id_refuses_non_numeric(text: str) -> None:
    with pytest.raises(UsageError, match="positive number or 'self'"):
        av.token_id(text)


@pytest.mark.parametrize("text, days", [("30d", 30), ("2w", 14), ("1y", 365), ("30", 30)])
def test_duration(text: str, days: int) -> None:
    assert av.duration_days(text, "--duration", maximum=365) == days


def test_duration_refusals() -> None:
    with pytest.raises(UsageError, match="366 days, more than GitLab's maximum"):
        av.duration_days("366d", "--duration", maximum=365)
    with pytest.raises(UsageError, match="not a duration"):
        av.duration_days("soon", "--duration")
    with pytest.raises(UsageError, match="not a duration"):
        av.duration_days("12h", "--duration")
    with pytest.raises(UsageError, match="too short"):
        av.duration_days("0d", "--duration")


def test_filter_instant() -> None:
    assert av.filter_instant("2026-03-31", "--created-after") == date(2026, 3, 31)
    assert av.filter_instant("2026-03-31T12:00:00Z", "--x") == datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert av.filter_instant("2026-03-31T12:00:00", "--x").tzinfo is not None
    for bad in ("2026-13-01", "31/03/2026", "yesterday", "2026-02-30"):
        with pytest.raises(UsageError, match=r"--created-after: .* is not a date"):
            av.filter_instant(bad, "--created-after")


def test_new_expiry() -> None:
    assert av.new_expiry(None, None, TODAY, default_days=30) == date(2026, 12, 23)
    assert av.new_expiry(None, None, TODAY, default_days=None) is None
    assert av.new_expiry("2027-01-01", None, TODAY, default_days=None) == date(2027, 1, 1)
    assert av.new_expiry(None, "7d", TODAY, default_days=None) == date(2026, 11, 30)
    assert av.new_expiry(None, "365d", TODAY, default_days=None) == date(2027, 11, 23)
    with pytest.raises(UsageError, match="not both"):
        av.new_expiry("2027-01-01", "7d", TODAY, default_days=None)
    with pytest.raises(UsageError, match="not in the future"):
        av.new_expiry("2026-11-01", None, TODAY, default_days=None)
    with pytest.raises(UsageError, match="last allowed date is 2027-11-23"):
        av.new_expiry("2027-11-24", None, TODAY, default_days=None)
    with pytest.raises(UsageError, match=r"--expires-at: .* is not a date"):
        av.new_expiry("2027-1-1", None, TODAY, default_days=None)
    with pytest.raises(UsageError, match="more than GitLab's maximum"):
        av.new_expiry(None, "400d", TODAY, default_days=None)


def test_token_name() -> None:
    assert av.token_name("  ci  ") == "ci"
    assert av.token_name("x" * 255) == "x" * 255
    with pytest.raises(UsageError, match="must not be empty"):
        av.token_name("   ")
    with pytest.raises(UsageError, match="256 characters long; GitLab allows at most 255"):
        av.token_name("x" * 256)


def test_description_length() -> None:
    assert av.description(None) is None
    with pytest.raises(UsageError, match="at most 255"):
        av.description("d" * 256)


def test_scopes_per_kind() -> None:
    personal = av.kind_scopes(TokenKind.PERSONAL)
    assert av.token_scopes(["api", "read_user,api"], personal, "a personal token") == (
        "api",
        "read_user",
    )
    resource = av.kind_scopes(TokenKind.PROJECT)
    assert resource == sc.RESOURCE_SCOPES
    with pytest.raises(UsageError, match="read_user: not valid for a project token"):
        av.token_scopes(["read_user"], resource, "a project token")
    with pytest.raises(UsageError, match="bogus: not valid"):
        av.token_scopes(["api", "bogus"], personal, "a personal token")
    with pytest.raises(UsageError, match="at least one --scope"):
        av.token_scopes(None, personal, "a personal token")
    with pytest.raises(UsageError, match="at least one --scope"):
        av.token_scopes([" , "], personal, "a personal token")


def test_access_level_by_name_or_number() -> None:
    assert av.access_level(None) is None
    assert av.access_level("maintainer") == 40
    assert av.access_level("Developer") == 30
    assert av.access_level("50") == 50
    with pytest.raises(UsageError, match="'boss' does not exist; choose one of guest"):
        av.access_level("boss")
    with pytest.raises(UsageError, match="does not exist"):
        av.access_level("35")
