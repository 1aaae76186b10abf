"""``/user``, ``/users/:id``, ``/version``, ``/projects/:id``, ``/groups/:id``."""

from __future__ import annotations

from collections.abc import Callable

from tokentui.simulator import entities, errors
from tokentui.simulator.context import Ctx
from tokentui.simulator.params import parse_int
from tokentui.simulator.records import GroupRecord, ProjectRecord
from tokentui.simulator.route_table import Reply, route

#: ``API::Users`` also accepts ``read_user`` on GET.
USER_READ_SCOPES = ("api", "read_api", "read_user")


@route("GET", "user")
def current_user(ctx: Ctx) -> Reply:
    """Who am I (``is_admin`` only shown to admins, as ``UserWithAdmin``)."""
    user = ctx.authenticate(USER_READ_SCOPES)
    return 200, entities.user(ctx, user, private=True)


@route("GET", "users/:id")
def get_user(ctx: Ctx, id: str) -> Reply:
    """A user by id."""
    ctx.authenticate(USER_READ_SCOPES)
    user_id = parse_int(id)
    if user_id is None:
        raise errors.grape_error("id is invalid")
    user = ctx.state.users.get(user_id)
    if user is None:
        raise errors.not_found("User")
    private = ctx.user is not None and ctx.user.id == user.id
    return 200, entities.user(ctx, user, private=private)


@route("GET", "metadata")
@route("GET", "version")
def version(ctx: Ctx) -> Reply:
    """Server version (``/metadata`` answers the same fields)."""
    ctx.authenticate()
    return 200, {
        "version": ctx.config.version,
        "revision": ctx.config.revision,
        "kas": {
            "enabled": False,
            "externalUrl": None,
            "externalK8sProxyUrl": None,
            "version": None,
        },
        "enterprise": ctx.config.version.endswith("-ee"),
    }


def visible_group(ctx: Ctx, id_or_path: str) -> GroupRecord:
    """A group the caller can see, else 404 "Group Not Found"."""
    group = ctx.state.find_group(id_or_path)
    if group is None or not _can_see(
        ctx, group.visibility, lambda uid: ctx.state.group_access(uid, group)
    ):
        raise errors.not_found("Group")
    return group


def visible_project(ctx: Ctx, id_or_path: str) -> ProjectRecord:
    """A project the caller can see, else 404 "Project Not Found"."""
    project = ctx.state.find_project(id_or_path)
    if project is None or not _can_see(
        ctx, project.visibility, lambda uid: ctx.state.project_access(uid, project)
    ):
        raise errors.not_found("Project")
    return project


def _can_see(ctx: Ctx, visibility: str, access: Callable[[int], int]) -> bool:
    """GitLab visibility: internal/public for any signed-in user, private for members."""
    if ctx.is_admin or visibility in ("public", "internal"):
        return True
    return ctx.user is not None and access(ctx.user.id) > 0


@route("GET", "projects/:id")
def get_project(ctx: Ctx, id: str) -> Reply:
    """A project by id or URL-encoded full path."""
    ctx.authenticate()
    return 200, entities.project(ctx, visible_project(ctx, id))


@route("GET", "groups/:id")
def get_group(ctx: Ctx, id: str) -> Reply:
    """A group by id or URL-encoded full path."""
    ctx.authenticate()
    return 200, entities.group(ctx, visible_group(ctx, id))
