"""The generated fleet (``SimulatorConfig(projects=N, groups=M)``, ``tokentui simulate
--projects N --groups M``, the demo's fleet): structure, people, tokens, expiry lumps, and
GitLab's inheritance rules over HTTP on a nested tree."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from conftest import FROZEN_NOW, instant_sleep

from tokentui.gitlab.client import GitLabClient
from tokentui.simulator import Simulator, SimulatorConfig
from tokentui.simulator.rules import TokenKind

BOB, CAROL, ALICE = 3, 4, 2
FLEET_ARGS = ("--projects", "40", "--groups", "8", "--rate-limit", "1000")


def frozen() -> object:
    return FROZEN_NOW


def make(projects: int = 120, groups: int = 20, seed: int = 1) -> Simulator:
    return Simulator(
        SimulatorConfig(seed=seed, tokens=60, projects=projects, groups=groups),
        clock=lambda: FROZEN_NOW,
    )


def snapshot(sim: Simulator) -> tuple[object, ...]:
    """Everything the fleet decides, comparable between two instances."""
    state = sim.state
    return (
        [
            (g.id, g.full_path, g.visibility, sorted(g.members.items()))
            for g in state.groups.values()
        ],
        [(p.id, p.path_with_namespace, sorted(p.members.items())) for p in state.projects.values()],
        [(u.id, u.username, u.user_type) for u in state.users.values()],
        [
            (t.id, t.name, t.user_id, t.kind, t.expires_at, t.revoked, t.last_used_at, t.digest)
            for t in state.tokens.values()
        ],
        [(d.id, d.name, d.resource_id, d.expires_at) for d in state.deploy_tokens.values()],
    )


def test_the_fleet_is_deterministic_by_seed_and_leaves_the_seeded_data_alone() -> None:
    first, again, other = make(), make(), make(seed=2)
    assert snapshot(first) == snapshot(again)
    assert snapshot(first) != snapshot(other)
    assert first.owner_token == again.owner_token
    # The demo cast, its 60 tokens and its deploy tokens are the same as without a fleet.
    plain = Simulator(SimulatorConfig(seed=1, tokens=60), clock=lambda: FROZEN_NOW)
    seeded = [(t.id, t.name, t.digest, t.expires_at) for t in plain.state.tokens.values()]
    kept = [(t.id, t.name, t.digest, t.expires_at) for t in first.state.tokens.values()]
    assert kept[: len(seeded)] == seeded
    assert first.admin_token == plain.admin_token
    assert first.maintainer_token == plain.maintainer_token
    deploys = [(d.id, d.name, d.digest) for d in plain.state.deploy_tokens.values()]
    assert [(d.id, d.name, d.digest) for d in first.state.deploy_tokens.values()][:12] == deploys
    assert plain.fleet is None and plain.owner_token is None


def test_nested_groups_projects_and_people_at_realistic_levels() -> None:
    sim = make(projects=300, groups=40)
    fleet = sim.fleet
    assert fleet is not None
    state = sim.state
    assert len(fleet.groups) == 40 and len(fleet.projects) == 300
    assert len(state.groups) == 43 and len(state.projects) == 303
    depths = Counter(len(state.group_ancestry(state.groups[g])) - 1 for g in fleet.groups)
    assert depths[0] == len(fleet.top_groups) and depths[1] and depths[2], depths
    assert max(depths) <= 3
    paths = [p.path_with_namespace.lower() for p in state.projects.values()]
    assert len(paths) == len(set(paths))
    # Projects are spread unevenly: some groups hold many, others few.
    per_group = Counter(state.projects[p].namespace_id for p in fleet.projects)
    assert max(per_group.values()) >= 3 * (300 / len(per_group))
    # bob: Maintainer of every top-level group, so of every fleet project (inherited);
    # carol: Owner of every top-level group.
    assert all(state.groups[g].members[BOB] == 40 for g in fleet.top_groups)
    assert all(state.groups[g].members[CAROL] == 50 for g in fleet.top_groups)
    assert all(state.project_access(BOB, state.projects[p]) >= 40 for p in fleet.projects)
    assert all(state.project_access(CAROL, state.projects[p]) == 50 for p in fleet.projects)
    levels = Counter(
        level
        for g in fleet.groups
        for uid, level in state.groups[g].members.items()
        if state.users[uid].user_type == "human" and uid not in (BOB, CAROL)
    )
    assert levels[50] and levels[40] and levels[30] and levels[20], levels
    assert any(state.projects[p].members for p in fleet.projects)  # direct project members
    assert state.users[1].is_admin
    # No direct membership below the one inherited (GitLab refuses it).
    for g in fleet.groups:
        group = state.groups[g]
        if group.parent_id is None:
            continue
        parent = state.groups[group.parent_id]
        for uid, level in group.members.items():
            assert level > state.group_access(uid, parent), (group.full_path, uid)


def test_tokens_of_every_kind_with_a_cliff_and_realistic_states() -> None:
    sim = make(projects=300, groups=40)
    fleet = sim.fleet
    assert fleet is not None
    today = FROZEN_NOW.date()
    records = [t for t in sim.state.tokens.values() if t.id > 60]
    assert len(records) == fleet.tokens
    kinds = Counter(t.kind for t in records)
    for kind in (TokenKind.PROJECT, TokenKind.GROUP, TokenKind.SERVICE_ACCOUNT, TokenKind.PERSONAL):
        assert kinds[kind] >= 5, kinds
    # Service accounts belong to the top-level groups.
    for token in records:
        owner = sim.state.users[token.user_id]
        if token.kind is TokenKind.SERVICE_ACCOUNT:
            assert owner.provisioned_by_group_id in fleet.top_groups
    # The cliff: many tokens expire on the same day, in the next two months, created together
    # a year before; the biggest day by far.
    by_day = Counter(t.expires_at for t in records if t.expires_at is not None)
    (day, count), (_, runner_up) = by_day.most_common(2)
    assert day == fleet.cliff and today < day <= today + timedelta(days=60)
    assert count >= 0.1 * len(records) and count >= 2 * runner_up
    batch = [t.created_at for t in records if t.expires_at == fleet.cliff]
    together = [c for c in batch if c - min(batch) <= timedelta(hours=1)]
    assert len(together) >= 0.9 * len(batch)
    # Expiries spread over the next months; expired, revoked, never used, unused for months,
    # never expiring.
    months = {(t.expires_at.year, t.expires_at.month) for t in records if t.expires_at}
    assert len(months) >= 8
    assert any(t.expires_at and t.expires_at < today for t in records)
    assert any(t.revoked for t in records)
    assert any(t.last_used_at is None for t in records)
    assert any(t.last_used_at and FROZEN_NOW - t.last_used_at > timedelta(days=90) for t in records)
    assert any(t.expires_at is None for t in records)
    assert all(t.created_at <= FROZEN_NOW for t in records)
    # Deploy tokens on projects and groups.
    deploys = [d for d in sim.state.deploy_tokens.values() if d.id > 12]
    assert len(deploys) == fleet.deploy_tokens
    assert {d.resource_type for d in deploys} == {"project", "group"}


async def test_inherited_membership_counts_over_http(sim_factory) -> None:
    """bob is a member only of the top-level groups: every project below, however deep,
    is his at Maintainer (``min_access_level=40``), none at Owner except where he owns a
    subgroup; carol owns them all; permission checks follow the same chain."""
    sim = sim_factory(tokens=60, projects=150, groups=25, clock=lambda: FROZEN_NOW)
    fleet = sim.fleet
    state = sim.state
    deep = next(
        p
        for p in fleet.projects
        if len(state.group_ancestry(state.groups[state.projects[p].namespace_id])) >= 3
        and BOB not in state.projects[p].members
        and all(
            BOB not in g.members
            for g in state.group_ancestry(state.groups[state.projects[p].namespace_id])[:-1]
        )
    )
    bob = GitLabClient(sim.url, sim.maintainer_token, sleep=instant_sleep)
    carol = GitLabClient(sim.url, sim.owner_token, sleep=instant_sleep)
    alice = GitLabClient(sim.url, sim.user_token, sleep=instant_sleep)
    async with bob, carol, alice:
        maintained = {p.id for p in await bob.list_projects(min_access_level=40, simple=True)}
        assert set(fleet.projects) <= maintained and deep in maintained
        owned = {p.id for p in await carol.list_projects(min_access_level=50, simple=True)}
        assert set(fleet.projects) <= owned
        bob_owner = {p.id for p in await bob.list_projects(min_access_level=50, simple=True)}
        assert deep not in bob_owner
        groups = {g.id for g in await carol.list_groups(min_access_level=50)}
        assert set(fleet.groups) <= groups  # direct Owner of the roots, plus descendants
        direct = {g.id for g in await carol.list_groups(owned=True)}
        assert (
            set(fleet.top_groups) <= direct
            and not (set(fleet.groups) - set(fleet.top_groups)) & direct
        )
        # Keyset walk of GitLab's recipe (§7.1) finds the same projects.
        async with httpx.AsyncClient(
            base_url=sim.url, headers={"PRIVATE-TOKEN": sim.maintainer_token}
        ) as http:
            url: str | None = (
                "/api/v4/projects?min_access_level=40&simple=true&pagination=keyset&order_by=id&sort=asc&per_page=100"
            )
            walked: list[int] = []
            while url:
                r = await http.get(url)
                assert r.status_code == 200
                walked += [p["id"] for p in r.json()]
                link = re.search(r'<([^>]+)>; rel="next"', r.headers.get("link", ""))
                url = link.group(1) if link else None
        assert sorted(walked) == sorted(maintained) and len(walked) == len(set(walked))
        # Permission checks through the chain: bob reads the deep project's access and
        # deploy tokens; alice (no membership) cannot see a private one at all.
        r = httpx.get(
            f"{sim.url}/api/v4/projects/{deep}/access_tokens",
            headers={"PRIVATE-TOKEN": sim.maintainer_token},
        )
        assert r.status_code == 200
        r = httpx.get(
            f"{sim.url}/api/v4/projects/{deep}/deploy_tokens",
            headers={"PRIVATE-TOKEN": sim.maintainer_token},
        )
        assert r.status_code == 200
        top = fleet.top_groups[0]
        r = httpx.get(
            f"{sim.url}/api/v4/groups/{top}/service_accounts",
            headers={"PRIVATE-TOKEN": sim.owner_token},
        )
        assert r.status_code == 200 and r.json()


def test_two_thousand_projects_in_two_hundred_groups() -> None:
    """The P7 size builds (its time is in docs/simulator.md; no timed assertion here)."""
    sim = Simulator(SimulatorConfig(tokens=200, projects=2000, groups=200))
    fleet = sim.fleet
    assert fleet is not None
    assert len(fleet.projects) == 2000 and len(fleet.groups) == 200
    state = sim.state
    assert sum(state.project_access(BOB, p) >= 40 for p in state.projects.values()) >= 2000


def test_the_demo_has_a_fleet_with_a_cliff() -> None:
    from tokentui.demo_server import demo_simulator

    sim = demo_simulator(clock=lambda: FROZEN_NOW)
    fleet = sim.fleet
    assert fleet is not None and len(fleet.projects) >= 24
    cliff = [t for t in sim.state.tokens.values() if t.expires_at == fleet.cliff]
    assert len(cliff) >= 10


def test_simulate_prints_the_fleet_the_owner_credential_and_throttles() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokentui.cli", "simulate", "--tokens", "30", *FLEET_ARGS],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(lines)
        assert "40 projects in 8 groups" in text, text
        url = re.search(r"http://127\.0\.0\.1:\d+", text)
        owner = re.search(r"owner +\(carol\): +(glpat-\S+)", text)
        assert url and owner, text
        r = httpx.get(
            f"{url.group(0)}/api/v4/groups",
            params={"min_access_level": 50, "per_page": 100},
            headers={"PRIVATE-TOKEN": owner.group(1)},
            timeout=120,  # a bound against hanging on a busy machine, not a speed assertion
        )
        assert r.status_code == 200 and len(r.json()) >= 8
        assert r.headers["RateLimit-Limit"] == "1000"  # --rate-limit
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()


@pytest.mark.parametrize("argv", [["--projects", "-1"], ["--groups", "x"]])
def test_simulate_refuses_bad_fleet_sizes(argv: list[str], capsys) -> None:
    from tokentui.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "expected" in err and "Traceback" not in err
