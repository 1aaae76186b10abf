"""Project and group access tokens: ``/projects|groups/:id/access_tokens`` (§4.13-4.14)."""

from __future__ import annotations

import random

from tokentui.simulator import entities, errors, rules, seed, services
from tokentui.simulator.context import Ctx
from tokentui.simulator.filters import filter_tokens, has_filters
from tokentui.simulator.pagination import paginate
from tokentui.simulator.records import PROJECT_BOT, GroupRecord, ProjectRecord, TokenRecord
from tokentui.simulator.route_table import Reply, route
from tokentui.simulator.routes.misc import visible_group, visible_project

Resource = ProjectRecord | GroupRecord
#: Level needed to manage a resource's tokens: project Maintainer, group Owner.
MANAGE_LEVEL = {"project": 40, "group": 50}
LEVEL_VALUES = tuple(str(level) for level in rules.ACCESS_LEVELS)


def _resource(ctx: Ctx, kind: str, id_or_path: str) -> Resource:
    return visible_project(ctx, id_or_path) if kind == "project" else visible_group(ctx, id_or_path)


def caller_level(ctx: Ctx, kind: str, resource: Resource) -> int:
    """The caller's effective level in the resource (an admin counts as Owner)."""
    if ctx.is_admin:
        return 50
    assert ctx.user is not None
    if isinstance(resource, ProjectRecord):
        return ctx.state.project_access(ctx.user.id, resource)
    return ctx.state.group_access(ctx.user.id, resource)


def can_manage(ctx: Ctx, kind: str, resource: Resource) -> bool:
    """``manage_resource_access_tokens``: project Maintainer+ / group Owner, or admin."""
    return caller_level(ctx, kind, resource) >= MANAGE_LEVEL[kind]


def resource_tokens(ctx: Ctx, kind: str, resource: Resource) -> list[TokenRecord]:
    """Tokens of every bot of the resource, id ascending."""
    ids: list[int] = []
    for bot in ctx.state.resource_bots(kind, resource.id):
        ids.extend(ctx.state.by_user.get(bot.id, []))
    return [ctx.state.tokens[i] for i in sorted(ids) if not ctx.state.tokens[i].impersonation]


def _find(ctx: Ctx, kind: str, resource: Resource, token_id: str) -> TokenRecord | None:
    if not token_id.isdigit():
        return None
    token = ctx.state.tokens.get(int(token_id))
    if token is None or token.resource_type != kind or token.resource_id != resource.id:
        return None
    return token


def _not_found(kind: str) -> errors.ApiError:
    return errors.not_found(f"{kind} Access Token")


def _list(ctx: Ctx, kind: str, id: str) -> Reply:
    ctx.authenticate()
    resource = _resource(ctx, kind, id)
    if not can_manage(ctx, kind, resource):
        raise errors.unauthorized()
    rows = resource_tokens(ctx, kind, resource)
    if has_filters(ctx):
        rows = list(filter_tokens(ctx, rows))
    return 200, [entities.resource_token(ctx, t) for t in paginate(ctx, rows)]


def _get(ctx: Ctx, kind: str, id: str, token_id: str) -> Reply:
    ctx.authenticate()
    resource = _resource(ctx, kind, id)
    if not can_manage(ctx, kind, resource):
        raise errors.unauthorized()
    token = _find(ctx, kind, resource, token_id)
    if token is None:
        raise _not_found(kind)
    return 200, entities.resource_token(ctx, token)


