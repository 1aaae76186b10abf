"""The demo's GitLab: the bundled simulator in process and a client that talks to it.

No network and no configuration: the client talks to the simulator's ASGI app through
``httpx.ASGITransport``. Headless (no Textual): the TUI's demo (``tokentui.demo``) and the
scripting commands' ``--demo`` (``tokentui.commands.common``) both start it from here.
"""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from tokentui.expiry import Clock, system_clock
from tokentui.gitlab.client import GitLabClient
from tokentui.simulator import Simulator, SimulatorConfig

#: The demo's base URL (never resolved: requests go to the in-process transport).
DEMO_URL = "http://gitlab.demo.invalid"


def demo_simulator(*, clock: Clock | None = None, tokens: int = 200, seed: int = 1) -> Simulator:
    """A seeded simulator for the demo."""
    return Simulator(SimulatorConfig(seed=seed, tokens=tokens), clock=clock or system_clock)


def demo_client(
    sim: Simulator, *, as_user: str = "admin", token: SecretStr | str | None = None
) -> GitLabClient:
    """A client talking to ``sim`` in process, as root (``admin``), alice (``user``) or bob
    (``maintainer``); ``token`` overrides (e.g. the value a self-rotation returned)."""
    if token is None:
        token = {
            "admin": sim.admin_token,
            "user": sim.user_token,
            "maintainer": sim.maintainer_token,
        }[as_user]
    return GitLabClient(DEMO_URL, token, transport=httpx.ASGITransport(app=sim.app))
