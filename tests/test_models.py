"""The models parse every example body of GitLab's docs (copied here as data) and keep a new
token's value secret."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from tokentui.gitlab.models import (
    TOKEN_LIST,
    Associations,
    NewToken,
    ServiceAccount,
    Token,
    User,
    Version,
    parse_datetime,
)

# --- example bodies from GitLab's API docs (seeds) and gitlab-api.md section 2 --------------

PAT_LIST_ADMIN = """[{"id": 4, "name": "Test Token", "revoked": false,
"created_at": "2020-07-23T14:31:47.729Z", "scopes": ["api"], "active": true, "user_id": 24,
"expires_at": null}]"""

PAT_LIST_USER = """[{"id": 4, "name": "Test Token", "revoked": false,
"created_at": "2020-07-23T14:31:47.729Z", "scopes": ["api"], "active": true, "user_id": 3,
"expires_at": null}]"""

PAT_ADMIN_CREATE = """{"id": 3, "name": "mytoken", "revoked": false,
"created_at": "2020-10-14T11:58:53.526Z", "description": "Test Token description",
"scopes": ["api"], "user_id": 42, "active": true, "expires_at": "2020-12-31",
"token": "<your_new_access_token>"}"""

PAT_SELF_CREATE = """{"id": 3, "name": "mytoken", "revoked": false,
"created_at": "2020-10-14T11:58:53.526Z", "description": "Test Token description",
"scopes": ["k8s_proxy"], "user_id": 42, "active": true, "expires_at": "2020-10-15",
"token": "<your_new_access_token>"}"""

IMPERSONATION_LIST = """[
 {"active": true, "user_id": 2, "scopes": ["api"], "revoked": false, "name": "mytoken",
  "description": "Test Token description", "id": 2, "created_at": "2017-03-17T17:18:09.283Z",
  "impersonation": true, "expires_at": "2017-04-04", "last_used_at": "2017-03-24T09:44:21.722Z"},
 {"active": false, "user_id": 2, "scopes": ["read_user"], "revoked": true, "name": "mytoken2",
  "description": "Test Token description", "created_at": "2017-03-17T17:19:28.697Z", "id": 3,
  "impersonation": true, "expires_at": "2017-04-14", "last_used_at": "2017-03-24T09:44:21.722Z"}
]"""

IMPERSONATION_GET = """{"active": true, "user_id": 2, "scopes": ["api"], "revoked": false,
"name": "mytoken", "description": "Test Token description", "id": 2,
"created_at": "2017-03-17T17:18:09.283Z", "impersonation": true, "expires_at": "2017-04-04"}"""

IMPERSONATION_CREATE = """{"id": 2, "revoked": false, "user_id": 2, "scopes": ["api"],
"token": "<impersonation_token>", "active": true, "impersonation": true, "name": "mytoken",
"description": "Test Token description", "created_at": "2017-03-17T17:18:09.283Z",
"expires_at": "2017-04-04"}"""

SA_TOKEN_LIST = """[{"user_id": 141, "scopes": ["api"], "name": "token",
"expires_at": "2021-01-31", "id": 42, "active": true, "created_at": "2021-01-20T22:11:48.151Z",
"revoked": false}]"""

SA_TOKEN_CREATE = """{"scopes": ["api", "read_repository"], "active": true, "name": "test",
"revoked": false, "created_at": "2021-01-21T19:35:37.921Z", "user_id": 166, "id": 58,
"expires_at": "2021-01-31", "token": "D4y...Wzr"}"""

PAT_FULL = """{"id": 4, "name": "Test Token", "revoked": false,
"created_at": "2020-07-23T14:31:47.729Z", "description": "Test Token description",
"scopes": ["api"], "user_id": 24, "last_used_at": "2021-10-06T17:58:37.550Z", "active": true,
"expires_at": null}"""

PAT_ROTATED = """{"id": 42, "name": "Rotated Token", "revoked": false,
"created_at": "2023-08-01T15:00:00.000Z", "description": "Test Token description",
"scopes": ["api"], "user_id": 1337, "last_used_at": null, "active": true,
"expires_at": "2023-08-15", "token": "s3cr3t"}"""

PAT_VAULT_CREATE = """{"id":93,"name":"vault_engine","revoked":false,
"created_at":"2025-04-16T06:11:44.467Z","description":null,"scopes":["api"],"user_id":2,
"last_used_at":null,"active":true,"expires_at":"2026-04-16","token":"glpat-abcdefghij"}"""

RESOURCE_TOKEN_18 = """{"user_id": 141, "scopes": ["api"], "name": "token",
"expires_at": "2021-01-31", "id": 42, "active": true, "created_at": "2021-01-20T22:11:48.151Z",
"description": "Test Token description", "revoked": false, "last_used_at": null,
"access_level": 40}"""

RESOURCE_TOKEN_19 = """{"user_id": 141, "scopes": ["api"], "name": "token",
"expires_at": "2021-01-31", "id": 42, "active": true, "created_at": "2021-01-20T22:11:48.151Z",
"description": "Test Token description", "revoked": false, "last_used_at": null,
"access_level": 40, "granular": false, "resource_type": "group", "resource_id": 7}"""

PAT_WITH_IPS = """{"id": 4, "name": "Test Token", "revoked": false,
"created_at": "2020-07-23T14:31:47.729Z", "description": null, "scopes": ["api", "read_api"],
"user_id": 24, "last_used_at": "2021-10-06T17:58:37.550Z", "active": true, "granular": false,
"expires_at": "2030-01-01", "last_used_ips": ["127.0.0.1", "10.0.0.2"],
"granular_scopes": [], "some_future_field": {"x": 1}}"""

SERVICE_ACCOUNT = """{"id": 57,
"username": "service_account_group_345_6018816a18e515214e0c34c2b33523fc",
"name": "Service account user", "email": "custom_email@example.com"}"""

LISTS = [PAT_LIST_ADMIN, PAT_LIST_USER, IMPERSONATION_LIST, SA_TOKEN_LIST]
SINGLES = [
    PAT_FULL,
    IMPERSONATION_GET,
    RESOURCE_TOKEN_18,
    RESOURCE_TOKEN_19,
    PAT_WITH_IPS,
    PAT_ADMIN_CREATE,  # a create body is a token too (the value is ignored by Token)
]
CREATED = [
    PAT_ADMIN_CREATE,
    PAT_SELF_CREATE,
    IMPERSONATION_CREATE,
    SA_TOKEN_CREATE,
    PAT_ROTATED,
    PAT_VAULT_CREATE,
]


@pytest.mark.parametrize("body", LISTS)
def test_token_lists_parse(body: str) -> None:
    tokens = TOKEN_LIST.validate_json(body)
    assert [t.id for t in tokens] == [row["id"] for row in json.loads(body)]
    for token in tokens:
        assert token.created_at.tzinfo is not None


@pytest.mark.parametrize("body", SINGLES)
def test_single_tokens_parse(body: str) -> None:
    raw = json.loads(body)
    token = Token.model_validate_json(body)
    assert token.id == raw["id"]
    assert token.name == raw["name"]
    assert token.scopes == tuple(raw["scopes"])
    assert token.created_at.utcoffset().total_seconds() == 0
    assert "token" not in token.model_dump()


@pytest.mark.parametrize("body", CREATED)
def test_new_tokens_parse_and_hide_the_value(body: str) -> None:
    value = json.loads(body)["token"]
    new = NewToken.model_validate_json(body)
    assert new.token.get_secret_value() == value
    assert value not in repr(new)
    assert value not in str(new)
    assert value not in new.model_dump_json()
    assert value not in json.dumps(new.model_dump(mode="json"))
    assert value not in repr(new.public())
    assert "token" not in new.public().model_dump()
    # Revealed only on purpose:
    assert new.model_dump(mode="python")["token"].get_secret_value() == value


def test_fields_and_types() -> None:
    token = Token.model_validate_json(PAT_WITH_IPS)
    assert token.description is None
    assert token.expires_at == date(2030, 1, 1)
    assert token.last_used_at == datetime(2021, 10, 6, 17, 58, 37, 550000, tzinfo=UTC)
    assert token.last_used_ips == ("127.0.0.1", "10.0.0.2")
    assert token.granular is False
    resource = Token.model_validate_json(RESOURCE_TOKEN_19)
    assert (resource.access_level, resource.resource_type, resource.resource_id) == (
        40,
        "group",
        7,
    )
    old = TOKEN_LIST.validate_json(SA_TOKEN_LIST)[0]
    assert old.description is None
    assert old.last_used_at is None
    assert old.last_used_ips is None


def test_naive_timestamp_is_refused() -> None:
    body = json.loads(PAT_FULL)
    body["created_at"] = "2020-07-23T14:31:47"
    with pytest.raises(ValidationError):
        Token.model_validate(body)
    assert parse_datetime("2020-07-23T14:31:47.729Z").tzinfo is not None


def test_other_entities_parse() -> None:
    account = ServiceAccount.model_validate_json(SERVICE_ACCOUNT)
    assert account.id == 57 and account.username.startswith("service_account_group_345")
    user = User.model_validate_json(
        '{"id": 1, "username": "root", "name": "Administrator", "is_admin": true,'
        ' "state": "active", "avatar_url": null}'
    )
    assert user.is_admin and user.username == "root"
    assert Version.model_validate_json('{"version": "19.2.0-ee", "revision": "abc"}').version
    associations = Associations.model_validate_json(
        '{"groups": [{"id": 1, "web_url": "http://x/groups/platform", "name": "platform",'
        ' "parent_id": null, "organization_id": 1, "access_levels": 50, "visibility": "private"}],'
        ' "projects": [{"id": 1, "name": "api", "path_with_namespace": "platform/api",'
        ' "namespace": {"id": 1}}]}'
    )
    assert [g.name for g in associations.groups] == ["platform"]
    assert [p.path_with_namespace for p in associations.projects] == ["platform/api"]
