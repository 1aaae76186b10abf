"""Token sources: the one place that knows, per token kind, its API paths, which list filters
the server takes, which scopes and access levels are valid, and whether it can rotate.

A *source* is one list of tokens GitLab can serve: my personal tokens, all of them (admin), one
user's, a user's impersonation tokens, a project's, a group's, or a group service account's.
Sources are immutable values, safe as dictionary keys and worker-free (no secrets inside).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Literal
from urllib.parse import quote

from tokentui.gitlab import scopes as sc
from tokentui.gitlab.models import TokenKind

StateFilter = Literal["active", "inactive"]

#: ``sort`` values GitLab's token lists accept (18.3+; older servers ignore the parameter).
SERVER_SORTS: tuple[str, ...] = (
    "created_asc",
    "created_desc",
    "name_asc",
    "name_desc",
    "expires_asc",
    "expires_desc",
    "last_used_asc",
    "last_used_desc",
)

#: Every list filter of GitLab's newest personal-access-token list (19.x).
FULL_FILTERS: frozenset[str] = frozenset(
    {
        "state",
        "revoked",
        "search",
        "created_before",
        "created_after",
        "last_used_before",
        "last_used_after",
        "expires_before",
        "expires_after",
        "sort",
    }
)


@dataclass(frozen=True, slots=True)
class TokenFilters:
    """List filters GitLab understands for at least one kind. ``None`` means "not filtered".

    Date-time bounds (``created_*``, ``last_used_*``) are inclusive; ``expires_before`` is
    strict and ``expires_after`` inclusive, as GitLab does.
    """

    state: StateFilter | None = None
    revoked: bool | None = None
    search: str | None = None
    created_before: datetime | date | None = None
    created_after: datetime | date | None = None
    last_used_before: datetime | date | None = None
    last_used_after: datetime | date | None = None
    expires_before: date | None = None
    expires_after: date | None = None
    sort: str | None = None

    def as_params(self, allowed: frozenset[str]) -> dict[str, str]:
        """Query parameters for the filters in ``allowed`` that are set."""
        params: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or f.name not in allowed:
                continue
            if f.name == "search" and value == "":
                continue
            if isinstance(value, bool):
                params[f.name] = "true" if value else "false"
            elif isinstance(value, datetime | date):
                params[f.name] = value.isoformat()
            else:
                params[f.name] = str(value)
        return params


@dataclass(frozen=True, slots=True)
class CreateRoute:
    """Where and how a token of a source is created."""

    path: str
    scopes: tuple[str, ...]
    access_levels: tuple[int, ...] | None = None
    expires_required: bool = False
    #: True for ``POST /user/personal_access_tokens`` (limited scopes, any user).
    self_service: bool = False


@dataclass(frozen=True)
class TokenSource:
    """Base of the token sources. Subclasses fill in paths and capabilities."""

    kind: TokenKind = field(init=False)
    #: Filters the server applies for this source (others are applied client-side).
    server_filters: frozenset[str] = field(init=False, default=FULL_FILTERS)
    can_rotate: bool = field(init=False, default=True)

    @property
    def label(self) -> str:  # pragma: no cover - overridden
        """Short human description, e.g. ``project group/app``."""
        raise NotImplementedError

    def list_path(self) -> str:
        """Path (under /api/v4) of the list endpoint."""
        raise NotImplementedError

    def list_params(self, filters: TokenFilters) -> dict[str, str]:
        """Query parameters for listing with ``filters`` (server-side part only)."""
        return filters.as_params(self.server_filters)

    def same_list(self, other: TokenSource, filters: TokenFilters) -> bool:
        """Whether listing ``other`` with ``filters`` sends the very same requests."""
        return (self.list_path(), self.list_params(filters)) == (
            other.list_path(),
            other.list_params(filters),
        )

    def token_path(self, token_id: int | str) -> str:
        """Path of one token (GET and, unless overridden, DELETE)."""
        return f"/personal_access_tokens/{token_id}"

    def get_path(self, token_id: int | str) -> str:
        """Path to GET one token."""
        return self.token_path(token_id)

    def revoke_path(self, token_id: int | str) -> str:
        """Path to DELETE (revoke) one token."""
        return self.token_path(token_id)

    def rotate_path(self, token_id: int | str) -> str:
        """Path to POST a rotation of one token (``token_id`` may be ``self``)."""
        return f"{self.token_path(token_id)}/rotate"

    def create_route(self, *, viewer_is_admin: bool) -> CreateRoute | None:
        """How to create a token in this source, or None when the API cannot."""
        raise NotImplementedError


def _encode(id_or_path: str | int) -> str:
    """Encode a project/group id or full path for a URL segment (``a/b`` -> ``a%2Fb``)."""
    return quote(str(id_or_path), safe="")


@dataclass(frozen=True)
class PersonalTokens(TokenSource):
    """Personal access tokens: one user's (``user_id``) or, for an admin, everyone's (None).

    ``mine`` marks the viewer's own list (create goes through the self-service endpoint for a
    non-admin).
    """

    user_id: int | None = None
    mine: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TokenKind.PERSONAL)

    @property
    def label(self) -> str:
        if self.mine:
            return "my tokens"
        return "all tokens" if self.user_id is None else f"user {self.user_id}"

    def list_path(self) -> str:
        return "/personal_access_tokens"

    def list_params(self, filters: TokenFilters) -> dict[str, str]:
        params = super().list_params(filters)
        if self.user_id is not None:
            params["user_id"] = str(self.user_id)
        return params

    def create_route(self, *, viewer_is_admin: bool) -> CreateRoute | None:
        if viewer_is_admin and self.user_id is not None:
            return CreateRoute(
                path=f"/users/{self.user_id}/personal_access_tokens", scopes=sc.PERSONAL_SCOPES
            )
        if self.mine:
            return CreateRoute(
                path="/user/personal_access_tokens",
                scopes=sc.SELF_SERVICE_SCOPES,
                self_service=True,
            )
        return None


@dataclass(frozen=True)
class ImpersonationTokens(TokenSource):
    """A user's impersonation tokens (admin only). GitLab filters them by ``state`` only."""

    user_id: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TokenKind.IMPERSONATION)
        object.__setattr__(self, "server_filters", frozenset({"state"}))

    @property
    def label(self) -> str:
        return f"impersonation of user {self.user_id}"

    def list_path(self) -> str:
        return f"/users/{self.user_id}/impersonation_tokens"

    def token_path(self, token_id: int | str) -> str:
        return f"/users/{self.user_id}/impersonation_tokens/{token_id}"

    def rotate_path(self, token_id: int | str) -> str:
        # Impersonation tokens are personal access tokens: an admin rotates them there.
        return f"/personal_access_tokens/{token_id}/rotate"

    def create_route(self, *, viewer_is_admin: bool) -> CreateRoute | None:
        if not viewer_is_admin:
            return None
        return CreateRoute(path=self.list_path(), scopes=sc.PERSONAL_SCOPES, expires_required=True)


