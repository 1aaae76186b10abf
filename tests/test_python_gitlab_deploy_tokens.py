"""python-gitlab, an independent real client, on the simulator's deploy tokens: what it lists,
creates and deletes must agree with the simulator's state and with tokentui's client."""

from __future__ import annotations

from datetime import timedelta

import gitlab
import pytest

from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.deploy_tokens import CreateDeployTokenRequest, DeployTokenOwner
from tokentui.gitlab.models import DeployToken
from tokentui.simulator import Simulator


def python_gitlab(sim: Simulator, token: str) -> gitlab.Gitlab:
    return gitlab.Gitlab(sim.url, private_token=token, retry_transient_errors=False)


def fields(row: dict[str, object]) -> tuple[object, ...]:
    return tuple(row[k] for k in ("id", "name", "username", "scopes", "revoked", "expired"))


def ours(token: DeployToken) -> tuple[object, ...]:
    return (token.id, token.name, token.username, list(token.scopes), token.revoked, token.expired)


async def test_lists_agree(
    sim: Simulator, maintainer_client: GitLabClient, admin_client: GitLabClient
) -> None:
    for n in range(30):  # more than one page of python-gitlab's 20
        sim.issue_deploy_token("project", 1, name=f"fleet-{n}")
    gl = python_gitlab(sim, sim.maintainer_token)
    project = gl.projects.get(1, lazy=True)
    theirs = [fields(t.attributes) for t in project.deploytokens.list(get_all=True)]
    assert theirs == [
        ours(t) for t in await maintainer_client.list_deploy_tokens(DeployTokenOwner("project", 1))
    ]
    assert len(theirs) == 34
    group = gl.groups.get("platform", lazy=True)
    theirs_group = [fields(t.attributes) for t in group.deploytokens.list(get_all=True)]
    assert theirs_group == [
        ours(t)
        for t in await maintainer_client.list_deploy_tokens(DeployTokenOwner("group", "platform"))
    ]
    admin = python_gitlab(sim, sim.admin_token)
    everywhere = [fields(t.attributes) for t in admin.deploytokens.list(get_all=True)]
    assert everywhere == [ours(t) for t in await admin_client.list_deploy_tokens()]
    assert [row[0] for row in everywhere] == sorted(sim.state.deploy_tokens)
    with pytest.raises(gitlab.GitlabListError) as info:
        gl.deploytokens.list(get_all=True)
    assert info.value.response_code == 403


@pytest.mark.parametrize("kind", ["project", "group"])
async def test_create_and_delete_agree(
    sim: Simulator, maintainer_client: GitLabClient, kind: str
) -> None:
    gl = python_gitlab(sim, sim.maintainer_token)
    parent = gl.projects.get(1, lazy=True) if kind == "project" else gl.groups.get(1, lazy=True)
    expires = (sim.today() + timedelta(days=30)).isoformat()
    created = parent.deploytokens.create(
        {
            "name": "pg-made",
            "scopes": ["read_repository", "read_registry"],
            "expires_at": expires,
            "username": "",
        }
    )
    assert created.token.startswith("gldt-")
    assert created.username == f"gitlab+deploy-token-{created.id}"
    assert created.expires_at == f"{expires}T00:00:00.000Z"
    owner = DeployTokenOwner(kind, 1)  # type: ignore[arg-type]
    seen = await maintainer_client.get_deploy_token(owner, created.id)
    assert ours(seen) == fields(created.attributes)
    assert parent.deploytokens.get(created.id).name == "pg-made"
    # and the other way round: ours creates, python-gitlab reads and deletes
    made = await maintainer_client.create_deploy_token(
        owner,
        CreateDeployTokenRequest(name="ours", scopes=("write_package_registry",), username="pkg"),
    )
    theirs = parent.deploytokens.get(made.id)
    assert fields(theirs.attributes) == ours(made)
    parent.deploytokens.delete(made.id)
    created.delete()
    ids = [t.id for t in await maintainer_client.list_deploy_tokens(owner)]
    assert made.id not in ids and created.id not in ids
    assert made.id not in sim.state.deploy_tokens and created.id not in sim.state.deploy_tokens
