"""GitLabClient's deploy-token methods against the simulator over loopback HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import SecretStr

from tokentui.gitlab import errors
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.deploy_tokens import CreateDeployTokenRequest, DeployTokenOwner
from tokentui.gitlab.models import DeployToken, NewDeployToken
from tokentui.simulator import Simulator

API = DeployTokenOwner("project", "platform/api")
PLATFORM = DeployTokenOwner("group", 1)


def expected_ids(sim: Simulator, kind: str, resource_id: int, *, active: bool = False) -> list[int]:
    now = sim.now()
    return [
        t.id
        for t in sim.state.deploy_tokens.values()
        if t.resource_type == kind
        and t.resource_id == resource_id
        and (not active or t.active(now))
    ]


async def test_lists_a_projects_and_a_groups_tokens(
    maintainer_client: GitLabClient, sim: Simulator
) -> None:
    tokens = await maintainer_client.list_deploy_tokens(API)
    assert [t.id for t in tokens] == expected_ids(sim, "project", 1)
    assert all(isinstance(t, DeployToken) for t in tokens)
    for token in tokens:
        record = sim.state.deploy_tokens[token.id]
        assert (token.name, token.scopes, token.revoked) == (
            record.name,
            record.scopes,
            record.revoked,
        )
        assert token.expires_at == record.expires_at
        assert token.expired == record.expired(sim.today())
    active = await maintainer_client.list_deploy_tokens(API, active=True)
    assert [t.id for t in active] == expected_ids(sim, "project", 1, active=True)
    assert len(active) < len(tokens)
    group = await maintainer_client.list_deploy_tokens(PLATFORM)
    assert [t.id for t in group] == expected_ids(sim, "group", 1)


async def test_expiry_is_an_aware_datetime_or_none(
    maintainer_client: GitLabClient, sim: Simulator
) -> None:
    tokens = await maintainer_client.list_deploy_tokens(API)
    never = next(t for t in tokens if t.name == "gitlab-deploy-token")
    assert never.expires_at is None and never.username == f"gitlab+deploy-token-{never.id}"
    dated = [t for t in tokens if t.expires_at is not None]
    assert dated and all(
        t.expires_at is not None and t.expires_at.tzinfo is not None for t in dated
    )


async def test_paginates_every_page_in_order(
    maintainer_client: GitLabClient, sim: Simulator
) -> None:
    for n in range(230):
        sim.issue_deploy_token("project", 1, name=f"fleet-{n}")
    tokens = await maintainer_client.list_deploy_tokens(API)
    assert [t.id for t in tokens] == expected_ids(sim, "project", 1)
    assert len(tokens) == 234
    pages = sim.requests("GET", "/projects/platform%2Fapi/deploy_tokens")
    assert sorted(r.query for r in pages) == sorted(f"page={n}&per_page=100" for n in (1, 2, 3))
    first_five = await maintainer_client.list_deploy_tokens(API, limit=5)
    assert [t.id for t in first_five] == expected_ids(sim, "project", 1)[:5]


async def test_instance_list_for_administrators_only(
    admin_client: GitLabClient, user_client: GitLabClient, sim: Simulator
) -> None:
    every = await admin_client.list_deploy_tokens()
    assert [t.id for t in every] == sorted(sim.state.deploy_tokens)
    active = await admin_client.list_deploy_tokens(active=True)
    assert [t.id for t in active] == [
        t.id for t in sim.state.deploy_tokens.values() if t.active(sim.now())
    ]
    with pytest.raises(errors.Forbidden):
        await user_client.list_deploy_tokens()
    with pytest.raises(errors.Forbidden):
        await user_client.list_deploy_tokens(API)


async def test_create_get_revoke(maintainer_client: GitLabClient, sim: Simulator) -> None:
    expires = datetime.combine(sim.today() + timedelta(days=90), datetime.min.time(), UTC)
    created = await maintainer_client.create_deploy_token(
        API,
        CreateDeployTokenRequest(
            name="k8s-pull",
            scopes=("read_registry", "read_repository"),
            expires_at=expires.date(),
            username="k8s",
        ),
    )
    assert isinstance(created, NewDeployToken) and isinstance(created.token, SecretStr)
    value = created.token.get_secret_value()
    assert value.startswith("gldt-") and sim.deploy_token_record(value).id == created.id
    assert value not in repr(created) and value not in str(created)
    assert value not in repr(created.public()) and not hasattr(created.public(), "token")
    assert (created.username, created.expires_at, created.scopes) == (
        "k8s",
        expires,
        ("read_repository", "read_registry"),
    )
    got = await maintainer_client.get_deploy_token(API, created.id)
    assert got == created.public()
    await maintainer_client.revoke_deploy_token(API, created.id)
    assert created.id not in sim.state.deploy_tokens
    with pytest.raises(errors.NotFound):
        await maintainer_client.get_deploy_token(API, created.id)
    assert len(sim.requests("DELETE", f"/deploy_tokens/{created.id}")) == 1


async def test_default_username_and_datetime_expiry(
    maintainer_client: GitLabClient, sim: Simulator
) -> None:
    at = datetime(2030, 5, 1, 8, 30, tzinfo=UTC)
    created = await maintainer_client.create_deploy_token(
        PLATFORM,
        CreateDeployTokenRequest(name="pkg", scopes=("read_package_registry",), expires_at=at),
    )
    assert created.username == f"gitlab+deploy-token-{created.id}" and created.expires_at == at
    forever = await maintainer_client.create_deploy_token(
        PLATFORM, CreateDeployTokenRequest(name="forever", scopes=("read_repository",))
    )
    assert forever.expires_at is None


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (CreateDeployTokenRequest(name="  ", scopes=("read_registry",)), "needs a name"),
        (CreateDeployTokenRequest(name="x", scopes=()), "at least one scope"),
        (
            CreateDeployTokenRequest(name="x", scopes=("api", "read_registry")),
            "api is not valid for deploy tokens",
        ),
        (
            CreateDeployTokenRequest(name="x", scopes=("read_registry",), username="ci bot"),
            "only letters",
        ),
        (
            CreateDeployTokenRequest(name="x", scopes=("read_registry",), username="u" * 256),
            "at most 255",
        ),
        (
            CreateDeployTokenRequest(
                name="x", scopes=("read_registry",), expires_at=datetime(2030, 1, 1)
            ),
            "time zone",
        ),
    ],
)
async def test_invalid_requests_never_reach_gitlab(
    maintainer_client: GitLabClient,
    sim: Simulator,
    request_: CreateDeployTokenRequest,
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        await maintainer_client.create_deploy_token(API, request_)
    assert sim.requests("POST") == []


async def test_gitlabs_refusals_are_typed_errors(
    maintainer_client: GitLabClient, user_client: GitLabClient, sim: Simulator
) -> None:
    request = CreateDeployTokenRequest(
        name="x", scopes=("read_registry",), expires_at=date(2030, 1, 1)
    )
    with pytest.raises(errors.Forbidden):  # alice is a Developer of platform/api
        await user_client.create_deploy_token(API, request)
    with pytest.raises(errors.NotFound):  # data/warehouse is private and bob no member
        await maintainer_client.create_deploy_token(
            DeployTokenOwner("project", "data/warehouse"), request
        )
    assert not [t for t in sim.state.deploy_tokens.values() if t.name == "x"]


async def test_a_502_on_create_is_an_unknown_outcome_sent_once(
    maintainer_client: GitLabClient, sim: Simulator
) -> None:
    before = set(sim.state.deploy_tokens)
    sim.faults.proxy_error("POST", r"/deploy_tokens$", 502, after_action=True)
    with pytest.raises(errors.OutcomeUnknown) as info:
        await maintainer_client.create_deploy_token(
            API, CreateDeployTokenRequest(name="lost", scopes=("read_registry",))
        )
    assert info.value.status == 502
    assert len(sim.requests("POST", "/deploy_tokens")) == 1  # never retried
    assert {sim.state.deploy_tokens[i].name for i in set(sim.state.deploy_tokens) - before} == {
        "lost"
    }


async def test_a_502_on_revoke_is_an_unknown_outcome_sent_once(
    maintainer_client: GitLabClient, sim: Simulator
) -> None:
    token_id = expected_ids(sim, "project", 1)[0]
    sim.faults.proxy_error("DELETE", r"/deploy_tokens/\d+$", 502, after_action=False)
    with pytest.raises(errors.OutcomeUnknown):
        await maintainer_client.revoke_deploy_token(API, token_id)
    assert len(sim.requests("DELETE", "/deploy_tokens/")) == 1
    assert token_id in sim.state.deploy_tokens


async def test_reads_are_retried(maintainer_client: GitLabClient, sim: Simulator) -> None:
    sim.faults.proxy_error("GET", r"/deploy_tokens$", 502, after_action=False)
    tokens = await maintainer_client.list_deploy_tokens(API)
    assert [t.id for t in tokens] == expected_ids(sim, "project", 1)
    assert len(sim.requests("GET", "/deploy_tokens")) == 2
