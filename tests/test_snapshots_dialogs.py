"""Snapshots of the action dialogs: the demo app (simulator in process), a frozen clock, two
terminal sizes. Plain sync tests, as ``snap_compare`` needs. Update with
``pytest tests/test_snapshots_dialogs.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import SecretStr
from textual.pilot import Pilot
from textual.widgets import Input

from tokentui.demo import make_demo_app
from tokentui.expiry import FrozenClock
from tokentui.gitlab.models import NewToken
from tokentui.screens.reveal import RevealScreen
from tokentui.widgets.scope_picker import ScopePicker

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]

#: A made-up value in GitLab's format, for the reveal screen (no real token anywhere).
DEMO_VALUE = "glpat-DEMO0nlyN0tARealT0ken.01.0w1fxq8zd"


def demo_app(source: tuple[str, str | None] | None = None):
    return make_demo_app(clock=FrozenClock(NOW), tokens=120, source_choice=source)


async def settle(pilot: Pilot) -> None:
    for _ in range(4):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def no_blink(pilot: Pilot) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_wizard_scope_step(snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await no_blink(pilot)
        await pilot.press(*"ci-deploy", "enter", *"deploys platform/api", "enter")
        picker = pilot.app.screen.query_one(ScopePicker)
        picker.select("read_api")
        picker.select("read_repository")
        await pilot.press("down")
        await pilot.pause()

    assert snap_compare(
        demo_app(("project", "platform/api")), terminal_size=size, run_before=run_before
    )


@pytest.mark.parametrize("size", SIZES)
def test_reveal_screen(snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        new = NewToken(
            id=401,
            name="ci-deploy",
            created_at=NOW,
            scopes=("read_api", "read_repository"),
            expires_at=date(2026, 12, 23),
            token=SecretStr(DEMO_VALUE),
        )
        await pilot.app.push_screen(RevealScreen(new, heading="Created project token “ci-deploy”"))
        await pilot.press("y")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_rotate_dialog(snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_revoke_dialog(snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_source_picker(snap_compare, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")  # project: asks for the path
        await no_blink(pilot)
        await pilot.press(*"platform/api")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=size, run_before=run_before)
