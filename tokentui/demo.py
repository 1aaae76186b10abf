"""``tokentui --demo``: the bundled simulator in process, the app signed in as its admin.

No network and no configuration: the client talks to the simulator's ASGI app through
``httpx.ASGITransport``. The same clock drives the simulator's seeded dates and the app's
countdowns, so a frozen clock gives the same screen every time (tests, screenshots).
"""

from __future__ import annotations

import httpx

from tokentui.app import TokenApp, make_app
from tokentui.expiry import Clock, system_clock
from tokentui.gitlab.client import GitLabClient
from tokentui.simulator import Simulator, SimulatorConfig

#: The demo's base URL (never resolved: requests go to the in-process transport).
DEMO_URL = "http://gitlab.demo.invalid"


def demo_simulator(*, clock: Clock | None = None, tokens: int = 200, seed: int = 1) -> Simulator:
    """A seeded simulator for the demo."""
    return Simulator(SimulatorConfig(seed=seed, tokens=tokens), clock=clock or system_clock)


def demo_client(sim: Simulator, *, as_user: str = "admin") -> GitLabClient:
    """A client talking to ``sim`` in process, as root (``admin``), alice (``user``) or bob
    (``maintainer``)."""
    token = {
        "admin": sim.admin_token,
        "user": sim.user_token,
        "maintainer": sim.maintainer_token,
    }[as_user]
    return GitLabClient(DEMO_URL, token, transport=httpx.ASGITransport(app=sim.app))


def make_demo_app(
    *,
    clock: Clock | None = None,
    tokens: int = 200,
    source_choice: tuple[str, str | None] | None = None,
    simulator: Simulator | None = None,
) -> TokenApp:
    """The demo app: simulator in process, signed in as its admin, a visible DEMO marker.

    The simulator is reachable as ``app.simulator`` (tests and screenshots inspect it).
    """
    clock = clock or system_clock
    sim = simulator or demo_simulator(clock=clock, tokens=tokens)
    app = make_app(demo_client(sim), clock=clock, source_choice=source_choice, demo=True)
    app.simulator = sim  # type: ignore[attr-defined]
    return app
