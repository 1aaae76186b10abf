"""The operations layer (issue 12): create, rotate, revoke and self-rotation, one policy for both
fronts (``tokentui.core.operations``).

Everything against the real simulator over loopback HTTP: a batch reports one outcome per token
in input order (done, refused with GitLab's error, unknown with the read-back's verdict), sends
each write once, keeps at most ``concurrency`` writes in flight (counted by the server, not
timed), rotates the credential in use last through self-rotation, refuses to revoke it unless
asked, and sends nothing after the credential was rejected.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from tokentui.core.operations import Operations, Status
from tokentui.core.write_outcome import Action, Finding
from tokentui.gitlab import errors
from tokentui.gitlab.client import CreateTokenRequest, GitLabClient
from tokentui.gitlab.sources import PersonalTokens
from tokentui.simulator import Dispatcher, Simulator

ALL = PersonalTokens()


async def instant(delay: float) -> None:
    """A retry wait that does not wait."""


def issue(sim: Simulator, user_id: int, name: str) -> int:
    return sim.token_record(sim.issue_token(user_id, name=name, scopes=("api",))).id


def writes(sim: Simulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sim.request_log if r.method in ("POST", "DELETE", "PUT")]


def user_id_of(sim: Simulator, value: str) -> int:
    return sim.token_record(value).user_id


async def test_a_batch_revoke_reports_each_token_and_sends_each_delete_once(
    sim: Simulator,
) -> None:
    carol = user_id_of(sim, sim.user_token)
    ids = [issue(sim, carol, f"batch-{n}") for n in range(4)]
    lost, missing = ids[1], 987_654
    sim.faults.proxy_error("DELETE", rf"/personal_access_tokens/{lost}$", 502, after_action=True)
    async with GitLabClient(sim.url, sim.admin_token, sleep=instant) as client:
        tokens = [await client.get_token(ALL, i) for i in ids]
        targets = [tokens[0], tokens[1], missing, tokens[2], tokens[3]]
        result = await Operations(client, concurrency=2).revoke(ALL, targets)

    assert result.action is Action.REVOKE
    assert [(o.token_id, o.status) for o in result] == [
        (ids[0], Status.DONE),
        (lost, Status.UNKNOWN),
        (missing, Status.REFUSED),
        (ids[2], Status.DONE),
        (ids[3], Status.DONE),
    ]
    unknown = result.outcomes[1]
    assert isinstance(unknown.error, errors.OutcomeUnknown)
    assert unknown.error.status == 502
    assert unknown.verdict is not None and unknown.verdict.finding is Finding.DONE
    refused = result.outcomes[2]
    assert isinstance(refused.error, errors.NotFound)
    assert refused.reason == refused.error.message
    # The server's state matches the report: every one revoked but the missing one.
    assert all(sim.state.tokens[i].revoked for i in ids)
    # One DELETE per token, none sent again (the 502 one included).
    deletes = [path for method, path in writes(sim) if method == "DELETE"]
    assert sorted(deletes) == sorted(f"/api/v4/personal_access_tokens/{i}" for i in [*ids, missing])


async def test_revoking_the_token_in_use_needs_the_explicit_flag(sim: Simulator) -> None:
    alice = user_id_of(sim, sim.user_token)
    other = issue(sim, alice, "other")
    in_use = sim.token_record(sim.user_token).id
    async with GitLabClient(sim.url, sim.user_token, sleep=instant) as client:
        operations = Operations(client)
        result = await operations.revoke(PersonalTokens(user_id=alice), [in_use, other])
        [refused, done] = result
        assert refused.status is Status.REFUSED and refused.in_use and refused.error is None
        assert "tokentui itself uses" in (refused.reason or "")
        assert done.status is Status.DONE
        assert not sim.token_record(sim.user_token).revoked
        # Asked for explicitly, it goes, after every other token of the batch.
        another = issue(sim, alice, "another")
        [first, second] = await operations.revoke(
            PersonalTokens(user_id=alice), [in_use, another], allow_in_use=True
        )
    assert (first.status, first.in_use, second.status) == (Status.DONE, True, Status.DONE)
    deletes = [path for method, path in writes(sim) if method == "DELETE"]
    assert deletes[-2:] == [
        f"/api/v4/personal_access_tokens/{another}",
        f"/api/v4/personal_access_tokens/{in_use}",
    ]
    assert sim.token_record(sim.user_token).revoked


class InFlight:
    """An ASGI wrapper that counts the DELETEs the server is handling at once.

    Each DELETE is held until ``limit`` are in flight together (or every one of ``total`` has
    arrived): a layer that kept fewer in flight would never release them, one that sent more
    would be seen sending more. Events, not timing: nothing here measures time.
    """

    def __init__(self, app: Any, *, limit: int, total: int) -> None:
        self.app, self.limit, self.total = app, limit, total
        self.now = self.most = self.arrived = 0
        self._changed: asyncio.Condition | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "DELETE":
            await self.app(scope, receive, send)
            return
        changed = self._changed = self._changed or asyncio.Condition()
        async with changed:
            self.now += 1
            self.arrived += 1
            self.most = max(self.most, self.now)
            changed.notify_all()
            # The timeout only ends a broken run (then ``most`` is below the limit).
            await asyncio.wait_for(
                changed.wait_for(lambda: self.now >= self.limit or self.arrived == self.total),
                timeout=120,
            )
        try:
            await self.app(scope, receive, send)
        finally:
            async with changed:
                self.now -= 1
                changed.notify_all()


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_a_batch_keeps_at_most_concurrency_writes_in_flight(
    sim: Simulator, _sim_server: tuple[Dispatcher, str], concurrency: int
) -> None:
    dispatcher, _url = _sim_server
    alice = user_id_of(sim, sim.user_token)
    ids = [issue(sim, alice, f"many-{n}") for n in range(10)]
    counter = InFlight(sim.app, limit=concurrency, total=len(ids))
    dispatcher.target = counter
    async with GitLabClient(sim.url, sim.admin_token, sleep=instant) as client:
        result = await Operations(client, concurrency=concurrency).revoke(ALL, ids)
    assert [o.status for o in result] == [Status.DONE] * len(ids)
    assert counter.most == concurrency
    assert counter.arrived == len(ids)


async def test_a_rotate_batch_rotates_the_token_in_use_last_and_stores_its_value(
    sim: Simulator,
) -> None:
    alice = user_id_of(sim, sim.user_token)
    in_use = sim.token_record(sim.user_token).id
    others = [issue(sim, alice, f"rot-{n}") for n in range(3)]
    saved: list[SecretStr] = []
    source = PersonalTokens(user_id=alice)
    async with GitLabClient(sim.url, sim.user_token, sleep=instant) as client:
        # The layer is not told which token is in use: the pre-flight finds out.
        operations = Operations(client, save=saved.append, concurrency=2)
        result = await operations.rotate(source, [others[0], in_use, others[1], others[2]])
        me = await client.current_user()  # the client switched to the new value

    assert [o.token_id for o in result] == [others[0], in_use, others[1], others[2]]
    assert [o.status for o in result] == [Status.DONE] * 4
    self_rotated = result.outcomes[1]
    assert self_rotated.in_use and self_rotated.self_rotation is not None
    assert self_rotated.self_rotation.stored and self_rotated.self_rotation.verified
    new = self_rotated.new_token
    assert new is not None
    # The new value went to the store (once), and is the one GitLab now knows.
    assert [s.get_secret_value() for s in saved] == [new.token.get_secret_value()]
    assert sim.token_record(new.token.get_secret_value()).id == new.id
    assert operations.in_use_id == new.id
    assert me.username == "alice"
    assert all(o.new_token is not None for o in result)
    assert all(sim.state.tokens[i].revoked for i in [in_use, *others])
    # The self-rotation came last; every rotate was sent once.
    posts = [path for method, path in writes(sim) if method == "POST"]
    assert sorted(posts[:3]) == sorted(f"/api/v4/personal_access_tokens/{i}/rotate" for i in others)
    assert posts[3:] == ["/api/v4/personal_access_tokens/self/rotate"]
    # Each rotate by id came after a pre-flight: as many GETs of self before the last POST.
    assert len(sim.requests("GET", "/personal_access_tokens/self")) >= 4


async def test_a_rejected_credential_stops_the_batch_before_any_rotate(sim: Simulator) -> None:
    alice = user_id_of(sim, sim.user_token)
    ids = [issue(sim, alice, f"stop-{n}") for n in range(3)]
    sim.token_record(sim.user_token).revoked = True  # rotated or revoked elsewhere
    sim.state.touch()
    async with GitLabClient(sim.url, sim.user_token, sleep=instant) as client:
        result = await Operations(client).rotate(PersonalTokens(user_id=alice), ids)
    assert [o.status for o in result] == [Status.REFUSED] * 3
    assert sum(isinstance(o.error, errors.Unauthorized) for o in result) >= 1
    assert all(
        isinstance(o.error, errors.Unauthorized) or "rejected the credential" in (o.reason or "")
        for o in result
    )
    assert writes(sim) == []
    assert not any(sim.state.tokens[i].revoked for i in ids)


async def test_a_lost_rotate_is_read_back_and_a_token_listed_twice_sent_once(
    sim: Simulator,
) -> None:
    alice = user_id_of(sim, sim.user_token)
    target = issue(sim, alice, "twice")
    sim.faults.proxy_error("POST", rf"/{target}/rotate$", 502, after_action=True)
    async with GitLabClient(sim.url, sim.admin_token, sleep=instant) as client:
        token = await client.get_token(ALL, target)
        first, second = await Operations(client).rotate(ALL, [token, token])
    assert first.status is Status.UNKNOWN
    assert first.verdict is not None and first.verdict.finding is Finding.DONE
    assert first.verdict.successor is not None
    assert second.status is Status.REFUSED and "listed twice" in (second.reason or "")
    assert writes(sim) == [("POST", f"/api/v4/personal_access_tokens/{target}/rotate")]


async def test_create_reports_done_refused_and_unknown(sim: Simulator) -> None:
    alice = user_id_of(sim, sim.user_token)
    source = PersonalTokens(user_id=alice)
    request = CreateTokenRequest(
        name="made", scopes=("api",), expires_at=sim.today() + timedelta(days=30)
    )
    async with GitLabClient(sim.url, sim.admin_token, sleep=instant) as client:
        operations = Operations(client)
        done = await operations.create(source, request, viewer_is_admin=True)
        refused = await operations.create(
            PersonalTokens(user_id=999_999), request, viewer_is_admin=True
        )
        sim.faults.proxy_error("POST", r"/personal_access_tokens$", 502, after_action=True)
        lost = await operations.create(source, request, viewer_is_admin=True)
    assert done.status is Status.DONE and done.new_token is not None
    assert sim.token_record(done.new_token.token.get_secret_value()).name == "made"
    assert refused.status is Status.REFUSED and isinstance(refused.error, errors.NotFound)
    assert lost.status is Status.UNKNOWN
    assert lost.verdict is not None and lost.verdict.created is not None
    assert lost.token_id == lost.verdict.created.id
    assert len([w for w in writes(sim) if w[0] == "POST"]) == 3
