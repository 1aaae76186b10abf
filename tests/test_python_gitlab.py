"""python-gitlab, an independent real client, against the simulator over loopback HTTP.

It lists (following the ``Link`` header with ``get_all=True``), creates, rotates and revokes
personal, project, group and service-account tokens; what it sees must match ``sim.state``.
"""

from __future__ import annotations

from datetime import timedelta

import gitlab
import pytest

from tokentui.simulator import Simulator


def client(sim: Simulator, token: str) -> gitlab.Gitlab:
    return gitlab.Gitlab(sim.url, private_token=token, retry_transient_errors=False)


def test_lists_every_personal_token(sim: Simulator) -> None:
    gl = client(sim, sim.admin_token)
    tokens = gl.personal_access_tokens.list(get_all=True, per_page=50)
    assert [t.id for t in tokens] == sim.state.token_ids
    by_id = {t.id: t for t in tokens}
    for record in list(sim.state.tokens.values())[:50]:
        seen = by_id[record.id]
        assert (seen.name, seen.user_id, seen.revoked) == (
            record.name,
            record.user_id,
            record.revoked,
        )
        assert seen.scopes == list(record.scopes)
        assert seen.active == record.active(sim.today())
    active = gl.personal_access_tokens.list(get_all=True, state="active", user_id=3)
    assert [t.id for t in active] == [
        t.id for t in sim.state.tokens.values() if t.user_id == 3 and t.active(sim.today())
    ]


def test_user_sees_own_tokens_and_self(sim: Simulator) -> None:
    gl = client(sim, sim.user_token)
    gl.auth()
    assert gl.user is not None and gl.user.username == "alice"
    mine = gl.personal_access_tokens.list(get_all=True)
    assert {t.user_id for t in mine} == {2}
    me = gl.personal_access_tokens.get("self")
    assert me.id == sim.token_record(sim.user_token).id


def test_create_rotate_revoke_personal_token(sim: Simulator) -> None:
    gl = client(sim, sim.admin_token)
    expires = (sim.today() + timedelta(days=90)).isoformat()
    created = gl.users.get(4, lazy=True).personal_access_tokens.create(
        {"name": "terraform-state", "scopes": ["api", "read_user"], "expires_at": expires}
    )
    assert created.token.startswith("glpat-") and created.expires_at == expires
    record = sim.state.tokens[created.id]
    assert (record.user_id, record.scopes) == (4, ("api", "read_user"))
    token = gl.personal_access_tokens.get(created.id)
    token.rotate()
    assert token.id != created.id and token.token != created.token
    assert record.revoked and sim.state.tokens[token.id].previous_id == created.id
    assert sim.token_record(token.token).id == token.id
    gl.personal_access_tokens.delete(token.id)
    assert sim.state.tokens[token.id].revoked
    with pytest.raises(gitlab.exceptions.GitlabRotateError) as err:
        gl.personal_access_tokens.rotate(token.id)
    assert err.value.response_code == 400 and "Token already revoked" in str(err.value)


def test_self_rotation(sim: Simulator) -> None:
    value = sim.issue_token(5, name="dave-laptop", scopes=["api"])
    gl = client(sim, value)
    me = gl.personal_access_tokens.get("self")
    result = me.rotate(self_rotate=True)
    assert sim.token_record(result["token"]).previous_id == sim.token_record(value).id
    with pytest.raises(gitlab.exceptions.GitlabAuthenticationError):
        gl.personal_access_tokens.get("self")


@pytest.mark.parametrize("kind", ["project", "group"])
def test_resource_tokens(sim: Simulator, kind: str) -> None:
    gl = client(sim, sim.maintainer_token)
    owner = gl.projects.get("platform/api") if kind == "project" else gl.groups.get("platform")
    assert owner.id == 1
    listed = owner.access_tokens.list(get_all=True)
    assert [t.id for t in listed] == sorted(
        t.id for t in sim.state.tokens.values() if t.resource_type == kind and t.resource_id == 1
    )
    assert all(t.access_level == sim.state.bot_access_level(sim.state.tokens[t.id]) for t in listed)
    new = owner.access_tokens.create(
        {
            "name": "registry-push",
            "scopes": ["read_registry", "write_registry"],
            "access_level": 30,
            "expires_at": (sim.today() + timedelta(days=60)).isoformat(),
        }
    )
    assert new.token.startswith("glpat-") and new.access_level == 30
    assert sim.state.tokens[new.id].resource_type == kind
    fetched = owner.access_tokens.get(new.id)
    old_id = fetched.id
    fetched.rotate()
    assert fetched.id != old_id and sim.state.tokens[old_id].revoked
    assert sim.state.tokens[fetched.id].previous_id == old_id
    owner.access_tokens.delete(fetched.id)
    assert sim.state.tokens[fetched.id].revoked
    denied = client(sim, sim.user_token)
    target = (
        denied.projects.get(1, lazy=True) if kind == "project" else denied.groups.get(1, lazy=True)
    )
    with pytest.raises(gitlab.exceptions.GitlabAuthenticationError) as err:
        target.access_tokens.list()
    assert err.value.response_code == 401


