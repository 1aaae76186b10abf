"""The client's transport (``gitlab/transport.py``): concurrent requests spread over at most
as many kept-alive connections as it is given, a quiet client keeps one, and a failed request
gives its pool back. Counted by the simulator, which logs each request's connection."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import httpx
import pytest

from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.errors import GitLabError
from tokentui.gitlab.transport import SpreadTransport
from tokentui.simulator import Simulator


def connections_used(sim: Simulator) -> set[str]:
    return {entry.connection for entry in sim.request_log}


async def test_concurrent_requests_spread_over_at_most_the_connections_given(
    sim: Simulator,
) -> None:
    transport = SpreadTransport(4, verify=False)
    async with GitLabClient(sim.url, sim.admin_token, transport=transport) as client:
        users = await asyncio.gather(*(client.current_user() for _ in range(24)))
        assert {user.username for user in users} == {"root"}
        assert transport.in_flight == (0, 0, 0, 0)
        assert transport.pools_made == 4
    used = connections_used(sim)
    assert len(sim.request_log) == 24
    assert "" not in used
    assert 2 <= len(used) <= 4


async def test_a_quiet_client_keeps_one_connection(sim: Simulator) -> None:
    transport = SpreadTransport(8, verify=False)
    async with GitLabClient(sim.url, sim.admin_token, transport=transport) as client:
        for _ in range(5):
            await client.current_user()
        assert transport.pools_made == 1
    assert len(connections_used(sim)) == 1


async def test_a_failed_request_gives_its_pool_back() -> None:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = SpreadTransport(2, verify=False)
    async with httpx.AsyncClient(transport=transport) as http:
        for _ in range(3):
            with pytest.raises(httpx.ConnectError):
                await http.get(f"http://127.0.0.1:{port}/")
    assert transport.in_flight == (0, 0)


async def test_an_answer_read_to_its_end_gives_its_pool_back(sim: Simulator) -> None:
    transport = SpreadTransport(2, verify=False)
    async with GitLabClient(
        sim.url, "glpat-not-a-token-of-this-instance", transport=transport
    ) as c:
        with pytest.raises(GitLabError):
            await c.current_user()  # a 401, read and closed like any answer
        assert transport.in_flight == (0, 0)


async def test_the_client_spreads_its_connections_unless_a_proxy_is_configured(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # httpx only honours proxies from the environment with its own transport (checked on
    # the client's httpx.AsyncClient: the one place the choice shows).
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with GitLabClient(sim.url, sim.admin_token) as client:
        assert isinstance(client._http._transport, SpreadTransport)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    async with GitLabClient(sim.url, sim.admin_token) as client:
        assert isinstance(client._http._transport, httpx.AsyncHTTPTransport)


@pytest.mark.parametrize("cancel_after", [0.0, 0.05])
async def test_a_cancelled_request_does_not_hold_its_pool(
    sim_factory: Callable[..., Simulator], cancel_after: float
) -> None:
    # httpcore can leave a connection taken when a request is cancelled (a page fetched ahead
    # and no longer wanted): with one connection per pool that pool would wait forever.
    sim = sim_factory(latency_ms=200)
    transport = SpreadTransport(1, verify=False)
    async with GitLabClient(sim.url, sim.admin_token, transport=transport, timeout=3) as client:
        for _ in range(3):
            doomed = asyncio.create_task(client.current_user())
            await asyncio.sleep(cancel_after)
            doomed.cancel()
            with pytest.raises(asyncio.CancelledError):
                await doomed
        assert transport.in_flight == (0,)
        assert (await client.current_user()).username == "root"
