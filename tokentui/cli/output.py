"""Rendering tokens for the scripting CLI: a terminal table, stable JSON, CSV.

Server-supplied text (names, descriptions) is data: the table, the detail and CSV cells show
control characters, escape sequences and bidirectional overrides as visible escapes; JSON
escapes them too (the rule is :mod:`tokentui.gitlab.terminal_text`'s); CSV neutralises cells a
spreadsheet would read as a formula. The JSON schema is
documented in ``docs/cli.md`` and only ever grows (new keys), never renames or drops one.
No Textual (nor Rich) import: the CLI must start fast.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import pydantic_core

from tokentui.core.expiry import format_ago, format_countdown, remaining, token_state
from tokentui.core.ownership import Ownership
from tokentui.core.query import token_kind
from tokentui.gitlab.models import NewToken, Token, TokenKind
from tokentui.gitlab.scopes import ACCESS_LEVELS, abbreviate_scopes
from tokentui.gitlab.sources import TokenSource
from tokentui.gitlab.terminal_text import escape, escape_json

#: The keys of one token object in ``--json`` output, in order (also the CSV header).
FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "description",
    "kind",
    "state",
    "active",
    "revoked",
    "scopes",
    "user_id",
    "access_level",
    "access_level_name",
    "resource_type",
    "resource_id",
    "impersonation",
    "created_at",
    "last_used_at",
    "last_used_ips",
    "expires_at",
    "expires_in_s",
    "owner",
    "resource",
)

_SECOND = timedelta(seconds=1)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- values -----------------------------------------------------------------------------------


def iso_datetime(value: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 UTC with milliseconds and ``Z`` (GitLab's own format)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Owners:
    """What the CLI learnt about who owns the tokens it prints (:mod:`tokentui.core.ownership`):
    the token's kind, owner's username and a project/group token's resource."""

    def __init__(self, ownership: Ownership, source: TokenSource | None) -> None:
        self.ownership = ownership
        self.source = source

    def kind(self, token: Token) -> TokenKind | None:
        """The kind, None when the owner could not be read."""
        return self.ownership.kind(token, self.source)

    def facts(self, token: Token) -> tuple[TokenKind | None, str | None]:
        """Kind and resource text (``tokentui.core.query.Facts``: the kind and resource sorts)."""
        return self.ownership.facts(token, self.source)

    def owner(self, token: Token) -> str | None:
        """The owner's username; None for a project/group token (its owner is its resource)."""
        if self.kind(token) in (TokenKind.PROJECT, TokenKind.GROUP):
            return None
        return self.ownership.username(token.user_id)

    def resource(self, token: Token) -> tuple[str, int | None, str | None] | None:
        """``(type, id, full path)`` of a project/group token's resource."""
        found = self.ownership.resource(token, self.source)
        return (found.type, found.id, found.path) if found is not None else None

    def owner_text(self, token: Token) -> str:
        """The table's OWNER cell: ``platform/api (project)`` or ``@alice``."""
        return self.ownership.owner_text(token, self.source)


def _kind_of(token: Token, kind: TokenKind | None, owners: Owners | None) -> TokenKind | None:
    if owners is not None:
        return owners.kind(token)
    return token_kind(token, kind or TokenKind.PERSONAL)


def token_record(
    token: Token,
    now: datetime,
    *,
    kind: TokenKind | None = None,
    owners: Owners | None = None,
) -> dict[str, Any]:
    """One token as the documented JSON object (keys in :data:`FIELDS` order).

    ``state`` and ``expires_in_s`` are computed at ``now`` (``expires_in_s`` is negative once
    expired and null when the token never expires). With ``owners`` the kind, ``owner`` and
    ``resource`` come from the owner lookups (``kind`` null when the owner could not be
    read); without, ``kind`` is the source's. Never contains a token value.
    """
    left = remaining(token, now)
    token_kind_ = _kind_of(token, kind, owners)
    resource = owners.resource(token) if owners is not None else None
    impersonation = token.impersonation
    if impersonation is None and token_kind_ is not None and owners is not None:
        impersonation = token_kind_ is TokenKind.IMPERSONATION
    return {
        "id": token.id,
        "name": token.name,
        "description": token.description,
        "kind": token_kind_.value if token_kind_ is not None else None,
        "state": token_state(token, now),
        "active": token.active,
        "revoked": token.revoked,
        "scopes": list(token.scopes),
        "user_id": token.user_id,
        "access_level": token.access_level,
        "access_level_name": ACCESS_LEVELS.get(token.access_level)
        if token.access_level is not None
        else None,
        "resource_type": token.resource_type or (resource[0] if resource else None),
        "resource_id": token.resource_id
        if token.resource_id is not None
        else (resource[1] if resource else None),
        "impersonation": impersonation,
        "created_at": iso_datetime(token.created_at),
        "last_used_at": iso_datetime(token.last_used_at),
        "last_used_ips": list(token.last_used_ips) if token.last_used_ips is not None else None,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "expires_in_s": left // _SECOND if left is not None else None,
        "owner": owners.owner(token) if owners is not None else None,
        "resource": resource[2] if resource else None,
    }


