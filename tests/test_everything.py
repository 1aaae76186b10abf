"""The everything-I-manage scan (``tokentui/core/everything.py``) against the simulator over
loopback HTTP: what is scanned for a regular user and for an administrator, each row's kind,
resource and write source without a request per row, problems instead of failures, exact rows
under the simulator's faults, and the store streaming a scan and stopping it.

Cast (seeded): root (admin), alice (Developer of platform: manages nothing), bob (Owner of the
group platform, so of platform/infra too, and through it Maintainer+ of platform/api and
platform/web; service accounts 6 and 7 belong to platform).
"""

from __future__ import annotations

import asyncio

import pytest
from conftest import instant_sleep

from tokentui.core.everything import Everything, Scan, scan
from tokentui.core.ownership import Ownership
from tokentui.core.store import Change, TokenStore
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.models import TokenKind
from tokentui.gitlab.retry import RetryPolicy
from tokentui.gitlab.sources import (
    DeployTokens,
    GroupTokens,
    ImpersonationTokens,
    PersonalTokens,
    ProjectTokens,
    ServiceAccountTokens,
)
from tokentui.simulator import rules

BOB = 3
#: What bob manages in the seeded simulator.
BOB_PROJECTS = {1: "platform/api", 2: "platform/web"}
BOB_GROUPS = {1: "platform", 2: "platform/infra"}


def client(sim, token: str, **options) -> GitLabClient:
    return GitLabClient(sim.url, token, sleep=instant_sleep, **options)


def expected_for_bob(sim) -> dict[int, tuple[TokenKind, str | None]]:
    """Every row bob should see, by ``Token.key``: its kind and resource path (or owner)."""
    state = sim.state
    rows: dict[int, tuple[TokenKind, str | None]] = {}
    for record in state.tokens.values():
        owner = state.users[record.user_id]
        if record.user_id == BOB and not record.impersonation:
            rows[record.id] = (TokenKind.PERSONAL, "bob")
        elif record.resource_type == "project" and record.resource_id in BOB_PROJECTS:
            rows[record.id] = (TokenKind.PROJECT, BOB_PROJECTS[record.resource_id])
        elif record.resource_type == "group" and record.resource_id in BOB_GROUPS:
            rows[record.id] = (TokenKind.GROUP, BOB_GROUPS[record.resource_id])
        elif owner.provisioned_by_group_id in BOB_GROUPS:
            rows[record.id] = (TokenKind.SERVICE_ACCOUNT, owner.username)
    for deploy in state.deploy_tokens.values():
        paths = BOB_PROJECTS if deploy.resource_type == "project" else BOB_GROUPS
        if deploy.resource_id in paths:
            rows[-deploy.id] = (TokenKind.DEPLOY, paths[deploy.resource_id])
    return rows


def seen(job: Scan, ownership: Ownership) -> dict[int, tuple[TokenKind | None, str | None]]:
    """What the scan says of each row: its kind, and its resource path or owner username."""
    out: dict[int, tuple[TokenKind | None, str | None]] = {}
    for key, token in job.rows.items():
        resource = ownership.resource(token, None)
        where = resource.path if resource is not None else ownership.username(token.user_id)
        out[key] = (ownership.kind(token, None), where)
    return out


async def test_a_maintainer_gets_every_kind_they_manage_placed_without_a_request_per_row(
    sim,
) -> None:
    ownership = Ownership()
    async with client(sim, sim.maintainer_token) as api:
        job = await scan(api, ownership)
    expected = expected_for_bob(sim)
    assert {kind for kind, _ in expected.values()} == {
        TokenKind.PERSONAL,
        TokenKind.PROJECT,
        TokenKind.GROUP,
        TokenKind.SERVICE_ACCOUNT,
        TokenKind.DEPLOY,
    }
    assert seen(job, ownership) == expected
    assert job.complete and job.problems == []
    assert job.progress.text() == "2 of 2 projects, 2 of 2 groups"
    # The lists said where every row lives: no user or resource was looked up.
    paths = [r.path for r in sim.request_log]
    assert not [p for p in paths if p.startswith("/api/v4/users/")]
    assert "/api/v4/projects/1" not in paths
    projects = sim.requests(method="GET", path_contains="/api/v4/projects")
    listing = [r for r in projects if r.path == "/api/v4/projects"]
    assert listing and all("pagination=keyset" in r.query for r in listing)
    assert all("min_access_level=40" in r.query for r in listing)
    groups = [r for r in sim.requests(method="GET") if r.path == "/api/v4/groups"]
    assert groups and all("min_access_level=50" in r.query for r in groups)


