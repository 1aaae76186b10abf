"""Helpers for TUI tests and snapshots (main screen and dialogs alike).

Pilot tests (``async def``) against the served simulator::

    app = sim_app(sim, clock=FrozenClock(FROZEN_NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        ...

Snapshot tests (plain ``def``, in-process demo simulator, frozen clock, no server)::

    def test_x(snap_compare):
        assert snap_compare(snapshot_app(), terminal_size=(120, 40),
                            run_before=settle_then(press("n")))
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from textual.pilot import Pilot
from textual.widgets import Input

from tokentui.core.expiry import Clock, FrozenClock
from tokentui.gitlab.client import GitLabClient
from tokentui.tui.app import TokenApp, make_app
from tokentui.tui.demo import make_demo_app

#: Same instant as ``conftest.FROZEN_NOW``.
FROZEN_NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
#: Rows in the snapshot demo (small and deterministic).
SNAPSHOT_TOKENS = 60


async def _no_wait(delay: float) -> None:
    return None


def sim_app(
    sim,
    *,
    as_user: str = "admin",
    clock: Clock | None = None,
    source_choice: tuple[str, str | None] | None = None,
    save_credential=None,
    transport=None,
) -> TokenApp:
    """The app on the served simulator ``sim`` as root (``admin``), alice (``user``) or bob
    (``maintainer``). Pass the simulator's clock for consistent dates; ``transport``: an
    ``httpx`` transport for the client (e.g. one that holds a request back)."""
    token = {
        "admin": sim.admin_token,
        "user": sim.user_token,
        "maintainer": sim.maintainer_token,
    }.get(as_user, as_user)
    client = GitLabClient(sim.url, token, sleep=_no_wait, transport=transport)
    return make_app(
        client, clock=clock or sim.now, source_choice=source_choice, save_credential=save_credential
    )


def snapshot_app(
    *,
    at: datetime = FROZEN_NOW,
    tokens: int = SNAPSHOT_TOKENS,
    source_choice: tuple[str, str | None] | None = None,
) -> TokenApp:
    """A deterministic demo app (in-process simulator, seed 1, frozen clock) for snapshots
    and screenshots."""
    return make_demo_app(clock=FrozenClock(at), tokens=tokens, source_choice=source_choice)


async def wait_for(pilot: Pilot, condition: Callable[[], object], *, timeout: float = 120) -> None:
    """Let the app run until ``condition()`` is true; fail after ``timeout`` seconds (a bound
    against hanging on a loaded machine, not a speed assertion).

    Then, if the current screen was pushed a moment ago, wait until it is mounted: a screen
    is on the stack before its widgets are composed, and on a busy machine the caller's
    ``query_one`` or key press could otherwise come first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await pilot.pause(0.01)
    await wait_mounted(pilot, deadline)


async def wait_mounted(pilot: Pilot, deadline: float) -> None:
    """Let the app run until its current screen is mounted (its widgets composed)."""
    loop = asyncio.get_running_loop()
    while not pilot.app.screen.is_mounted:
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {pilot.app.screen!r} to mount")
        await pilot.pause(0.01)


async def settle(pilot: Pilot) -> None:
    """Wait until start-up and the token list have loaded and background workers are done."""
    app = pilot.app
    assert isinstance(app, TokenApp)

    def loaded() -> bool:
        busy = any(w.is_running for w in app.workers)
        return (
            app.viewer is not None
            and app.store.source is not None
            and not app.store.loading
            and not busy
        )

    await wait_for(pilot, loaded)
    # The clock tick fetches the owners' names of rows that came into view: run one now.
    from tokentui.tui.screens.tokens import TokensScreen

    for screen in app.screen_stack:
        if isinstance(screen, TokensScreen):
            screen.tick()
    await pilot.pause()
    await app.workers.wait_for_complete()
    for field in app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


#: The usual wait at the start of a Pilot test.
wait_loaded = settle


def press(*keys: str) -> Callable[[Pilot], Awaitable[None]]:
    """A ``run_before`` step pressing ``keys`` then settling."""

    async def step(pilot: Pilot) -> None:
        await pilot.press(*keys)
        await settle(pilot)

    return step


def settle_then(
    *steps: Callable[[Pilot], Awaitable[None]],
) -> Callable[[Pilot], Awaitable[None]]:
    """A ``run_before`` for ``snap_compare``: wait for the list, then run ``steps`` in order."""

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        for step in steps:
            await step(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run_before


def table_names(app: TokenApp) -> list[str]:
    """Names of the rows the table shows (all of them, not only the visible ones)."""
    from tokentui.tui.widgets.token_table import TokenTable

    return [t.name for t in app.screen.query_one(TokenTable).rows]


#: An OSC 52 clipboard write as Textual sends it: ``ESC ] 52 ; c ; <base64> BEL``.
OSC52 = re.compile(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")


class TerminalClipboard:
    """What the app sent to the terminal's clipboard (its OSC 52 writes), decoded.

    ``run_test`` gives the app a driver that writes nowhere; this records what passes through
    it (and still passes it on). Start it inside ``run_test``, once the app has its driver.
    ``app.clipboard`` is not the terminal's clipboard: it is Textual's own copy, which a token
    value must never be in."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        driver = app._driver
        assert driver is not None, "start TerminalClipboard inside run_test"
        self.writes: list[str] = []
        write = driver.write

        def recording(data: str) -> None:
            self.writes.extend(
                base64.b64decode(match).decode("utf-8") for match in OSC52.findall(data)
            )
            write(data)

        driver.write = recording

    @property
    def last(self) -> str:
        """The last text sent ("" when nothing was)."""
        return self.writes[-1] if self.writes else ""
