"""Hostile conditions, part 1: faults (issue 7). Real HTTP over loopback to the simulator with
its fault injection (``sim.faults``); retry waits are instant and recorded (``Sleeps``).

- a full listing under 5xx, 429 bursts, latency and dropped connections is exact (CLI and TUI)
  and the user sees that it is retrying;
- writes (POST, DELETE) are never retried, whatever the fault; a lost answer is explained;
- an absurd ``Retry-After`` is capped and reported;
- a credential that becomes invalid mid-session (revoked, expired at 00:00 UTC) gives one
  clear screen / one clear error.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from datetime import timedelta

import httpx
import pytest
from hostile_helpers import Sleeps, all_ids, assert_one_clear_error, cli_runner
from textual.widgets import Static
from tui_helpers import FROZEN_NOW, wait_mounted

from tokentui.core.expiry import FrozenClock
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.retry import RetryPolicy
from tokentui.simulator.faults import Decision
from tokentui.tui.app import TokenApp, make_app
from tokentui.tui.screens.confirm import RevokeDialog
from tokentui.tui.screens.outcome import OutcomeDialog
from tokentui.tui.screens.reveal import RevealScreen
from tokentui.tui.screens.unauthorized import UnauthorizedScreen
from tokentui.tui.widgets.token_table import TokenTable

SIZE = (140, 40)
#: Under 20 % 5xx plus drops, 5 attempts per page fail a 100-page listing a few times in a
#: hundred runs; the tests give the retry loop room so they are deterministic. The loop itself
#: (what is retried, what is reported) is the product's.
PATIENT = RetryPolicy(max_attempts=12)
CAROL = 4


def with_429_bursts(sim, every: int = 20, count: int = 3, retry_after: int = 2) -> None:
    """Every ``every``-th request starts a Rack::Attack burst of ``count`` 429s."""
    decide = sim.faults.decide
    seen = 0

    def bursty(method: str, path: str) -> Decision:
        nonlocal seen
        seen += 1
        if seen % every == 0:
            sim.faults.burst_429(count, retry_after=retry_after)
        return decide(method, path)

    sim.faults.decide = bursty


def fail_writes(sim, how: str) -> None:
    """Every POST/DELETE meets the fault ``how``; reads are served normally."""
    decide = sim.faults.decide

    def faulty(method: str, path: str) -> Decision:
        if method in ("POST", "DELETE"):
            if how == "503":
                return Decision(status=503)
            if how == "429":
                return Decision(status=429, retry_after=1)
            if how == "drop_before":
                return Decision(drop_before=True)
            return Decision(drop_after=True)
        return decide(method, path)

    sim.faults.decide = faulty


def writes(sim) -> list:
    return [r for r in sim.request_log if r.method in ("POST", "DELETE", "PUT", "PATCH")]


def header_text(app: TokenApp) -> str:
    return str(app.screen.query_one("#header", Static).render())


async def wait_for(pilot, condition, timeout: float = 240) -> None:
    """Let the app run until ``condition()`` holds. ``timeout`` (seconds) is a bound against
    hanging on a loaded machine, not a speed assertion."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await pilot.pause(0.01)
    await wait_mounted(pilot, deadline)


async def settle(pilot, app: TokenApp) -> None:
    for _ in range(4):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


# --- full listings under faults -----------------------------------------------------------------