def test_group_service_account_tokens(sim: Simulator) -> None:
    gl = client(sim, sim.maintainer_token)
    group = gl.groups.get(1, lazy=True)
    accounts = group.service_accounts.list(get_all=True)
    assert sorted(a.id for a in accounts) == sorted(
        u.id
        for u in sim.state.users.values()
        if u.user_type == "service_account" and u.provisioned_by_group_id == 1
    )
    account = accounts[0]
    tokens = account.access_tokens.list(get_all=True)
    assert [t.id for t in tokens] == sim.state.by_user[account.id]
    made = account.access_tokens.create({"name": "nightly-sync", "scopes": ["read_api"]})
    assert sim.state.tokens[made.id].user_id == account.id
    rotated = account.access_tokens.rotate(made.id)
    assert sim.state.tokens[made.id].revoked and not sim.state.tokens[rotated["id"]].revoked
    account.access_tokens.delete(rotated["id"])
    assert sim.state.tokens[rotated["id"]].revoked


def test_impersonation_tokens(sim: Simulator) -> None:
    gl = client(sim, sim.admin_token)
    alice = gl.users.get(2)
    listed = alice.impersonationtokens.list(get_all=True)
    assert [t.id for t in listed] == [
        t.id for t in sim.state.tokens.values() if t.user_id == 2 and t.impersonation
    ]
    made = alice.impersonationtokens.create(
        {
            "name": "support-debug",
            "scopes": ["read_api"],
            "expires_at": (sim.today() + timedelta(days=3)).isoformat(),
        }
    )
    assert made.impersonation is True and sim.state.tokens[made.id].impersonation
    alice.impersonationtokens.delete(made.id)
    assert sim.state.tokens[made.id].revoked


def test_users_projects_and_groups_lists(sim: Simulator) -> None:
    """The directory lists tokentui's source picker searches (and a scan walks), paged as
    python-gitlab pages them: ``get_all`` follows the ``Link`` header, keyset included."""
    from tokentui.simulator.records import GroupRecord, ProjectRecord

    state = sim.state
    for number in range(60):
        pid = max(state.projects) + 1
        path = f"svc-{number:02d}"
        state.projects[pid] = ProjectRecord(
            pid, path, path, 2, f"platform/infra/{path}", sim.now() - timedelta(days=3)
        )
        gid = max(state.groups) + 1
        state.groups[gid] = GroupRecord(
            gid,
            f"Team {number:02d}",
            f"team-{number:02d}",
            f"platform/team-{number:02d}",
            sim.now() - timedelta(days=3),
            parent_id=1,
        )
    state.touch()
    admin = client(sim, sim.admin_token)
    users = admin.users.list(get_all=True, per_page=20)
    assert [u.id for u in users] == sorted(state.users, reverse=True)
    (bob,) = admin.users.list(username="bob")
    assert (bob.id, bob.name) == (3, "Bob Brenner")
    assert [u.username for u in admin.users.list(search="carol")] == ["carol"]

    projects = admin.projects.list(get_all=True, per_page=25, order_by="id", sort="asc")
    assert [p.id for p in projects] == sorted(state.projects)
    keyset = admin.projects.list(
        iterator=True, pagination="keyset", order_by="id", sort="asc", per_page=25
    )
    assert [p.id for p in keyset] == sorted(state.projects)

    bob_gl = client(sim, sim.maintainer_token)
    maintained = bob_gl.projects.list(get_all=True, min_access_level=40, per_page=20)
    assert len(maintained) == len(state.projects) - 1  # all but the private data/warehouse
    groups = bob_gl.groups.list(get_all=True, min_access_level=50, per_page=20)
    assert {g.full_path for g in groups} == {
        g.full_path for g in state.groups.values() if g.full_path.startswith("platform")
    }
    alice = client(sim, sim.user_token)
    assert [g.full_path for g in alice.groups.list(get_all=True)] == ["platform"]
    found = alice.projects.list(search="platform/infra/svc-0", search_namespaces=True, get_all=True)
    assert sorted(p.path_with_namespace for p in found) == [
        f"platform/infra/svc-0{n}" for n in range(10)
    ]
