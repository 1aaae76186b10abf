"""The command line's parser: a run imports the module of the command it runs only (the TUI
none), and reads the same as with every command's module: the same commands, help and
errors (``cli/main.py``, ``COMMANDS``)."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

import pytest

from tokentui.cli import main


def _choices(parser: argparse.ArgumentParser) -> list[str]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(actions[0].choices) if actions else []


def test_the_table_names_what_each_module_registers() -> None:
    for module_name in set(main.COMMANDS.values()):
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(f"tokentui.cli.commands.{module_name}").register(sub)
        expected = [c for c, m in main.COMMANDS.items() if m == module_name]
        assert _choices(parser) == expected, module_name
    assert _choices(main.build_parser()) == list(main.COMMANDS)


def _command_modules_after(argv: list[str]) -> list[str]:
    """The command modules a fresh interpreter has imported once ``argv`` is parsed."""
    code = (
        "import json, sys\n"
        "from tokentui.cli import main\n"
        f"main.parse({argv!r})\n"
        "print(json.dumps(sorted(m.rsplit('.', 1)[1] for m in sys.modules "
        "if m.startswith('tokentui.cli.commands.'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(done.stdout)


def test_a_run_imports_the_module_of_its_command_only() -> None:
    tui_start = _command_modules_after(["--url", "https://gitlab.example.com", "--all"])
    assert "tui" in tui_start
    assert not {"tokens", "audit", "digest", "identify", "deliver", "simulate"} & set(tui_start)
    listing = _command_modules_after(["--url", "https://gitlab.example.com", "list", "--all"])
    assert "tokens" in listing
    assert not {"audit", "digest", "identify", "deliver", "simulate"} & set(listing)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["-h", "list"],
        ["list", "--help"],
        ["lst"],
        ["--url"],
        ["--url", "https://x", "lst"],
        ["list", "--bogus"],
        ["--bogus"],
        ["rotate"],
        ["--version"],
    ],
)
def test_help_and_errors_read_as_with_every_command(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as full_exit:
        main.build_parser().parse_args(argv)
    full = capsys.readouterr()
    with pytest.raises(SystemExit) as narrowed_exit:
        main.parse(argv)
    narrowed = capsys.readouterr()
    assert (narrowed_exit.value.code, narrowed.out, narrowed.err) == (
        full_exit.value.code,
        full.out,
        full.err,
    )


def test_arguments_parse_as_with_every_command() -> None:
    for argv in (
        ["--url", "https://x", "--all"],
        ["list", "--everything", "--kind", "deploy", "--json"],
        ["--profile", "list"],  # a profile named like a command
        ["rotate", "12", "--dry-run"],
    ):
        assert vars(main.parse(argv)) == vars(main.build_parser().parse_args(argv))
