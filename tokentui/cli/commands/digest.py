"""``tokentui digest``: one report of what expires soon, grouped by owner or resource and by
week, as text, Markdown or HTML, for cron to mail. The report is :mod:`tokentui.core.digest`'s;
the tokens are loaded as ``check`` and ``export`` load them (``token_loading``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta

from tokentui.cli.commands import arguments as av
from tokentui.cli.commands import common, token_loading
from tokentui.core import config
from tokentui.core.digest import DigestFinding, Format, GroupBy, build, render
from tokentui.core.expiry import system_clock
from tokentui.core.hygiene import Assessor, owner_state_of
from tokentui.core.session import UsageError
from tokentui.gitlab.errors import GitLabError
from tokentui.gitlab.sources import TokenFilters
from tokentui.gitlab.terminal_text import escape

#: The clock of the digest (tests freeze it).
clock = system_clock


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``digest``."""
    parser = token_loading.command_parser(
        sub,
        "digest",
        "one report of the tokens that expire soon, for cron to mail",
        "Every active token of a source expiring within --within, grouped by owner (or by "
        "project/group with --group-by resource) and by week, soonest first; as plain text, "
        "Markdown or a self-contained HTML page. Revoked and expired tokens are left out. "
        "Then the hygiene findings of the source's tokens (docs/hygiene.md; thresholds from "
        "the config file's [hygiene]), unless --no-findings.",
        "0 report printed (also when nothing expires), 2 error (message on stderr), "
        "130 interrupted",
    )
    parser.add_argument(
        "--within",
        metavar="DURATION",
        default="30d",
        help="how far ahead to look, e.g. 30d, 6w (default 30d)",
    )
    parser.add_argument(
        "--group-by",
        choices=[g.value for g in GroupBy],
        default=GroupBy.OWNER.value,
        help="group by the owner (default) or the project/group of the token",
    )
    parser.add_argument(
        "--format",
        choices=[f.value for f in Format],
        default=Format.TEXT.value,
        help="text (default), markdown or html",
    )
    parser.add_argument(
        "--no-findings",
        dest="findings",
        action="store_false",
        help="leave out the hygiene findings section (what expires only)",
    )
    token_loading.add_flags(parser)
    token_loading.inherit_from_top_level(parser)
    parser.set_defaults(handler=run_digest)


def run_digest(args: argparse.Namespace) -> int:
    """``tokentui digest``: the report on stdout."""
    try:
        within = av.span(args.within, "--within")
        if within.total_seconds() <= 0:
            raise UsageError("--within must be longer than 0, e.g. --within 30d")
        text = asyncio.run(_digest(args, within))
    except (GitLabError, UsageError, ValueError) as err:
        return common.report_error(err)
    with common.closed_stdout_tolerated():
        # Server text (token names) is made safe for a terminal, line by line.
        sys.stdout.write("".join(f"{escape(line)}\n" for line in text.splitlines()))
    return common.EXIT_OK


async def _digest(args: argparse.Namespace, within: timedelta) -> str:
    try:
        thresholds = config.load_settings().hygiene
    except config.ConfigError as err:
        raise UsageError(str(err)) from None
    loaded = await token_loading.load(args, TokenFilters(revoked=False))
    now = clock()
    group_by = GroupBy(args.group_by)
    owners = loaded.owners
    findings: list[DigestFinding] | None = None
    if args.findings:
        assessor = Assessor(thresholds, owner_state_of(owners.ownership))
        findings = [
            DigestFinding(
                subject=f"{hit.token.name} (token {hit.token.id})",
                problem=hit.text,
                holder=owners.owner_text(hit.token)
                if group_by is GroupBy.RESOURCE
                else owners.owner(hit.token),
            )
            for hit in assessor.hits(loaded.tokens, now)
        ]
    digest = build(
        loaded.facts(),
        now=now,
        within=within,
        group_by=group_by,
        source=loaded.source.label,
        findings=findings,
    )
    return render(digest, Format(args.format))
