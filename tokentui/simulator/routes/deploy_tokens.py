"""Deploy tokens: ``/projects|groups/:id/deploy_tokens`` and ``GET /deploy_tokens`` (§7.3).

Written from ``lib/api/deploy_tokens.rb``, ``app/models/deploy_token.rb``,
``app/finders/deploy_tokens/tokens_finder.rb`` and ``DeployTokenMethods`` (see
docs/simulator.md, "Deploy tokens"):

* No ``authenticate!``: an anonymous caller gets as far as the project or group lookup (404
  unless public), then ``authorize!`` (403). A credential that is sent must be valid (401), and
  a deploy token is never one (its value is unknown to the access-token table: 401).
  ``GET /deploy_tokens`` is ``authenticated_as_admin!``: anonymous 401, non-admin 403.
* Reads need Maintainer+ (project and group); create and delete Maintainer+ on a project,
  Owner on a group; an administrator passes every check.
* Grape checks the parameters (``name``/``scopes`` missing, a scope outside the table,
  ``expires_at`` not a date-time, ``token_id`` not an integer) before the lookup; the model's
  errors (``Scopes can't be blank``, username format and length, name length) come after, as
  one 400 ``{"message": "<full messages to_sentence>"}``. ``expires_at`` in the past is
  accepted (no validation refuses it): the token is created already expired.
* ``DELETE`` removes the row (204); there is no rotate.
"""

from __future__ import annotations

import re
from datetime import datetime

from tokentui.simulator import entities, errors, rules
from tokentui.simulator.context import Ctx
from tokentui.simulator.pagination import paginate
from tokentui.simulator.params import parse_int
from tokentui.simulator.records import DeployTokenRecord, GroupRecord, ProjectRecord
from tokentui.simulator.route_table import Reply, route
from tokentui.simulator.routes.misc import visible_group, visible_project

Resource = ProjectRecord | GroupRecord
_USERNAME = re.compile(rf"\A{rules.DEPLOY_USERNAME_PATTERN}\Z")


def _caller(ctx: Ctx) -> None:
    """Authenticate when a credential was sent; an anonymous caller stays anonymous."""
    if ctx.credential():
        ctx.authenticate()


def _resource(ctx: Ctx, kind: str, id_or_path: str) -> Resource:
    """The project or group, as ``user_project``/``user_group`` find it (404 when unseen)."""
    if ctx.user is None:  # anonymous: public resources only
        found: Resource | None = (
            ctx.state.find_project(id_or_path)
            if kind == "project"
            else ctx.state.find_group(id_or_path)
        )
        if found is None or found.visibility != "public":
            raise errors.not_found("Project" if kind == "project" else "Group")
        return found
    return visible_project(ctx, id_or_path) if kind == "project" else visible_group(ctx, id_or_path)


def _level(ctx: Ctx, resource: Resource) -> int:
    """The caller's effective level (an administrator counts as Owner; anonymous 0)."""
    if ctx.is_admin:
        return 50
    if ctx.user is None:
        return 0
    if isinstance(resource, ProjectRecord):
        return ctx.state.project_access(ctx.user.id, resource)
    return ctx.state.group_access(ctx.user.id, resource)


def _authorize(ctx: Ctx, kind: str, resource: Resource, *, write: bool) -> None:
    """``authorize!(:read|create|destroy_deploy_token, …)``: 403 ``403 Forbidden``."""
    needed = (rules.DEPLOY_WRITE_LEVEL if write else rules.DEPLOY_READ_LEVEL)[kind]
    if _level(ctx, resource) < needed:
        raise errors.forbidden()


def resource_deploy_tokens(ctx: Ctx, kind: str, resource: Resource) -> list[DeployTokenRecord]:
    """The deploy tokens of a project or group, id ascending (``paginate``'s default order)."""
    return [
        t
        for t in ctx.state.deploy_tokens.values()
        if t.resource_type == kind and t.resource_id == resource.id
    ]


def _active_filter(ctx: Ctx) -> bool:
    """``active`` (Boolean): true keeps active tokens only; false is no filter (the finder's
    ``params[:active] ? items.active : items``)."""
    active = ctx.params.boolean("active")
    return bool(active)


def _page(ctx: Ctx, rows: list[DeployTokenRecord], active: bool) -> Reply:
    if active:
        rows = [t for t in rows if t.active(ctx.now)]
    return 200, [entities.deploy_token(ctx, t) for t in paginate(ctx, rows)]


