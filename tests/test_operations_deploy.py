"""Deploy tokens through the operations layer (issue 13): create, revoke, the successor that
stands in for GitLab's missing rotate; each write sent once, a lost answer read back. Against
the real simulator over loopback HTTP (bob: Maintainer of platform/api, Owner of platform)."""

from __future__ import annotations

from datetime import timedelta

from tokentui.core.operations import (
    Operations,
    Status,
    create_deploy_token,
    revoke_deploy_tokens,
    successor_request,
)
from tokentui.core.write_outcome import Finding
from tokentui.gitlab import errors
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.deploy_tokens import CreateDeployTokenRequest
from tokentui.gitlab.models import TokenKind
from tokentui.gitlab.sources import DeployTokens, resolve_source
from tokentui.simulator import Simulator

PROJECT = DeployTokens(resource_type="project", resource="platform/api")


async def instant(delay: float) -> None:
    """A retry wait that does not wait."""


def writes(sim: Simulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sim.request_log if r.method in ("POST", "DELETE", "PUT")]


def test_the_deploy_sources_are_choices_of_their_own() -> None:
    source = resolve_source("group-deploy", "platform/", viewer_id=1, viewer_is_admin=False)
    assert source == DeployTokens(resource_type="group", resource="platform")
    assert source.kind is TokenKind.DEPLOY and not source.can_rotate
    assert source.list_path() == "/groups/platform/deploy_tokens"


async def test_a_deploy_list_is_rows_keyed_apart_from_access_tokens(sim: Simulator) -> None:
    async with GitLabClient(sim.url, sim.maintainer_token, sleep=instant) as client:
        rows = await client.list_tokens(PROJECT)
        one = await client.get_token(PROJECT, rows[0].id)
    assert rows and all(r.is_deploy and r.key == -r.id for r in rows)
    assert {r.resource_type for r in rows} == {"project"}
    assert one == rows[0]


async def test_create_then_revoke_deletes_it_in_gitlab(sim: Simulator) -> None:
    request = CreateDeployTokenRequest(
        name="registry-pull",
        scopes=("read_registry",),
        expires_at=sim.today() + timedelta(days=90),
        username="puller",
    )
    async with GitLabClient(sim.url, sim.maintainer_token, sleep=instant) as client:
        ops = Operations(client)
        done = await create_deploy_token(ops, PROJECT, request)
        assert done.status is Status.DONE and done.new_token is not None
        new = done.new_token
        assert new.is_deploy and new.username == "puller" and new.token.get_secret_value()
        assert new.id in sim.state.deploy_tokens
        [revoked] = await revoke_deploy_tokens(ops, PROJECT, [new.public()])
        assert revoked.status is Status.DONE
        assert new.id not in sim.state.deploy_tokens  # DELETE removes it
        refused = await create_deploy_token(
            ops, PROJECT, CreateDeployTokenRequest(name="x", scopes=("api",))
        )
    assert refused.status is Status.REFUSED and "deploy tokens" in (refused.reason or "")
    posts = [p for m, p in writes(sim) if m == "POST"]
    assert posts == ["/api/v4/projects/platform%2Fapi/deploy_tokens"]  # the bad one never sent


async def test_a_lost_create_is_read_back_by_listing_by_name(sim: Simulator) -> None:
    request = CreateDeployTokenRequest(name="ci-pull", scopes=("read_repository",))
    async with GitLabClient(sim.url, sim.maintainer_token, sleep=instant) as client:
        ops = Operations(client)
        first = await create_deploy_token(ops, PROJECT, request)  # one of that name exists
        sim.faults.proxy_error("POST", r"/deploy_tokens$", 502, after_action=True)
        lost = await create_deploy_token(ops, PROJECT, request)
        sim.faults.proxy_error("POST", r"/deploy_tokens$", 504, after_action=False)
        not_made = await create_deploy_token(ops, PROJECT, request)
    assert first.status is Status.DONE and first.new_token is not None
    assert lost.status is Status.UNKNOWN and isinstance(lost.error, errors.OutcomeUnknown)
    assert lost.verdict is not None and lost.verdict.finding is Finding.DONE
    assert lost.verdict.created is not None and lost.verdict.created.id != first.new_token.id
    assert lost.token_id == lost.verdict.created.id and "cannot rotate" in lost.verdict.text
    assert not_made.verdict is not None and not_made.verdict.finding is Finding.NOT_DONE
    # Each POST sent once, never again.
    assert len([w for w in writes(sim) if w[0] == "POST"]) == 3


async def test_a_revoke_batch_reports_each_token_and_a_lost_delete(sim: Simulator) -> None:
    async with GitLabClient(sim.url, sim.maintainer_token, sleep=instant) as client:
        ops = Operations(client, concurrency=2)
        made = [
            await create_deploy_token(
                ops, PROJECT, CreateDeployTokenRequest(name=f"b{n}", scopes=("read_registry",))
            )
            for n in range(3)
        ]
        rows = [m.new_token.public() for m in made if m.new_token is not None]
        sim.faults.proxy_error("DELETE", rf"/deploy_tokens/{rows[1].id}$", 502, after_action=True)
        result = await revoke_deploy_tokens(ops, PROJECT, [rows[0], rows[1], rows[0], 987_654])
    assert [o.status for o in result] == [
        Status.DONE,
        Status.UNKNOWN,
        Status.REFUSED,  # listed twice: not sent
        Status.REFUSED,  # GitLab: no such token
    ]
    assert result.outcomes[1].verdict is not None
    assert result.outcomes[1].verdict.finding is Finding.DONE
    assert "was revoked" in result.outcomes[1].verdict.text  # read back: the token is gone
    assert rows[0].id not in sim.state.deploy_tokens and rows[1].id not in sim.state.deploy_tokens
    deletes = [p for m, p in writes(sim) if m == "DELETE"]
    assert len(deletes) == 3


def test_the_successor_keeps_name_username_and_scopes() -> None:
    from tokentui.gitlab.models import DeployToken

    old = DeployToken(
        id=4, name="pull", username="puller", scopes=("read_registry", "read_repository")
    ).as_row("group", 1)
    request = successor_request(old, None)
    assert (request.name, request.username, request.scopes, request.expires_at) == (
        "pull",
        "puller",
        ("read_registry", "read_repository"),
        None,
    )
