"""Directory lists: ``GET /users``, ``/projects``, ``/groups`` (gitlab-api.md §7.1, §7.2).

GitLab's rules, as this module follows them:

``GET /users`` (``API::Users``, ``UsersFinder``; scopes ``api``, ``read_api``, ``read_user``)
  * Without a credential only ``username=`` is allowed, else 403 ``Not authorized to access
    /api/v4/users``; a bad credential is a 401 as everywhere.
  * ``username``: exact, case-insensitive (0 or 1 row). ``search``: ``User.search``: a leading
    ``@`` is dropped; matches the name or username with ``fuzzy_search`` (words of 3+ characters
    all as substrings, else the whole query exactly), or the e-mail exactly (admins: the
    address; others: the public e-mail, which nobody in the simulator sets). Results: exact
    username, then exact name, then the rest, each by name (``User.search``'s order).
  * Filters: ``active``, ``blocked``, ``humans``, ``exclude_humans``, ``exclude_internal``,
    ``without_project_bots``. Non-admins see active users only (inferred). Default order
    ``id desc``;
    ``order_by`` (``id``, ``name``, ``username``, ``created_at``) and ``sort`` only for admins
    (others silently get the default).
  * Entity: ``UserBasic`` for non-admins (``id, username, public_email, name, state, locked,
    avatar_url, web_url``); admins also get ``created_at, bot, email, is_admin``. A token bot's
    name is ``****`` unless the caller can read its project or group.
``GET /projects`` (``ProjectsFinder``; scopes ``api``, ``read_api``)
  * Visible set: admins everything; others every public and internal project plus private ones
    they are a member of. ``membership=true``: projects where the caller has any effective role
    (direct or inherited from the group chain; for an admin too); ``min_access_level`` (10, 15,
    20, 30, 40, 50, else 400): effective role at least that; ``owned=true``: effective role
    Owner (the simulator has no personal namespaces).
  * ``search``: ``fuzzy_search`` on path, name and description (any column);
    ``search_namespaces=true`` also on the full path and full name. ``visibility``,
    ``archived`` (no project is archived: ``true`` gives none), ``id_after``/``id_before``.
  * Order: ``order_by`` ``id``, ``name``, ``path``, ``created_at`` (the default, run as ``id``),
    ``updated_at``, ``last_activity_at``; ``sort`` ``desc`` by default; ties by id.
  * ``pagination=keyset`` with ``order_by=id``: no totals, the next page only in
    ``Link: <…id_after=N…>; rel="next"`` (``id_before`` descending); other orders → 405.
  * Entity: the project plus ``permissions`` (``project_access``: the direct membership,
    ``group_access``: the highest in the namespace's chain; ``null`` when none);
    ``simple=true`` leaves ``permissions`` out.
``GET /groups`` (``GroupsFinder``; scopes ``api``, ``read_api``)
  * Default set for non-admins: groups they are a direct member of, the groups of their member
    projects, and the ancestors of both; ``all_available=true`` (an admin's default) adds every
    public and internal group (for an admin: every group). ``owned=true``: direct Owner
    memberships only. ``min_access_level``: direct memberships at least that level plus all
    their descendants (``owned`` and ``min_access_level`` ignore ``all_available``).
  * ``search``: ``fuzzy_search`` on name and path, and (an inference: GitLab's namespace search
    includes the parents' route) on the full path; ``top_level_only``; ``skip_groups[]``.
  * Order: ``order_by`` ``name`` (default), ``path``, ``id``; ``sort`` ``asc`` by default; ties
    by id. Offset pagination only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from tokentui.simulator import entities, errors
from tokentui.simulator.context import Ctx
from tokentui.simulator.filters import search_matcher
from tokentui.simulator.pagination import page_params, paginate
from tokentui.simulator.records import (
    HUMAN,
    PROJECT_BOT,
    GroupRecord,
    ProjectRecord,
    UserRecord,
)
from tokentui.simulator.route_table import Reply, route
from tokentui.simulator.routes.misc import USER_READ_SCOPES

ACCESS_LEVELS = ("10", "15", "20", "30", "40", "50")
OWNER = 50
#: ``user_type`` values that ``exclude_internal`` keeps.
NOT_INTERNAL = (HUMAN, PROJECT_BOT, "service_user", "service_account")


def _matcher(query: str | None) -> Callable[[str], bool] | None:
    return search_matcher(query) if query else None


def _any_column(matcher: Callable[[str], bool], *columns: str) -> bool:
    return any(matcher(column) for column in columns if column)


# -- users ---------------------------------------------------------------------------------
@route("GET", "users")
def list_users(ctx: Ctx) -> Reply:
    """``GET /users``: see the module docstring."""
    p = ctx.params
    if ctx.credential():
        ctx.authenticate(USER_READ_SCOPES)
    elif not p.string("username"):
        raise errors.forbidden("Not authorized to access /api/v4/users")
    username = p.string("username")
    search = p.string("search")
    flags = {
        name: p.boolean(name)
        for name in (
            "active",
            "blocked",
            "humans",
            "exclude_humans",
            "exclude_internal",
            "without_project_bots",
        )
    }
    order_by = p.choice("order_by", ("id", "name", "username", "created_at", "updated_at"))
    sort = p.choice("sort", ("asc", "desc"))
    p.check()
    admin = ctx.is_admin
    rows: Iterable[UserRecord] = ctx.state.users.values()
    if not admin:
        rows = (u for u in rows if u.state == "active")
    if flags["active"]:
        rows = (u for u in rows if u.state == "active")
    if flags["blocked"]:
        rows = (u for u in rows if u.state == "blocked")
    if flags["humans"]:
        rows = (u for u in rows if u.user_type == HUMAN)
    if flags["exclude_humans"]:
        rows = (u for u in rows if u.user_type != HUMAN)
    if flags["exclude_internal"]:
        rows = (u for u in rows if u.user_type in NOT_INTERNAL)
    if flags["without_project_bots"]:
        rows = (u for u in rows if u.user_type != PROJECT_BOT)
    users = list(rows)
    if username:
        wanted = username.lower()
        users = [u for u in users if u.username.lower() == wanted]
    if search:
        users = _search_users(ctx, users, search)
    elif admin and order_by:
        users.sort(key=_user_key(order_by), reverse=(sort or "desc") == "desc")
    else:
        users.sort(key=lambda u: u.id, reverse=True)
    return 200, [_user_entity(ctx, u) for u in paginate(ctx, users)]


def _search_users(ctx: Ctx, users: list[UserRecord], query: str) -> list[UserRecord]:
    query = query.strip().removeprefix("@").strip()
    if not query:
        return []
    lowered = query.lower()
    matcher = search_matcher(query)
    found = [
        u
        for u in users
        if (matcher is not None and _any_column(matcher, u.name, u.username))
        or (ctx.is_admin and u.email.lower() == lowered)
    ]

    def rank(user: UserRecord) -> tuple[int, str, int]:
        if user.username.lower() == lowered:
            first = 1
        elif user.name.lower() == lowered:
            first = 2
        else:
            first = 3
        return first, user.name, user.id

    return sorted(found, key=rank)


def _user_key(order_by: str) -> Callable[[UserRecord], Any]:
    if order_by == "name":
        return lambda u: (u.name, u.id)
    if order_by == "username":
        return lambda u: (u.username, u.id)
    if order_by in ("created_at", "updated_at"):
        return lambda u: (u.created_at, u.id)
    return lambda u: u.id


def _user_entity(ctx: Ctx, user: UserRecord) -> dict[str, Any]:
    name = user.name
    if user.user_type == PROJECT_BOT and not ctx.is_admin and not _can_read_bot(ctx, user):
        name = "****"
    body: dict[str, Any] = {
        "id": user.id,
        "username": user.username,
        "public_email": None,
        "name": name,
        "state": user.state,
        "locked": False,
        "avatar_url": None,
        "web_url": f"{ctx.base_url}/{user.username}",
    }
    if ctx.is_admin:
        full = entities.user(ctx, user)
        body.update(
            created_at=full["created_at"],
            bot=user.bot,
            email=user.email,
            is_admin=user.is_admin,
        )
    return body


def _can_read_bot(ctx: Ctx, bot: UserRecord) -> bool:
    """Whether the caller can read the project or group whose token bot ``bot`` is."""
    if ctx.user is None:
        return False
    state = ctx.state
    for project in state.projects.values():
        if bot.id in project.members and _project_visible(ctx, project):
            return True
    return any(
        bot.id in group.members and _group_visible(ctx, group) for group in state.groups.values()
    )


# -- projects ------------------------------------------------------------------------------
def _project_visible(ctx: Ctx, project: ProjectRecord) -> bool:
    if ctx.is_admin or project.visibility in ("public", "internal"):
        return True
    return ctx.user is not None and ctx.state.project_access(ctx.user.id, project) > 0


@route("GET", "projects")
def list_projects(ctx: Ctx) -> Reply:
    """``GET /projects``: see the module docstring."""
    ctx.authenticate()
    p = ctx.params
    membership = p.boolean("membership")
    owned = p.boolean("owned")
    level_text = p.choice("min_access_level", ACCESS_LEVELS)
    search = p.string("search")
    search_namespaces = p.boolean("search_namespaces")
    simple = p.boolean("simple")
    visibility = p.choice("visibility", ("public", "internal", "private"))
    archived = p.boolean("archived")
    id_after = p.integer("id_after")
    id_before = p.integer("id_before")
    order_by = p.choice(
        "order_by",
        ("id", "name", "path", "created_at", "updated_at", "last_activity_at", "similarity"),
    )
    sort = p.choice("sort", ("asc", "desc")) or "desc"
    keyset = p.raw("pagination") == "keyset"
    p.check()
    if keyset and order_by != "id":
        raise errors.grape_error(
            "Keyset pagination is not yet available for this type of request", 405
        )
    state = ctx.state
    user = ctx.user
    assert user is not None
    level = int(level_text) if level_text else None

    def access(project: ProjectRecord) -> int:
        return state.project_access(user.id, project)

    rows = [project for project in state.projects.values() if _project_visible(ctx, project)]
    if membership:
        rows = [project for project in rows if access(project) > 0]
    if level is not None:
        rows = [project for project in rows if access(project) >= level]
    if owned:
        rows = [project for project in rows if access(project) >= OWNER]
    if visibility:
        rows = [project for project in rows if project.visibility == visibility]
    if archived:
        rows = []  # nothing in the simulator is archived
    if id_after is not None:
        rows = [project for project in rows if project.id > id_after]
    if id_before is not None:
        rows = [project for project in rows if project.id < id_before]
    matcher = _matcher(search)
    if matcher is not None:
        rows = [
            project
            for project in rows
            if _any_column(matcher, project.path, project.name, project.description)
            or (
                search_namespaces
                and _any_column(
                    matcher, project.path_with_namespace, _name_with_namespace(ctx, project)
                )
            )
        ]
    rows.sort(key=_project_key(order_by), reverse=sort == "desc")
    page = _keyset_page(ctx, rows, sort) if keyset else paginate(ctx, rows)
    return 200, [_project_entity(ctx, project, simple=bool(simple)) for project in page]


def _name_with_namespace(ctx: Ctx, project: ProjectRecord) -> str:
    return entities.project(ctx, project)["name_with_namespace"]


def _project_key(order_by: str | None) -> Callable[[ProjectRecord], Any]:
    if order_by == "name":
        return lambda project: (project.name, project.id)
    if order_by == "path":
        return lambda project: (project.path, project.id)
    # created_at is run as id; the simulator keeps no update or activity times.
    return lambda project: project.id


def _keyset_page(ctx: Ctx, rows: list[ProjectRecord], sort: str) -> list[ProjectRecord]:
    """One keyset page: ``per_page`` rows and a ``rel="next"`` link while rows follow."""
    _, per_page = page_params(ctx)
    page = rows[:per_page]
    if len(rows) > per_page:
        bound = "id_after" if sort == "asc" else "id_before"
        url = _link(ctx, {bound: str(page[-1].id), "per_page": str(per_page)})
        ctx.response_headers["Link"] = f'<{url}>; rel="next"'
    return page


def _link(ctx: Ctx, replace: dict[str, str]) -> str:
    drop = {"page", "id_after", "id_before", "private_token", *replace}
    pairs = [
        (k, v) for k, v in parse_qsl(ctx.query_string, keep_blank_values=True) if k not in drop
    ]
    pairs += list(replace.items())
    pairs.sort(key=lambda kv: kv[0])
    return f"{ctx.base_url}{ctx.raw_path}?{urlencode(pairs)}"


def _project_entity(ctx: Ctx, project: ProjectRecord, *, simple: bool) -> dict[str, Any]:
    body = entities.project(ctx, project)
    if simple or ctx.user is None:
        return body
    state = ctx.state
    direct = project.members.get(ctx.user.id)
    namespace = state.groups[project.namespace_id]
    inherited = state.group_access(ctx.user.id, namespace)
    body["permissions"] = {
        "project_access": _access(direct),
        "group_access": _access(inherited),
    }
    return body


def _access(level: int | None) -> dict[str, int] | None:
    return {"access_level": level, "notification_level": 3} if level else None


# -- groups --------------------------------------------------------------------------------
def _group_visible(ctx: Ctx, group: GroupRecord) -> bool:
    if ctx.is_admin or group.visibility in ("public", "internal"):
        return True
    return ctx.user is not None and ctx.state.group_access(ctx.user.id, group) > 0


@route("GET", "groups")
def list_groups(ctx: Ctx) -> Reply:
    """``GET /groups``: see the module docstring."""
    ctx.authenticate()
    p = ctx.params
    all_available = p.boolean("all_available")
    owned = p.boolean("owned")
    level_text = p.choice("min_access_level", ACCESS_LEVELS)
    search = p.string("search")
    top_level_only = p.boolean("top_level_only")
    skip = p.string_list("skip_groups") or []
    order_by = p.choice("order_by", ("name", "path", "id", "similarity")) or "name"
    sort = p.choice("sort", ("asc", "desc")) or "asc"
    p.check()
    skip_ids = set()
    for value in skip:
        if not value.isdigit():
            raise errors.grape_error("skip_groups is invalid")
        skip_ids.add(int(value))
    state = ctx.state
    user = ctx.user
    assert user is not None
    groups = list(state.groups.values())
    if owned:
        rows = [g for g in groups if g.members.get(user.id, 0) >= OWNER]
    elif level_text is not None:
        level = int(level_text)
        roots = [g for g in groups if g.members.get(user.id, 0) >= level]
        rows = [g for g in groups if any(root in state.group_ancestry(g) for root in roots)]
    else:
        if all_available is None:
            all_available = ctx.is_admin
        rows = [g for g in groups if g.id in _authorized_groups(ctx, user)]
        if all_available:
            rows = [g for g in groups if g in rows or _group_visible(ctx, g)]
            if ctx.is_admin:
                rows = groups
    if top_level_only:
        rows = [g for g in rows if g.parent_id is None]
    if skip_ids:
        rows = [g for g in rows if g.id not in skip_ids]
    matcher = _matcher(search)
    if matcher is not None:
        rows = [g for g in rows if _any_column(matcher, g.name, g.path, g.full_path)]
    # Ties always go by id ascending, whatever the direction.
    rows.sort(key=lambda g: g.id)
    if order_by == "path":
        rows.sort(key=lambda g: g.path, reverse=sort == "desc")
    elif order_by == "id":
        rows.sort(key=lambda g: g.id, reverse=sort == "desc")
    else:
        rows.sort(key=lambda g: g.name, reverse=sort == "desc")
    return 200, [entities.group(ctx, g) for g in paginate(ctx, rows)]


def _authorized_groups(ctx: Ctx, user: UserRecord) -> set[int]:
    """Direct member groups, the groups of member projects, and all their ancestors."""
    state = ctx.state
    direct = [g for g in state.groups.values() if user.id in g.members]
    direct += [
        state.groups[p.namespace_id] for p in state.projects.values() if user.id in p.members
    ]
    return {a.id for g in direct for a in state.group_ancestry(g)}
