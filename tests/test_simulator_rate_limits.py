"""The simulator's authenticated API throttle (``SimulatorConfig(rate_limit=N)``, Rack::Attack's
answers, §1.5) and the injected 429s of ``sim.faults`` (Rack::Attack's and an application
limit's), over loopback HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from conftest import FROZEN_NOW


class FakeClock:
    """A clock a test moves by hand (aware UTC)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def get(sim, token: str | None, path: str = "/api/v4/user") -> httpx.Response:
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return httpx.get(f"{sim.url}{path}", headers=headers, timeout=60)


def test_each_credential_gets_n_requests_a_window_then_429_with_gitlabs_headers(
    sim_factory,
) -> None:
    # 12:00:20 in a 60 s window that started at 12:00:00.
    clock = FakeClock(FROZEN_NOW + timedelta(seconds=20))
    sim = sim_factory(clock=clock, tokens=30, rate_limit=5)
    window_end = int((FROZEN_NOW + timedelta(seconds=60)).timestamp())
    for n in range(1, 6):
        r = get(sim, sim.user_token)
        assert r.status_code == 200
        assert r.headers["RateLimit-Name"] == "throttle_authenticated_api"
        assert r.headers["RateLimit-Limit"] == "5"
        assert r.headers["RateLimit-Observed"] == str(n)
        assert r.headers["RateLimit-Remaining"] == str(5 - n)
        assert r.headers["RateLimit-Reset"] == str(window_end)
        assert "Retry-After" not in r.headers
    r = get(sim, sim.user_token)
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("text/plain") and r.text == "Retry later\n"
    assert r.headers["Retry-After"] == "40"
    assert r.headers["RateLimit-Observed"] == "6" and r.headers["RateLimit-Remaining"] == "0"
    assert r.headers["RateLimit-ResetTime"] == "Mon, 23 Nov 2026 12:01:00 GMT"
    assert sim.requests(path_contains="/user")[-1].status == 429
    # Another credential has its own budget; a request without one is not throttled.
    assert get(sim, sim.admin_token).status_code == 200
    r = get(sim, None, "/api/v4/users?username=alice")
    assert r.status_code == 200 and "RateLimit-Name" not in r.headers
    # The next window starts afresh.
    clock.now = FROZEN_NOW + timedelta(seconds=60)
    r = get(sim, sim.user_token)
    assert r.status_code == 200 and r.headers["RateLimit-Observed"] == "1"
    windows = sim.rate_limits.windows(sim.user_token)
    start = int(FROZEN_NOW.timestamp())
    assert [(w.start, w.requests, w.throttled) for w in windows] == [
        (start, 6, 1),
        (start + 60, 1, 0),
    ]
    assert sim.rate_limits.most_in_a_window() == 6 and sim.rate_limits.throttled() == 1


def test_a_short_window_is_normalised_to_a_minute_and_can_be_switched_on_later(
    sim_factory,
) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 12, 0, 3, tzinfo=UTC))
    sim = sim_factory(clock=clock, tokens=30)
    assert "RateLimit-Limit" not in get(sim, sim.user_token).headers  # off by default
    sim.rate_limits.configure(10, period=5)
    r = get(sim, sim.user_token)
    assert r.headers["RateLimit-Limit"] == "120"  # 10 per 5 s, as GitLab rounds it to a minute
    assert r.headers["RateLimit-Reset"] == str(int(clock.now.timestamp()) + 2)


def test_injected_429s_rack_attack_and_application_limits(sim_factory) -> None:
    sim = sim_factory(tokens=30)
    sim.faults.throttle_rate = 1.0
    sim.faults.throttle_retry_after = 7
    r = get(sim, sim.user_token)
    assert r.status_code == 429 and r.text == "Retry later\n"
    assert r.headers["Retry-After"] == "7" and r.headers["RateLimit-Remaining"] == "0"
    sim.faults.reset()
    sim.faults.app_limit(r"/projects$", times=2)
    sim.faults.app_limit(r"/groups$", times=1, retry_after=30)
    for _ in range(2):
        r = get(sim, sim.user_token, "/api/v4/projects")
        assert r.status_code == 429
        assert r.json() == {
            "message": {
                "error": "This endpoint has been requested too many times. Try again later."
            }
        }
        assert "Retry-After" not in r.headers and "RateLimit-Name" not in r.headers
    assert get(sim, sim.user_token, "/api/v4/projects").status_code == 200
    assert get(sim, sim.user_token, "/api/v4/user").status_code == 200
    r = get(sim, sim.user_token, "/api/v4/groups")
    assert r.status_code == 429 and r.headers["Retry-After"] == "30"
    assert get(sim, sim.user_token, "/api/v4/groups").status_code == 200