def new_token_record(
    new: NewToken,
    now: datetime,
    *,
    kind: TokenKind | None = None,
    owners: Owners | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A created or rotated token's JSON object: the token object plus ``token`` (its value)
    and any ``extra`` keys. The only place a value is revealed, on purpose."""
    record = token_record(new.public(), now, kind=kind, owners=owners)
    record["token"] = new.token.get_secret_value()
    record.update(extra)
    return record


# --- JSON -------------------------------------------------------------------------------------


def dumps_json(data: Any, *, ascii_only: bool = False) -> str:
    """JSON text, readable (UTF-8 kept unless ``ascii_only``) but with every control or bidi
    character escaped, so printing it to a terminal can never emit an escape sequence.
    Outside strings JSON text is plain ASCII and whitespace, so escaping these characters
    anywhere keeps it valid."""
    if ascii_only:
        return json.dumps(data, ensure_ascii=True, indent=2)
    try:
        # The same text as json.dumps(indent=2, ensure_ascii=False), ~6x faster: CPython's C
        # encoder is not used when indent is set (10,000 tokens: 0.13 s -> 0.02 s, issue 6).
        text = pydantic_core.to_json(data, indent=2).decode()
    except ValueError:  # PydanticSerializationError, a lone surrogate: the plain encoder
        text = json.dumps(data, ensure_ascii=False, indent=2)
    return escape_json(text)


def is_utf8(out: TextIO) -> bool:
    """Whether ``out`` encodes any text (else JSON goes out as ASCII with ``\\u`` escapes)."""
    encoding = (getattr(out, "encoding", None) or "utf-8").lower().replace("-", "")
    return encoding in ("utf8", "utf8sig")


def write_json(data: Any, out: TextIO) -> None:
    """Write ``data`` as JSON followed by a newline (ASCII-only when ``out`` is not UTF-8)."""
    out.write(dumps_json(data, ascii_only=not is_utf8(out)))
    out.write("\n")


# --- CSV --------------------------------------------------------------------------------------


def neutralise_cell(value: str) -> str:
    """Prefix a text cell a spreadsheet would evaluate as a formula with ``'``."""
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # Our own numbers (ids, seconds) are never formulas; keep them numeric.
        return str(value)
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    # CSV has no escape syntax: control and bidi characters become visible escapes (as in the
    # table), so ``list --csv`` on a terminal never plays an escape sequence (OSC 52...).
    return neutralise_cell(escape(str(value)))


def write_csv(
    records: Iterable[dict[str, Any]], out: TextIO, fields: Sequence[str] = FIELDS
) -> None:
    """CSV with a header row (``fields``, the token's :data:`FIELDS` by default); lists are
    space-separated in one cell; control characters are escaped and formula-like cells
    neutralised (``--json`` keeps exact text)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    for record in records:
        writer.writerow([_csv_cell(record.get(key)) for key in fields])


# --- terminal text ----------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal (wide East Asian characters and emoji count 2)."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def truncate(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, ending with ``…`` when cut."""
    if display_width(text) <= width:
        return text
    out: list[str] = []
    used = 0
    for char in text:
        w = display_width(char)
        if used + w > width - 1:
            break
        out.append(char)
        used += w
    return "".join(out) + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - display_width(text), 0)