@dataclass(frozen=True)
class _ResourceTokens(TokenSource):
    """Project or group access tokens (``/projects|groups/:id/access_tokens``)."""

    resource: str = ""
    _segment: str = field(init=False, default="")

    @property
    def label(self) -> str:
        return f"{self._segment[:-1]} {self.resource}"

    def list_path(self) -> str:
        return f"/{self._segment}/{_encode(self.resource)}/access_tokens"

    def token_path(self, token_id: int | str) -> str:
        return f"{self.list_path()}/{token_id}"

    def create_route(self, *, viewer_is_admin: bool) -> CreateRoute | None:
        return CreateRoute(
            path=self.list_path(),
            scopes=sc.RESOURCE_SCOPES,
            access_levels=tuple(sc.ACCESS_LEVELS),
            expires_required=True,
        )


@dataclass(frozen=True)
class ProjectTokens(_ResourceTokens):
    """A project's access tokens; ``resource`` is a numeric id or a full path."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TokenKind.PROJECT)
        object.__setattr__(self, "_segment", "projects")


@dataclass(frozen=True)
class GroupTokens(_ResourceTokens):
    """A group's access tokens; ``resource`` is a numeric id or a full path."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TokenKind.GROUP)
        object.__setattr__(self, "_segment", "groups")


@dataclass(frozen=True)
class ServiceAccountTokens(TokenSource):
    """A group service account's personal access tokens."""

    group: str = ""
    user_id: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TokenKind.SERVICE_ACCOUNT)

    @property
    def label(self) -> str:
        return f"service account {self.user_id} of {self.group}"

    def list_path(self) -> str:
        return (
            f"/groups/{_encode(self.group)}/service_accounts/{self.user_id}/personal_access_tokens"
        )

    def get_path(self, token_id: int | str) -> str:
        # There is no GET under the service-account path; the token is a PAT.
        return f"/personal_access_tokens/{token_id}"

    def revoke_path(self, token_id: int | str) -> str:
        return f"{self.list_path()}/{token_id}"

    def rotate_path(self, token_id: int | str) -> str:
        return f"{self.list_path()}/{token_id}/rotate"

    def create_route(self, *, viewer_is_admin: bool) -> CreateRoute | None:
        return CreateRoute(path=self.list_path(), scopes=sc.PERSONAL_SCOPES)


