"""Monitoring: tokens sorted into alert windows (``tokentui check``, a Nagios/Icinga plugin) and
turned into Prometheus samples (``tokentui export --format prometheus``).

Headless: no printing, no argument parsing. The commands (``tokentui/cli/commands/check.py``,
``export.py``) load the tokens and their owners, build :class:`TokenFacts`, and print or write
what this module returns. Formats and the choices behind them are in docs/cli.md.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import IntEnum
from pathlib import Path

from tokentui.core.expiry import format_countdown, remaining, token_state
from tokentui.gitlab.models import Token, TokenKind
from tokentui.gitlab.scopes import ACCESS_LEVELS
from tokentui.gitlab.terminal_text import escape

_ZERO = timedelta(0)
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class TokenFacts:
    """A token with what the CLI learnt about its owner (``tokentui.core.ownership``)."""

    token: Token
    #: None when the owner could not be read.
    kind: TokenKind | None
    #: The owning user's username (None for a project/group token, or when unknown).
    owner: str | None = None
    #: ``project`` or ``group`` for a project/group token.
    resource_type: str | None = None
    #: The project's or group's full path (``platform/api``), when known.
    resource: str | None = None
    #: The project's or group's web page (``https://gitlab.example.com/platform/api``).
    resource_url: str | None = None

    @property
    def holder(self) -> str:
        """Whom the token belongs to, in one word: ``platform/api`` or ``@alice``."""
        if self.resource:
            return self.resource
        if self.resource_type and self.token.resource_id is not None:
            return f"{self.resource_type} {self.token.resource_id}"
        if self.owner:
            return f"@{self.owner}"
        return f"user {self.token.user_id}" if self.token.user_id is not None else "-"


# --- check: windows, status and perfdata --------------------------------------------------------


class Level(IntEnum):
    """A Nagios plugin's states; the value is the exit code."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The windows of ``check``: an active token with less than ``warn`` left is WARNING, with
    less than ``crit`` left CRITICAL; a token that expired less than ``expired_within`` ago,
    is not revoked and has no active successor of the same name is CRITICAL."""

    warn: timedelta
    crit: timedelta
    expired_within: timedelta

    def problem(self) -> str | None:
        """Why these thresholds make no sense together, or None."""
        if self.crit > self.warn:
            return (
                f"--crit ({span_text(self.crit)}) is longer than --warn ({span_text(self.warn)}): "
                "the critical window must lie inside the warning window"
            )
        return None


@dataclass(frozen=True, slots=True)
class Alert:
    """A token in a window."""

    facts: TokenFacts
    level: Level
    #: Time left before expiry; negative once expired.
    left: timedelta

    @property
    def expired(self) -> bool:
        """The token has expired already (it is listed because it did so recently)."""
        return self.left <= _ZERO


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``check`` found: the state, the tokens in a window (most urgent first), counts."""

    level: Level
    alerts: tuple[Alert, ...]
    #: Active tokens (not revoked, not expired) checked.
    active: int
    #: The least time left among active tokens that expire; None when none does.
    min_left: timedelta | None

    def count(self, level: Level, *, expired: bool = False) -> int:
        """Alerts at ``level`` that are (``expired``) or are not yet expired."""
        return sum(1 for a in self.alerts if a.level is level and a.expired is expired)


def _successor_key(facts: TokenFacts) -> tuple[str, str, str]:
    """Tokens that replace one another: same name, same holder (a project/group token's bot
    user differs at each rotation, so its resource is the holder)."""
    token = facts.token
    if facts.resource_type and token.resource_id is not None:
        holder = f"{facts.resource_type}:{token.resource_id}"
    else:
        holder = f"user:{token.user_id}"
    return (holder, facts.kind.value if facts.kind else "", token.name)


def classify(tokens: Iterable[TokenFacts], thresholds: Thresholds, now: datetime) -> CheckResult:
    """Sort ``tokens`` into the windows of ``thresholds`` at ``now``.

    Revoked tokens never alert. Active tokens alert by time left. An expired token alerts
    (CRITICAL) only while it expired less than ``expired_within`` ago and no active token of
    the same name and holder replaced it: the state must not turn OK at the very moment the
    thing it warned about happened, nor stay CRITICAL forever for tokens long dead.
    """
    facts = list(tokens)
    live: set[tuple[str, str, str]] = set()
    active = 0
    min_left: timedelta | None = None
    for item in facts:
        if token_state(item.token, now) != "active":
            continue
        active += 1
        live.add(_successor_key(item))
        left = remaining(item.token, now)
        if left is not None and (min_left is None or left < min_left):
            min_left = left
    alerts: list[Alert] = []
    for item in facts:
        token = item.token
        left = remaining(token, now)
        if token.revoked or left is None:
            continue
        if left <= _ZERO:
            if -left < thresholds.expired_within and _successor_key(item) not in live:
                alerts.append(Alert(item, Level.CRITICAL, left))
        elif left < thresholds.crit:
            alerts.append(Alert(item, Level.CRITICAL, left))
        elif left < thresholds.warn:
            alerts.append(Alert(item, Level.WARNING, left))
    # Expired first (something is broken already), then by time left, then by id.
    alerts.sort(key=lambda a: (-a.level, not a.expired, a.left, a.facts.token.id))
    level = max((a.level for a in alerts), default=Level.OK)
    return CheckResult(Level(level), tuple(alerts), active, min_left)


