"""CI/CD variables: ``/projects|groups/:id/variables`` and ``…/variables/:key`` (§7.6).

Written from ``lib/api/ci/variables.rb``, ``lib/api/group_variables.rb``,
``lib/api/helpers/variables_helpers.rb`` and the ``Ci::Variable`` model concerns (see
docs/simulator.md, "CI/CD variables"):

* ``authenticate!``, then the project or group (404 when unseen), then
  ``authorize! :admin_cicd_variables`` (project Maintainer+, group Owner; 403): before Grape's
  parameter checks, as the endpoints' ``before`` blocks run first.
* A key held in several environment scopes needs ``filter[environment_scope]`` on GET, PUT and
  DELETE (409), except a group's PUT, which updates the first one (GitLab's legacy behaviour).
* Model errors are one 400 ``{"message": {"<attribute>": ["<message>", …]}}``.
* A hidden variable (``masked_and_hidden`` on create) shows ``value: null`` everywhere; its
  masking cannot be changed later.
"""

from __future__ import annotations

import re
from typing import Any

from tokentui.simulator import errors, rules
from tokentui.simulator.context import Ctx
from tokentui.simulator.pagination import paginate
from tokentui.simulator.records import GroupRecord, ProjectRecord, VariableRecord
from tokentui.simulator.route_table import Reply, route
from tokentui.simulator.routes.misc import visible_group, visible_project

_KEY = re.compile(rf"\A{rules.VARIABLE_KEY_PATTERN}\Z")
_MASKED = re.compile(rf"\A{rules.MASKED_VALUE_PATTERN}\Z")
_MASKED_RAW = re.compile(rf"\A{rules.MASKED_RAW_VALUE_PATTERN}\Z")
_TOO_LONG = "is too long (maximum is {n} characters)"


def entity(record: VariableRecord) -> dict[str, Any]:
    """``Ci::Variable`` entity, in GitLab's order; a hidden variable's value is null."""
    return {
        "variable_type": record.variable_type,
        "key": record.key,
        "value": None if record.hidden else record.value,
        "hidden": record.hidden,
        "protected": record.protected,
        "masked": record.masked,
        "raw": record.raw,
        "environment_scope": record.environment_scope,
        "description": record.description,
    }


def _owner(ctx: Ctx, kind: str, id_or_path: str) -> ProjectRecord | GroupRecord:
    """Authenticate, find the project or group, check ``admin_cicd_variables``."""
    ctx.authenticate()
    resource: ProjectRecord | GroupRecord
    if kind == "project":
        resource = visible_project(ctx, id_or_path)
        level = 0 if ctx.user is None else ctx.state.project_access(ctx.user.id, resource)
    else:
        resource = visible_group(ctx, id_or_path)
        level = 0 if ctx.user is None else ctx.state.group_access(ctx.user.id, resource)
    if not ctx.is_admin and level < rules.VARIABLE_LEVEL[kind]:
        raise errors.forbidden()
    return resource


def _scope_filter(ctx: Ctx) -> str | None:
    """``filter[environment_scope]`` (query or form key, or a JSON ``filter`` object)."""
    flat = ctx.params.raw("filter[environment_scope]")
    if isinstance(flat, str):
        return flat
    nested = ctx.params.raw("filter")
    if isinstance(nested, dict) and isinstance(nested.get("environment_scope"), str):
        return str(nested["environment_scope"])
    return None


def _find(
    ctx: Ctx, kind: str, rows: list[VariableRecord], key: str, *, put: bool
) -> VariableRecord:
    """The variable ``key`` (``find_variable``): 404 when absent, 409 when ambiguous."""
    scope = _scope_filter(ctx)
    found = [v for v in rows if v.key == key]
    if scope is not None:
        found = [v for v in found if v.environment_scope == scope]
    if not found:
        raise errors.not_found(rules.VARIABLE_NOT_FOUND[kind])
    if len(found) > 1 and not (put and kind == "group"):
        raise errors.message_error(409, rules.VARIABLE_AMBIGUOUS)
    return found[0]


def _model_errors(
    record: VariableRecord, rows: list[VariableRecord], problems: dict[str, list[str]]
) -> dict[str, list[str]]:
    """``Ci::Variable`` validations of ``record`` (not yet stored) among ``rows``."""
    key = record.key
    if not key:
        problems.setdefault("key", []).append("can't be blank")
    if len(key) > rules.MAX_VARIABLE_KEY_LENGTH:
        problems.setdefault("key", []).append(_TOO_LONG.format(n=rules.MAX_VARIABLE_KEY_LENGTH))
    if not _KEY.match(key):
        problems.setdefault("key", []).append(rules.VARIABLE_KEY_FORMAT)
    taken = any(
        v is not record and v.key == key and v.environment_scope == record.environment_scope
        for v in rows
    )
    if taken:
        problems.setdefault("key", []).append(f"({key}) has already been taken")
    if record.masked:
        pattern = _MASKED_RAW if record.raw else _MASKED
        if not pattern.match(record.value):
            problems.setdefault("value", []).append("is invalid")
    description = record.description or ""
    if len(description) > rules.MAX_VARIABLE_DESCRIPTION_LENGTH:
        problems.setdefault("description", []).append(
            _TOO_LONG.format(n=rules.MAX_VARIABLE_DESCRIPTION_LENGTH)
        )
    return problems


