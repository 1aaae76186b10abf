"""The API layer's CI/CD variable and token-information methods against the simulator, and the
pure recognition of a token value by its text (gitlab-api.md §7.4, §7.6, §7.8)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.errors import ApiError, Forbidden, NotFound, ValidationFailed
from tokentui.gitlab.models import DeployToken, Token
from tokentui.gitlab.token_formats import ValueKind, looks_like_token, make_routable, recognise
from tokentui.gitlab.variables import VariableOwner
from tokentui.simulator import Simulator

API = VariableOwner("project", "platform/api")
NEW = SecretStr("glpat-NEWVALUEnewvalue0123")


async def test_update_keeps_flags_and_value_is_secret(
    sim: Simulator, maintainer_client: GitLabClient
) -> None:
    sim.add_variable("project", 1, "TOKEN", "old-value-123", masked=True, protected=True)
    updated = await maintainer_client.update_variable(API, "TOKEN", NEW)
    assert (updated.masked, updated.protected, updated.environment_scope) == (True, True, "*")
    assert "NEWVALUE" not in repr(updated)
    stored = sim.variable("project", 1, "TOKEN")
    assert (stored.value, stored.masked, stored.protected) == (NEW.get_secret_value(), True, True)
    read = await maintainer_client.get_variable(API, "TOKEN")
    assert read.value is not None and read.value.get_secret_value() == NEW.get_secret_value()
    [put] = sim.requests("PUT")
    assert "NEWVALUE" not in put.path + put.query


async def test_scopes_filter_and_errors(sim: Simulator, maintainer_client: GitLabClient) -> None:
    sim.add_variable("project", 1, "T", "a" * 8, environment_scope="production")
    sim.add_variable("project", 1, "T", "b" * 8, environment_scope="staging")
    with pytest.raises(ApiError) as conflict:
        await maintainer_client.get_variable(API, "T")
    assert conflict.value.status == 409
    await maintainer_client.update_variable(API, "T", NEW, environment_scope="staging")
    assert sim.variable("project", 1, "T", "staging").value == NEW.get_secret_value()
    assert sim.variable("project", 1, "T", "production").value == "a" * 8
    with pytest.raises(NotFound):
        await maintainer_client.get_variable(API, "MISSING")
    with pytest.raises(ValueError):
        await maintainer_client.get_variable(API, "bad-key")
    created = await maintainer_client.create_variable(
        VariableOwner("group", 1), "G", SecretStr("x" * 10), masked=True
    )
    assert created.masked and sim.variable("group", 1, "G").value == "x" * 10
    with pytest.raises(ValidationFailed):
        await maintainer_client.update_variable(VariableOwner("group", 1), "G", SecretStr("short"))


async def test_hidden_variable_value_is_none(
    sim: Simulator, maintainer_client: GitLabClient
) -> None:
    sim.add_variable("project", 1, "H", "hidden-value", hidden=True)
    assert (await maintainer_client.get_variable(API, "H")).value is None
    assert [v.key for v in await maintainer_client.list_variables(API)] == ["H"]


async def test_permission(sim: Simulator, user_client: GitLabClient) -> None:
    sim.add_variable("project", 1, "K", "v")
    with pytest.raises(Forbidden):
        await user_client.get_variable(API, "K")


async def test_admin_token_info_and_revoke(
    sim: Simulator, admin_client: GitLabClient, user_client: GitLabClient
) -> None:
    leaked = sim.issue_token(2, name="leaked", scopes=["api"])
    deploy = sim.issue_deploy_token("project", 1, name="ci")
    info = await admin_client.admin_token_info(SecretStr(leaked))
    assert isinstance(info, Token) and (info.name, info.user_id) == ("leaked", 2)
    assert isinstance(await admin_client.admin_token_info(SecretStr(deploy)), DeployToken)
    with pytest.raises(NotFound):
        await admin_client.admin_token_info(SecretStr("glpat-" + "z" * 20))
    with pytest.raises(ValidationFailed):
        await admin_client.admin_token_info(SecretStr("not-a-token"))
    with pytest.raises(Forbidden):
        await user_client.admin_token_info(SecretStr(leaked))
    await admin_client.admin_revoke_token(SecretStr(leaked))
    assert sim.token_record(leaked).revoked
    for entry in sim.request_log:
        assert leaked not in entry.path + entry.query


# -- recognising a value by its text ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "prefix"),
    [
        ("glpat-abcdefghij0123456789", ValueKind.ACCESS_TOKEN, "glpat-"),
        ("gldt-abcdefghij0123456789", ValueKind.DEPLOY_TOKEN, "gldt-"),
        ("acme-glpat-abcdefghij0123456789", ValueKind.ACCESS_TOKEN, "acme-glpat-"),
        ("acme-gldt-abcdefghij0123456789", ValueKind.DEPLOY_TOKEN, "acme-gldt-"),
        ("glft-abcdefghij0123456789", ValueKind.OTHER, "glft-"),
        ("glrtr-abcdefghij0123456789", ValueKind.OTHER, "glrtr-"),
        ("glrt-abcdefghij0123456789", ValueKind.OTHER, "glrt-"),
        ("glcbt-abcdefghij0123456789", ValueKind.OTHER, "glcbt-"),
        ("GR1348941abcdefghij", ValueKind.OTHER, "GR1348941"),
        ("ghp_abcdefghij0123456789", ValueKind.UNKNOWN, ""),
    ],
)
def test_prefixes(value: str, kind: ValueKind, prefix: str) -> None:
    found = recognise(value)
    assert (found.kind, found.prefix) == (kind, prefix)
    assert value not in repr(found)


def test_custom_pat_prefix() -> None:
    assert recognise("corp_abcdefghij0123456789", pat_prefix="corp_").kind is ValueKind.ACCESS_TOKEN
    assert recognise("corp_abcdefghij0123456789").kind is ValueKind.UNKNOWN


def test_routable_format_decodes_owner_and_checks_crc() -> None:
    value = make_routable("glpat-", bytes(range(16)), {"organization": 1, "user": 1234})
    found = recognise(value)
    assert found.routable and found.user_id == 1234
    assert found.routing == {"organization": 1, "user": 1234}
    broken = value[:-1] + ("0" if value[-1] != "0" else "1")
    assert not recognise(broken).routable
    assert recognise(broken).kind is ValueKind.ACCESS_TOKEN
    assert not recognise("glpat-abcdefghij0123456789").routable


def test_a_hand_built_routable_value() -> None:
    """Built here step by step from §7.8, not with make_routable."""
    import base64
    import zlib

    def b36(n: int) -> str:
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"
        out = ""
        while True:
            n, r = divmod(n, 36)
            out = digits[r] + out
            if n == 0:
                return out

    text = b"o:1\nu:" + b36(77).encode()
    payload = base64.urlsafe_b64encode(b"R" * 16 + text + bytes([len(text)])).decode().rstrip("=")
    head = f"glpat-{payload}.01.{b36(len(payload)).rjust(2, '0')}"
    value = head + b36(zlib.crc32(head.encode())).rjust(7, "0")
    assert recognise(value).user_id == 77


def test_looks_like_token() -> None:
    assert looks_like_token("glpat-abcdefghij0123456789")
    assert looks_like_token("x" * 26)
    assert not looks_like_token("--revoke")
    assert not looks_like_token("help")