def span_text(span: timedelta) -> str:
    """A threshold as typed: ``14d`` for whole days, else ``36h``."""
    if span % _DAY == _ZERO:
        return f"{span // _DAY}d"
    return f"{int(span.total_seconds() // 3600)}h"


def _number(value: float) -> str:
    """A perfdata number: no exponent, at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _days(span: timedelta) -> float:
    """``span`` in days, rounded down to the hundredth (so it is never shown later than it is:
    2.999 days is 2.99, inside a ``3:`` critical range, as the state says)."""
    return math.floor(span / _DAY * 100) / 100


def perfdata(result: CheckResult, thresholds: Thresholds) -> str:
    """The performance data of ``check``, in the Nagios plugin format
    ``'label'=value[UOM];[warn];[crit];[min];[max]``. ``min_days_left`` carries the thresholds
    as ranges (``14:`` = alert below 14); it is left out when no active token expires."""
    parts = [
        f"expiring_critical={result.count(Level.CRITICAL)};;;0",
        f"expiring_warning={result.count(Level.WARNING)};;;0",
        f"expired_recently={result.count(Level.CRITICAL, expired=True)};;;0",
        f"active={result.active};;;0",
    ]
    if result.min_left is not None:
        warn = _number(thresholds.warn / _DAY)
        crit = _number(thresholds.crit / _DAY)
        parts.append(f"min_days_left={_number(_days(result.min_left))};{warn}:;{crit}:;0")
    return " ".join(parts)


def _plain(text: str) -> str:
    """Server text on a plugin's output: unsafe characters escaped, and no ``|`` (which would
    start performance data in Nagios's long output)."""
    return escape(text).replace("|", "¦")


def status_line(result: CheckResult, thresholds: Thresholds, what: str) -> str:
    """The first line: ``TOKENS WARNING - 2 expire within 14d; 120 active tokens of all
    tokens (soonest: 5d 02h 00m left) | perfdata``; ``what`` names the source."""
    parts: list[str] = []
    expired = result.count(Level.CRITICAL, expired=True)
    critical = result.count(Level.CRITICAL)
    warning = result.count(Level.WARNING)
    if expired:
        parts.append(f"{expired} expired in the last {span_text(thresholds.expired_within)}")
    if critical:
        parts.append(f"{critical} {_expire(critical)} within {span_text(thresholds.crit)}")
    if warning:
        verb = "more" if critical else _expire(warning)
        parts.append(f"{warning} {verb} within {span_text(thresholds.warn)}")
    if not parts:
        parts.append(f"none expires within {span_text(thresholds.warn)}")
    soonest = ""
    if result.min_left is not None:
        soonest = f" (soonest: {_countdown(result.min_left)})"
    summary = ", ".join(parts)
    return (
        f"TOKENS {result.level.name} - {summary}; {result.active} active tokens of "
        f"{_plain(what)}{soonest} | {perfdata(result, thresholds)}"
    )


def _expire(count: int) -> str:
    return "expires" if count == 1 else "expire"


def _countdown(left: timedelta) -> str:
    """The countdown text of ``left`` (the CLI's and the TUI's: ``3d 04h 12m left``)."""
    anchor = date(2000, 1, 1)
    return format_countdown(anchor, datetime(2000, 1, 1, tzinfo=UTC) - left)


def alert_line(alert: Alert, now: datetime) -> str:
    """One token of a window: ``CRITICAL: token 57 'deploy' (personal, @alice) expires
    2026-11-25, 1d 12h 00m left``."""
    facts = alert.facts
    token = facts.token
    kind = facts.kind.value if facts.kind else "unknown kind"
    expires = token.expires_at.isoformat() if token.expires_at else "never"
    verb = "expired" if alert.expired else "expires"
    return (
        f"{alert.level.name}: token {token.id} '{_plain(token.name)}' ({kind}, "
        f"{_plain(facts.holder)}) {verb} {expires}, {format_countdown(token, now)}"
    )


def unknown_line(message: str) -> str:
    """The only line of a check that could not look: ``TOKENS UNKNOWN - message``."""
    return f"TOKENS UNKNOWN - {_plain(' '.join(message.split()))}"


# --- export: Prometheus text format -------------------------------------------------------------

#: The metric, its labels and the no-expiry value of cnieg/gitlab-tokens-exporter (3.x), so
#: its alert rules and dashboards work unchanged (docs/cli.md, "export").
DAYS_REMAINING = "gitlab_token_days_remaining"
NO_EXPIRY_DAYS = 9999
#: The scan metrics of xcloud-eu/gitlab-token-expiry-exporter (cnieg has none).
LAST_SCAN = "gitlab_tokens_exporter_last_scan_timestamp"
SCAN_ERRORS = "gitlab_tokens_exporter_scan_errors"