@pytest.mark.slow
def test_cli_list_of_10000_tokens_is_exact_under_every_fault(
    sim_factory, monkeypatch, capsys
) -> None:
    sim = sim_factory(tokens=10_000)
    expected = all_ids(sim, sim.admin_token)
    assert len(expected) > 5_000
    sleeps = Sleeps()
    run = cli_runner(monkeypatch, capsys, sim, sleeps=sleeps, retry=PATIENT)
    sim.faults.fail_rate = 0.2
    sim.faults.drop_rate = 0.05
    sim.faults.latency_ms = 20
    with_429_bursts(sim)
    start = len(sim.request_log)
    result = run("list", "--all", "--json")
    sim.faults.reset()
    assert result.code == 0, result.err
    ids = [row["id"] for row in json.loads(result.out)]
    assert len(ids) == len(set(ids)), "a token was listed twice"
    assert sorted(ids) == sorted(expected), "a token is missing"
    # Every kind of fault happened during this listing...
    log = sim.request_log[start:]
    statuses = {r.status for r in log}
    assert {429, 500, 502, 503} <= statuses and any(r.dropped for r in log)
    # ...and each retry was announced on stderr, with the reason, as was each read held back
    # until a 429's window was over (its RateLimit-Remaining said 0: issue 13).
    waits = [line for line in result.err.splitlines() if "retrying" in line or "holding" in line]
    retry_lines = [line for line in waits if "retrying" in line]
    assert len(waits) == len(sleeps.delays) > 10
    assert any("HTTP 50" in line for line in retry_lines)
    assert any("rate limited" in line and "as it asked" in line for line in retry_lines)
    assert any("connection problem" in line for line in retry_lines)
    assert 2.0 in sleeps.delays  # Retry-After honoured


def fault_app(sim, token: str, sleep, *, clock=None, source=("all", None)) -> TokenApp:
    client = GitLabClient(sim.url, token, sleep=sleep, retry=PATIENT)
    return make_app(client, clock=clock or sim.now, source_choice=source)


@pytest.mark.slow
async def test_tui_list_of_3000_tokens_is_exact_under_every_fault(sim_factory) -> None:
    sim = sim_factory(tokens=3_000)
    expected = all_ids(sim, sim.admin_token)
    sim.faults.fail_rate = 0.2
    sim.faults.drop_rate = 0.05
    with_429_bursts(sim)
    sleeps = Sleeps()
    app = fault_app(sim, sim.admin_token, sleeps)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.store.complete or app.store.error is not None)
        await settle(pilot, app)
        assert app.store.error is None
        ids = [t.id for t in app.store.index.tokens]
        assert len(ids) == len(set(ids)) and sorted(ids) == sorted(expected)
        table = app.screen.query_one(TokenTable)
        assert len(table.rows) == len(expected)
        assert f"{len(expected):,} of {len(expected):,} shown" in header_text(app)
    assert len(sleeps.delays) > 5


class GateSleep:
    """A retry wait that blocks until the test has looked at the screen."""

    def __init__(self) -> None:
        import asyncio

        self.waiting = 0
        self.delays: list[float] = []
        self._go = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.waiting += 1
        await self._go.wait()

    def release(self) -> None:
        self._go.set()


async def test_tui_shows_that_it_is_retrying(sim) -> None:
    gate = GateSleep()
    sim.faults.burst_429(1, retry_after=3600)
    app = fault_app(sim, sim.admin_token, gate)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: gate.waiting > 0)
        await pilot.pause()
        # While the client waits, the header says so, and that the wait was capped.
        text = header_text(app)
        assert "retrying" in text and "3600" in text, text
        assert gate.delays == [60]
        gate.release()
        await wait_for(pilot, lambda: app.store.complete)
        await settle(pilot, app)
        assert "retrying" not in header_text(app)


# --- writes are never retried ---------------------------------------------------------------------

WRITE_FAULTS = {
    "503": "HTTP 503",
    "429": "rate limiting",
    "drop_before": "may have",
    "drop_after": "may have",
}


