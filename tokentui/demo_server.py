"""The demo's GitLab: the bundled simulator in process and a client that talks to it.

No network and no configuration: the client talks to the simulator's ASGI app through
``httpx.ASGITransport``. Headless (no Textual): the TUI's demo (``tokentui.tui.demo``) and the
scripting commands' ``--demo`` (``tokentui.cli.commands.common``) both start it from here.
"""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from tokentui.core.expiry import Clock, system_clock
from tokentui.core.session import Connection
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


class DemoConnection(Connection):
    """``--demo``: the bundled simulator in process, signed in as its administrator, as the
    TUI's demo. Nothing is configured, read or stored; each command starts a fresh demo, so
    what one command changes is gone when it ends."""

    def __init__(self) -> None:
        self.simulator = demo_simulator()
        super().__init__(DEMO_URL, SecretStr(self.simulator.admin_token), token_origin="demo")

    def client(self) -> GitLabClient:
        """A client for the in-process simulator (no network)."""
        return demo_client(self.simulator, token=self.token)

    def save_token(self, token: SecretStr) -> None:
        """A self-rotation in the demo: the new value is used for the rest of the command."""
        self.token = token