async def test_each_row_knows_where_its_writes_go(sim) -> None:
    ownership = Ownership()
    async with client(sim, sim.maintainer_token) as api:
        job = await scan(api, ownership)
    sources = {type(ownership.row_source(t, None)) for t in job.rows.values()}
    assert sources == {
        PersonalTokens,
        ProjectTokens,
        GroupTokens,
        ServiceAccountTokens,
        DeployTokens,
    }
    deploy = next(t for t in job.rows.values() if t.is_deploy and t.resource_type == "group")
    where = ownership.row_source(deploy, None)
    assert isinstance(where, DeployTokens) and not where.can_rotate
    assert where.revoke_path(deploy.id).startswith("/groups/platform")
    account = next(
        t for t in job.rows.values() if ownership.kind(t, None) is TokenKind.SERVICE_ACCOUNT
    )
    source = ownership.row_source(account, None)
    assert isinstance(source, ServiceAccountTokens)
    assert (source.group, source.user_id) == ("platform", account.user_id)


async def test_a_user_who_manages_nothing_gets_their_own_tokens(sim) -> None:
    ownership = Ownership()
    async with client(sim, sim.user_token) as api:
        job = await scan(api, ownership)
    alice = {r.id for r in sim.state.tokens.values() if r.user_id == 2 and not r.impersonation}
    assert set(job.rows) == alice
    assert job.progress.text() == "0 of 0 projects, 0 of 0 groups"


async def test_an_administrator_gets_every_token_and_every_deploy_token_placed(sim) -> None:
    ownership = Ownership()
    async with client(sim, sim.admin_token) as api:
        job = await scan(api, ownership)
    state = sim.state
    kinds = {
        rules.TokenKind.PERSONAL: TokenKind.PERSONAL,
        rules.TokenKind.IMPERSONATION: TokenKind.IMPERSONATION,
        rules.TokenKind.PROJECT: TokenKind.PROJECT,
        rules.TokenKind.GROUP: TokenKind.GROUP,
        rules.TokenKind.SERVICE_ACCOUNT: TokenKind.SERVICE_ACCOUNT,
    }
    expected = {r.id: kinds[r.kind] for r in state.tokens.values()}
    places = {"project": state.projects, "group": state.groups}
    deploy = {
        -d.id: (
            d.resource_type,
            places[d.resource_type][d.resource_id].path_with_namespace
            if d.resource_type == "project"
            else places[d.resource_type][d.resource_id].full_path,
        )
        for d in state.deploy_tokens.values()
    }
    assert set(job.rows) == set(expected) | set(deploy)
    for key, token in job.rows.items():
        if key < 0:
            resource = ownership.resource(token, None)
            assert resource is not None
            assert ownership.kind(token, None) is TokenKind.DEPLOY
            assert (resource.type, resource.path) == deploy[key]
        else:
            assert ownership.kind(token, None) is expected[key], token
    assert job.problems == [] and job.complete
    impersonation = next(
        t for t in job.rows.values() if ownership.kind(t, None) is TokenKind.IMPERSONATION
    )
    assert isinstance(ownership.row_source(impersonation, None), ImpersonationTokens)
    assert any(r.path == "/api/v4/deploy_tokens" for r in sim.request_log)


