"""Group service accounts and their tokens: ``/groups/:id/service_accounts…`` (§4.15)."""

from __future__ import annotations

import hashlib

from tokentui.simulator import entities, errors, rules, services
from tokentui.simulator.context import Ctx
from tokentui.simulator.filters import filter_tokens, has_filters
from tokentui.simulator.pagination import paginate
from tokentui.simulator.params import parse_int
from tokentui.simulator.records import SERVICE_ACCOUNT, GroupRecord, TokenRecord, UserRecord
from tokentui.simulator.route_table import Reply, route
from tokentui.simulator.routes.personal import create_personal


def _group(ctx: Ctx, id_or_path: str) -> GroupRecord:
    """The group, if the caller may administer its service accounts (admin or Owner)."""
    ctx.authenticate()
    group = ctx.state.find_group(id_or_path)
    if group is None:
        raise errors.not_found("Group")
    assert ctx.user is not None
    if not ctx.is_admin and ctx.state.group_access(ctx.user.id, group) < 50:
        raise errors.forbidden()
    return group


def _account(ctx: Ctx, group: GroupRecord, user_id: str) -> UserRecord:
    uid = parse_int(user_id)
    if uid is None:
        raise errors.grape_error("user_id is invalid")
    user = ctx.state.users.get(uid)
    if user is None or user.provisioned_by_group_id != group.id:
        raise errors.not_found("User")
    if user.user_type != SERVICE_ACCOUNT:
        raise errors.bad_request("User is not of type Service Account")
    return user


def _token(ctx: Ctx, user: UserRecord, token_id: str) -> TokenRecord | None:
    tid = parse_int(token_id)
    token = ctx.state.tokens.get(tid) if tid is not None else None
    return token if token is not None and token.user_id == user.id else None


@route("GET", "groups/:id/service_accounts")
def list_accounts(ctx: Ctx, id: str) -> Reply:
    """Service accounts provisioned by the group (default order: id descending)."""
    group = _group(ctx, id)
    if ctx.params.raw("pagination") == "keyset":
        # ``error!(..., 405)`` in GitLab's pagination strategies: the Grape ``error`` shape.
        raise errors.grape_error(
            "Keyset pagination is not yet available for this type of request", 405
        )
    order_by = ctx.params.choice("order_by", ("id", "username")) or "id"
    sort = ctx.params.choice("sort", ("asc", "desc")) or "desc"
    ctx.params.check()
    accounts = [
        u
        for u in ctx.state.users.values()
        if u.user_type == SERVICE_ACCOUNT and u.provisioned_by_group_id == group.id
    ]
    accounts.sort(key=lambda u: u.id if order_by == "id" else u.username, reverse=sort == "desc")
    return 200, [entities.service_account(u) for u in paginate(ctx, accounts)]


@route("POST", "groups/:id/service_accounts")
def create_account(ctx: Ctx, id: str) -> Reply:
    """Create a service account in a top-level group."""
    group = _group(ctx, id)
    p = ctx.params
    name = p.string("name") or "Service account user"
    username = p.string("username")
    email = p.string("email")
    p.check()
    if group.parent_id is not None:
        raise errors.bad_request("Group must be a top-level group")
    uid = ctx.state.next_user_id()
    if not username:
        suffix = hashlib.blake2b(f"{ctx.state.seed}:sa:{uid}".encode(), digest_size=16)
        username = f"service_account_group_{group.id}_{suffix.hexdigest()}"
    if ctx.state.user_by_username(username) is not None:
        raise errors.bad_request("Username has already been taken")
    user = ctx.state.add_user(
        UserRecord(
            uid,
            username,
            name,
            email or f"{username}@noreply.{ctx.config.host}",
            ctx.now,
            user_type=SERVICE_ACCOUNT,
            provisioned_by_group_id=group.id,
        )
    )
    return 201, entities.service_account(user)


@route("GET", "groups/:id/service_accounts/:user_id/personal_access_tokens")
def list_tokens(ctx: Ctx, id: str, user_id: str) -> Reply:
    """A service account's tokens (PAT filters), entity without ``last_used_ips``."""
    user = _account(ctx, _group(ctx, id), user_id)
    rows = [ctx.state.tokens[i] for i in ctx.state.by_user.get(user.id, [])]
    if has_filters(ctx):
        rows = list(filter_tokens(ctx, rows))
    return 200, [entities.token(ctx, t) for t in paginate(ctx, rows)]


@route("POST", "groups/:id/service_accounts/:user_id/personal_access_tokens")
def create_token(ctx: Ctx, id: str, user_id: str) -> Reply:
    """Create a token for the service account (422 on model errors)."""
    user = _account(ctx, _group(ctx, id), user_id)
    return create_personal(
        ctx, user.id, allowed=rules.SCOPES_BY_KIND[rules.TokenKind.SERVICE_ACCOUNT]
    )


@route("DELETE", "groups/:id/service_accounts/:user_id/personal_access_tokens/:token_id")
def revoke_token(ctx: Ctx, id: str, user_id: str, token_id: str) -> Reply:
    """Revoke one of the service account's tokens."""
    user = _account(ctx, _group(ctx, id), user_id)
    token = _token(ctx, user, token_id)
    if token is None:
        raise errors.not_found("Personal Access Token")
    services.revoke(ctx, token)
    return 204, None


@route("POST", "groups/:id/service_accounts/:user_id/personal_access_tokens/:token_id/rotate")
def rotate_token(ctx: Ctx, id: str, user_id: str, token_id: str) -> Reply:
    """Rotate one of the service account's tokens (default expiry: one week)."""
    user = _account(ctx, _group(ctx, id), user_id)
    expires_at = ctx.params.date("expires_at")
    ctx.params.check()
    token = _token(ctx, user, token_id)
    if token is None:
        raise errors.not_found()
    record, value = services.rotate(ctx, token, expires_at)
    return 200, entities.with_value(entities.token(ctx, record), value)