def _list(ctx: Ctx, kind: str, id: str) -> Reply:
    resource = _owner(ctx, kind, id)
    rows = ctx.state.variables_of(kind, resource.id)
    return 200, [entity(v) for v in paginate(ctx, rows)]


def _get(ctx: Ctx, kind: str, id: str, key: str) -> Reply:
    resource = _owner(ctx, kind, id)
    return 200, entity(_find(ctx, kind, ctx.state.variables_of(kind, resource.id), key, put=False))


def _create(ctx: Ctx, kind: str, id: str) -> Reply:
    resource = _owner(ctx, kind, id)
    p = ctx.params
    key = p.string("key", required=True)
    value = p.string("value", required=True)
    variable_type = p.choice("variable_type", rules.VARIABLE_TYPES)
    protected = p.boolean("protected")
    masked = p.boolean("masked")
    hidden = p.boolean("masked_and_hidden")
    raw = p.boolean("raw")
    scope = p.string("environment_scope")
    description = p.string("description")
    p.check()
    assert key is not None and value is not None
    problems: dict[str, list[str]] = {}
    if hidden and masked is False:
        problems["masked"] = [rules.VARIABLE_HIDDEN_NEEDS_MASKED]
    record = VariableRecord(
        owner_type=kind,
        owner_id=resource.id,
        key=key,
        value=value,
        variable_type=variable_type or "env_var",
        protected=bool(protected),
        masked=bool(masked) or bool(hidden),
        hidden=bool(hidden),
        raw=bool(raw),
        environment_scope=scope or rules.DEFAULT_ENVIRONMENT_SCOPE,
        description=description,
    )
    rows = ctx.state.variables_of(kind, resource.id)
    if _model_errors(record, rows, problems):
        raise errors.message_error(400, problems)
    rows.append(record)
    ctx.state.touch()
    return 201, entity(record)


def _update(ctx: Ctx, kind: str, id: str, key: str) -> Reply:
    resource = _owner(ctx, kind, id)
    p = ctx.params
    value = p.string("value")
    variable_type = p.choice("variable_type", rules.VARIABLE_TYPES)
    protected = p.boolean("protected")
    masked = p.boolean("masked")
    raw = p.boolean("raw")
    scope = p.string("environment_scope")
    description = p.string("description")
    p.check()
    rows = ctx.state.variables_of(kind, resource.id)
    current = _find(ctx, kind, rows, key, put=True)
    problems: dict[str, list[str]] = {}
    if current.hidden and masked is False:
        problems["base"] = [rules.VARIABLE_HIDDEN_FIXED]
    changed = VariableRecord(
        owner_type=kind,
        owner_id=resource.id,
        key=current.key,
        value=current.value if value is None else value,
        variable_type=variable_type or current.variable_type,
        protected=current.protected if protected is None else protected,
        masked=current.masked if masked is None else masked,
        hidden=current.hidden,
        raw=current.raw if raw is None else raw,
        environment_scope=scope or current.environment_scope,
        description=current.description if description is None else description,
    )
    others = [v for v in rows if v is not current]
    if _model_errors(changed, others, problems):
        raise errors.message_error(400, problems)
    rows[rows.index(current)] = changed
    ctx.state.touch()
    return 200, entity(changed)


def _delete(ctx: Ctx, kind: str, id: str, key: str) -> Reply:
    resource = _owner(ctx, kind, id)
    rows = ctx.state.variables_of(kind, resource.id)
    rows.remove(_find(ctx, kind, rows, key, put=False))
    ctx.state.touch()
    return 204, None


def _register(kind: str) -> None:
    base = f"{kind}s/:id/variables"

    @route("GET", base)
    def list_variables(ctx: Ctx, id: str) -> Reply:
        return _list(ctx, kind, id)

    @route("POST", base)
    def create_variable(ctx: Ctx, id: str) -> Reply:
        return _create(ctx, kind, id)

    @route("GET", f"{base}/:key")
    def get_variable(ctx: Ctx, id: str, key: str) -> Reply:
        return _get(ctx, kind, id, key)

    @route("PUT", f"{base}/:key")
    def update_variable(ctx: Ctx, id: str, key: str) -> Reply:
        return _update(ctx, kind, id, key)

    @route("DELETE", f"{base}/:key")
    def delete_variable(ctx: Ctx, id: str, key: str) -> Reply:
        return _delete(ctx, kind, id, key)


_register("project")
_register("group")
