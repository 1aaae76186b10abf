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
from tokentui.core.digest import Format, GroupBy, build, render
from tokentui.core.expiry import system_clock
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
        "Markdown or a self-contained HTML page. Revoked and expired tokens are left out.",
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
    common.add_source_flags(parser)
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
    loaded = await token_loading.load(args, TokenFilters(revoked=False))
    digest = build(
        loaded.facts(),
        now=clock(),
        within=within,
        group_by=GroupBy(args.group_by),
        source=loaded.source.label,
    )
    return render(digest, Format(args.format))
