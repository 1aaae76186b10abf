"""The expiry digest: one report of what expires soon, grouped by owner or resource and by week,
made for cron to mail (``tokentui digest``; the per-token e-mails GitLab sends lack it,
gitlab#547878).

Active tokens only (neither revoked nor expired) whose expiry falls within the window. Three
renderings of the same :class:`Digest`: plain text, Markdown and HTML (every piece of server
text escaped for its format). Hygiene findings come from elsewhere (``core/hygiene.py``): the
digest lists whatever :class:`DigestFinding` rows it is given, in its own section
(:data:`FINDINGS_TITLE`), and leaves the section out when given none.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from tokentui.core.expiry import expiry_instant, token_state
from tokentui.core.monitoring import TokenFacts, span_text

FINDINGS_TITLE = "Hygiene findings"


class GroupBy(StrEnum):
    """How tokens are grouped first."""

    OWNER = "owner"
    RESOURCE = "resource"


class Format(StrEnum):
    """Output formats."""

    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"


@dataclass(frozen=True, slots=True)
class DigestFinding:
    """One hygiene finding to list (the hook for ``core/hygiene.py``): what it is about and
    what is wrong, in words."""

    subject: str
    problem: str
    #: The group it belongs to (an owner or resource), when known.
    holder: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One expiring token."""

    facts: TokenFacts
    expires_on: date
    left: timedelta


@dataclass(frozen=True, slots=True)
class Week:
    """The tokens of one group expiring in one ISO week (``monday`` first day)."""

    monday: date
    entries: tuple[Entry, ...]

    @property
    def label(self) -> str:
        """``week of 2026-11-23 (2026-W48)``."""
        year, number, _ = self.monday.isocalendar()
        return f"week of {self.monday.isoformat()} ({year}-W{number:02d})"


@dataclass(frozen=True, slots=True)
class Group:
    """One owner's or resource's expiring tokens, by week."""

    name: str
    weeks: tuple[Week, ...]

    @property
    def count(self) -> int:
        """Tokens in the group."""
        return sum(len(w.entries) for w in self.weeks)


@dataclass(frozen=True, slots=True)
class Digest:
    """What expires within ``within`` of ``now`` in ``source``."""

    source: str
    now: datetime
    within: timedelta
    group_by: GroupBy
    groups: tuple[Group, ...]
    findings: tuple[DigestFinding, ...] | None = field(default=None)

    @property
    def count(self) -> int:
        """Expiring tokens in all."""
        return sum(g.count for g in self.groups)

    @property
    def title(self) -> str:
        """``GitLab tokens expiring within 30d: 4 (project platform/api)``."""
        return (
            f"GitLab tokens expiring within {span_text(self.within)}: {self.count} ({self.source})"
        )


def _holder(facts: TokenFacts, group_by: GroupBy) -> str:
    if group_by is GroupBy.RESOURCE:
        if facts.resource or facts.resource_type:
            return facts.holder
        return "personal tokens"
    if facts.owner:
        return f"@{facts.owner}"
    return facts.holder


def build(
    tokens: Iterable[TokenFacts],
    *,
    now: datetime,
    within: timedelta,
    group_by: GroupBy = GroupBy.OWNER,
    source: str = "",
    findings: Sequence[DigestFinding] | None = None,
) -> Digest:
    """The digest of ``tokens``: active ones expiring within ``within``, grouped, soonest
    first (groups by their soonest token, weeks in order, tokens by expiry then name)."""
    entries: dict[str, list[Entry]] = {}
    for facts in tokens:
        token = facts.token
        if token.expires_at is None or token_state(token, now) != "active":
            continue
        left = expiry_instant(token.expires_at) - now
        if left > within:
            continue
        entry = Entry(facts, token.expires_at, left)
        entries.setdefault(_holder(facts, group_by), []).append(entry)
    groups = []
    for name, rows in entries.items():
        rows.sort(key=lambda e: (e.expires_on, e.facts.token.name, e.facts.token.id))
        weeks: dict[date, list[Entry]] = {}
        for entry in rows:
            monday = entry.expires_on - timedelta(days=entry.expires_on.weekday())
            weeks.setdefault(monday, []).append(entry)
        groups.append(Group(name, tuple(Week(m, tuple(w)) for m, w in sorted(weeks.items()))))
    groups.sort(key=lambda g: (g.weeks[0].entries[0].expires_on, g.name))
    return Digest(
        source=source,
        now=now,
        within=within,
        group_by=group_by,
        groups=tuple(groups),
        findings=tuple(findings) if findings is not None else None,
    )


