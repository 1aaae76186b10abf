"""The ``tokentui`` command's start-up tweaks are its entry point's policy
(``tokentui.cli.main.tune_start``, docs/performance.md): httpx's own CLI not imported,
Textual's frame rate, the collector paused while importing and loaded tokens frozen. Importing
tokentui as a library (the API layer, the app) changes none of it.

What a fresh interpreter holds is checked in one (the import state of this one is whatever
earlier tests left).
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import pytest
from tui_helpers import sim_app, wait_loaded

from tokentui.cli import gc_tuning
from tokentui.core.store import TokenStore
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.sources import PersonalTokens


def fresh(code: str, **env: str) -> list[str]:
    """The words of the last line ``code`` prints, run in a fresh interpreter."""
    environ = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"} | env
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=environ,
    ).stdout
    return out.splitlines()[-1].split()


LIBRARY = """
import gc, os, sys
before = (gc.isenabled(), gc.get_freeze_count(), gc.get_threshold())
import tokentui.gitlab, tokentui.gitlab.client, tokentui.core.store
after = (gc.isenabled(), gc.get_freeze_count(), gc.get_threshold())
print(sys.modules.get("httpx._main", "absent") is not None, before == after,
      "TEXTUAL_FPS" in os.environ)
"""


def test_importing_the_api_layer_changes_nothing_outside_it() -> None:
    httpx_cli_untouched, gc_unchanged, fps_set = fresh(LIBRARY)
    assert httpx_cli_untouched == "True", "sys.modules['httpx._main'] was set to None"
    assert gc_unchanged == "True"
    assert fps_set == "False"


def test_importing_the_entry_point_imports_nothing_heavy() -> None:
    """The command's policy must run before httpx and pydantic are imported: the module
    that holds ``entry`` imports neither."""
    code = (
        "import sys; import tokentui.cli.main\n"
        "print(*(m in sys.modules for m in ('httpx', 'pydantic', 'textual')))"
    )
    assert fresh(code) == ["False", "False", "False"]


COMMAND = """
import sys
from tokentui.cli import main as cli
sys.argv = ["tokentui", "list", "--help"]
try:
    cli.entry()
except SystemExit:
    pass
import textual.constants
print(sys.modules["httpx._main"] is None, "rich" in sys.modules, textual.constants.MAX_FPS)
"""


def test_the_command_skips_httpx_s_cli_and_paints_at_120_fps() -> None:
    skipped, _, fps = fresh(COMMAND)
    assert skipped == "True"
    assert fps == "120"


def test_a_frame_rate_the_user_set_wins() -> None:
    assert fresh(COMMAND, TEXTUAL_FPS="30")[2] == "30"


async def test_the_app_alone_freezes_no_tokens_in_the_collector(sim) -> None:
    app = sim_app(sim, source_choice=("all", None))
    frozen = gc.get_freeze_count()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        assert app.store.loaded
        assert gc.get_freeze_count() == frozen


async def test_the_command_freezes_tokens_as_they_load_and_thaws_on_reload(
    sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gc_tuning, "_enabled", True)
    gc.unfreeze()  # the frozen heap's size is what this test reads
    try:
        async with GitLabClient(sim.url, sim.admin_token) as client:
            store = TokenStore(client, source=PersonalTokens())
            gc_tuning.freeze_tokens_as_they_load(store)
            await store.load()
            assert store.loaded
            assert gc.get_freeze_count() > 0, "the loaded tokens were not frozen"
            store.reload()  # a new query: what the last load froze is scanned again
            store.cancel()
            assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