@pytest.mark.parametrize("fault", list(WRITE_FAULTS))
@pytest.mark.parametrize("command", ["create", "rotate", "revoke"])
def test_cli_write_is_sent_once_whatever_the_fault(
    sim, monkeypatch, capsys, command: str, fault: str
) -> None:
    sleeps = Sleeps()
    run = cli_runner(monkeypatch, capsys, sim, sleeps=sleeps)
    victim = sim.issue_token(CAROL, name="victim", scopes=("api",))
    victim_id = sim.token_record(victim).id
    fail_writes(sim, fault)
    argv = {
        "create": ("create", "--user", str(CAROL), "--name", "new-one", "--scope", "read_api"),
        "rotate": ("rotate", str(victim_id)),
        "revoke": ("revoke", str(victim_id), "--yes"),
    }[command]
    result = run(*argv)
    assert_one_clear_error(result, WRITE_FAULTS[fault])
    assert result.out == ""
    assert len(writes(sim)) == 1, writes(sim)
    assert sleeps.delays == []
    if fault.startswith("drop"):
        # Say what to check before trying again.
        assert "check" in result.err.lower()
    happened = {
        "create": any(t.name == "new-one" for t in sim.state.tokens.values()),
        "rotate": sim.state.tokens[victim_id].revoked,
        "revoke": sim.state.tokens[victim_id].revoked,
    }[command]
    assert happened is (fault == "drop_after")


async def select_token(pilot, app: TokenApp, token_id: int) -> None:
    table = app.screen.query_one(TokenTable)
    assert table.select_token(token_id), f"token {token_id} not in the table"
    await pilot.pause()


@pytest.mark.parametrize("fault", ["503", "drop_after"])
async def test_tui_revoke_is_sent_once_and_a_lost_answer_reloads(frozen_sim, fault: str) -> None:
    sim = frozen_sim
    value = sim.issue_token(CAROL, name="victim", scopes=("api",))
    token_id = sim.token_record(value).id
    sleeps = Sleeps()
    app = fault_app(
        sim, sim.admin_token, sleeps, clock=FrozenClock(FROZEN_NOW), source=("user", str(CAROL))
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await select_token(pilot, app, token_id)
        fail_writes(sim, fault)
        lists_before = len(sim.requests("GET", "personal_access_tokens"))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, RevokeDialog))
        await pilot.press("x")
        await settle(pilot, app)
        messages = [n.message for n in app._notifications]
        if fault == "drop_after":
            # Read back: the dialog says what the server did.
            assert isinstance(app.screen, OutcomeDialog), messages
            assert "was revoked" in app.screen.verdict.text
            # The view was reloaded from the server, which did revoke it.
            assert len(sim.requests("GET", "personal_access_tokens")) > lists_before
            assert app.store.get(token_id).revoked
        else:
            assert any("503" in m for m in messages), messages
            assert not app.store.get(token_id).revoked
        assert sim.state.tokens[token_id].revoked is (fault == "drop_after")
        assert not isinstance(app.screen, RevealScreen)
    assert len(writes(sim)) == 1
    assert sleeps.delays == []


# --- an absurd Retry-After ------------------------------------------------------------------------


def test_cli_absurd_retry_after_is_capped_and_reported(sim, monkeypatch, capsys) -> None:
    sleeps = Sleeps()
    run = cli_runner(monkeypatch, capsys, sim, sleeps=sleeps)
    sim.faults.burst_429(2, retry_after=3 * 3600)
    result = run("list", "--mine", "--json")
    assert result.code == 0, result.err
    assert sleeps.delays == [60, 60]
    lines = [line for line in result.err.splitlines() if "retrying" in line or "wait" in line]
    assert len(lines) == 2
    assert all("10800 s" in line and "at most 60 s" in line for line in lines), lines


def test_cli_rate_limit_that_never_ends_is_one_clear_error(sim, monkeypatch, capsys) -> None:
    sleeps = Sleeps()
    run = cli_runner(monkeypatch, capsys, sim, sleeps=sleeps)
    sim.faults.burst_429(50, retry_after=3600)
    result = run("list", "--mine")
    assert_one_clear_error(result, "rate limiting", "3600 s")
    assert len(sleeps.delays) == RetryPolicy().max_attempts - 1
    assert max(sleeps.delays) == 60


# --- the credential becomes invalid mid-session -------------------------------------------------


