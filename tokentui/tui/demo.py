"""``tokentui --demo``: the bundled simulator in process, the app signed in as its admin.

No network and no configuration: the simulator and its client come from
``tokentui.demo_server`` (shared with the scripting commands' ``--demo``). The same clock
drives the simulator's seeded dates and the app's countdowns, so a frozen clock gives the
same screen every time (tests, screenshots).
"""

from __future__ import annotations

from tokentui.core.expiry import Clock, system_clock
from tokentui.demo_server import DEMO_URL, demo_client, demo_simulator
from tokentui.simulator import Simulator
from tokentui.tui.app import TokenApp, make_app

__all__ = ["DEMO_URL", "demo_client", "demo_simulator", "make_demo_app"]


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
