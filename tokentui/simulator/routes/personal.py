"""``/personal_access_tokens`` endpoints (gitlab-api.md §4.1-4.9)."""

from __future__ import annotations

from collections.abc import Sequence

from tokentui.simulator import entities, errors, rules, services
from tokentui.simulator.context import ANY_SCOPE, Ctx
from tokentui.simulator.filters import FILTER_KEYS, filter_tokens, has_filters
from tokentui.simulator.pagination import paginate
from tokentui.simulator.params import parse_int
from tokentui.simulator.records import SERVICE_ACCOUNT, TokenRecord
from tokentui.simulator.route_table import Reply, route

ACCESS_LEVEL_VALUES = ("10", "15", "20", "30", "40", "50")
#: Lists longer than this cache their filtered result (small ones always filter afresh, so
#: tests may poke records directly; for big ones call ``sim.state.touch()`` after that).
CACHE_THRESHOLD = 2000


def _id(value: str, name: str = "id") -> int:
    parsed = parse_int(value)
    if parsed is None:
        raise errors.grape_error(f"{name} is invalid")
    return parsed


@route("GET", "personal_access_tokens")
def list_tokens(ctx: Ctx) -> Reply:
    """All tokens (admin), or the caller's own non-impersonation tokens."""
    user = ctx.authenticate()
    state = ctx.state
    base: Sequence[TokenRecord]
    user_id: int | None
    if ctx.params.has("user_id"):
        raw = ctx.params.raw("user_id")
        if raw in ("", None):
            raise errors.not_found()
        user_id = _id(str(raw), "user_id")
        if not ctx.is_admin and user_id != user.id:
            raise errors.unauthorized()
        if user_id not in state.users:
            raise errors.not_found()
    else:
        user_id = None if ctx.is_admin else user.id
    if user_id is None:
        base = services.IdView(state.token_ids, state.tokens)
    else:
        base = services.IdView(state.by_user.get(user_id, []), state.tokens)
        if not ctx.is_admin:
            base = [t for t in base if not t.impersonation]
    rows: Sequence[TokenRecord] = base
    if has_filters(ctx):
        big = len(base) > CACHE_THRESHOLD
        rows = _cached_filter(ctx, base, user_id) if big else filter_tokens(ctx, base)
    return 200, [entities.token_list_item(ctx, t) for t in paginate(ctx, rows)]


def _cached_filter(
    ctx: Ctx, base: Sequence[TokenRecord], user_id: int | None
) -> Sequence[TokenRecord]:
    """Filter once per (query, data version, day): walking the pages of a filtered 100k-token
    list then costs one filter pass, not one per page."""
    query = tuple(sorted((k, repr(ctx.params.raw(k))) for k in FILTER_KEYS if ctx.params.has(k)))
    key = (ctx.is_admin, user_id, query, ctx.state.version, ctx.today)
    cache = ctx.state.list_cache
    if key not in cache:
        if len(cache) >= 16:
            cache.pop(next(iter(cache)))
        cache[key] = filter_tokens(ctx, base)
    return cache[key]


@route("GET", "personal_access_tokens/self")
def get_self(ctx: Ctx) -> Reply:
    """The token in use (any scope)."""
    ctx.authenticate(ANY_SCOPE)
    assert ctx.token is not None
    return 200, entities.token(ctx, ctx.token, ips=True)


@route("GET", "personal_access_tokens/self/associations")
def self_associations(ctx: Ctx) -> Reply:
    """Groups and projects the token's user can reach, each list paginated alike."""
    user = ctx.authenticate(ANY_SCOPE)
    min_level = ctx.params.choice("min_access_level", ACCESS_LEVEL_VALUES)
    ctx.params.check()
    floor = int(min_level) if min_level else 1
    state = ctx.state
    groups = [g for g in state.groups.values() if state.group_access(user.id, g) >= floor]
    projects = [p for p in state.projects.values() if state.project_access(user.id, p) >= floor]
    group_page = paginate(ctx, groups)
    project_page = paginate(ctx, projects)
    return 200, {
        "groups": [
            {
                "id": g.id,
                "web_url": f"{ctx.base_url}/groups/{g.full_path}",
                "name": g.name,
                "parent_id": g.parent_id,
                "organization_id": 1,
                "access_levels": state.group_access(user.id, g),
                "visibility": g.visibility,
            }
            for g in group_page
        ],
        "projects": [
            {
                **entities.project(ctx, p),
                "access_levels": {
                    "project_access_level": p.members.get(user.id),
                    "group_access_level": state.group_access(user.id, state.groups[p.namespace_id])
                    or None,
                },
            }
            for p in project_page
        ],
    }


@route("GET", "personal_access_tokens/:id")
def get_token(ctx: Ctx, id: str) -> Reply:
    """One token: the owner or an admin; others get 401 (even for a missing id)."""
    ctx.authenticate()
    token = ctx.state.tokens.get(_id(id))
    if ctx.is_admin:
        if token is None:
            raise errors.not_found()
    elif token is None or not (_owns(ctx, token) or _manages_service_account(ctx, token)):
        raise errors.unauthorized()
    return 200, entities.token(ctx, token, ips=True)