def error_notifications(app: TokenApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


async def test_tui_credential_expiring_at_midnight_utc_shows_one_clear_screen(
    sim_factory,
) -> None:
    clock = FrozenClock(FROZEN_NOW)
    sim = sim_factory(clock=clock)
    tomorrow = FROZEN_NOW.date() + timedelta(days=1)
    value = sim.issue_token(CAROL, name="expires-tonight", scopes=("api",), expires_at=tomorrow)
    app = fault_app(sim, value, Sleeps(), clock=clock, source=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.viewer is not None and app.viewer.id == CAROL
        assert not isinstance(app.screen, UnauthorizedScreen)
        # Midnight UTC: the server (same clock) now refuses the token.
        clock.set(FROZEN_NOW.replace(hour=0) + timedelta(days=1))
        app.screen.tick()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, UnauthorizedScreen))
        await settle(pilot, app)
        text = str(app.screen.query_one("#unauthorized-text", Static).render())
        assert "has expired" in text and "tokentui auth login" in text
        # More activity (another reload, ticks) adds nothing: one screen, no error stream.
        for _ in range(3):
            app.reload()
            await settle(pilot, app)
        stack = [s for s in app.screen_stack if isinstance(s, UnauthorizedScreen)]
        assert len(stack) == 1
        assert error_notifications(app) == []
        await pilot.press("q")
    assert app.return_code == 2


async def test_tui_credential_revoked_elsewhere_mid_session(frozen_sim) -> None:
    sim = frozen_sim
    value = sim.issue_token(CAROL, name="revoked-elsewhere", scopes=("api",))
    app = fault_app(sim, value, Sleeps(), clock=FrozenClock(FROZEN_NOW), source=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        sim.state.tokens[sim.token_record(value).id].revoked = True  # revoked in the web UI
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, UnauthorizedScreen))
        await pilot.press("ctrl+r", "r", "n")  # keys of the main screen do nothing here
        await settle(pilot, app)
        text = str(app.screen.query_one("#unauthorized-text", Static).render())
        assert "has been revoked" in text and "tokentui auth login" in text
        assert error_notifications(app) == []
        assert len(writes(sim)) == 0


def test_cli_credential_expiring_at_midnight_is_one_clear_error(
    sim_factory, monkeypatch, capsys
) -> None:
    clock = FrozenClock(FROZEN_NOW)
    sim = sim_factory(clock=clock)
    tomorrow = FROZEN_NOW.date() + timedelta(days=1)
    value = sim.issue_token(CAROL, name="expires-tonight", scopes=("api",), expires_at=tomorrow)
    run = cli_runner(monkeypatch, capsys, sim)
    assert run("list", "--mine", token=value).code == 0
    clock.set(FROZEN_NOW.replace(hour=0) + timedelta(days=1))
    result = run("list", "--mine", token=value)
    assert_one_clear_error(result, "expired", "tokentui auth login")


def test_cli_credential_revoked_elsewhere_is_one_clear_error(sim, monkeypatch, capsys) -> None:
    value = sim.issue_token(CAROL, name="revoked-elsewhere", scopes=("api",))
    run = cli_runner(monkeypatch, capsys, sim)
    assert run("list", "--mine", token=value).code == 0
    sim.state.tokens[sim.token_record(value).id].revoked = True
    result = run("list", "--mine", token=value)
    assert_one_clear_error(result, "revoked", "tokentui auth login")


