"""Command-line entry point: ``tokentui`` opens the TUI; subcommands script it.

Each subcommand lives in ``tokentui/commands/<name>.py`` with ``register(subparsers)``; this
module only assembles them, so the scripting commands never import Textual.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tokentui import __version__
from tokentui.commands import auth, common, simulate, tokens, tui


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (top level runs the TUI)."""
    parser = argparse.ArgumentParser(
        prog="tokentui",
        description="Keyboard-first terminal inventory of GitLab access tokens.",
        epilog="Run 'tokentui COMMAND --help' for a command's options. "
        "The token comes from GITLAB_TOKEN or the profile's credential store, never a flag.",
    )
    parser.add_argument("--version", action="version", version=f"tokentui {__version__}")
    tui.add_arguments(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (tokens, auth, simulate):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run tokentui; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None) or tui.run
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except common.UsageError as err:
        print(f"tokentui: {err}", file=sys.stderr)
        return common.EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
