"""Typing ahead: keys that arrive in one burst (a fast typist, a paste, tmux send-keys, SSH)
go where they would have gone had they been typed slowly (``tokentui/tui/typeahead.py``).

Keys are delivered the way the terminal driver delivers them, all at once
(``driver.send_message``, no pause between keys): ``Pilot.press`` waits for the app to be
idle after every key, which hides the problem. The real app talks to the simulator over
loopback; each test checks what the server holds or what the screen shows. One test types
the whole wizard as one write on the pseudo-terminal of a real ``tokentui`` process.
Cast: 1 root (admin), 2 alice, 3 bob (Maintainer of platform/api).
"""

from __future__ import annotations

import re
import sys
import time
import unicodedata
from collections.abc import Iterable
from datetime import timedelta

import pytest
from pty_terminal import PtyProcess
from test_hostile_scrollback import child_env
from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot
from textual.widgets import Input
from tui_helpers import sim_app, table_names, wait_for, wait_loaded

from tokentui.tui.app import TokenApp
from tokentui.tui.screens.create import CreateWizard
from tokentui.tui.screens.reveal import RevealScreen
from tokentui.tui.screens.tokens import TokensScreen

SIZE = (120, 40)
PROJECT_API = 1


def key_event(key: str) -> events.Key:
    """The event the terminal driver makes for ``key`` (same mapping as ``Pilot.press``)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def burst(app: TokenApp, *parts: str | Iterable[str]) -> None:
    """Deliver keys as one burst, as the driver does: no pause, nothing handled in between.
    A part is a key name (``"enter"``) or, given as a list, text typed character by
    character."""
    assert app._driver is not None
    for part in parts:
        for key in [part] if isinstance(part, str) else part:
            event = key_event(key)
            event.set_sender(app)
            app._driver.send_message(event)


async def quiet(pilot: Pilot) -> None:
    """Let the burst be handled and every worker finish."""
    app = pilot.app
    assert isinstance(app, TokenApp)
    await wait_for(pilot, lambda: not app.typeahead.busy)
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def new_tokens(sim, before: set[int]) -> list:
    return [t for t in sim.state.tokens.values() if t.id not in before]


async def test_the_whole_wizard_typed_as_one_burst_creates_the_token(frozen_sim) -> None:
    today = frozen_sim.today()
    app = sim_app(
        frozen_sim,
        as_user="maintainer",
        source_choice=("project", "platform/api"),
    )
    before = set(frozen_sim.state.tokens)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        burst(
            app,
            "n",
            list("ci-deploy"),
            "enter",  # name -> description
            list("deploys the api"),
            "enter",  # -> scopes (api, read_api, ...)
            "down",
            "space",  # read_api
            *["down"] * 5,
            "space",  # read_repository
            "enter",  # -> expiry (presets 7, 30 (highlighted), 90, ...)
            "down",
            "enter",  # 90 days -> access level (Maintainer highlighted)
            "up",
            "enter",  # Developer -> review
            "enter",  # create
        )
        await quiet(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))

        created = new_tokens(frozen_sim, before)
        assert len(created) == 1, [t.name for t in created]
        record = created[0]
        assert record.name == "ci-deploy"
        assert record.description == "deploys the api"
        assert record.scopes == ("read_api", "read_repository")
        assert record.expires_at == today + timedelta(days=90)
        assert (record.resource_type, record.resource_id) == ("project", PROJECT_API)
        assert frozen_sim.state.bot_access_level(record) == 30


async def test_a_custom_expiry_date_typed_ahead_lands_in_its_box(frozen_sim) -> None:
    """Choosing "a date of my choice" moves the focus to the date box: the date typed right
    after it goes there, and Enter creates the token with that date."""
    today = frozen_sim.today()
    app = sim_app(frozen_sim, as_user="user")
    before = set(frozen_sim.state.tokens)
    when = today + timedelta(days=45)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        burst(
            app,
            "n",
            list("nightly"),
            "enter",
            "enter",  # no description -> scopes
            "space",  # the first scope
            "enter",  # -> expiry
            "end",
            "enter",  # "a date of my choice" -> the date box
            list(when.isoformat()),
            "enter",  # -> review
            "enter",  # create
        )
        await quiet(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, RevealScreen))

        (record,) = new_tokens(frozen_sim, before)
        assert record.name == "nightly"
        assert record.description in (None, "")
        assert len(record.scopes) == 1
        assert record.expires_at == when


async def test_name_and_description_typed_ahead_stay_apart(frozen_sim) -> None:
    """The two Enters of a burst: the first moves to the description, the second goes on."""
    app = sim_app(frozen_sim, as_user="user")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        burst(app, "n", list("abc"), "enter", list("xy"), "enter", "space")
        await quiet(pilot)
        wizard = app.screen
        assert isinstance(wizard, CreateWizard)
        assert wizard.query_one("#name", Input).value == "abc"
        assert wizard.query_one("#description", Input).value == "xy"
        assert wizard.step == "scopes"
        assert wizard.query_one("#scopes").selected, "the space ticked a scope"


async def test_keys_typed_ahead_wait_for_a_slow_wizard(frozen_sim, monkeypatch) -> None:
    """On a starved machine opening the wizard took over a second, and a key let go after the
    old one-second bound went to the list: the name lost its first letter. A wizard whose
    compose blocks the loop 1.5 s (as a starved machine does) still gets every key."""
    composed = CreateWizard.compose

    def slow_compose(self: CreateWizard):  # type: ignore[no-untyped-def]
        time.sleep(1.5)
        return composed(self)

    monkeypatch.setattr(CreateWizard, "compose", slow_compose)
    app = sim_app(frozen_sim, as_user="user")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        burst(app, "n", list("fast-hands"))
        await quiet(pilot)
        wizard = app.screen
        assert isinstance(wizard, CreateWizard)
        assert wizard.query_one("#name", Input).value == "fast-hands"


async def test_slash_and_a_filter_typed_as_one_burst_filter_the_list(frozen_sim) -> None:
    """``/``, a name with a typo fixed on the way (backspace), all in one burst."""
    app = sim_app(frozen_sim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        everything = table_names(app)
        burst(app, "slash", list("depx"), "backspace", list("loy"))
        await quiet(pilot)
        assert isinstance(app.screen, TokensScreen)
        assert app.screen.query_one("#filter-text", Input).value == "deploy"
        shown = table_names(app)
        assert shown and len(shown) < len(everything)
        assert all("deploy" in name.lower() for name in shown)


async def test_a_burst_on_the_list_never_opens_a_dialog_for_keys_meant_for_a_text_box(
    frozen_sim,
) -> None:
    """``n`` then a name full of the list's keys (``d`` revoke, ``r`` rotate, ``t`` source,
    ``q`` quit...): every one of them is the name, none acts on the list."""
    app = sim_app(frozen_sim, as_user="user")
    before = set(frozen_sim.state.tokens)
    name = "drt-sync-query"
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        burst(app, "n", list(name))
        await quiet(pilot)
        assert [type(s).__name__ for s in app.screen_stack[1:]] == [
            "TokensScreen",
            "CreateWizard",
        ]
        assert app.screen.query_one("#name", Input).value == name
        assert app.is_running
        assert new_tokens(frozen_sim, before) == []
        assert not [r for r in frozen_sim.request_log if r.method in ("POST", "DELETE")]


#: The wizard typed on a terminal: name, description, two scopes, 90 days, Developer, create.
DOWN, UP = "\x1b[B", "\x1b[A"
WIZARD_KEYS = "".join(
    (
        "n",
        "ci-deploy\r",
        "deploys the api\r",
        DOWN + " ",  # read_api
        DOWN * 5 + " \r",  # read_repository, on to the expiry
        DOWN + "\r",  # 90 days
        UP + "\r",  # Developer
        "\r",  # create
    )
)
VALUE = re.compile(r"glpat-[A-Za-z0-9_.-]{20,}")


@pytest.mark.skipif(sys.platform == "win32", reason="uses a pseudo-terminal")
def test_the_wizard_written_in_one_burst_on_a_terminal_creates_the_token(sim, tmp_path) -> None:
    argv = [
        sys.executable,
        "-m",
        "tokentui.cli.main",
        "--url",
        sim.url,
        "--project",
        "platform/api",
    ]
    env = child_env(sim, tmp_path) | {"GITLAB_TOKEN": sim.maintainer_token}
    before = set(sim.state.tokens)
    with PtyProcess(argv, env, columns=120, lines=40) as term:
        term.wait_for(lambda: term.screen.alternate, "the alternate screen")
        term.wait_for(lambda: re.search(r"\d+ of \d+ shown\b", term.text()), "the token list")
        term.send(WIZARD_KEYS)  # one write: the driver reads it as one burst
        term.wait_for(lambda: VALUE.search(term.text()), "the new token's value")
        created = new_tokens(sim, before)
        assert len(created) == 1, [t.name for t in created]
        record = created[0]
        assert record.name == "ci-deploy"
        assert record.description == "deploys the api"
        assert record.scopes == ("read_api", "read_repository")
        assert record.expires_at == sim.today() + timedelta(days=90)
        assert (record.resource_type, record.resource_id) == ("project", PROJECT_API)
        assert sim.state.bot_access_level(record) == 30
