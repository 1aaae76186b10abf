"""Typed values of the scripting commands, checked before any request.

Each parser takes the raw flag text and returns a value, or raises :class:`UsageError` with a
message that names the flag and says what would be accepted.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from tokentui.core.expiry import parse_date, validate_expiry
from tokentui.core.session import UsageError
from tokentui.gitlab import scopes as sc
from tokentui.gitlab.models import TokenKind

SELF = "self"

_DURATION = re.compile(r"^\s*(\d+)\s*([dwy]?)\s*$", re.IGNORECASE)
_DURATION_UNITS = {"": 1, "d": 1, "w": 7, "y": 365}


def token_id(text: str) -> int | str:
    """``ID`` (a positive number) or ``self``."""
    value = text.strip()
    if value.lower() == SELF:
        return SELF
    if not value.isascii() or not value.isdigit() or int(value) <= 0:
        raise UsageError(f"token id must be a positive number or 'self', not {text!r}")
    return int(value)


def duration_days(text: str, flag: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """A number of days written ``30d``, ``2w``, ``1y`` or ``30``."""
    match = _DURATION.match(text)
    if not match:
        raise UsageError(f"{flag}: {text!r} is not a duration; use days or weeks, e.g. 30d or 2w")
    days = int(match.group(1)) * _DURATION_UNITS[match.group(2).lower()]
    if days < minimum:
        raise UsageError(f"{flag}: {text!r} is too short; the minimum is {minimum} day(s)")
    if maximum is not None and days > maximum:
        raise UsageError(
            f"{flag}: {text!r} is {days} days, more than GitLab's maximum token lifetime of "
            f"{maximum} days"
        )
    return days


_SPAN = re.compile(r"^\s*(\d+)\s*([hdwy]?)\s*$", re.IGNORECASE)
_SPAN_HOURS = {"h": 1, "": 24, "d": 24, "w": 7 * 24, "y": 365 * 24}


def span(text: str, flag: str) -> timedelta:
    """A length of time written ``14d``, ``2w``, ``36h``, ``1y`` or ``14`` (days); ``0`` allowed."""
    match = _SPAN.match(text)
    if not match:
        raise UsageError(
            f"{flag}: {text!r} is not a duration; use hours, days or weeks, e.g. 36h, 14d or 2w"
        )
    return timedelta(hours=int(match.group(1)) * _SPAN_HOURS[match.group(2).lower()])


def filter_instant(text: str, flag: str) -> datetime | date:
    """A date (``2026-03-31``) or an ISO date-time (``2026-03-31T12:00:00Z``; UTC if no zone)."""
    value = text.strip()
    if len(value) == 10:
        try:
            return parse_date(value)
        except ValueError as err:
            raise UsageError(f"{flag}: {err}") from None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{flag}: {value!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, "
            "e.g. 2026-03-31"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def new_expiry(
    expires_at: str | None, duration: str | None, today: date, *, default_days: int | None
) -> date | None:
    """The ``expires_at`` of a created or rotated token from ``--expires-at`` or
    ``--duration`` (at most one), else ``today + default_days`` (None: let GitLab decide)."""
    if expires_at is not None and duration is not None:
        raise UsageError("give either --expires-at or --duration, not both")
    if expires_at is not None:
        try:
            when = parse_date(expires_at)
        except ValueError as err:
            raise UsageError(f"--expires-at: {err}") from None
        problem = validate_expiry(when, today)
        if problem:
            raise UsageError(f"--expires-at: {problem}")
        return when
    if duration is not None:
        days = duration_days(duration, "--duration", maximum=sc.MAX_LIFETIME_DAYS)
        return today + timedelta(days=days)
    if default_days is None:
        return None
    return today + timedelta(days=default_days)


def token_name(text: str) -> str:
    """A token name: not blank, at most 255 characters."""
    name = text.strip()
    if not name:
        raise UsageError("--name must not be empty")
    if len(name) > sc.MAX_NAME_LENGTH:
        raise UsageError(
            f"--name is {len(name)} characters long; GitLab allows at most {sc.MAX_NAME_LENGTH}"
        )
    return name


def description(text: str | None) -> str | None:
    """An optional description, at most 255 characters."""
    if text is None:
        return None
    if len(text) > sc.MAX_DESCRIPTION_LENGTH:
        raise UsageError(
            f"--description is {len(text)} characters long; GitLab allows at most "
            f"{sc.MAX_DESCRIPTION_LENGTH}"
        )
    return text


def kind_scopes(kind: TokenKind) -> tuple[str, ...]:
    """Every scope a token of ``kind`` may be created with."""
    if kind in (TokenKind.PROJECT, TokenKind.GROUP):
        return sc.RESOURCE_SCOPES
    return sc.PERSONAL_SCOPES


def token_scopes(values: list[str] | None, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    """``--scope`` values (repeatable, or comma-separated), each valid for the token kind."""
    scopes: list[str] = []
    for value in values or ():
        for part in value.split(","):
            scope = part.strip().lower()
            if scope and scope not in scopes:
                scopes.append(scope)
    if not scopes:
        raise UsageError(f"give at least one --scope; {what} may have: {', '.join(allowed)}")
    unknown = [s for s in scopes if s not in allowed]
    if unknown:
        raise UsageError(
            f"--scope {', '.join(unknown)}: not valid for {what}; choose from {', '.join(allowed)}"
        )
    return tuple(scopes)


def access_level(text: str | None) -> int | None:
    """A project/group access level, by name (``maintainer``) or number (``40``)."""
    if text is None:
        return None
    value = text.strip()
    if value.isdigit() and int(value) in sc.ACCESS_LEVELS:
        return int(value)
    for number, name in sc.ACCESS_LEVELS.items():
        if value.lower() == name.lower():
            return number
    choices = ", ".join(f"{name.lower()} ({number})" for number, name in sc.ACCESS_LEVELS.items())
    raise UsageError(f"--access-level {text!r} does not exist; choose one of {choices}")
