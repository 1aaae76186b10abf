"""Regenerate ``screenshots/*.svg`` from the demo: frozen clock, fixed sizes, scripted keys.

    python screenshots/make.py            # every scene
    python screenshots/make.py help main  # some scenes
    python screenshots/make.py --png      # also PNGs beside them (needs rsvg-convert)

Each scene is one entry of ``SCENES``: a name, a caption (the README uses it), a terminal
size, an optional token source, and the steps that drive the app there. Adding a scene is
adding an entry. The demo value on the reveal screen is made up; no real token is involved.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from pydantic import SecretStr
from textual.pilot import Pilot
from textual.widgets import Input

from tokentui.tui.app import TokenApp
from tokentui.tui.demo import make_demo_app
from tokentui.core.expiry import FrozenClock
from tokentui.gitlab.models import NewToken

HERE = Path(__file__).resolve().parent
#: The instant every screenshot shows (the demo data is seeded relative to it).
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
#: Rows in the demo inventory.
TOKENS = 120
#: A made-up value in GitLab's format for the reveal screen.
DEMO_VALUE = "glpat-DEMO0nlyN0tARealT0ken.01.0w1fxq8zd"

Step = Callable[[Pilot], Awaitable[None]]


@dataclass(frozen=True)
class Scene:
    """One screenshot: where to go and how big the terminal is."""

    name: str
    caption: str
    steps: Sequence[Step] = ()
    size: tuple[int, int] = (120, 40)
    source: tuple[str, str | None] | None = None
    tags: tuple[str, ...] = field(default=())


def keys(*pressed: str) -> Step:
    """Press keys, then let the app settle."""

    async def step(pilot: Pilot) -> None:
        await pilot.press(*pressed)
        await settle(pilot)

    return step


def type_text(text: str) -> Step:
    """Type ``text`` character by character."""
    return keys(*text)


async def settle(pilot: Pilot) -> None:
    """Wait for start-up, loads and background workers (bounded)."""
    app = pilot.app
    assert isinstance(app, TokenApp)
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        await pilot.pause(0.01)
        busy = any(w.is_running for w in app.workers)
        if app.viewer is not None and not app.store.loading and not busy:
            break
    # The clock tick fetches the owners' names of rows that came into view: run one now.
    from tokentui.tui.screens.tokens import TokensScreen

    for screen in app.screen_stack:
        if isinstance(screen, TokensScreen):
            screen.tick()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _pick_scopes(pilot: Pilot) -> None:
    from tokentui.tui.widgets.scope_picker import ScopePicker

    picker = pilot.app.screen.query_one(ScopePicker)
    picker.select("read_api")
    picker.select("read_repository")
    await pilot.press("down")
    await settle(pilot)


async def _reveal(pilot: Pilot) -> None:
    from tokentui.tui.screens.reveal import RevealScreen

    new = NewToken(
        id=401,
        name="ci-deploy",
        created_at=NOW,
        scopes=("read_api", "read_repository"),
        expires_at=date(2026, 12, 23),
        token=SecretStr(DEMO_VALUE),
    )
    await pilot.app.push_screen(RevealScreen(new, heading="Created project token “ci-deploy”"))
    await settle(pilot)


SCENES: tuple[Scene, ...] = (
    Scene("main", "The inventory: every token, most urgent first, live countdowns, detail pane"),
    Scene("main-80x24", "The same in an 80x24 SSH session", size=(80, 24)),
    Scene(
        "filter", "Typing a filter narrows the list at once", [keys("slash"), type_text("deploy")]
    ),
    Scene(
        "detail",
        "Full detail of a token: scopes with their meanings, last use and IPs",
        [keys("down", "down", "enter")],
        size=(100, 30),
    ),
    Scene(
        "wizard-scopes",
        "Create wizard, scope step: only the scopes valid for a project token",
        [
            keys("n"),
            type_text("ci-deploy"),
            keys("enter"),
            type_text("deploys platform/api"),
            keys("enter"),
            _pick_scopes,
        ],
        source=("project", "platform/api"),
    ),
    Scene("reveal", "The new value, shown once (demo value)", [_reveal]),
    Scene("rotate", "Rotate: last use, the warning, the new expiry", [keys("r")]),
    Scene("revoke", "Revoke: what goes away, confirm or cancel", [keys("d")]),
    Scene("help", "Help: every binding of the screen", [keys("question_mark")]),
    Scene(
        "horizon",
        "The horizon (H): active tokens expiring per week for 13 weeks, cliffs marked; ] lists a week",
        [keys("H"), keys("right_square_bracket", "right_square_bracket")],
    ),
    Scene(
        "findings-picker",
        "Hygiene findings: f filters by one, with how many tokens have each",
        [keys("f")],
    ),
    Scene(
        "findings",
        "Filtered by a finding (broad scopes): the Flags column, the detail pane says what to do",
        [keys("f", "down", "down", "down", "down", "enter")],
    ),
    Scene(
        "marks",
        "Marks: space marks a token (✓), the header counts them",
        [keys("space", "down", "space", "space", "down", "space")],
    ),
    Scene(
        "bulk-revoke",
        "Bulk revoke of the marked tokens: the preview, skips and why, type their number",
        [keys("slash"), type_text("deploy"), keys("enter", "a", "d")],
    ),
    Scene(
        "bulk-rotate",
        "Bulk rotate: new expiries spread over 14 days, shown in the preview",
        [
            keys("space", "space", "space", "space", "r"),
            keys("down", "down", "tab"),
            type_text("14"),
            keys("enter"),
        ],
    ),
)


async def shoot(scene: Scene, out: Path) -> Path:
    """Run ``scene`` and save its SVG in ``out``."""
    app = make_demo_app(clock=FrozenClock(NOW), tokens=TOKENS, source_choice=scene.source)
    path = out / f"{scene.name}.svg"
    async with app.run_test(size=scene.size) as pilot:
        await settle(pilot)
        for step in scene.steps:
            await step(pilot)
        for widget in app.screen.query(Input):
            widget.cursor_blink = False
        await pilot.pause()
        app.save_screenshot(filename=path.name, path=str(out))
    return path


def to_png(svg: Path) -> Path | None:
    """Convert with ``rsvg-convert`` when installed (to look at the result)."""
    tool = shutil.which("rsvg-convert")
    if tool is None:
        return None
    png = svg.with_suffix(".png")
    subprocess.run([tool, str(svg), "-o", str(png)], check=True)
    return png


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenes", nargs="*", help="scene names (default: all)")
    parser.add_argument("--png", action="store_true", help="also write PNGs (rsvg-convert)")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    parser.add_argument("--list", action="store_true", help="list the scenes and exit")
    args = parser.parse_args(argv)
    if args.list:
        for scene in SCENES:
            print(f"{scene.name:14} {scene.size[0]}x{scene.size[1]}  {scene.caption}")
        return 0
    wanted = set(args.scenes)
    unknown = wanted - {s.name for s in SCENES}
    if unknown:
        print(f"unknown scene(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for scene in SCENES:
        if wanted and scene.name not in wanted:
            continue
        svg = asyncio.run(shoot(scene, args.out))
        png = to_png(svg) if args.png else None
        print(f"{svg}" + (f"  ({png.name})" if png else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