@dataclass(frozen=True)
class DeployTokens(TokenSource):
    """A project's or group's deploy tokens, as the source of writes on deploy rows (a row of
    the everything scan is revoked where it lives). ``resource_type`` is ``project`` or
    ``group``; ``resource`` a numeric id or a full path. GitLab has no rotate for them
    (gitlab-api.md §7.3): ``can_rotate`` is False; revoke is ``DELETE``, which deletes the row.
    Listing goes through ``GitLabClient.list_deploy_tokens`` (another entity), not here."""

    resource_type: Literal["project", "group"] = "project"
    resource: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TokenKind.DEPLOY)
        object.__setattr__(self, "server_filters", frozenset())
        object.__setattr__(self, "can_rotate", False)

    @property
    def label(self) -> str:
        return f"deploy tokens of {self.resource_type} {self.resource}"

    def list_path(self) -> str:
        return f"/{self.resource_type}s/{_encode(self.resource)}/deploy_tokens"

    def token_path(self, token_id: int | str) -> str:
        return f"{self.list_path()}/{token_id}"

    def rotate_path(self, token_id: int | str) -> str:
        raise ValueError("GitLab cannot rotate deploy tokens: create a new one, then revoke this")

    def create_route(self, *, viewer_is_admin: bool) -> CreateRoute | None:
        return None  # created through GitLabClient.create_deploy_token (its own request)


def self_rotate_path(source: TokenSource | None) -> str:
    """Path that rotates the token in use: the resource's for a project/group token."""
    if isinstance(source, _ResourceTokens):
        return f"{source.list_path()}/self/rotate"
    return "/personal_access_tokens/self/rotate"


#: Names of the source choices, as the CLI flags and the TUI picker spell them.
SOURCE_CHOICES: tuple[str, ...] = (
    "mine",
    "all",
    "user",
    "impersonation",
    "project",
    "group",
    "service-account",
)


def resolve_source(
    choice: str | None, value: str | None, *, viewer_id: int, viewer_is_admin: bool
) -> TokenSource:
    """Build a source from a choice name and its argument; ``None`` picks the default
    (``all`` for an admin, ``mine`` otherwise). Raises ``ValueError`` with a user-ready message.
    """
    if choice is None:
        choice = "all" if viewer_is_admin else "mine"
    if choice == "mine":
        return PersonalTokens(user_id=viewer_id, mine=True)
    if choice == "all":
        if not viewer_is_admin:
            raise ValueError(
                "listing every user's tokens needs an administrator; use --mine for your own"
            )
        return PersonalTokens(user_id=None)
    if choice in ("user", "impersonation"):
        user_id = _positive_int(value, f"--{choice} takes a numeric user id")
        if choice == "user":
            return PersonalTokens(user_id=user_id, mine=user_id == viewer_id)
        return ImpersonationTokens(user_id=user_id)
    if choice in ("project", "group"):
        if not value or not value.strip().strip("/"):
            raise ValueError(f"--{choice} takes a numeric id or a full path like 'team/app'")
        resource = value.strip().strip("/")
        return ProjectTokens(resource=resource) if choice == "project" else GroupTokens(resource)
    if choice == "service-account":
        group, sep, user = (value or "").rpartition(":")
        if not sep or not group.strip("/"):
            raise ValueError("--service-account takes GROUP:USER_ID, e.g. 'platform:57'")
        user_id = _positive_int(user, "--service-account takes GROUP:USER_ID, e.g. 'platform:57'")
        return ServiceAccountTokens(group=group.strip("/"), user_id=user_id)
    raise ValueError(f"unknown token source {choice!r}; choose one of {', '.join(SOURCE_CHOICES)}")


def source_before_viewer(choice: str | None, value: str | None) -> TokenSource | None:
    """The source a choice names when its list requests do not depend on who the viewer is
    (every choice but the default and ``mine``), else None (also for a malformed value).

    It lets a list start while ``GET /user`` is still on its way. The rows are only used once
    :func:`resolve_source` with the viewer gives a source with the same requests
    (:meth:`TokenSource.same_list`): ``all`` needs an administrator.
    """
    if choice is None or choice == "mine":
        return None
    try:
        return resolve_source(choice, value, viewer_id=0, viewer_is_admin=True)
    except ValueError:
        return None


def _positive_int(value: str | None, message: str) -> int:
    try:
        number = int((value or "").strip())
    except ValueError:
        raise ValueError(f"{message}, not {value!r}") from None
    if number <= 0:
        raise ValueError(f"{message}, not {value!r}")
    return number
