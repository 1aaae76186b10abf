"""Running ``tokentui`` in process for the CLI tests: a clean environment, the command's exit
code and output, and no traceback ever."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tokentui.cli.main import main


@dataclass
class Run:
    """One command's exit code and output."""

    code: int
    out: str
    err: str

    @property
    def first(self) -> str:
        return self.out.splitlines()[0]

    @property
    def rest(self) -> list[str]:
        return self.out.splitlines()[1:]


def clean_environment(monkeypatch: pytest.MonkeyPatch, config_dir: Path) -> None:
    """No token, host, profile or NO_COLOR from the machine; configuration in ``config_dir``."""
    for name in ("GITLAB_TOKEN", "GITLAB_HOST", "TOKENTUI_PROFILE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOKENTUI_CONFIG_DIR", str(config_dir))


def run_tokentui(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    *,
    url: str,
    token: str | None,
    stdin: str | None = None,
) -> Run:
    """``tokentui *argv`` against ``url`` with ``token`` (None: no GITLAB_TOKEN) and, if
    given, ``stdin``; a usage error's SystemExit is its exit code."""
    monkeypatch.setenv("GITLAB_HOST", url)
    if token is None:
        monkeypatch.delenv("GITLAB_TOKEN", raising=False)
    else:
        monkeypatch.setenv("GITLAB_TOKEN", token)
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return Run(code, out, err)
