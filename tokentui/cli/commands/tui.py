"""``tokentui [--demo] [--url URL] [--profile NAME] [SOURCE FLAG]``: open the TUI.

Bad flags and configuration problems are reported on stderr before the screen opens; a server
that cannot be reached is reported on stderr once the app gives up at start (no traceback).
Nothing configured opens the login screen. Textual is imported only here, when the TUI runs,
in a thread while the first requests travel (``tokentui.core.startup``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from types import ModuleType
from typing import Any

from tokentui.cli import gc_tuning
from tokentui.cli.commands import common
from tokentui.core import session, source_names
from tokentui.core.everything import resolve_choice
from tokentui.core.startup import StartRequests
from tokentui.gitlab.client import GitLabClient


def register(sub: argparse._SubParsersAction) -> None:
    """The TUI has no subcommand (it is what ``tokentui`` alone runs)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Top-level flags of the TUI."""
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against the bundled simulator as its admin (no network, no configuration)",
    )
    common.add_connection_flags(parser)
    common.add_source_flags(parser, everything=True)
    parser.add_argument(
        "--refresh-every",
        metavar="INTERVAL",
        help="reload the list this often, e.g. 15m or 1h (default: the profile's "
        "refresh_every, else never); the header says when it was last refreshed",
    )


def check_source_syntax(source: tuple[str, str | None] | None) -> None:
    """Reject a malformed source flag (``--user 'a b'``, ``--project /``) before any request;
    a user named by username passes (it is looked up once connected)."""
    source = source_names.check_syntax(source)
    if source is None:
        return
    choice, value = source
    try:
        resolve_choice(choice, value, viewer_id=0, viewer_is_admin=True)
    except ValueError as err:
        raise session.UsageError(str(err)) from None


def refresh_interval(args: argparse.Namespace, conn: session.Connection | None) -> int | None:
    """Seconds between automatic reloads: ``--refresh-every``, else the profile's
    ``refresh_every``, else None (off). A bad interval is a usage error."""
    from tokentui.core import config

    text = getattr(args, "refresh_every", None)
    if text is not None:
        try:
            return config.parse_interval(text, "--refresh-every")
        except config.ConfigError as err:
            raise session.UsageError(str(err)) from None
    if conn is None or not conn.profile:
        return None
    try:
        return config.load_settings().get(conn.profile).refresh_every
    except config.ConfigError:
        return None


def run(args: argparse.Namespace) -> int:
    """Open the TUI; returns the exit code."""
    source = getattr(args, "source", None)
    check_source_syntax(source)
    interval = refresh_interval(args, None)
    if getattr(args, "demo", False):
        if args.url or args.profile:
            raise session.UsageError("--demo runs the bundled simulator: drop --url/--profile")
        from tokentui.demo_server import DEMO_URL, demo_client, demo_simulator
        from tokentui.tui.demo import make_demo_app

        sim = demo_simulator()
        if source_names.check_syntax(source) != source:
            source = asyncio.run(_ids_for_names(demo_client(sim), source, DEMO_URL))
        app = make_demo_app(source_choice=source, simulator=sim)
        app.refresh_every = interval
        gc_tuning.freeze_tokens_as_they_load(app.store)
        return _finish(app, app.run())

    try:
        conn = common.connect(args)
    except session.NotConfigured:
        # Nothing configured: the app opens its login screen first.
        app = load_app_module().make_app(None, source_choice=source, login_url=args.url)
        gc_tuning.freeze_tokens_as_they_load(app.store)
        return _finish(app, app.run())
    return asyncio.run(_run_connected(conn, source, interval or refresh_interval(args, conn)))


async def _run_connected(
    conn: session.Connection,
    source: tuple[str, str | None] | None,
    refresh_every: int | None = None,
) -> int:
    """Send the first requests, import Textual (in a thread, while they travel), then run
    the app on this loop: its first page is on its way before the app exists."""
    client = conn.client()
    if source_names.check_syntax(source) != source:
        try:
            source = await common.ids_for_names(client, source, conn.url)
        except BaseException:
            await client.aclose()
            raise
    start = StartRequests.send(client, source)
    try:
        app_module = await asyncio.to_thread(load_app_module, main_screen=True)
        app = app_module.make_app(
            client,
            source_choice=source,
            start=start,
            refresh_every=refresh_every,
            **app_options(conn),
        )
        gc_tuning.freeze_tokens_as_they_load(app.store)
        result = await app.run_async()
    finally:
        start.cancel()
        await client.aclose()
    return _finish(app, result)


async def _ids_for_names(
    client: GitLabClient, source: tuple[str, str | None] | None, url: str
) -> tuple[str, str | None] | None:
    async with client:
        return await common.ids_for_names(client, source, url)


def app_options(conn: session.Connection) -> dict[str, Any]:
    """What the app knows of its connection: the profile, TLS, and where the credential is
    kept (a self-rotation stores the new value there, and the reveal says where)."""
    return {
        "save_credential": conn.save_token if conn.token_origin in ("keyring", "file") else None,
        "profile_name": conn.profile,
        "credential_origin": conn.token_origin,
        "insecure": conn.insecure,
    }


def load_app_module(*, main_screen: bool = False) -> ModuleType:
    """Import the TUI (Textual and the app): the one import tokentui's start-up waits on.
    ``main_screen``: also the token list's screen, which the app opens first when it is
    connected (otherwise it imports it on the loop once mounted, with the collector running,
    while the first page waits to be painted)."""
    with gc_tuning.paused_for_imports():
        from tokentui.tui import app

        if main_screen:
            from tokentui.tui.screens import tokens  # noqa: F401

    return app


def _finish(app, result: int | None) -> int:
    """Print why the app stopped early, if it did; the exit code."""
    message = getattr(app, "exit_message", None)
    if message:
        print(f"tokentui: error: {message}", file=sys.stderr)
    return int(result or (common.EXIT_ERROR if message else common.EXIT_OK))
