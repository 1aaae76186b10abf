"""Simulator: fault injection, the request log and concurrent requests."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tokentui.simulator import LoggedRequest, Simulator


def api(sim: Simulator, token: str | None = None) -> httpx.Client:
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return httpx.Client(base_url=f"{sim.url}/api/v4", headers=headers)


def test_fail_rate_answers_5xx_without_handling(sim: Simulator) -> None:
    before = len(sim.state.tokens)
    sim.faults.fail_rate = 1.0
    with api(sim, sim.admin_token) as client:
        statuses = set()
        for _ in range(30):
            r = client.post(
                "/users/2/personal_access_tokens", json={"name": "x", "scopes": ["api"]}
            )
            statuses.add(r.status_code)
            assert r.json()["message"].startswith(str(r.status_code))
    assert statuses <= {500, 502, 503} and len(statuses) > 1
    assert len(sim.state.tokens) == before
    assert [e.status for e in sim.requests("POST")] == [e.status for e in sim.request_log]


def test_fail_rate_is_a_fraction(sim_factory) -> None:  # type: ignore[no-untyped-def]
    sim = sim_factory(fail_rate=0.2)
    with api(sim, sim.admin_token) as client:
        codes = [client.get("/version").status_code for _ in range(200)]
    failed = sum(c >= 500 for c in codes)
    assert 0 < failed < 100 and codes.count(200) == 200 - failed


def test_burst_429_like_rack_attack(sim: Simulator) -> None:
    sim.faults.burst_429(3, retry_after=2)
    with api(sim, sim.admin_token) as client:
        throttled = [client.get("/personal_access_tokens") for _ in range(3)]
        ok = client.get("/personal_access_tokens")
    for r in throttled:
        assert r.status_code == 429 and r.text == "Retry later\n"
        assert r.headers["content-type"].startswith("text/plain")
        assert r.headers["Retry-After"] == "2"
        assert int(r.headers["RateLimit-Reset"]) >= int(sim.now().timestamp())
        assert r.headers["RateLimit-Name"] == "throttle_authenticated_api"
        assert r.headers["RateLimit-Remaining"] == "0" and r.headers["RateLimit-ResetTime"]
    assert ok.status_code == 200
    assert [e.status for e in sim.request_log] == [429, 429, 429, 200]


def test_dropped_connection(sim: Simulator) -> None:
    sim.faults.drop_rate = 1.0
    with api(sim, sim.admin_token) as client, pytest.raises(httpx.RemoteProtocolError):
        client.get("/user")
    assert sim.request_log == [LoggedRequest("GET", "/api/v4/user", "", 0, dropped=True)]
    sim.faults.reset()
    with api(sim, sim.admin_token) as client:
        assert client.get("/user").status_code == 200


def test_drop_after_action_performs_the_write(sim: Simulator) -> None:
    value = sim.issue_token(2, name="x", scopes=["api"])
    record = sim.token_record(value)
    sim.faults.drop_after_action("POST", r"/rotate$")
    with api(sim, sim.user_token) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(f"/personal_access_tokens/{record.id}/rotate")
        assert record.revoked  # the rotation happened; only the answer was lost
        successor = [t for t in sim.state.tokens.values() if t.previous_id == record.id]
        assert len(successor) == 1
        # One-shot: the next write is answered normally.
        again = client.post(f"/personal_access_tokens/{successor[0].id}/rotate")
        assert again.status_code == 200
    rotations = sim.requests("POST", "/rotate")
    assert [(e.status, e.dropped) for e in rotations] == [(200, True), (200, False)]


@pytest.mark.parametrize("acted", [True, False])
def test_proxy_error_answers_like_nginx_after_or_before_acting(sim: Simulator, acted) -> None:
    value = sim.issue_token(2, name="x", scopes=["api"])
    record = sim.token_record(value)
    sim.faults.proxy_error("POST", r"/rotate$", 504, after_action=acted)
    with api(sim, sim.user_token) as client:
        answer = client.post(f"/personal_access_tokens/{record.id}/rotate")
        assert answer.status_code == 504
        assert answer.headers["content-type"].startswith("text/html")
        assert "<title>504 Gateway Time-out</title>" in answer.text
        assert record.revoked is acted
        # One-shot: the next matching request reaches GitLab as usual.
        if not acted:
            assert client.post(f"/personal_access_tokens/{record.id}/rotate").status_code == 200
    assert [e.status for e in sim.requests("POST", "/rotate")] == [504] + ([] if acted else [200])
    with pytest.raises(ValueError):
        sim.faults.proxy_error("POST", r"/rotate$", 500)


def test_request_log_records_method_path_query_status(sim: Simulator) -> None:
    with api(sim, sim.admin_token) as client:
        client.get("/projects/platform%2Fapi/access_tokens", params={"per_page": 5})
        client.delete("/personal_access_tokens/99999999")
    assert sim.request_log == [
        LoggedRequest("GET", "/api/v4/projects/platform%2Fapi/access_tokens", "per_page=5", 200),
        LoggedRequest("DELETE", "/api/v4/personal_access_tokens/99999999", "", 404),
    ]


def test_latency_still_answers(sim_factory) -> None:  # type: ignore[no-untyped-def]
    sim = sim_factory(latency_ms=5)
    with api(sim, sim.user_token) as client:
        assert client.get("/user").status_code == 200
    assert sim.faults.latency_ms == 5


def test_concurrent_writes_and_reads_are_consistent(sim: Simulator) -> None:
    values = [sim.issue_token(2, name=f"t{i}", scopes=["api"]) for i in range(20)]
    ids = [sim.token_record(v).id for v in values]
    barrier = threading.Barrier(20)

    def rotate(token_id: int) -> int:
        with api(sim, sim.user_token) as client:
            barrier.wait()
            client.get("/personal_access_tokens", params={"per_page": 100})
            return client.post(f"/personal_access_tokens/{token_id}/rotate").json()["id"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        new_ids = list(pool.map(rotate, ids))
    assert len(set(new_ids)) == 20 and not set(new_ids) & set(ids)
    assert all(sim.state.tokens[i].revoked for i in ids)
    assert sorted(sim.state.tokens) == sim.state.token_ids


def test_concurrent_self_rotation_of_one_token_has_one_winner(sim: Simulator) -> None:
    value = sim.issue_token(3, name="race", scopes=["api"])

    def rotate(_: int) -> int:
        with api(sim, value) as client:
            return client.post("/personal_access_tokens/self/rotate").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(rotate, range(8)))
    assert codes.count(200) == 1 and codes.count(401) == 7
    # The losers presented a revoked token to a rotate path: reuse detection revoked the winner.
    assert not any(t.active(sim.today()) for t in sim.state.tokens.values() if t.name == "race")
