"""Shared fixtures. The simulator part is owned by the simulator; others append fixtures in the
marked section at the end.

``sim``: a fresh :class:`~tokentui.simulator.Simulator` per test (seed 1, 300 tokens, real
clock) served over real loopback HTTP at ``sim.url``. One uvicorn server runs for the whole
session; its ASGI app forwards to the current test's simulator, so a test pays only for seeding.

``sim_factory(**config, clock=None)``: the same for a custom configuration (e.g. a big
``tokens`` or ``frozen_now`` as clock); the last simulator made is the one served.

``frozen_now`` / ``FROZEN_NOW``: 2026-11-23T12:00:00Z, for deterministic data:
``sim_factory(clock=lambda: FROZEN_NOW)`` or the ``frozen_sim`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from tokentui.simulator import Dispatcher, Simulator, SimulatorConfig
from tokentui.simulator.server import BackgroundServer

FROZEN_NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
SIM_TOKENS = 300


@pytest.fixture(scope="session")
def _sim_server() -> Iterator[tuple[Dispatcher, str]]:
    dispatcher = Dispatcher()
    server = BackgroundServer(dispatcher)
    url = server.start()
    try:
        yield dispatcher, url
    finally:
        server.stop()


SimFactory = Callable[..., Simulator]


@pytest.fixture
def sim_factory(_sim_server: tuple[Dispatcher, str]) -> Iterator[SimFactory]:
    """Make a served simulator: ``sim_factory(tokens=20_000, clock=..., fail_rate=...)``."""
    dispatcher, url = _sim_server

    def make(clock: Callable[[], datetime] | None = None, **config: object) -> Simulator:
        config.setdefault("seed", 1)
        config.setdefault("tokens", SIM_TOKENS)
        simulator = Simulator(SimulatorConfig(**config), clock=clock)  # type: ignore[arg-type]
        simulator.url = url
        dispatcher.target = simulator.app
        return simulator

    yield make
    dispatcher.target = None


@pytest.fixture
def sim(sim_factory: SimFactory) -> Simulator:
    """A fresh seeded simulator served on loopback HTTP (``sim.url``)."""
    return sim_factory()


@pytest.fixture
def frozen_now() -> datetime:
    """The frozen test clock: 2026-11-23T12:00:00Z."""
    return FROZEN_NOW


@pytest.fixture
def frozen_sim(sim_factory: SimFactory) -> Simulator:
    """Like ``sim`` but with the clock frozen at ``FROZEN_NOW``."""
    return sim_factory(clock=lambda: FROZEN_NOW)


# ---- fixtures added by other parts go below this line --------------------------------------

# ---- client fixtures (owned by the client: tokentui/gitlab/client.py) -----------------------
# ``admin_client`` (root), ``user_client`` (alice), ``maintainer_client`` (bob): a GitLabClient
# on ``sim.url`` with that credential. Retry waits are instant (``instant_sleep``), so tests that
# meet 429/5xx never sleep for real.


async def instant_sleep(delay: float) -> None:
    """A ``sleep`` for :class:`GitLabClient` that does not wait."""


@pytest.fixture
async def admin_client(sim: Simulator):
    """A client for ``sim`` as root (admin)."""
    from tokentui.gitlab.client import GitLabClient

    async with GitLabClient(sim.url, sim.admin_token, sleep=instant_sleep) as client:
        yield client


@pytest.fixture
async def user_client(sim: Simulator):
    """A client for ``sim`` as alice (a regular user)."""
    from tokentui.gitlab.client import GitLabClient

    async with GitLabClient(sim.url, sim.user_token, sleep=instant_sleep) as client:
        yield client


@pytest.fixture
async def maintainer_client(sim: Simulator):
    """A client for ``sim`` as bob (Maintainer of platform/api, Owner of group platform)."""
    from tokentui.gitlab.client import GitLabClient

    async with GitLabClient(sim.url, sim.maintainer_token, sleep=instant_sleep) as client:
        yield client


# ---- credential fixtures (owned by credentials: tokentui/core/config.py, core/credentials.py) ----
# Autouse: every test gets TOKENTUI_CONFIG_DIR in tmp_path and an in-memory keyring, so no test
# touches the real keyring or config directory. ``config_home`` (also no GITLAB_* variables),
# ``memory_keyring`` (the in-memory backend, can be told to fail), ``no_keyring`` (the ``fail``
# backend, as on a headless machine).
from credential_fixtures import (  # noqa: E402, F401
    _isolated_credentials,
    config_home,
    memory_keyring,
    no_keyring,
)
