"""The start-up collector tuning (docs/performance.md): the ``tokentui`` command imports with
the cyclic collector paused, freezes what the imports made, and always resumes collecting;
imported as a library nothing changes."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from tokentui.cli import gc_tuning

PROBE = """
import gc, sys
from tokentui.cli import main as cli
sys.argv = ["tokentui", "list", "--help"]
try:
    {call}
except SystemExit:
    pass
print(gc.isenabled(), gc.get_freeze_count() > 0, "tokentui.cli.commands.tokens" in sys.modules)
"""


def run_probe(call: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(call=call)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return out.splitlines()[-1].split()  # the last line: what the probe printed after --help


def test_the_command_freezes_its_imports_and_collects_again() -> None:
    assert run_probe("cli.entry()") == ["True", "True", "True"]


def test_as_a_library_the_collector_is_left_alone() -> None:
    assert run_probe("cli.main()") == ["True", "False", "True"]


def test_the_collector_resumes_when_the_block_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gc_tuning, "_enabled", True)
    frozen = gc.get_freeze_count()
    try:
        with pytest.raises(ImportError), gc_tuning.paused_for_imports():
            assert not gc.isenabled()
            raise ImportError("a module that is not there")
        assert gc.isenabled()
    finally:
        if not frozen:
            gc.unfreeze()  # give the test process its collector back as it was
