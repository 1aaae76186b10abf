"""Every client endpoint against the simulator over loopback HTTP: success and each error class.

Cast (seeded): 1 root (admin), 2 alice, 3 bob (Maintainer of platform/api, Owner of platform).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tokentui.gitlab import errors
from tokentui.gitlab.client import CreateTokenRequest, GitLabClient
from tokentui.gitlab.sources import (
    GroupTokens,
    ImpersonationTokens,
    PersonalTokens,
    ProjectTokens,
    ServiceAccountTokens,
    TokenFilters,
)

ALICE, BOB = 2, 3


def client_for(sim, token: str | None) -> GitLabClient:
    async def no_wait(delay: float) -> None:
        return None

    return GitLabClient(sim.url, token, sleep=no_wait)


# --- who and where ---------------------------------------------------------------------------


async def test_current_user_and_lookups(sim, admin_client, user_client) -> None:
    root = await admin_client.current_user()
    assert (root.id, root.username, root.is_admin) == (1, "root", True)
    alice = await user_client.current_user()
    assert (alice.id, alice.username, alice.is_admin) == (ALICE, "alice", False)
    assert (await admin_client.get_user(BOB)).username == "bob"
    project = await admin_client.get_project("platform/api")
    assert (project.id, project.path_with_namespace) == (1, "platform/api")
    assert (await admin_client.get_project(1)).path_with_namespace == "platform/api"
    group = await admin_client.get_group("platform/infra")
    assert (group.id, group.full_path, group.parent_id) == (2, "platform/infra", 1)
    assert (await admin_client.version()).version


async def test_lookups_not_found(admin_client) -> None:
    with pytest.raises(errors.NotFound, match="404 Project Not Found"):
        await admin_client.get_project("platform/nothing-here")
    with pytest.raises(errors.NotFound, match="Group Not Found"):
        await admin_client.get_group(999)
    with pytest.raises(errors.NotFound, match="User Not Found"):
        await admin_client.get_user(99999)


# --- credentials that fail -------------------------------------------------------------------


async def test_unauthorized_reasons(sim) -> None:
    today = sim.today()
    expired = sim.issue_token(ALICE, name="old", scopes=["api"], expires_at=today - timedelta(1))
    revoked = sim.issue_token(ALICE, name="gone", scopes=["api"], revoked=True)
    cases = [
        (None, "missing"),
        ("glpat-not-a-real-token-000000", "unknown"),
        (expired, "expired"),
        (revoked, "revoked"),
    ]
    for token, reason in cases:
        async with client_for(sim, token) as client:
            with pytest.raises(errors.Unauthorized) as info:
                await client.current_user()
        assert info.value.reason == reason
        if token:
            assert token not in str(info.value)


async def test_insufficient_scope(sim) -> None:
    weak = sim.issue_token(ALICE, name="repo-only", scopes=["read_repository"])
    reader = sim.issue_token(ALICE, name="reader", scopes=["read_api"])
    async with client_for(sim, weak) as client:
        with pytest.raises(errors.InsufficientScope) as info:
            await client.list_tokens(PersonalTokens(user_id=ALICE, mine=True))
        assert "api" in info.value.required_scopes
        assert (await client.get_self_token()).name == "repo-only"  # self accepts any scope
    async with client_for(sim, reader) as client:
        mine = await client.list_tokens(PersonalTokens(user_id=ALICE, mine=True))
        assert any(t.name == "reader" for t in mine)
        with pytest.raises(errors.InsufficientScope):
            await client.revoke_token(PersonalTokens(user_id=ALICE, mine=True), mine[0].id)


# --- personal access tokens ------------------------------------------------------------------


async def test_lists_by_role(sim, admin_client, user_client) -> None:
    everything = await admin_client.list_tokens(PersonalTokens())
    assert sorted(t.id for t in everything) == sorted(sim.state.tokens)
    mine = await user_client.list_tokens(PersonalTokens(user_id=ALICE, mine=True))
    assert mine and all(t.user_id == ALICE for t in mine)
    assert not any(t.impersonation for t in mine)
    active = await user_client.list_tokens(
        PersonalTokens(user_id=ALICE, mine=True), TokenFilters(state="active")
    )
    assert active and all(t.active for t in active) and len(active) <= len(mine)
    with pytest.raises(errors.Unauthorized):
        await user_client.list_tokens(PersonalTokens(user_id=BOB))
    with pytest.raises(errors.NotFound):
        await admin_client.list_tokens(PersonalTokens(user_id=99999))


async def test_get_token_and_self(sim, admin_client, user_client) -> None:
    own = (await user_client.list_tokens(PersonalTokens(user_id=ALICE, mine=True)))[0]
    source = PersonalTokens(user_id=ALICE, mine=True)
    assert (await user_client.get_token(source, own.id)).id == own.id
    assert (await admin_client.get_token(PersonalTokens(), own.id)).user_id == ALICE
    me = await user_client.get_self_token()
    assert me.id == sim.token_record(sim.user_token).id
    bobs = await admin_client.list_tokens(PersonalTokens(user_id=BOB))
    with pytest.raises(errors.Unauthorized):  # GitLab hides other users' tokens behind 401
        await user_client.get_token(source, bobs[0].id)
    with pytest.raises(errors.NotFound):
        await admin_client.get_token(PersonalTokens(), 10**8)


async def test_self_associations(maintainer_client) -> None:
    associations = await maintainer_client.self_associations()
    assert 1 in {g.id for g in associations.groups}  # group platform
    assert "platform/api" in {p.path_with_namespace for p in associations.projects}


async def test_admin_creates_rotates_and_revokes_a_users_token(sim, admin_client) -> None:
    source = PersonalTokens(user_id=ALICE)
    expires = sim.today() + timedelta(days=30)
    new = await admin_client.create_token(
        source,
        CreateTokenRequest(name="ci", scopes=("api", "read_user"), expires_at=expires),
        viewer_is_admin=True,
    )
    value = new.token.get_secret_value()
    assert value.startswith("glpat-") and value not in repr(new)
    assert (new.name, new.scopes, new.expires_at, new.user_id) == (
        "ci",
        ("api", "read_user"),
        expires,
        ALICE,
    )
    async with client_for(sim, value) as as_alice:
        assert (await as_alice.current_user()).username == "alice"
    rotated = await admin_client.rotate_token(source, new.id, expires_at=expires)
    assert rotated.id != new.id and rotated.name == "ci"
    assert rotated.token.get_secret_value() != value
    assert (await admin_client.get_token(source, new.id)).revoked
    with pytest.raises(errors.ValidationFailed, match="Token already revoked"):
        await admin_client.rotate_token(source, new.id)
    await admin_client.revoke_token(source, rotated.id)
    assert (await admin_client.get_token(source, rotated.id)).revoked
    with pytest.raises(errors.NotFound):
        await admin_client.revoke_token(source, 10**8)


async def test_create_validation(sim, admin_client, user_client) -> None:
    source = PersonalTokens(user_id=ALICE)
    too_late = sim.today() + timedelta(days=400)
    with pytest.raises(errors.ValidationFailed, match="Expiration date must be before"):
        await admin_client.create_token(
            source,
            CreateTokenRequest(name="x", scopes=("api",), expires_at=too_late),
            viewer_is_admin=True,
        )
    with pytest.raises(ValueError, match="not valid for tokens"):
        await admin_client.create_token(
            source, CreateTokenRequest(name="x", scopes=("nope",)), viewer_is_admin=True
        )
    with pytest.raises(ValueError, match="cannot be created"):
        await user_client.create_token(
            PersonalTokens(user_id=BOB), CreateTokenRequest("x", ("api",)), viewer_is_admin=False
        )
    with pytest.raises(ValueError, match="needs a name"):
        await admin_client.create_token(
            source, CreateTokenRequest(name="  ", scopes=("api",)), viewer_is_admin=True
        )


async def test_non_admin_cannot_use_admin_create(sim, user_client) -> None:
    with pytest.raises(errors.Forbidden):
        await user_client.create_token(
            PersonalTokens(user_id=ALICE), CreateTokenRequest("x", ("api",)), viewer_is_admin=True
        )


async def test_self_service_create(sim, user_client) -> None:
    mine = PersonalTokens(user_id=ALICE, mine=True)
    new = await user_client.create_token(
        mine,
        CreateTokenRequest(
            name="kube", scopes=("k8s_proxy",), expires_at=sim.today() + timedelta(3)
        ),
        viewer_is_admin=False,
    )
    assert new.scopes == ("k8s_proxy",) and new.user_id == ALICE
    with pytest.raises(ValueError, match="api is not valid"):
        await user_client.create_token(
            mine, CreateTokenRequest("x", ("api",)), viewer_is_admin=False
        )


async def test_user_rotates_and_revokes_own_token(sim, user_client) -> None:
    mine = PersonalTokens(user_id=ALICE, mine=True)
    extra = sim.issue_token(ALICE, name="to-rotate", scopes=["api"])
    record = sim.token_record(extra)
    rotated = await user_client.rotate_token(mine, record.id)
    assert rotated.expires_at == sim.today() + timedelta(days=7)  # GitLab's default
    await user_client.revoke_token(mine, rotated.id)
    assert (await user_client.get_token(mine, rotated.id)).revoked
    bobs = sim.token_record(sim.maintainer_token)
    with pytest.raises(errors.Unauthorized):
        await user_client.rotate_token(mine, bobs.id)
    with pytest.raises((errors.Forbidden, errors.ValidationFailed), match="Not permitted"):
        await user_client.revoke_token(mine, bobs.id)


async def test_rotate_self_then_the_old_value_is_revoked(sim) -> None:
    value = sim.issue_token(ALICE, name="self-rotating", scopes=["self_rotate"])
    async with client_for(sim, value) as client:
        new = await client.rotate_self(expires_at=sim.today() + timedelta(days=10))
        assert new.name == "self-rotating"
        with pytest.raises(errors.Unauthorized) as info:
            await client.get_self_token()
        assert info.value.reason == "revoked"
        client.set_token(new.token)
        assert (await client.get_self_token()).id == new.id
    limited = sim.issue_token(ALICE, name="reader", scopes=["read_api"])
    async with client_for(sim, limited) as client:
        with pytest.raises(errors.InsufficientScope):
            await client.rotate_self()


async def test_revoke_self(sim) -> None:
    value = sim.issue_token(ALICE, name="short-lived", scopes=["read_api"])
    async with client_for(sim, value) as client:
        await client.revoke_self()
        with pytest.raises(errors.Unauthorized) as info:
            await client.get_self_token()
    assert info.value.reason == "revoked"


# --- impersonation tokens --------------------------------------------------------------------


async def test_impersonation_tokens(sim, admin_client, user_client) -> None:
    source = ImpersonationTokens(user_id=ALICE)
    new = await admin_client.create_token(
        source,
        CreateTokenRequest("support", ("api",), expires_at=sim.today() + timedelta(5)),
        viewer_is_admin=True,
    )
    assert new.impersonation is True
    listed = await admin_client.list_tokens(source)
    assert new.id in {t.id for t in listed} and all(t.impersonation for t in listed)
    assert (await admin_client.get_token(source, new.id)).name == "support"
    await admin_client.revoke_token(source, new.id)
    assert (await admin_client.get_token(source, new.id)).revoked
    with pytest.raises(errors.Forbidden):
        await user_client.list_tokens(source)
    with pytest.raises(errors.NotFound):
        await admin_client.get_token(source, sim.token_record(sim.user_token).id)
    with pytest.raises(ValueError, match="expiry"):
        await admin_client.create_token(
            source, CreateTokenRequest("x", ("api",)), viewer_is_admin=True
        )


# --- project and group tokens ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "not_found"),
    [
        (ProjectTokens(resource="platform/api"), ProjectTokens(resource="platform/nope")),
        (GroupTokens(resource="platform"), GroupTokens(resource="nope")),
    ],
)
async def test_resource_tokens(sim, maintainer_client, user_client, source, not_found) -> None:
    expires = sim.today() + timedelta(days=20)
    new = await maintainer_client.create_token(
        source,
        CreateTokenRequest("deploy", ("read_api",), expires_at=expires, access_level=30),
        viewer_is_admin=False,
    )
    assert (new.access_level, new.expires_at) == (30, expires)
    listed = await maintainer_client.list_tokens(source)
    assert new.id in {t.id for t in listed}
    assert (await maintainer_client.get_token(source, new.id)).access_level == 30
    rotated = await maintainer_client.rotate_token(source, new.id)
    assert rotated.id != new.id and rotated.access_level == 30
    await maintainer_client.revoke_token(source, rotated.id)
    assert (await maintainer_client.get_token(source, rotated.id)).revoked
    with pytest.raises(errors.Unauthorized):  # no permission: GitLab answers 401 here
        await user_client.list_tokens(source)
    with pytest.raises(errors.NotFound):
        await maintainer_client.list_tokens(not_found)
    with pytest.raises(errors.NotFound):
        await maintainer_client.get_token(source, 10**8)
    with pytest.raises(ValueError, match="access level 5 is not one of"):
        await maintainer_client.create_token(
            source,
            CreateTokenRequest("x", ("api",), expires_at=expires, access_level=5),
            viewer_is_admin=False,
        )
    with pytest.raises(ValueError, match="read_user is not valid"):
        await maintainer_client.create_token(
            source,
            CreateTokenRequest("x", ("read_user",), expires_at=expires),
            viewer_is_admin=False,
        )


async def test_resource_token_rotates_itself(sim, admin_client) -> None:
    value = sim.issue_resource_token("project", 1, name="bot", scopes=["self_rotate"])
    async with client_for(sim, value) as client:
        new = await client.rotate_self(ProjectTokens(resource="platform/api"))
    assert new.name == "bot" and new.resource_type in (None, "project")
    old = sim.token_record(value)
    assert old.revoked


# --- service accounts ------------------------------------------------------------------------


async def test_service_account_tokens(sim, admin_client, user_client) -> None:
    accounts = await admin_client.list_service_accounts("platform")
    assert accounts and all(a.username.startswith("service_account_group_1_") for a in accounts)
    source = ServiceAccountTokens(group="platform", user_id=accounts[0].id)
    new = await admin_client.create_token(
        source,
        CreateTokenRequest("robot", ("api",), expires_at=sim.today() + timedelta(days=9)),
        viewer_is_admin=True,
    )
    assert new.user_id == accounts[0].id
    assert new.id in {t.id for t in await admin_client.list_tokens(source)}
    assert (await admin_client.get_token(source, new.id)).name == "robot"
    rotated = await admin_client.rotate_token(source, new.id)
    assert rotated.id != new.id
    await admin_client.revoke_token(source, rotated.id)
    assert (await admin_client.get_token(source, rotated.id)).revoked
    with pytest.raises(errors.Forbidden):
        await user_client.list_service_accounts("platform")
    with pytest.raises(errors.NotFound):
        await admin_client.list_tokens(ServiceAccountTokens(group="platform", user_id=ALICE))


async def test_wrong_url_root_is_not_gitlab(sim) -> None:
    async with client_for(sim, sim.admin_token) as good:
        assert good.base_url == sim.url
    async with GitLabClient(sim.url + "/wrong/root/", sim.admin_token) as client:
        assert client.base_url == sim.url + "/wrong/root"
        with pytest.raises(errors.NotGitLab, match="HTML page") as info:
            await client.current_user()
    assert "is the URL right?" in str(info.value)
    assert sim.admin_token not in str(info.value)
