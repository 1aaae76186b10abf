"""Simulator: GitLab's 10,000-row count threshold and the 100,000-token scale."""

from __future__ import annotations

import httpx
import pytest

from tokentui.simulator import Simulator, SimulatorConfig


def test_totals_dropped_above_ten_thousand_rows(sim_factory) -> None:  # type: ignore[no-untyped-def]
    sim: Simulator = sim_factory(tokens=10_050)
    seen: list[int] = []
    with httpx.Client(
        base_url=f"{sim.url}/api/v4", headers={"PRIVATE-TOKEN": sim.admin_token}
    ) as client:
        page = "1"
        while page:
            r = client.get("/personal_access_tokens", params={"per_page": 100, "page": page})
            assert "X-Total" not in r.headers and "X-Total-Pages" not in r.headers
            assert 'rel="last"' not in r.headers["Link"] and 'rel="first"' in r.headers["Link"]
            seen += [t["id"] for t in r.json()]
            last_next = r.headers["X-Next-Page"]
            page = last_next
        assert r.headers["X-Page"] == "101" and r.headers["X-Prev-Page"] == "100"
        assert 'rel="next"' not in r.headers["Link"]
        # A filter bringing the count under the limit restores the totals.
        small = client.get("/personal_access_tokens", params={"user_id": 2})
        assert small.headers["X-Total"] == str(len(sim.state.by_user[2]))
    assert seen == sim.state.token_ids and len(seen) == 10_050


def test_exactly_ten_thousand_rows_keep_totals(sim_factory) -> None:  # type: ignore[no-untyped-def]
    sim: Simulator = sim_factory(tokens=10_000)
    with httpx.Client(
        base_url=f"{sim.url}/api/v4", headers={"PRIVATE-TOKEN": sim.admin_token}
    ) as client:
        r = client.get("/personal_access_tokens", params={"per_page": 100})
    assert (r.headers["X-Total"], r.headers["X-Total-Pages"]) == ("10000", "100")


@pytest.mark.slow
async def test_hundred_thousand_tokens_in_process() -> None:
    sim = Simulator(SimulatorConfig(seed=3, tokens=100_000))
    assert len(sim.state.tokens) == 100_000
    transport = httpx.ASGITransport(app=sim.app)
    headers = {"PRIVATE-TOKEN": sim.admin_token}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sim/api/v4", headers=headers
    ) as client:
        r = await client.get("/personal_access_tokens", params={"per_page": 100, "page": 1000})
        assert [t["id"] for t in r.json()] == sim.state.token_ids[99_900:]
        assert r.headers["X-Next-Page"] == "" and r.headers["X-Prev-Page"] == "999"
        filtered = await client.get(
            "/personal_access_tokens", params={"state": "active", "per_page": 100}
        )
        assert filtered.status_code == 200 and len(filtered.json()) == 100
