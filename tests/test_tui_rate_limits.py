"""The TUI while GitLab's rate limit holds its requests back: the header says so (through the
client's retry hooks) and clears when the list has arrived; the simulator never counted more
than the limit."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from textual.widgets import Static
from tui_helpers import FROZEN_NOW, wait_for

from tokentui.gitlab.client import GitLabClient
from tokentui.tui.app import make_app


class FakeTime:
    """The simulator's clock and the client's; ``sleep`` blocks until :meth:`release`, then
    moves the clock on by the delay instead of waiting."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.delays: list[float] = []
        self._go = asyncio.Event()

    def __call__(self) -> datetime:
        return self.now

    def epoch(self) -> float:
        return self.now.timestamp()

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        await self._go.wait()
        self.now = max(self.now, self.now + timedelta(seconds=delay))

    def release(self) -> None:
        self._go.set()


def header_text(app) -> str:
    return str(app.screen.query_one("#header", Static).render())


async def test_the_header_says_requests_are_held_until_the_limit_resets(sim_factory) -> None:
    fake = FakeTime(FROZEN_NOW + timedelta(seconds=30))
    sim = sim_factory(clock=fake, tokens=450, rate_limit=3)
    client = GitLabClient(sim.url, sim.admin_token, sleep=fake.sleep, clock=fake.epoch)
    app = make_app(client, clock=fake, source_choice=("all", None))
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: fake.delays)
        await wait_for(pilot, lambda: "holding requests" in header_text(app))
        text = header_text(app)
        assert "rate limit is nearly used up" in text and "retrying" not in text, text
        fake.release()
        await wait_for(pilot, lambda: app.store.complete)
        await wait_for(pilot, lambda: "holding" not in header_text(app))
        assert app.store.loaded == len(sim.state.tokens)
    assert sim.rate_limits.most_in_a_window() <= 3
    assert sim.rate_limits.throttled() == 0