@route("GET", "deploy_tokens")
def list_all(ctx: Ctx) -> Reply:
    """Every deploy token of the instance (administrators only)."""
    ctx.authenticate()
    ctx.require_admin()
    active = _active_filter(ctx)
    ctx.params.check()
    return _page(ctx, list(ctx.state.deploy_tokens.values()), active)


def _list(ctx: Ctx, kind: str, id: str) -> Reply:
    _caller(ctx)
    active = _active_filter(ctx)
    ctx.params.check()
    resource = _resource(ctx, kind, id)
    _authorize(ctx, kind, resource, write=False)
    return _page(ctx, resource_deploy_tokens(ctx, kind, resource), active)


def _token_id(ctx: Ctx, token_id: str) -> int:
    """``requires :token_id, type: Integer``."""
    parsed = parse_int(token_id)
    if parsed is None:
        raise errors.grape_error("token_id is invalid")
    return parsed


def _find(ctx: Ctx, kind: str, resource: Resource, token_id: int) -> DeployTokenRecord:
    """``resource.deploy_tokens.find(id)``: 404 ``404 Not found`` (RecordNotFound)."""
    token = ctx.state.deploy_tokens.get(token_id)
    if token is None or token.resource_type != kind or token.resource_id != resource.id:
        raise errors.record_not_found()
    return token


def _get(ctx: Ctx, kind: str, id: str, token_id: str) -> Reply:
    _caller(ctx)
    number = _token_id(ctx, token_id)
    resource = _resource(ctx, kind, id)
    _authorize(ctx, kind, resource, write=False)
    return 200, entities.deploy_token(ctx, _find(ctx, kind, resource, number))


def _delete(ctx: Ctx, kind: str, id: str, token_id: str) -> Reply:
    _caller(ctx)
    number = _token_id(ctx, token_id)
    resource = _resource(ctx, kind, id)
    _authorize(ctx, kind, resource, write=True)
    ctx.state.remove_deploy_token(_find(ctx, kind, resource, number).id)
    return 204, None


def model_errors(*, name: str, scopes: list[str], username: str | None) -> list[str]:
    """``DeployToken`` validation, full messages in the model's order of validations."""
    found: list[str] = []
    if not scopes:
        found.append("Scopes can't be blank")  # errors.add(:base, …): no attribute prefix
    if username is not None:
        if len(username) > rules.MAX_DEPLOY_USERNAME_LENGTH:
            found.append(
                f"Username is too long (maximum is {rules.MAX_DEPLOY_USERNAME_LENGTH} characters)"
            )
        if not _USERNAME.match(username):
            found.append("Username can contain only letters, digits, '_', '-', '+', and '.'")
    if len(name) > rules.MAX_DEPLOY_NAME_LENGTH:
        found.append(f"Name is too long (maximum is {rules.MAX_DEPLOY_NAME_LENGTH} characters)")
    return found


def to_sentence(messages: list[str]) -> str:
    """Rails ``Array#to_sentence``: ``a``, ``a and b``, ``a, b, and c``."""
    if len(messages) <= 2:
        return " and ".join(messages)
    return ", ".join(messages[:-1]) + ", and " + messages[-1]


def _create(ctx: Ctx, kind: str, id: str) -> Reply:
    _caller(ctx)
    p = ctx.params
    name = p.string("name", required=True)
    scopes = p.string_list("scopes", required=True, allowed=rules.DEPLOY_TOKEN_SCOPES)
    expires_at: datetime | None = p.datetime("expires_at")
    username = p.string("username")
    p.check()
    assert name is not None and scopes is not None
    resource = _resource(ctx, kind, id)
    _authorize(ctx, kind, resource, write=True)
    username = username or None  # ``params[:username].presence``
    found = model_errors(name=name, scopes=scopes, username=username)
    if found:
        raise errors.message_error(400, to_sentence(found))
    record = DeployTokenRecord(
        id=ctx.state.next_deploy_token_id(),
        name=name,
        scopes=tuple(s for s in rules.DEPLOY_TOKEN_SCOPES if s in scopes),
        created_at=ctx.now,
        resource_type=kind,
        resource_id=resource.id,
        username=username,
        expires_at=expires_at,
        creator_id=ctx.user.id if ctx.user else None,
    )
    value = ctx.state.add_deploy_token(record, prefix=rules.DEPLOY_TOKEN_PREFIX)
    return 201, entities.with_value(entities.deploy_token(ctx, record), value)


def _register(kind: str) -> None:
    base = f"{kind}s/:id/deploy_tokens"

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
    def delete_token(ctx: Ctx, id: str, token_id: str) -> Reply:
        return _delete(ctx, kind, id, token_id)


_register("project")
_register("group")
