"""JSON entities, field for field and in GitLab's exposure order (gitlab-api.md §2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tokentui.simulator import rules
from tokentui.simulator.context import Ctx
from tokentui.simulator.records import (
    DeployTokenRecord,
    GroupRecord,
    ProjectRecord,
    TokenRecord,
    UserRecord,
)


def timestamp(moment: datetime | None) -> str | None:
    """``2020-07-23T14:31:47.729Z`` (UTC, milliseconds), or None."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def token(ctx: Ctx, record: TokenRecord, *, ips: bool = False) -> dict[str, Any]:
    """``PersonalAccessToken`` (2.1); with ``ips`` the ``…WithLastUsedIps`` form (2.2)."""
    body: dict[str, Any] = {
        "id": record.id,
        "name": record.name,
        "revoked": record.revoked,
        "created_at": timestamp(record.created_at),
        "description": record.description,
        "scopes": list(record.scopes),
        "user_id": record.user_id,
        "last_used_at": timestamp(record.last_used_at),
        "active": record.active(ctx.today),
        "granular": False,
        "expires_at": record.expires_at.isoformat() if record.expires_at else None,
    }
    if ips and ctx.config.expose_last_used_ips:
        body["last_used_ips"] = list(record.last_used_ips)
    return body


def token_list_item(ctx: Ctx, record: TokenRecord) -> dict[str, Any]:
    """A list row: 2.1, plus ``last_used_ips`` with the 19.2 feature flag on."""
    return token(ctx, record, ips=True)


def with_value(body: dict[str, Any], value: str) -> dict[str, Any]:
    """``…WithToken``: the entity plus the plaintext ``token`` (create/rotate only)."""
    return {**body, "token": value}


def impersonation_token(ctx: Ctx, record: TokenRecord) -> dict[str, Any]:
    """``ImpersonationToken`` (2.5)."""
    return {**token(ctx, record, ips=True), "impersonation": record.impersonation}


def resource_token(ctx: Ctx, record: TokenRecord) -> dict[str, Any]:
    """``ResourceAccessToken`` (2.4)."""
    return {
        **token(ctx, record, ips=True),
        "access_level": ctx.state.bot_access_level(record),
        "resource_type": record.resource_type,
        "resource_id": record.resource_id,
    }


def deploy_token(ctx: Ctx, record: DeployTokenRecord) -> dict[str, Any]:
    """``DeployToken`` (§7.3, 19.2 order): no resource reference, ``expires_at`` a date-time or
    null; ``DeployTokenWithToken`` (create only) is this plus ``token`` (:func:`with_value`)."""
    return {
        "id": record.id,
        "name": record.name,
        "username": record.username or rules.DEPLOY_USERNAME_DEFAULT.format(id=record.id),
        "expires_at": timestamp(record.expires_at),
        "scopes": list(record.scopes),
        "revoked": record.revoked,
        "expired": record.expired(ctx.today),
    }


def user(ctx: Ctx, record: UserRecord, *, private: bool = False) -> dict[str, Any]:
    """``UserBasic``/``UserPublic``; ``private`` adds e-mail and, for admins, ``is_admin``."""
    body: dict[str, Any] = {
        "id": record.id,
        "username": record.username,
        "public_email": None,
        "name": record.name,
        "state": record.state,
        "locked": False,
        "avatar_url": None,
        "web_url": f"{ctx.base_url}/{record.username}",
        "created_at": timestamp(record.created_at),
        "bot": record.bot,
    }
    if private or ctx.is_admin:
        body["email"] = record.email
    if ctx.is_admin or (private and record.is_admin):
        body["is_admin"] = record.is_admin
    if ctx.is_admin:
        # EE ``UserWithAdmin`` (licensed); GitLab exposes no ``user_type`` (gitlab-api.md §7.2).
        body["provisioned_by_group_id"] = record.provisioned_by_group_id
    return body


def service_account(record: UserRecord) -> dict[str, Any]:
    """``ServiceAccount`` (2.6)."""
    return {
        "id": record.id,
        "username": record.username,
        "name": record.name,
        "email": record.email,
    }


def group(ctx: Ctx, record: GroupRecord) -> dict[str, Any]:
    """The fields of ``GET /groups/:id`` a client uses."""
    return {
        "id": record.id,
        "web_url": f"{ctx.base_url}/groups/{record.full_path}",
        "name": record.name,
        "path": record.path,
        "description": record.description,
        "visibility": record.visibility,
        "full_name": " / ".join(g.name for g in reversed(ctx.state.group_ancestry(record))),
        "full_path": record.full_path,
        "created_at": timestamp(record.created_at),
        "parent_id": record.parent_id,
        "organization_id": 1,
    }


def project(ctx: Ctx, record: ProjectRecord) -> dict[str, Any]:
    """The fields of ``GET /projects/:id`` a client uses."""
    namespace = ctx.state.groups[record.namespace_id]
    full_name = " / ".join(g.name for g in reversed(ctx.state.group_ancestry(namespace)))
    return {
        "id": record.id,
        "description": record.description,
        "name": record.name,
        "name_with_namespace": f"{full_name} / {record.name}",
        "path": record.path,
        "path_with_namespace": record.path_with_namespace,
        "created_at": timestamp(record.created_at),
        "default_branch": "main",
        "web_url": f"{ctx.base_url}/{record.path_with_namespace}",
        "visibility": record.visibility,
        "namespace": {
            "id": namespace.id,
            "name": namespace.name,
            "path": namespace.path,
            "kind": "group",
            "full_path": namespace.full_path,
            "parent_id": namespace.parent_id,
            "web_url": f"{ctx.base_url}/groups/{namespace.full_path}",
        },
    }
