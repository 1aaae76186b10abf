"""The client honours GitLab's rate limits (``tokentui/gitlab/rate_limit.py``): against the
simulator's per-credential throttle (``SimulatorConfig(rate_limit=N)``), many concurrent reads
finish exactly and the simulator never counts more than N requests of the credential in a
window: the client holds requests back instead of running into 429s, counting those in
flight. ``max_rate`` spaces requests. One fake clock drives the simulator's windows and the
client's waits, so nothing sleeps for real."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from conftest import FROZEN_NOW

from tokentui.gitlab.client import CreateTokenRequest, GitLabClient
from tokentui.gitlab.rate_limit import RateGate
from tokentui.gitlab.sources import PersonalTokens

LIMIT = 10


class FakeTime:
    """The simulator's clock (a datetime), the client's clock (epoch seconds) and a ``sleep``
    that moves them on instead of waiting."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def epoch(self) -> float:
        return self.now.timestamp()

    async def sleep(self, delay: float) -> None:
        self.slept.append(delay)
        target = self.now + timedelta(seconds=delay)
        self.now = max(self.now, target)  # sleepers with the same target move it once
        await asyncio.sleep(0)


def client(sim, fake: FakeTime, token: str, hooks: list | None = None, **kw) -> GitLabClient:
    def on_retry(attempt: int, delay: float, reason: str) -> None:
        if hooks is not None:
            hooks.append((attempt, delay, reason))

    gl = GitLabClient(sim.url, token, sleep=fake.sleep, clock=fake.epoch, on_retry=on_retry, **kw)
    if hooks is not None:
        gl.on_retry_end = lambda: hooks.append("end")
    return gl


async def test_concurrent_reads_finish_exactly_and_never_exceed_the_limit(sim_factory) -> None:
    fake = FakeTime(FROZEN_NOW + timedelta(seconds=7))
    sim = sim_factory(clock=fake, tokens=1_000, rate_limit=LIMIT)
    hooks: list = []
    async with client(sim, fake, sim.admin_token, hooks) as gl:
        # A token list of 10 pages fetched 16 at a time, and 40 single reads, all at once.
        listing = gl.list_tokens(PersonalTokens())
        projects = [gl.get_project(1 + n % 3) for n in range(20)]
        users = [gl.get_user(1 + n % 5) for n in range(20)]
        tokens, *singles = await asyncio.gather(listing, *projects, *users)
    assert [t.id for t in tokens] == sorted(sim.state.tokens)
    assert [p.id for p in singles[:20]] == [1 + n % 3 for n in range(20)]
    assert [u.id for u in singles[20:]] == [1 + n % 5 for n in range(20)]
    # The simulator counted every request of the credential: never more than the limit in a
    # window, and not one 429 (the client held back instead of knocking).
    assert sim.rate_limits.most_in_a_window() <= LIMIT
    assert sim.rate_limits.throttled() == 0
    windows = sim.rate_limits.windows(sim.admin_token)
    assert sum(w.requests for w in windows) == len(sim.requests()) >= 50
    assert len(windows) >= 5  # the limit did bite: the reads took several windows
    # Holding was said through the retry hooks: attempt 1 (no retry), each hold ended once.
    holds = [h for h in hooks if h != "end"]
    assert holds and all(h[0] == 1 and "rate limit" in h[2] for h in holds)
    assert hooks.count("end") == len(holds)


async def test_a_write_is_held_until_the_reset_and_sent_once(sim_factory) -> None:
    fake = FakeTime(FROZEN_NOW + timedelta(seconds=50))
    sim = sim_factory(clock=fake, tokens=30, rate_limit=3)
    hooks: list = []
    async with client(sim, fake, sim.admin_token, hooks) as gl:
        for _ in range(3):
            await gl.current_user()
        created = await gl.create_token(
            PersonalTokens(user_id=2),
            CreateTokenRequest("held-back", ("read_api",)),
            viewer_is_admin=True,
        )
    assert created.name == "held-back"
    assert len(sim.requests("POST")) == 1 and sim.rate_limits.throttled() == 0
    assert fake.now >= FROZEN_NOW + timedelta(seconds=60)  # it waited for the next window
    assert [h if h == "end" else h[0] for h in hooks] == [1, "end"]


async def test_reads_answered_429_wait_and_are_retried(sim_factory) -> None:
    """A 429 the client could not see coming (Rack::Attack's, injected): the read waits
    ``Retry-After`` and is retried; the other reads wait for the window's end too."""
    fake = FakeTime(FROZEN_NOW)
    sim = sim_factory(clock=fake, tokens=300)
    sim.faults.burst_429(2, retry_after=5)
    hooks: list = []
    async with client(sim, fake, sim.admin_token, hooks) as gl:
        tokens = await gl.list_tokens(PersonalTokens())
    assert [t.id for t in tokens] == sorted(sim.state.tokens)
    assert [r.status for r in sim.requests()].count(429) == 2
    assert 5.0 in fake.slept
    retries = [h for h in hooks if h != "end"]
    assert any(attempt == 2 and "as it asked" in reason for attempt, _, reason in retries)


async def test_max_rate_spaces_requests(sim_factory) -> None:
    fake = FakeTime(FROZEN_NOW)
    sim = sim_factory(clock=fake, tokens=30)
    async with client(sim, fake, sim.admin_token, max_rate=5) as gl:
        await asyncio.gather(*(gl.get_project(1) for _ in range(21)))
    assert len(sim.requests("GET")) == 21
    # 21 requests at 5 a second: the last one went at least 4 s after the first.
    assert fake.now - FROZEN_NOW >= timedelta(seconds=4)


async def test_the_scans_max_rate_reaches_the_clients_gate(sim_factory) -> None:
    """``--max-rate`` of the everything scan (``core.everything.apply_max_rate``) spaces the
    requests of a client made without one."""
    from tokentui.core.everything import apply_max_rate

    fake = FakeTime(FROZEN_NOW)
    sim = sim_factory(clock=fake, tokens=30)
    async with client(sim, fake, sim.admin_token) as gl:
        apply_max_rate(gl, 5)
        await asyncio.gather(*(gl.get_project(1) for _ in range(21)))
    assert len(sim.requests("GET")) == 21
    assert fake.now - FROZEN_NOW >= timedelta(seconds=4)


async def test_a_request_cancelled_while_spaced_out_is_not_left_in_flight() -> None:
    sleeping = asyncio.Event()

    async def stuck(delay: float) -> None:
        sleeping.set()
        await asyncio.Event().wait()

    gate = RateGate(clock=lambda: 1000.0, sleep=stuck, max_rate=1)
    first = await gate.enter()
    second = asyncio.create_task(gate.enter())
    await sleeping.wait()
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    assert gate.in_flight == 1
    gate.leave(first, None)
    assert gate.in_flight == 0


def test_max_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_rate must be a positive number"):
        GitLabClient("http://127.0.0.1:1", "x", max_rate=0)