async def test_an_unreadable_project_is_a_problem_not_a_failed_scan(sim) -> None:
    """platform/web goes away while the scan runs (after platform/api was read: one project
    at a time): it is listed as a problem with GitLab's reason, the rest is complete."""
    ownership = Ownership()
    removed = False

    def rows(new) -> None:
        nonlocal removed
        placed = ownership.placement(new[0])
        if removed or placed is None or placed.resource is None:
            return
        if placed.resource.path == "platform/api":
            with sim.state.lock:
                del sim.state.projects[2]
                sim.state.touch()
            removed = True

    async with client(sim, sim.maintainer_token) as api:
        job = Scan(api, ownership, concurrency=1, on_rows=rows)
        await job.run()
    assert removed
    assert [(p.resource, p.reason) for p in job.problems] == [
        ("project platform/web", "HTTP 404: 404 Project Not Found")
    ]
    expected = {
        key: value for key, value in expected_for_bob(sim).items() if value[1] != "platform/web"
    }
    assert seen(job, ownership) == expected
    assert job.complete and job.progress.problems == 1


async def test_a_refused_token_list_is_a_problem_and_the_credential_is_checked(sim) -> None:
    """GitLab answers 401 where the account may not list a project's tokens: the scan asks
    whether the credential still works (it does), and lists the project as a problem."""
    ownership = Ownership()
    demoted = False

    def rows(new) -> None:
        nonlocal demoted
        placed = ownership.placement(new[0])
        if demoted or placed is None or placed.resource is None:
            return
        if placed.resource.path == "platform/api":
            with sim.state.lock:
                # bob is no longer Owner of platform: only a Developer of platform/web.
                sim.state.groups[1].members[BOB] = 30
                sim.state.touch()
            demoted = True

    async with client(sim, sim.maintainer_token) as api:
        job = Scan(api, ownership, concurrency=1, on_rows=rows)
        await job.run()
    assert demoted
    problems = {p.resource: p.reason for p in job.problems}
    assert problems["project platform/web"].startswith("not allowed (HTTP 401)")
    assert job.complete
    assert sim.requests(method="GET", path_contains="/personal_access_tokens/self")


@pytest.mark.parametrize("token_name", ["maintainer_token", "admin_token"])
async def test_the_result_is_exact_under_server_errors_and_dropped_connections(
    sim_factory, token_name
) -> None:
    clean = sim_factory()
    async with client(clean, getattr(clean, token_name)) as api:
        reference = await scan(api)
    flaky = sim_factory(fail_rate=0.2, drop_rate=0.05)
    ownership = Ownership()
    async with client(flaky, getattr(flaky, token_name), retry=RetryPolicy(max_attempts=20)) as api:
        job = await scan(api, ownership, concurrency=4)
    assert [r for r in flaky.request_log if r.status >= 500 or r.dropped]
    assert job.problems == []
    assert set(job.rows) == set(reference.rows)
    assert len(job.rows) == len(reference.rows)


async def test_the_store_streams_a_scan_and_a_stop_keeps_what_arrived(sim) -> None:
    ownership = Ownership()
    async with client(sim, sim.maintainer_token) as api:
        store = TokenStore(api, ownership=ownership)
        changes: list[Change] = []
        first_rows = asyncio.Event()

        def listen(change: Change) -> None:
            changes.append(change)
            if change is Change.PAGE and not first_rows.is_set():
                first_rows.set()
                store.stop()

        store.subscribe(listen)
        store.set_source(Everything())
        await first_rows.wait()
        assert not store.loading and store.stopped and not store.complete
        kept = store.loaded
        assert 0 < kept < len(expected_for_bob(sim))
        assert changes[-1] is Change.DONE
        await asyncio.sleep(0)
        assert store.loaded == kept  # nothing lands after the stop

        # A full scan: progress events, every row, the refresh time.
        changes.clear()
        await store.load()
        assert store.complete and not store.stopped
        assert store.loaded == len(expected_for_bob(sim))
        assert Change.PROGRESS in changes and changes.count(Change.PAGE) > 1
        assert store.refreshed_at is not None
        assert store.progress_text() == f"{store.loaded:,} tokens"
        kinds = {ownership.kind(t, store.source) for t in store.view}
        assert TokenKind.DEPLOY in kinds and TokenKind.SERVICE_ACCOUNT in kinds