async def test_tui_rotate_with_a_credential_rotated_elsewhere_sends_no_rotate(frozen_sim) -> None:
    import httpx

    sim = frozen_sim
    value = sim.issue_token(CAROL, name="session", scopes=("api",))
    target = sim.token_record(sim.issue_token(CAROL, name="target", scopes=("api",))).id
    app = fault_app(sim, value, Sleeps(), clock=FrozenClock(FROZEN_NOW), source=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await select_token(pilot, app, target)
        # Another machine rotates the session's credential: the value in use is now revoked.
        response = httpx.post(
            f"{sim.url}/api/v4/personal_access_tokens/self/rotate",
            headers={"PRIVATE-TOKEN": value},
            timeout=10,
        )
        elsewhere = response.json()["token"]
        posts = len(sim.requests("POST"))
        await pilot.press("r")
        await settle(pilot, app)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, UnauthorizedScreen))
        # The other machine's new value survives: no rotate was sent with the revoked one.
        assert len(sim.requests("POST")) == posts
        assert sim.token_record(elsewhere).active(sim.today())
        assert not sim.state.tokens[target].revoked


def test_cli_rotate_with_a_credential_rotated_elsewhere_sends_no_rotate(
    sim, monkeypatch, capsys
) -> None:
    import httpx

    value = sim.issue_token(CAROL, name="session", scopes=("api",))
    target = sim.token_record(sim.issue_token(CAROL, name="target", scopes=("api",))).id
    elsewhere = httpx.post(
        f"{sim.url}/api/v4/personal_access_tokens/self/rotate",
        headers={"PRIVATE-TOKEN": value},
        timeout=10,
    ).json()["token"]
    posts = len(sim.requests("POST"))
    run = cli_runner(monkeypatch, capsys, sim)
    result = run("rotate", str(target), token=value)
    assert_one_clear_error(result, "revoked", "tokentui auth login")
    assert len(sim.requests("POST")) == posts
    assert sim.token_record(elsewhere).active(sim.today())
    assert not sim.state.tokens[target].revoked


class HeldPages(httpx.AsyncBaseTransport):
    """Real HTTP, except that token-list pages after the first wait for :meth:`release`."""

    def __init__(self) -> None:
        self._http = httpx.AsyncHTTPTransport()
        self._go = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("_access_tokens") and page_of(request.url.query) > 1:
            await self._go.wait()
        return await self._http.handle_async_request(request)

    def release(self) -> None:
        self._go.set()

    async def aclose(self) -> None:
        await self._http.aclose()


def page_of(query: str | bytes) -> int:
    text = query.decode() if isinstance(query, bytes) else query
    found = re.search(r"(?:^|&)page=(\d+)", text)
    return int(found.group(1)) if found else 1


@pytest.mark.slow
async def test_tui_stays_responsive_while_a_slow_server_streams_pages(sim_factory) -> None:
    sim = sim_factory(tokens=3_000)
    expected = all_ids(sim, sim.admin_token)
    sim.faults.latency_ms = 200
    held = HeldPages()
    client = GitLabClient(sim.url, sim.admin_token, sleep=Sleeps(), retry=PATIENT, transport=held)
    app = make_app(client, clock=sim.now, source_choice=("all", None))
    start = len(sim.request_log)

    def pages_served() -> set[int]:
        """The token-list pages the simulator has answered to the app."""
        return {
            page_of(r.query)
            for r in sim.request_log[start:]
            if r.path.endswith("/personal_access_tokens") and r.status == 200
        }

    try:
        async with app.run_test(size=SIZE) as pilot:
            # The first page is on screen while the rest is still loading...
            await wait_for(pilot, lambda: app.store.loaded > 0)
            assert app.store.loading
            assert " of " in header_text(app)  # "100 of 3,xxx"
            # ...and keys work meanwhile: the sort changes while the other pages are still
            # to come (the simulator has served page 1 only).
            await pilot.press("s")
            await wait_for(pilot, lambda: app.store.sort_key.value != "urgency")
            assert app.store.loading
            assert pages_served() == {1}
            held.release()
            await wait_for(pilot, lambda: app.store.complete)
            await settle(pilot, app)
            assert pages_served() == set(range(1, math.ceil(len(expected) / 100) + 1))
            assert sorted(t.id for t in app.store.index.tokens) == sorted(expected)
    finally:
        held.release()