def use_color(out: TextIO) -> bool:
    """Colour only on a terminal and only when ``NO_COLOR`` is unset or empty."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


_STATE_COLORS = {"active": "32", "expired": "33", "revoked": "31"}


def _color(text: str, code: str, enabled: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if enabled else text


_HEADERS: tuple[str, ...] = (
    "ID",
    "NAME",
    "OWNER",
    "KIND",
    "STATE",
    "SCOPES",
    "EXPIRES",
    "LEFT",
    "LAST USED",
)
_MIN_NAME = 12
_MAX_SCOPES = 24
#: Columns left out, in this order, while the table is wider than the terminal.
_DROP_ORDER = ("KIND", "LAST USED", "OWNER", "EXPIRES", "SCOPES")
_GAP = "  "


def table_rows(
    tokens: Sequence[Token],
    now: datetime,
    kind: TokenKind | None,
    owners: Owners | None = None,
) -> list[list[str]]:
    """The cells of the table (one list per token, in :data:`_HEADERS` order), plain safe text."""
    rows = []
    for token in tokens:
        token_kind_ = _kind_of(token, kind, owners)
        if owners is not None:
            owner = owners.owner_text(token)
        else:
            owner = f"user {token.user_id}" if token.user_id is not None else ""
        rows.append(
            [
                str(token.id),
                escape(token.name),
                escape(owner),
                token_kind_.label if token_kind_ is not None else "unknown",
                token_state(token, now),
                escape(abbreviate_scopes(token.scopes)),
                token.expires_at.isoformat() if token.expires_at else "never",
                format_countdown(token, now),
                format_ago(token.last_used_at, now),
            ]
        )
    return rows


def _layout(rows: list[list[str]], width: int) -> tuple[list[int], list[int]]:
    """Which columns to show and how wide, so a line fits in ``width`` columns: SCOPES is
    capped, NAME shrinks down to a minimum, then whole columns go (:data:`_DROP_ORDER`).
    OWNER is left out when every row has the same owner."""
    widths = [
        max([display_width(h)] + [display_width(r[i]) for r in rows])
        for i, h in enumerate(_HEADERS)
    ]
    name, scopes = _HEADERS.index("NAME"), _HEADERS.index("SCOPES")
    shown = list(range(len(_HEADERS)))
    owner = _HEADERS.index("OWNER")
    if len({r[owner] for r in rows}) <= 1:
        # One user's or one resource's list: the same owner on every row says nothing.
        shown.remove(owner)

    def total() -> int:
        return sum(widths[i] for i in shown) + len(_GAP) * (len(shown) - 1)

    if total() > width:
        widths[scopes] = min(widths[scopes], _MAX_SCOPES)
    for column in _DROP_ORDER:
        if total() - widths[name] + min(widths[name], _MIN_NAME) <= width:
            break
        if _HEADERS.index(column) in shown:
            shown.remove(_HEADERS.index(column))
    rest = total() - widths[name]
    widths[name] = max(min(widths[name], width - rest), min(widths[name], _MIN_NAME))
    return shown, widths


def write_table(
    tokens: Sequence[Token],
    now: datetime,
    out: TextIO,
    *,
    kind: TokenKind | None = None,
    owners: Owners | None = None,
    width: int | None = None,
    color: bool | None = None,
) -> None:
    """A readable aligned table that fits the terminal: the NAME column shrinks, then the
    less useful columns go. Plain (no colour) unless ``out`` is a terminal and ``NO_COLOR``
    is unset."""
    if color is None:
        color = use_color(out)
    if width is None:
        width = shutil.get_terminal_size((120, 24)).columns
    rows = table_rows(tokens, now, kind, owners)
    shown, widths = _layout(rows, width)
    state_col = _HEADERS.index("STATE")
    buffer = io.StringIO()
    header_line = _GAP.join(_pad(_HEADERS[i], widths[i]) for i in shown).rstrip()
    buffer.write(_color(header_line, "1", color) + "\n")
    for row in rows:
        cells = []
        for i in shown:
            text = _pad(truncate(row[i], widths[i]), widths[i])
            if i == state_col:
                text = _color(text, _STATE_COLORS.get(row[i], "0"), color)
            cells.append(text)
        buffer.write(_GAP.join(cells).rstrip() + "\n")
    out.write(buffer.getvalue())


def write_detail(
    token: Token,
    now: datetime,
    out: TextIO,
    *,
    kind: TokenKind | None = None,
    owners: Owners | None = None,
) -> None:
    """Every field of one token, one per line (``show`` on a terminal)."""
    record = token_record(token, now, kind=kind, owners=owners)
    if owners is not None and record["kind"] is None:
        record["kind"] = "unknown (owner not readable)"
    if record["resource"] and record["resource_type"]:
        record["resource"] = f"{record['resource']} ({record['resource_type']})"
    labels = {
        "expires_in_s": "countdown",
        "access_level_name": None,
        "impersonation": None,
    }
    for key in FIELDS:
        if key in labels and labels[key] is None:
            continue
        value = record[key]
        if key == "expires_in_s":
            value = format_countdown(token, now)
        elif key == "access_level" and value is not None:
            value = f"{value} ({record['access_level_name'] or 'unknown'})"
        elif key == "last_used_at":
            value = f"{value} ({format_ago(token.last_used_at, now)})" if value else "never"
        elif isinstance(value, list):
            value = ", ".join(value) if value else "-"
        elif value is None:
            value = "-"
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        label = labels.get(key) or key.replace("_", " ")
        out.write(f"{label + ':':<16}{escape(str(value))}\n")
