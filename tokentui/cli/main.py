"""Command-line entry point: ``tokentui`` opens the TUI; subcommands script it.

Each subcommand lives in ``tokentui/cli/commands/<name>.py`` with ``register(subparsers)``; this
module only assembles them, so the scripting commands never import Textual. A run imports
the module of the command it runs only (:data:`COMMANDS`, :func:`build_parser`), when the
parser is built (not when this module is: importing this module imports neither httpx nor
pydantic), so that the ``tokentui`` command (:func:`entry`) applies its start-up policy
(:func:`tune_start`) before anything heavy is imported.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from tokentui import __version__
from tokentui.cli import gc_tuning

#: Screen updates per second for the TUI. Textual's default (60, ``TEXTUAL_FPS``) adds ~20 ms
#: between a key and its paint; 120 halves the wait for a filtered list (issue 6, P3) and costs
#: nothing idle (the update timer only runs while something is dirty).
SCREEN_FPS = 120


#: Every subcommand and the module of ``tokentui.cli.commands`` that registers it, in the
#: order ``--help`` lists them (``tests/test_cli_parser.py`` holds this table to the modules).
COMMANDS: dict[str, str] = {
    "list": "tokens",
    "show": "tokens",
    "create": "tokens",
    "rotate": "tokens",
    "revoke": "tokens",
    "expiring": "tokens",
    "check": "check",
    "export": "export",
    "audit": "audit",
    "digest": "digest",
    "identify": "identify",
    "deliver": "deliver",
    "auth": "auth",
    "simulate": "simulate",
}


_HELP = ("-h", "--help")


class _NotNarrow(Exception):
    """The narrowed parser could not parse the arguments: the full one will, or will say why."""


class _NarrowParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotNarrow(message)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser (top level runs the TUI). Without ``argv``, every command's;
    with it, narrowed to what ``argv`` can need: the one command named in it (its module
    only), or none (the TUI), unless it asks for help. Each command module imports what its
    command runs, ~100 ms at every start; :func:`parse` falls back to the full parser when
    the narrowed one cannot parse ``argv``, so errors and help read the same."""
    from tokentui.cli.commands import tui

    modules = list(dict.fromkeys(COMMANDS.values()))
    parser_class = argparse.ArgumentParser
    if argv is not None:
        # Up to the command's name: a help asked for there is the full help.
        named = next((arg for arg in argv if arg in COMMANDS or arg in _HELP), None)
        if named not in _HELP:
            modules = [COMMANDS[named]] if named is not None else []
            parser_class = _NarrowParser
    parser = parser_class(
        prog="tokentui",
        description="Keyboard-first terminal inventory of GitLab access tokens.",
        epilog="Run 'tokentui COMMAND --help' for a command's options. "
        "The token comes from GITLAB_TOKEN or the profile's credential store, never a flag.",
    )
    parser.add_argument("--version", action="version", version=f"tokentui {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="write a debug log (token values redacted) to the user log directory; "
        "also TOKENTUI_DEBUG=1",
    )
    tui.add_arguments(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        importlib.import_module(f"tokentui.cli.commands.{name}").register(sub)
    return parser


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """``argv`` parsed by the narrowed parser, or by the full one where it cannot."""
    try:
        return build_parser(argv).parse_args(argv)
    except _NotNarrow:
        return build_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run tokentui; returns the process exit code."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    with gc_tuning.paused_for_imports():
        args = parse(arguments)
        from tokentui.cli.commands import common, tui
        from tokentui.core import logging_setup, session
    handler = getattr(args, "handler", None) or tui.run
    if logging_setup.debug_requested(getattr(args, "debug", False)):
        try:
            path = logging_setup.enable_debug_log()
            print(f"tokentui: debug log: {path}", file=sys.stderr)
        except OSError as err:
            print(f"tokentui: warning: no debug log ({err})", file=sys.stderr)
    try:
        if (
            getattr(args, "demo", False)
            and args.command
            and not getattr(args, "demo_supported", False)
        ):
            raise session.UsageError(
                "--demo works with the TUI and with list, show, create, rotate, revoke, "
                f"expiring, check, export and audit, not with '{args.command}': the demo has no "
                "profiles or stored credentials ('tokentui simulate' serves the simulator "
                "over HTTP)"
            )
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except session.UsageError as err:
        print(f"tokentui: {err}", file=sys.stderr)
        return common.EXIT_USAGE


def tune_start() -> None:
    """The ``tokentui`` command's start-up policy (docs/performance.md), applied before
    anything heavy is imported; a library import of tokentui changes none of it:

    - httpx's own command-line client is never imported: httpx's package imports it, which
      pulls in rich, click and pygments (~35 ms on every start, encode/httpx#3547). A None
      entry in ``sys.modules`` makes that one import fail at once; httpx then defines a stub.
    - Textual paints up to :data:`SCREEN_FPS` times a second, unless ``TEXTUAL_FPS`` is set
      (Textual reads it when it is imported).
    - The cyclic collector is paused while modules are imported, then what they made is
      frozen; loaded tokens are frozen as they arrive (:mod:`tokentui.cli.gc_tuning`).
    """
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    os.environ.setdefault("TEXTUAL_FPS", str(SCREEN_FPS))
    gc_tuning.enable()


def entry() -> int:
    """The ``tokentui`` command: :func:`main` after the start-up policy (:func:`tune_start`)."""
    tune_start()
    return main()


if __name__ == "__main__":
    raise SystemExit(entry())
