"""``tokentui check``: a Nagios/Icinga plugin for token expiry.

Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, as the Nagios plugin guidelines say; every error
(bad arguments included, which the rest of the CLI reports with 2) is UNKNOWN, with its reason
on the one line of stdout a monitoring system reads. The windows and the output format are
``tokentui.core.monitoring``'s (docs/cli.md, "check").
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import NoReturn

from tokentui.cli.commands import arguments as av
from tokentui.cli.commands import common, token_loading
from tokentui.core.expiry import system_clock
from tokentui.core.monitoring import (
    Level,
    Thresholds,
    alert_line,
    classify,
    status_line,
    unknown_line,
)
from tokentui.core.session import UsageError, error_message
from tokentui.gitlab.errors import GitLabError
from tokentui.gitlab.sources import TokenFilters

#: The clock of the check (tests freeze it).
clock = system_clock

_EXIT_CODES = "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (any error, bad arguments included)"


class _PluginParser(argparse.ArgumentParser):
    """The ``check`` parser: an argument error is UNKNOWN (exit 3) with the reason on stdout,
    not argparse's exit 2; arguments it does not know are errors of its own (argparse would
    leave them to the top-level parser, which exits 2)."""

    def error(self, message: str) -> NoReturn:
        print(unknown_line(f"{self.prog}: {message} (see {self.prog} --help)"))
        raise SystemExit(Level.UNKNOWN)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extra = super().parse_known_args(args, namespace)
        if extra:
            self.error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed, extra


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``check``."""
    parser = token_loading.command_parser(
        sub,
        "check",
        "Nagios/Icinga plugin: exit 1 or 2 when tokens expire soon",
        "Check the active tokens of a source against two windows, as a Nagios or Icinga "
        "plugin: the first line is 'TOKENS OK|WARNING|CRITICAL|UNKNOWN - summary | perfdata', "
        "then one line per token in a window. A token that expired less than --expired-within "
        "ago and is not revoked nor replaced (an active token of the same name and owner) is "
        "CRITICAL too. Revoked tokens never count.",
        _EXIT_CODES,
    )
    # Same attributes, other class: its error() and parse_known_args() are the plugin's.
    parser.__class__ = _PluginParser
    parser.add_argument(
        "--warn",
        metavar="DURATION",
        default="14d",
        help="WARNING when an active token expires within this, e.g. 14d, 2w, 36h (default 14d)",
    )
    parser.add_argument(
        "--crit",
        metavar="DURATION",
        default="3d",
        help="CRITICAL when an active token expires within this (default 3d; at most --warn)",
    )
    parser.add_argument(
        "--expired-within",
        metavar="DURATION",
        default="7d",
        help="CRITICAL for a token that expired less than this ago and was neither revoked nor "
        "replaced by an active token of the same name (default 7d; 0 ignores expired tokens)",
    )
    token_loading.add_flags(parser)
    token_loading.inherit_from_top_level(parser)
    parser.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    """``tokentui check``: prints the plugin output; returns the state's exit code."""
    try:
        thresholds = _thresholds(args)
        lines, level = asyncio.run(_check(args, thresholds))
    except (GitLabError, UsageError, ValueError, OSError) as err:
        lines, level = [unknown_line(error_message(err))], Level.UNKNOWN
    except Exception as err:  # a plugin says UNKNOWN, never a traceback
        lines = [unknown_line(f"internal error: {type(err).__name__}: {err}")]
        level = Level.UNKNOWN
    with common.closed_stdout_tolerated():
        sys.stdout.write("".join(f"{line}\n" for line in lines))
    return int(level)


def _thresholds(args: argparse.Namespace) -> Thresholds:
    warn = av.span(args.warn, "--warn")
    crit = av.span(args.crit, "--crit")
    if warn.total_seconds() <= 0 or crit.total_seconds() <= 0:
        raise UsageError("--warn and --crit must be longer than 0, e.g. --warn 14d --crit 3d")
    thresholds = Thresholds(warn, crit, av.span(args.expired_within, "--expired-within"))
    problem = thresholds.problem()
    if problem:
        raise UsageError(problem)
    return thresholds


async def _check(args: argparse.Namespace, thresholds: Thresholds) -> tuple[list[str], Level]:
    # Revoked tokens never count: GitLab leaves them out (the filter is applied locally too).
    loaded = await token_loading.load(args, TokenFilters(revoked=False))
    now = clock()
    facts = [f for f in loaded.facts() if not f.token.revoked]
    result = classify(facts, thresholds, now)
    lines = [status_line(result, thresholds, loaded.source.label)]
    lines += [alert_line(alert, now) for alert in result.alerts]
    if loaded.problems and result.level is Level.OK:
        # What was read is fine, but an incomplete scan cannot say everything is.
        noun = "place" if loaded.problems == 1 else "places"
        lines[0] = unknown_line(
            f"the scan could not read {loaded.problems} {noun} (stderr says which); "
            "what it read is OK"
        )
        return lines, Level.UNKNOWN
    return lines, result.level