def _owns(ctx: Ctx, token: TokenRecord) -> bool:
    return ctx.user is not None and token.user_id == ctx.user.id


def _manages_service_account(ctx: Ctx, token: TokenRecord) -> bool:
    """An Owner of the group that provisioned the token's service account (EE policy)."""
    owner = ctx.state.users.get(token.user_id)
    if ctx.user is None or owner is None or owner.user_type != SERVICE_ACCOUNT:
        return False
    group = ctx.state.groups.get(owner.provisioned_by_group_id or 0)
    return bool(group and ctx.state.group_access(ctx.user.id, group) >= 50)


def may_revoke(ctx: Ctx, token: TokenRecord) -> bool:
    """``PersonalAccessTokenPolicy#revoke_token``."""
    user = ctx.user
    assert user is not None
    if ctx.is_admin:
        return True
    if token.user_id == user.id:
        return not token.impersonation
    return _manages_service_account(ctx, token)


@route("DELETE", "personal_access_tokens/self")
def revoke_self(ctx: Ctx) -> Reply:
    """Revoke the token in use (any scope). The policy is the by-id one: an impersonation
    token may not revoke itself unless the impersonated user is an admin (§7.5)."""
    ctx.authenticate(ANY_SCOPE)
    assert ctx.token is not None
    if not may_revoke(ctx, ctx.token):
        raise errors.bad_request("Not permitted to revoke")
    services.revoke(ctx, ctx.token)
    return 204, None


@route("DELETE", "personal_access_tokens/:id")
def revoke_token(ctx: Ctx, id: str) -> Reply:
    """Revoke by id: 404 "Not found" for a missing id, 400 when not permitted."""
    ctx.authenticate()
    token = ctx.state.tokens.get(_id(id))
    if token is None:
        raise errors.record_not_found()
    if not may_revoke(ctx, token):
        raise errors.bad_request("Not permitted to revoke")
    services.revoke(ctx, token)
    return 204, None


@route("POST", "personal_access_tokens/self/rotate")
def rotate_self(ctx: Ctx) -> Reply:
    """Rotate the token in use (``api`` or ``self_rotate``)."""
    ctx.authenticate(rules.SELF_ROTATE_SCOPES)
    expires_at = ctx.params.date("expires_at")
    ctx.params.check()
    assert ctx.token is not None
    record, value = services.rotate(ctx, ctx.token, expires_at)
    return 200, entities.with_value(entities.token(ctx, record), value)


@route("POST", "personal_access_tokens/:id/rotate")
def rotate_token(ctx: Ctx, id: str) -> Reply:
    """Rotate by id: the owner or an admin; others get 401 (even for a missing id)."""
    user = ctx.authenticate()
    token_id = _id(id)
    expires_at = ctx.params.date("expires_at")
    ctx.params.check()
    token = ctx.state.tokens.get(token_id)
    if ctx.is_admin:
        if token is None:
            raise errors.not_found()
    elif token is None or token.user_id != user.id:
        raise errors.unauthorized()
    record, value = services.rotate(ctx, token, expires_at)
    return 200, entities.with_value(entities.token(ctx, record), value)


def create_personal(
    ctx: Ctx,
    user_id: int,
    *,
    allowed: tuple[str, ...],
    default_days: int | None = rules.MAX_LIFETIME_DAYS,
) -> Reply:
    """Shared body of the PAT create endpoints: Grape 400s, then model 422s."""
    p = ctx.params
    name = p.string("name", required=True)
    scopes = p.string_list("scopes", required=True, allowed=allowed)
    description = p.string("description")
    expires_at = p.date("expires_at")
    p.check()
    assert name is not None and scopes is not None
    if expires_at is None and default_days is not None:
        expires_at = services.max_expiry(ctx.today)
    found = services.model_errors(
        ctx, name=name, description=description, expires_at=expires_at, scopes=scopes
    )
    if found:
        raise errors.message_error(422, services.full_messages(found))
    owner = ctx.state.users[user_id]
    record, value = services.new_token(
        ctx,
        user_id=user_id,
        name=name,
        scopes=scopes,
        kind=services.kind_for(owner, impersonation=False),
        description=description,
        expires_at=expires_at,
    )
    return 201, entities.with_value(entities.token(ctx, record), value)


@route("POST", "users/:user_id/personal_access_tokens")
def admin_create(ctx: Ctx, user_id: str) -> Reply:
    """Admin creates a PAT for any user."""
    ctx.authenticate()
    ctx.require_admin()
    uid = _id(user_id, "user_id")
    if uid not in ctx.state.users:
        raise errors.not_found("User")
    return create_personal(ctx, uid, allowed=rules.SCOPES_BY_KIND[rules.TokenKind.PERSONAL])


@route("POST", "user/personal_access_tokens")
def self_create(ctx: Ctx) -> Reply:
    """Any user creates a limited PAT (``k8s_proxy`` / ``self_rotate``) for themselves."""
    user = ctx.authenticate()
    return create_personal(ctx, user.id, allowed=rules.SELF_SERVICE_SCOPES)
