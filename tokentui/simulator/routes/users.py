"""Impersonation tokens: ``/users/:user_id/impersonation_tokens`` (admin only, §4.12)."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from tokentui.simulator import entities, errors, rules, services
from tokentui.simulator.context import Ctx
from tokentui.simulator.pagination import paginate
from tokentui.simulator.params import parse_int
from tokentui.simulator.records import TokenRecord, UserRecord
from tokentui.simulator.route_table import Reply, route

#: ``API::Users`` accepts ``read_user`` on GET as well.
GET_SCOPES = ("api", "read_api", "read_user")


def _admin_and_user(ctx: Ctx, user_id: str, scopes: tuple[str, ...] | None = None) -> UserRecord:
    ctx.authenticate(scopes)
    ctx.require_admin()
    uid = parse_int(user_id)
    if uid is None:
        raise errors.grape_error("user_id is invalid")
    user = ctx.state.users.get(uid)
    if user is None:
        raise errors.not_found("User")
    return user


def _find(ctx: Ctx, user: UserRecord, token_id: str) -> TokenRecord:
    tid = parse_int(token_id)
    if tid is None:
        raise errors.grape_error("impersonation_token_id is invalid")
    token = ctx.state.tokens.get(tid)
    if token is None or token.user_id != user.id or not token.impersonation:
        raise errors.not_found("Impersonation Token")
    return token


@route("GET", "users/:user_id/impersonation_tokens")
def list_impersonation(ctx: Ctx, user_id: str) -> Reply:
    """A user's impersonation tokens; ``state`` is all (default), active or inactive."""
    user = _admin_and_user(ctx, user_id, GET_SCOPES)
    state = ctx.params.choice("state", ("all", "active", "inactive")) or "all"
    ctx.params.check()
    today = ctx.today
    rows = [
        t
        for t in (ctx.state.tokens[i] for i in ctx.state.by_user.get(user.id, []))
        if t.impersonation
        and (state == "all" or (t.active(today) if state == "active" else not t.active(today)))
    ]
    return 200, [entities.impersonation_token(ctx, t) for t in paginate(ctx, rows)]


@route("GET", "users/:user_id/impersonation_tokens/:impersonation_token_id")
def get_impersonation(ctx: Ctx, user_id: str, impersonation_token_id: str) -> Reply:
    """One impersonation token (no value)."""
    user = _admin_and_user(ctx, user_id, GET_SCOPES)
    return 200, entities.impersonation_token(ctx, _find(ctx, user, impersonation_token_id))


@route("POST", "users/:user_id/impersonation_tokens")
def create_impersonation(ctx: Ctx, user_id: str) -> Reply:
    """Create: model errors are 400 ``{"message": {"attr": ["msg"]}}``; no expiry default."""
    user = _admin_and_user(ctx, user_id)
    p = ctx.params
    name = p.string("name", required=True)
    scopes = p.string_list("scopes")
    description = p.string("description")
    expires_at = p.date("expires_at")
    p.check()
    assert name is not None
    found = services.model_errors(ctx, name=name, description=description, expires_at=expires_at)
    if not scopes:
        found.setdefault("scopes", []).append("can't be blank")
    elif any(s not in rules.SCOPES_BY_KIND[rules.TokenKind.IMPERSONATION] for s in scopes):
        found.setdefault("scopes", []).append("can only contain available scopes")
    if expires_at is None:
        found.setdefault("expires_at", []).append("can't be blank")
    if found:
        raise errors.message_error(400, found)
    assert scopes is not None
    record, value = services.new_token(
        ctx,
        user_id=user.id,
        name=name,
        scopes=scopes,
        kind=rules.TokenKind.IMPERSONATION,
        description=description,
        expires_at=expires_at,
        impersonation=True,
    )
    return 201, entities.with_value(entities.impersonation_token(ctx, record), value)


@route("DELETE", "users/:user_id/impersonation_tokens/:impersonation_token_id")
def revoke_impersonation(ctx: Ctx, user_id: str, impersonation_token_id: str) -> Reply:
    """Revoke (the row stays); a stale ``If-Unmodified-Since`` is a 412."""
    user = _admin_and_user(ctx, user_id)
    token = _find(ctx, user, impersonation_token_id)
    since = ctx.headers.get("if-unmodified-since")
    if since:
        try:
            limit = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            limit = None
        if limit is not None and token.created_at.replace(microsecond=0) > limit:
            raise errors.message_error(412, "412 Precondition Failed")
    services.revoke(ctx, token)
    return 204, None