def _left(left: timedelta) -> str:
    days = left.days
    if days >= 1:
        return f"{days}d left"
    hours = int(left.total_seconds() // 3600)
    return f"{hours}h left" if hours >= 1 else "under an hour left"


def _line_parts(entry: Entry, group_by: GroupBy) -> tuple[str, str, str]:
    """(name, details, when) of one token, plain text."""
    facts, token = entry.facts, entry.facts.token
    kind = facts.kind.label if facts.kind is not None else "token"
    other = (
        facts.holder if group_by is GroupBy.OWNER else (f"@{facts.owner}" if facts.owner else "")
    )
    where = f", {other}" if other and other != _holder(facts, group_by) else ""
    details = f"{kind} token {token.id}{where}; scopes {', '.join(token.scopes) or '-'}"
    when = f"expires {entry.expires_on.isoformat()} ({_left(entry.left)})"
    return token.name, details, when


def _empty_text(digest: Digest) -> str:
    return f"Nothing expires within {span_text(digest.within)}."


def render_text(digest: Digest) -> str:
    """Plain text (for a mail body); server text is passed as is: a caller writing to a
    terminal escapes it (:func:`tokentui.gitlab.terminal_text.escape`)."""
    lines = [digest.title, f"as of {digest.now.strftime('%Y-%m-%d %H:%M UTC')}", ""]
    if not digest.groups:
        lines.append(_empty_text(digest))
    for group in digest.groups:
        lines.append(f"{group.name} ({group.count})")
        for week in group.weeks:
            lines.append(f"  {week.label}")
            for entry in week.entries:
                name, details, when = _line_parts(entry, digest.group_by)
                lines.append(f"    - {name}: {when}; {details}")
        lines.append("")
    if digest.findings is not None:
        lines.append(f"{FINDINGS_TITLE} ({len(digest.findings)})")
        lines += [f"  - {f.subject}: {f.problem}" for f in digest.findings] or ["  none"]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _md(text: str) -> str:
    """Markdown-safe inline text (never at the start of a line here): what can start emphasis,
    code, a link, a table cell, strike-through or HTML is backslash-escaped."""
    out = []
    for ch in text:
        if ch in "\\`*_[]|<>~":
            out.append("\\" + ch)
        elif ch in "\r\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def render_markdown(digest: Digest) -> str:
    """Markdown (for a chat or an issue): headings per group, bullets per token."""
    lines = [
        f"# {_md(digest.title)}",
        "",
        f"_as of {digest.now.strftime('%Y-%m-%d %H:%M UTC')}_",
        "",
    ]
    if not digest.groups:
        lines += [_md(_empty_text(digest)), ""]
    for group in digest.groups:
        lines += [f"## {_md(group.name)} ({group.count})", ""]
        for week in group.weeks:
            lines += [f"### {_md(week.label)}", ""]
            for entry in week.entries:
                name, details, when = _line_parts(entry, digest.group_by)
                lines.append(f"- **{_md(name)}**: {_md(when)}; {_md(details)}")
            lines.append("")
    if digest.findings is not None:
        lines += [f"## {FINDINGS_TITLE} ({len(digest.findings)})", ""]
        lines += [f"- **{_md(f.subject)}**: {_md(f.problem)}" for f in digest.findings] or [
            "- none"
        ]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def render_html(digest: Digest) -> str:
    """A self-contained HTML page (for a mail with ``Content-Type: text/html``); every piece of
    server text is escaped."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_h(digest.title)}</title></head><body>",
        f"<h1>{_h(digest.title)}</h1>",
        f"<p><em>as of {_h(digest.now.strftime('%Y-%m-%d %H:%M UTC'))}</em></p>",
    ]
    if not digest.groups:
        parts.append(f"<p>{_h(_empty_text(digest))}</p>")
    for group in digest.groups:
        parts.append(f"<h2>{_h(group.name)} ({group.count})</h2>")
        for week in group.weeks:
            parts.append(f"<h3>{_h(week.label)}</h3>")
            parts.append("<ul>")
            for entry in week.entries:
                name, details, when = _line_parts(entry, digest.group_by)
                parts.append(f"<li><strong>{_h(name)}</strong>: {_h(when)}; {_h(details)}</li>")
            parts.append("</ul>")
    if digest.findings is not None:
        parts.append(f"<h2>{FINDINGS_TITLE} ({len(digest.findings)})</h2>")
        parts.append("<ul>")
        parts += [
            f"<li><strong>{_h(f.subject)}</strong>: {_h(f.problem)}</li>" for f in digest.findings
        ] or ["<li>none</li>"]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render(digest: Digest, fmt: Format) -> str:
    """The digest in ``fmt``."""
    if fmt is Format.MARKDOWN:
        return render_markdown(digest)
    if fmt is Format.HTML:
        return render_html(digest)
    return render_text(digest)
