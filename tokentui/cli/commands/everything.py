"""``--everything`` for ``list`` and ``expiring``: the flags of the everything-I-manage scan, and
running it for a command (progress and problems on stderr). The scan itself is the core's
(:mod:`tokentui.core.everything`); ``tokentui.cli.commands.tokens`` filters and prints its rows.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from tokentui.cli import output
from tokentui.cli.commands import common
from tokentui.core.everything import DEFAULT_CONCURRENCY, Everything, Progress, Scan, apply_max_rate
from tokentui.core.ownership import Ownership
from tokentui.core.session import UsageError
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.models import Token, TokenKind

#: ``list --everything`` and ``expiring --everything`` when a project, group or list could not
#: be read: the rows printed are what could be read, the problems are on stderr.
EXIT_INCOMPLETE = 3
#: The most projects and groups read at once that ``--concurrency`` allows.
MAX_CONCURRENCY = 64
#: ``--kind`` values: the kinds' own names, ``service-account`` also with a hyphen.
KIND_CHOICES: dict[str, TokenKind] = {kind.value: kind for kind in TokenKind} | {
    "service-account": TokenKind.SERVICE_ACCOUNT
}


def is_everything(args: argparse.Namespace) -> bool:
    """Whether the command was given ``--everything``."""
    source: tuple[str, str | None] | None = getattr(args, "source", None)
    return source is not None and source[0] == "everything"


def add_flags(parser: argparse.ArgumentParser) -> None:
    """``--kind`` (any source) and the scan's ``--concurrency`` and ``--max-rate``."""
    parser.add_argument(
        "--kind",
        action="append",
        metavar="KIND",
        help="only tokens of this kind (repeatable): "
        + ", ".join(k for k in KIND_CHOICES if k != "service_account"),
    )
    scan = parser.add_argument_group("the --everything scan")
    scan.add_argument(
        "--concurrency",
        metavar="N",
        help=f"projects and groups read at once (default {DEFAULT_CONCURRENCY}, "
        f"at most {MAX_CONCURRENCY})",
    )
    scan.add_argument(
        "--max-rate",
        metavar="PER_SECOND",
        help="send at most this many requests a second (default: no cap beyond GitLab's own "
        "rate-limit answers, which are always honoured)",
    )


def kinds(args: argparse.Namespace) -> frozenset[TokenKind]:
    """The kinds ``--kind`` keeps (empty: every kind). Raises :class:`UsageError`."""
    chosen: set[TokenKind] = set()
    for text in getattr(args, "kind", None) or ():
        kind = KIND_CHOICES.get(text.strip().lower())
        if kind is None:
            names = ", ".join(k for k in KIND_CHOICES if k != "service_account")
            raise UsageError(f"--kind {text!r} is not a token kind; choose one of {names}")
        chosen.add(kind)
    return frozenset(chosen)


def source(args: argparse.Namespace) -> Everything:
    """The everything source with ``--concurrency`` and ``--max-rate``, checked before any
    request; either flag without ``--everything`` is a usage error."""
    concurrency_text = getattr(args, "concurrency", None)
    rate_text = getattr(args, "max_rate", None)
    if not is_everything(args):
        for flag, value in (("--concurrency", concurrency_text), ("--max-rate", rate_text)):
            if value is not None:
                raise UsageError(f"{flag} only applies to the --everything scan")
        return Everything()
    concurrency = DEFAULT_CONCURRENCY
    if concurrency_text is not None:
        text = concurrency_text.strip()
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_CONCURRENCY:
            raise UsageError(
                f"--concurrency takes a number from 1 to {MAX_CONCURRENCY}, "
                f"not {concurrency_text!r}"
            )
        concurrency = int(text)
    max_rate = None
    if rate_text is not None:
        try:
            max_rate = float(rate_text)
        except ValueError:
            max_rate = -1.0
        if not max_rate > 0 or max_rate == float("inf"):
            raise UsageError(
                f"--max-rate takes a positive number of requests a second, not {rate_text!r}"
            )
    return Everything(concurrency=concurrency, max_rate=max_rate)


@dataclass(slots=True)
class Scanned:
    """A finished (or failed part-way) scan, and the owners to print its rows with."""

    scan: Scan
    owners: output.Owners

    @property
    def rows(self) -> list[Token]:
        """Every row, in a stable order: by kind, then where it lives, then id."""
        owners = self.owners

        def order(token: Token) -> tuple[str, str, int]:
            kind = owners.kind(token)
            return (kind.value if kind else "~", owners.owner_text(token), token.id)

        return sorted(self.scan.rows.values(), key=order)


async def run_scan(client: GitLabClient, everything: Everything) -> Scanned:
    """Scan for the command; on a terminal, stderr shows the progress on one line."""
    apply_max_rate(client, everything.max_rate)
    progress_line = _ProgressLine() if sys.stderr.isatty() else None
    ownership = Ownership(bulk=True)
    job = Scan(
        client,
        ownership,
        concurrency=everything.concurrency,
        on_progress=progress_line.show if progress_line else lambda _: None,
    )
    try:
        await job.run()
    finally:
        if progress_line is not None:
            progress_line.erase()
    return Scanned(job, output.Owners(ownership, everything))


def report_problems(scan: Scan) -> int:
    """Print the scan's problems on stderr with their count; the exit code they mean
    (:data:`EXIT_INCOMPLETE`, or 0 when there were none)."""
    if not scan.problems:
        return common.EXIT_OK
    count = len(scan.problems)
    noun = "problem" if count == 1 else "problems"
    print(
        f"tokentui: {count} {noun}: the list is incomplete (these could not be read):",
        file=sys.stderr,
    )
    for problem in scan.problems:
        print(f"tokentui:   {problem}", file=sys.stderr)
    return EXIT_INCOMPLETE


class _ProgressLine:
    """``tokentui: scanning: 412 of 1,240 projects, 3 of 20 groups`` on one stderr line."""

    def __init__(self) -> None:
        self.shown = False

    def show(self, progress: Progress) -> None:
        sys.stderr.write(f"\rtokentui: scanning: {progress.rows:,} tokens, {progress.text()}\x1b[K")
        sys.stderr.flush()
        self.shown = True

    def erase(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