def _create(ctx: Ctx, kind: str, id: str) -> Reply:
    ctx.authenticate()
    p = ctx.params
    name = p.string("name", required=True)
    scopes = p.string_list(
        "scopes", required=True, comma=False, allowed=rules.SCOPES_BY_KIND[rules.TokenKind(kind)]
    )
    description = p.string("description")
    expires_at = p.date("expires_at")
    level_text = p.raw("access_level")
    level = rules.DEFAULT_ACCESS_LEVEL
    if level_text is not None:
        if str(level_text) not in LEVEL_VALUES:
            p.errors.append("access_level does not have a valid value")
        else:
            level = int(level_text)
    p.check()
    assert name is not None and scopes is not None
    resource = _resource(ctx, kind, id)
    assert ctx.user is not None
    if ctx.user.user_type == PROJECT_BOT or not can_manage(ctx, kind, resource):
        raise errors.bad_request(f"User does not have permission to create {kind} access token")
    if not p.has("expires_at") or expires_at is None:
        raise errors.bad_request("expires_at is missing")
    if level > caller_level(ctx, kind, resource):
        raise errors.bad_request(
            "Access level of the token contains permissions not held by the creating user"
        )
    found = services.model_errors(
        ctx, name=name, description=description, expires_at=expires_at, scopes=scopes
    )
    if found:
        raise errors.bad_request(services.full_messages(found))
    bot = seed.add_bot(
        ctx.state,
        kind,
        resource.id,
        name,
        level,
        _bot_rng(ctx),
        ctx.config.host,
        ctx.now,
    )
    record, value = services.new_token(
        ctx,
        user_id=bot.id,
        name=name,
        scopes=scopes,
        kind=rules.TokenKind.PROJECT if kind == "project" else rules.TokenKind.GROUP,
        description=description,
        expires_at=expires_at,
        resource=(kind, resource.id),
    )
    return 201, entities.with_value(entities.resource_token(ctx, record), value)


def _bot_rng(ctx: Ctx) -> random.Random:
    """Deterministic randomness for the next bot's username."""
    return random.Random(f"{ctx.state.seed}:bot:{ctx.state.next_user_id()}")


def _revoke(ctx: Ctx, kind: str, id: str, token_id: str) -> Reply:
    ctx.authenticate()
    resource = _resource(ctx, kind, id)
    token = _find(ctx, kind, resource, token_id)
    if token is None:
        raise _not_found(kind)
    if not can_manage(ctx, kind, resource):
        assert ctx.user is not None
        bot = ctx.state.users[token.user_id]
        raise errors.bad_request(f"{ctx.user.name} cannot delete {bot.name}")
    services.revoke(ctx, token)
    return 204, None


def _rotate(ctx: Ctx, kind: str, id: str, token_id: str) -> Reply:
    ctx.authenticate()
    expires_at = ctx.params.date("expires_at")
    ctx.params.check()
    resource = _resource(ctx, kind, id)
    token = _find(ctx, kind, resource, token_id) if can_manage(ctx, kind, resource) else None
    if token is None:
        raise errors.not_found() if ctx.is_admin else errors.unauthorized()
    level = ctx.state.bot_access_level(token) or 0
    if level > caller_level(ctx, kind, resource):
        raise errors.bad_request(
            "Not eligible to rotate tokens with permissions not held by the user"
        )
    record, value = services.rotate(ctx, token, expires_at)
    return 200, entities.with_value(entities.resource_token(ctx, record), value)


def _self_rotate(ctx: Ctx, kind: str, id: str) -> Reply:
    user = ctx.authenticate(rules.SELF_ROTATE_SCOPES)
    if user.user_type != PROJECT_BOT:
        raise errors.not_allowed()
    expires_at = ctx.params.date("expires_at")
    ctx.params.check()
    resource = _resource(ctx, kind, id)
    token = ctx.token
    assert token is not None
    if token.resource_type != kind or token.resource_id != resource.id:
        raise errors.unauthorized()
    record, value = services.rotate(ctx, token, expires_at)
    return 200, entities.with_value(entities.resource_token(ctx, record), value)


def _register(kind: str) -> None:
    base = f"{kind}s/:id/access_tokens"

    @route("GET", base)
    def list_tokens(ctx: Ctx, id: str) -> Reply:
        return _list(ctx, kind, id)

    @route("GET", f"{base}/:token_id")
    def get_token(ctx: Ctx, id: str, token_id: str) -> Reply:
        return _get(ctx, kind, id, token_id)

    @route("POST", base)
    def create_token(ctx: Ctx, id: str) -> Reply:
        return _create(ctx, kind, id)

    @route("DELETE", f"{base}/:token_id")
    def revoke_token(ctx: Ctx, id: str, token_id: str) -> Reply:
        return _revoke(ctx, kind, id, token_id)

    @route("POST", f"{base}/self/rotate")
    def self_rotate(ctx: Ctx, id: str) -> Reply:
        return _self_rotate(ctx, kind, id)

    @route("POST", f"{base}/:token_id/rotate")
    def rotate_token(ctx: Ctx, id: str, token_id: str) -> Reply:
        return _rotate(ctx, kind, id, token_id)


_register("project")
_register("group")
