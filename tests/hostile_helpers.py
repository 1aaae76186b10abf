"""Helpers shared by the ``test_hostile_*`` files (faults, bad input, secrets, endurance).

``cli_runner(monkeypatch, capsys, sim)`` gives ``run(*argv, token=..., url=...)``: the real
scripting CLI in process against the served simulator, with GITLAB_HOST/GITLAB_TOKEN set. The
only change to the product's wiring is what a test must control: retry waits are recorded and
instant (``Sleeps``), and optionally the retry budget and timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tokentui.cli.main import main
from tokentui.core import session
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.retry import RetryPolicy

#: Control characters no rendered output may contain (ESC, BEL, C1 CSI/OSC/ST, NUL).
TERMINAL_CONTROLS = ("\x1b", "\x07", "\x9b", "\x9d", "\x9c", "\x00")


@dataclass
class Result:
    """Exit code and captured output of one CLI run."""

    code: int
    out: str
    err: str

    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("tokentui: error:")]


@dataclass
class Sleeps:
    """A ``sleep`` for GitLabClient that records each delay and returns at once."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


Run = Callable[..., Result]


def cli_runner(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sim,
    *,
    sleeps: Sleeps | None = None,
    retry: RetryPolicy | None = None,
    timeout: float = 30.0,
) -> Run:
    """``run(*argv, token=None, url=None)``: tokentui's CLI in process (admin token by default)."""
    for name in ("GITLAB_TOKEN", "GITLAB_HOST", "TOKENTUI_PROFILE", "NO_COLOR", "TOKENTUI_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    wait = sleeps if sleeps is not None else Sleeps()

    def client(self: session.Connection) -> GitLabClient:
        return GitLabClient(
            self.url, self.token, tls=self.tls, sleep=wait, retry=retry, timeout=timeout
        )

    monkeypatch.setattr(session.Connection, "client", client)

    def run(*argv: str, token: str | None = None, url: str | None = None) -> Result:
        monkeypatch.setenv("GITLAB_HOST", sim.url if url is None else url)
        monkeypatch.setenv("GITLAB_TOKEN", sim.admin_token if token is None else token)
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def assert_one_clear_error(result: Result, *fragments: str) -> None:
    """Exit 2, exactly one ``tokentui: error:`` line holding every fragment, no traceback."""
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err and "Traceback" not in result.out
    lines = result.error_lines()
    assert len(lines) == 1, result.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def all_ids(sim, token: str, path: str = "/personal_access_tokens") -> list[int]:
    """Every token id the server lists, read straight from its state (not through tokentui)."""
    import httpx

    ids: list[int] = []
    page = 1
    while page:
        response = httpx.get(
            f"{sim.url}/api/v4{path}",
            headers={"PRIVATE-TOKEN": token},
            params={"per_page": 100, "page": page},
            timeout=30,
        )
        response.raise_for_status()
        ids.extend(item["id"] for item in response.json())
        page = int(response.headers.get("X-Next-Page") or 0)
    return ids