_HELP = {
    DAYS_REMAINING: "Days from today (UTC) to the token's expiry date; negative once expired; "
    f"{NO_EXPIRY_DAYS} when it never expires",
    LAST_SCAN: "Unix time of the last complete scan of the tokens",
    SCAN_ERRORS: "Scans failed since the last complete one (its samples are kept meanwhile)",
}


def days_remaining(token: Token, today: date) -> int:
    """Whole days from ``today`` to the expiry date (0: expired at 00:00 UTC today; negative:
    expired); :data:`NO_EXPIRY_DAYS` without an expiry date."""
    if token.expires_at is None:
        return NO_EXPIRY_DAYS
    return (token.expires_at - today).days


def escape_label_value(value: str) -> str:
    """A label value for the text format: backslash, double quote and line feed escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _type_label(facts: TokenFacts) -> str:
    """cnieg's ``type``: ``project``, ``group`` or ``user`` (every token a user holds)."""
    if facts.resource_type in ("project", "group"):
        return facts.resource_type
    return "user"


def token_labels(facts: TokenFacts, now: datetime) -> list[tuple[str, str]]:
    """The labels of one token's sample, in order. cnieg's first (``name``, ``id``, ``type``,
    ``project``/``group``/``user``, ``active``, ``revoked``, ``access_level``, ``web_url``,
    ``scopes``, ``expires_at``), then tokentui's (``kind``, ``owner``, ``resource``)."""
    token = facts.token
    type_ = _type_label(facts)
    holder = facts.resource if type_ != "user" else facts.owner
    labels = [
        ("name", token.name),
        ("id", str(token.id)),
        ("type", type_),
        (type_, holder or ""),
        ("active", "true" if token_state(token, now) == "active" else "false"),
        ("revoked", "true" if token.revoked else "false"),
    ]
    if token.access_level is not None:
        level = ACCESS_LEVELS.get(token.access_level, str(token.access_level))
        labels.append(("access_level", level.lower()))
    if facts.resource_url:
        labels.append(("web_url", facts.resource_url))
    labels.append(("scopes", f"[{','.join(token.scopes)}]"))
    if token.expires_at is not None:
        labels.append(("expires_at", token.expires_at.isoformat()))
    labels += [
        ("kind", facts.kind.value if facts.kind else ""),
        ("owner", facts.owner or ""),
        ("resource", facts.resource or ""),
    ]
    return labels


def _sample(name: str, labels: Sequence[tuple[str, str]], value: float | int) -> str:
    inside = ",".join(f'{key}="{escape_label_value(text)}"' for key, text in labels)
    return f"{name}{{{inside}}} {value}" if labels else f"{name} {value}"


def _family(name: str, samples: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {_escape_help(_HELP[name])}", f"# TYPE {name} gauge", *samples]


def _render(token_samples: Iterable[str], scanned_at: int, errors: int) -> str:
    lines = [
        *_family(DAYS_REMAINING, token_samples),
        *_family(LAST_SCAN, [f"{LAST_SCAN} {scanned_at}"]),
        *_family(SCAN_ERRORS, [f"{SCAN_ERRORS} {errors}"]),
    ]
    return "\n".join(lines) + "\n"


def prometheus_text(tokens: Iterable[TokenFacts], now: datetime, *, errors: int = 0) -> str:
    """The exposition of a scan at ``now``: one ``gitlab_token_days_remaining`` sample per
    token (by id), the scan's time, and ``errors``: the places an ``--everything`` scan could
    not read (0 for a complete scan). Never holds a token value."""
    today = now.date()
    ordered = sorted(tokens, key=lambda f: f.token.id)
    samples = [
        _sample(DAYS_REMAINING, token_labels(f, now), days_remaining(f.token, today))
        for f in ordered
    ]
    return _render(samples, int(now.timestamp()), errors)


def after_failed_scan(previous: str | None) -> str:
    """The exposition after a scan that failed: the last complete scan's token samples and
    time kept (dropping them would resolve firing alerts; the frozen time is what a staleness
    alert sees), and the error count one more than before. With no previous file of ours:
    no samples, time 0."""
    samples: list[str] = []
    scanned_at = 0
    errors = 0
    for line in (previous or "").splitlines():
        if line.startswith(DAYS_REMAINING + "{"):
            samples.append(line)
        elif line.startswith(LAST_SCAN + " "):
            scanned_at = _int(line.split()[-1])
        elif line.startswith(SCAN_ERRORS + " "):
            errors = _int(line.split()[-1])
    return _render(samples, scanned_at, errors + 1)


def _int(text: str) -> int:
    try:
        return int(float(text))
    except ValueError:
        return 0


def write_textfile(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically: a reader (node_exporter's textfile
    collector) sees the old file or the new one, never a part. The temporary file is in the
    same directory (``os.replace`` is atomic within a file system), hidden and not ``*.prom``,
    and is removed on failure. Mode 0644: the file holds no secret."""
    directory = path.parent
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (best effort: not every platform opens directories)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