async def test_many_projects_are_walked_by_keyset_pages_and_counted(sim) -> None:
    from test_simulator_directory import add_projects

    added = add_projects(sim, 230)  # in platform/infra: bob is Owner through platform
    for pid in added[::50]:
        sim.issue_resource_token("project", pid, name=f"ci-{pid}", scopes=("read_api",))
    texts: list[str] = []
    ownership = Ownership()
    async with client(sim, sim.maintainer_token) as api:
        job = await scan(api, ownership, on_progress=lambda p: texts.append(p.text()))
    assert job.progress.text() == "232 of 232 projects, 2 of 2 groups"
    assert any(text.startswith("0 of 100+ projects") for text in texts)
    pages = [r for r in sim.requests(method="GET") if r.path == "/api/v4/projects"]
    assert len(pages) == 3 and sum("id_after=" in r.query for r in pages) == 2
    new_rows = {t.name for t in job.rows.values() if ownership.kind(t, None) is TokenKind.PROJECT}
    assert {f"ci-{pid}" for pid in added[::50]} <= new_rows


async def test_under_a_rate_limit_the_scan_is_exact_and_never_exceeds_it(sim_factory) -> None:
    """The simulator limits the credential to 12 requests a minute: the whole scan still
    finishes with every row, and no window of the simulator's count holds more than 12 (the
    client holds requests back instead of knocking). A fake clock moves on instead of
    sleeping."""
    from conftest import FROZEN_NOW
    from test_client_rate_limits import FakeTime

    clean = sim_factory(clock=FakeTime(FROZEN_NOW))  # the same data: made at the same time
    async with client(clean, clean.maintainer_token) as api:
        reference = await scan(api)
    fake = FakeTime(FROZEN_NOW)
    limited = sim_factory(clock=fake, rate_limit=12)
    api = GitLabClient(limited.url, limited.maintainer_token, sleep=fake.sleep, clock=fake.epoch)
    async with api:
        job = await scan(api, Ownership(), concurrency=8)
    assert job.problems == []
    assert set(job.rows) == set(reference.rows)
    assert limited.rate_limits.most_in_a_window() <= 12
    assert limited.rate_limits.throttled() == 0
    assert len(limited.rate_limits.windows(limited.maintainer_token)) >= 2  # it did bite


async def test_the_result_is_exact_under_429_answers(sim_factory) -> None:
    """Rack::Attack's 429s (``Retry-After``) and an application limit's (none) on the
    project list: the reads wait and are retried; the rows are exactly those of a clean run."""
    clean = sim_factory()
    async with client(clean, clean.maintainer_token) as api:
        reference = await scan(api)
    throttled = sim_factory()
    throttled.faults.burst_429(2, retry_after=1)
    throttled.faults.app_limit(r"^/api/v4/projects$", times=2)
    async with client(throttled, throttled.maintainer_token) as api:
        job = await scan(api, Ownership(), concurrency=4)
    assert [r.status for r in throttled.request_log].count(429) == 4
    assert job.problems == []
    assert set(job.rows) == set(reference.rows)


async def test_a_held_scan_walks_no_project_or_group_until_released(sim) -> None:
    # The TUI paints its first screen before the projects' answers compete with it (P8):
    # the walk waits for ``hold``; the user's own tokens are read meanwhile.
    released = asyncio.Event()
    holding: list[bool] = []

    async def hold() -> None:
        holding.append(True)
        await released.wait()

    ownership = Ownership()
    async with client(sim, sim.maintainer_token) as api:
        job = Scan(api, ownership, hold=hold)
        running = asyncio.create_task(job.run())
        async with asyncio.timeout(10):
            while not (holding and sim.requests(method="GET", path_contains="access_tokens")):
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        walked = [
            r.path for r in sim.request_log if r.path in ("/api/v4/projects", "/api/v4/groups")
        ]
        assert walked == [] and not job.complete
        released.set()
        await running
    assert job.complete and seen(job, ownership) == expected_for_bob(sim)
