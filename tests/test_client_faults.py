"""Pagination at size and under faults, against simulators of the sizes each test needs, served
over loopback: exact listings, no retried write, a lost rotate is OutcomeUnknown and sent once."""

from __future__ import annotations

from contextlib import aclosing

import pytest

from tokentui.gitlab import errors
from tokentui.gitlab.client import CreateTokenRequest, GitLabClient
from tokentui.gitlab.retry import RetryPolicy
from tokentui.gitlab.sources import PersonalTokens
from tokentui.simulator.simulator import Simulator

ALICE = 2


class Waits:
    """Instant sleep that records what the client asked for, plus the retry hook's calls."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.hook: list[tuple[int, float, str]] = []

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)

    def on_retry(self, attempt: int, delay: float, reason: str) -> None:
        self.hook.append((attempt, delay, reason))


@pytest.fixture
def served(sim_factory):
    """``served(tokens)`` -> a served simulator of that size (the session's loopback server)."""
    return lambda tokens: sim_factory(tokens=tokens, seed=7)


def client(sim: Simulator, waits: Waits, **kw) -> GitLabClient:
    return GitLabClient(sim.url, sim.admin_token, sleep=waits.sleep, on_retry=waits.on_retry, **kw)


async def test_250_tokens_come_back_exactly_once(served) -> None:
    sim = served(250)
    waits = Waits()
    async with client(sim, waits) as gl:
        pages = []
        async with aclosing(gl.iter_token_pages(PersonalTokens())) as iterator:
            async for page in iterator:
                pages.append(page)
    ids = [t.id for p in pages for t in p.items]
    assert len(ids) == len(set(ids)) == 250
    assert ids == sorted(sim.state.tokens)  # GitLab's default order: id ascending
    assert [(p.page, p.total, p.total_pages) for p in pages] == [
        (1, 250, 3),
        (2, 250, 3),
        (3, 250, 3),
    ]
    listed = sim.requests("GET", "/personal_access_tokens")
    assert sorted(r.query for r in listed) == sorted(f"page={n}&per_page=100" for n in (1, 2, 3))


@pytest.mark.slow
async def test_above_10000_rows_without_totals(served) -> None:
    sim = served(10_234)
    waits = Waits()
    async with client(sim, waits, concurrency=4) as gl:
        pages = []
        async with aclosing(gl.iter_token_pages(PersonalTokens())) as iterator:
            async for page in iterator:
                pages.append(page)
    assert pages[0].total is None and pages[0].total_pages is None
    ids = [t.id for p in pages for t in p.items]
    assert ids == sorted(sim.state.tokens)
    assert len(ids) == 10_234
    assert [p.page for p in pages] == list(range(1, 104))


async def test_1000_tokens_exact_under_5xx_and_429_bursts(served) -> None:
    sim = served(1000)
    waits = Waits()
    sim.faults.fail_rate = 0.2
    sim.faults.burst_429(3, retry_after=2)
    async with client(sim, waits, retry=RetryPolicy(max_attempts=12)) as gl:
        tokens = await gl.list_tokens(PersonalTokens())
    sim.faults.reset()
    ids = [t.id for t in tokens]
    assert ids == sorted(sim.state.tokens) and len(ids) == 1000
    statuses = [r.status for r in sim.requests("GET", "/personal_access_tokens")]
    assert statuses.count(429) == 3
    assert any(s in (500, 502, 503) for s in statuses)
    assert len(waits.hook) == len(statuses) - 10  # one retry per failed answer
    assert 2.0 in waits.delays  # Retry-After honoured
    assert all(attempt >= 2 for attempt, _, _ in waits.hook)


async def test_failed_post_is_not_retried(served) -> None:
    sim = served(50)
    waits = Waits()
    sim.faults.fail_rate = 1.0
    async with client(sim, waits) as gl:
        with pytest.raises(errors.ServerError):
            await gl.create_token(
                PersonalTokens(user_id=ALICE),
                CreateTokenRequest("never-twice", ("api",)),
                viewer_is_admin=True,
            )
        sim.faults.reset()
        sim.faults.burst_429(1)
        with pytest.raises(errors.RateLimited):
            await gl.revoke_token(PersonalTokens(user_id=ALICE), 5)
    assert len(sim.requests("POST", f"/users/{ALICE}/personal_access_tokens")) == 1
    assert len(sim.requests("DELETE", "/personal_access_tokens/5")) == 1
    assert waits.hook == [] and waits.delays == []


async def test_dropped_rotate_is_outcome_unknown_and_sent_once(served) -> None:
    sim = served(50)
    waits = Waits()
    value = sim.issue_token(ALICE, name="drop-me", scopes=["api"])
    record = sim.token_record(value)
    sim.faults.drop_after_action("POST", r"/rotate$")
    async with client(sim, waits) as gl:
        with pytest.raises(errors.OutcomeUnknown) as info:
            await gl.rotate_token(PersonalTokens(user_id=ALICE), record.id)
        assert "may have happened" in str(info.value)
        # It did happen: the old token is revoked and a successor exists.
        assert (await gl.get_token(PersonalTokens(), record.id)).revoked
    rotates = sim.requests("POST", f"/personal_access_tokens/{record.id}/rotate")
    assert len(rotates) == 1 and rotates[0].dropped
    assert waits.hook == []


async def test_dropped_reads_are_retried(served) -> None:
    sim = served(300)
    waits = Waits()
    sim.faults.drop_rate = 0.3
    async with client(sim, waits, retry=RetryPolicy(max_attempts=12)) as gl:
        tokens = await gl.list_tokens(PersonalTokens())
    sim.faults.reset()
    assert [t.id for t in tokens] == sorted(sim.state.tokens)
    dropped = [r for r in sim.requests("GET") if r.dropped]
    assert len(waits.hook) == len(dropped)


async def test_each_retried_read_reports_its_end_once(served) -> None:
    """``on_retry`` for every retry, ``on_retry_end`` once per retried read, whether it was
    answered in the end or not (a UI counts the reads still waiting)."""
    sim = served(10)
    waits = Waits()
    ended: list[int] = []
    async with client(sim, waits, retry=RetryPolicy(max_attempts=3)) as gl:
        gl.on_retry_end = lambda: ended.append(len(waits.hook))
        sim.faults.burst_429(2, retry_after=1)
        await gl.current_user()  # 429, 429, then answered
        assert ended == [2]
        await gl.current_user()  # answered at once: no retry, no end
        assert ended == [2]
        sim.faults.burst_429(3, retry_after=1)
        with pytest.raises(errors.RateLimited):
            await gl.current_user()  # three 429s: given up
    assert ended == [2, 4]
