"""``tokentui audit``: every hygiene finding of every token of a source, one line each.

The findings and their sentences are ``tokentui.core.hygiene``'s (the TUI's Flags column and
detail pane say the same); the tokens and their owners are loaded as ``list``, ``check`` and
``export`` load them. Exit 0 when there is no finding, 1 when there are findings, 2 on error.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
from datetime import datetime
from typing import Any, TextIO

from tokentui.cli import output
from tokentui.cli.commands import arguments as av
from tokentui.cli.commands import common, token_loading
from tokentui.core import config
from tokentui.core.expiry import system_clock, token_state
from tokentui.core.hygiene import Assessor, Hit, HygieneConfig, owner_state_of
from tokentui.core.session import UsageError
from tokentui.gitlab.sources import TokenFilters

#: The clock of the audit (tests freeze it).
clock = system_clock

EXIT_FINDINGS = 1
_EXIT_CODES = "0 no finding, 1 findings (listed), 2 error (message on stderr), 130 interrupted"

#: The keys of a ``--json`` object and the ``--csv`` header, in this order.
FIELDS = ("id", "name", "kind", "state", "owner", "resource", "finding", "flag", "text")
#: On a terminal, the NAME and HOLDER cells are cut to this many columns.
_CUT = 28
_HEADERS = ("ID", "NAME", "HOLDER", "FLAG", "FINDING", "WHAT TO DO")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``audit``."""
    parser = token_loading.command_parser(
        sub,
        "audit",
        "hygiene findings: unused, never expiring, broad scopes, cliffs, blocked owners, ...",
        "List every hygiene finding of every token of a source, one per line, with what it "
        "means and what to do (docs/hygiene.md): never used, unused for more than "
        "--unused-for, no expiry, broad scopes on a long-lived token, on an expiry cliff, "
        "owner blocked, expired but still listed. Thresholds come from the [hygiene] section "
        "of the config file.",
        _EXIT_CODES,
    )
    parser.add_argument(
        "--unused-for",
        metavar="DAYS",
        help="a token unused for more than this is a finding, e.g. 90d, 12w "
        "(default: [hygiene] unused_days, else 90d)",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print a JSON array of findings")
    group.add_argument("--csv", action="store_true", help="print CSV with a header row")
    token_loading.add_flags(parser)
    token_loading.inherit_from_top_level(parser)
    parser.set_defaults(handler=run_audit)


def run_audit(args: argparse.Namespace) -> int:
    """``tokentui audit``: prints the findings; returns the exit code."""
    thresholds = _thresholds(args)  # bad arguments: before any request
    return common.run_async(_audit(args, thresholds))


def _thresholds(args: argparse.Namespace) -> HygieneConfig:
    try:
        settings = config.load_settings()
    except config.ConfigError as err:
        raise UsageError(str(err)) from None
    thresholds = settings.hygiene
    if args.unused_for is not None:
        days = av.duration_days(args.unused_for, "--unused-for", maximum=3650)
        thresholds = dataclasses.replace(thresholds, unused_days=days)
    return thresholds


async def _audit(args: argparse.Namespace, thresholds: HygieneConfig) -> int:
    loaded = await token_loading.load(args, TokenFilters())
    now = clock()
    assessor = Assessor(thresholds, owner_state_of(loaded.owners.ownership))
    hits = assessor.hits(loaded.tokens, now)
    records = [_record(hit, loaded, now) for hit in hits]
    out = sys.stdout
    with common.closed_stdout_tolerated():
        if args.json:
            output.write_json(records, out)
        elif args.csv:
            output.write_csv(records, out, FIELDS)
        else:
            _write_table(records, out, loaded.source.label)
    return EXIT_FINDINGS if hits else common.EXIT_OK


def _record(hit: Hit, loaded: token_loading.Loaded, now: datetime) -> dict[str, Any]:
    token = hit.token
    owners = loaded.owners
    kind = owners.kind(token)
    resource = owners.resource(token)
    return {
        "id": token.id,
        "name": token.name,
        "kind": kind.value if kind is not None else None,
        "state": token_state(token, now),
        "owner": owners.owner(token),
        "resource": resource[2] if resource is not None else None,
        "finding": hit.finding.value,
        "flag": hit.finding.flag,
        "text": hit.text,
    }


def _write_table(records: list[dict[str, Any]], out: TextIO, source: str) -> None:
    """Aligned columns; on a terminal the last one (the sentence) is cut to the width."""
    if not records:
        out.write(f"No finding in {output.escape(source)}.\n")
        return
    rows = [
        [
            str(r["id"]),
            output.escape(r["name"]),
            output.escape(r["resource"] or (f"@{r['owner']}" if r["owner"] else "-")),
            r["flag"],
            r["finding"],
            output.escape(r["text"]),
        ]
        for r in records
    ]
    width = shutil.get_terminal_size((120, 24)).columns if out.isatty() else None
    if width is not None:  # a terminal: long names and holders are cut, not the sentence
        for row in rows:
            row[1], row[2] = output.truncate(row[1], _CUT), output.truncate(row[2], _CUT)
    widths = [
        max(output.display_width(h), *(output.display_width(row[i]) for row in rows))
        for i, h in enumerate(_HEADERS[:-1])
    ]
    lead = sum(widths) + 2 * len(widths)
    for cells in [list(_HEADERS), *rows]:
        line = "  ".join(_pad(c, w) for c, w in zip(cells, widths, strict=False))
        text = cells[-1]
        if width is not None:
            text = output.truncate(text, max(width - lead, 20))
        out.write(f"{line}  {text}\n")
    tokens = len({r["id"] for r in records})
    noun = "finding" if len(records) == 1 else "findings"
    out.write(f"\n{len(records)} {noun} on {tokens} token{'s' if tokens != 1 else ''}.\n")


def _pad(text: str, width: int) -> str:
    return text + " " * (width - output.display_width(text))
