"""``tokentui export --format prometheus``: the tokens of a source as Prometheus gauges, in the
metric and label names of the community exporters (``tokentui.core.monitoring``), on stdout or
written atomically to a node_exporter textfile (``--output``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from tokentui.cli.commands import common, token_loading
from tokentui.core.expiry import system_clock
from tokentui.core.monitoring import after_failed_scan, prometheus_text, write_textfile
from tokentui.core.session import UsageError
from tokentui.gitlab.errors import GitLabError
from tokentui.gitlab.sources import TokenFilters

#: The clock of the scan (tests freeze it).
clock = system_clock

FORMATS = ("prometheus",)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``export``."""
    parser = token_loading.command_parser(
        sub,
        "export",
        "export token expiry as Prometheus metrics (stdout or a textfile)",
        "Print the tokens of a source as Prometheus gauges (gitlab_token_days_remaining, in the "
        "names cnieg/gitlab-tokens-exporter uses, plus the scan's time and error count), or "
        "write them atomically to FILE for node_exporter's textfile collector. If the scan "
        "fails, FILE keeps the last complete scan's samples and time, with the error count "
        "raised.",
        "0 written, 2 error (message on stderr; with --output the file records the failure), "
        "130 interrupted",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="prometheus", help="output format (prometheus)"
    )
    parser.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write to FILE atomically (e.g. /var/lib/node_exporter/textfile/gitlab_tokens.prom) "
        "instead of stdout",
    )
    parser.add_argument(
        "--no-revoked",
        dest="revoked",
        action="store_false",
        help="leave revoked tokens out (fewer series; by default every token is exported, "
        "with its revoked label)",
    )
    token_loading.add_flags(parser)
    token_loading.inherit_from_top_level(parser)
    parser.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    """``tokentui export``."""
    target = _target(args.output)
    try:
        text = asyncio.run(_scan(args))
    except (GitLabError, UsageError, ValueError) as err:
        code = common.report_error(err)
        if target is not None:
            _record_failure(target)
        return code
    if target is None:
        with common.closed_stdout_tolerated():
            sys.stdout.write(text)
        return common.EXIT_OK
    try:
        write_textfile(target, text)
    except OSError as err:
        raise UsageError(f"--output {args.output}: cannot write it: {err}") from None
    return common.EXIT_OK


def _target(output: str | None) -> Path | None:
    """``--output``, checked before any request: its directory must exist."""
    if output is None:
        return None
    path = Path(output)
    if not output.strip() or path.is_dir():
        raise UsageError(f"--output {output!r}: give a file name, e.g. gitlab_tokens.prom")
    if not path.parent.is_dir():
        raise UsageError(f"--output {output}: there is no directory {str(path.parent)!r}")
    return path


async def _scan(args: argparse.Namespace) -> str:
    server = TokenFilters() if args.revoked else TokenFilters(revoked=False)
    loaded = await token_loading.load(args, server)
    facts = [f for f in loaded.facts() if args.revoked or not f.token.revoked]
    return prometheus_text(facts, clock(), errors=loaded.problems)


def _record_failure(target: Path) -> None:
    """A failed scan: the file keeps the last complete scan, with one more scan error."""
    try:
        previous = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        previous = None
    except (OSError, UnicodeDecodeError) as err:
        print(f"tokentui: warning: cannot read {target}: {err}", file=sys.stderr)
        previous = None
    try:
        write_textfile(target, after_failed_scan(previous))
    except OSError as err:
        print(f"tokentui: error: cannot write {target}: {err}", file=sys.stderr)
