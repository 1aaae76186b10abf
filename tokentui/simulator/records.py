"""In-memory records of the simulated GitLab instance (users, groups, projects, tokens)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from tokentui.simulator.rules import TokenKind

#: ``user_type`` values the simulator uses.
HUMAN = "human"
PROJECT_BOT = "project_bot"
SERVICE_ACCOUNT = "service_account"


@dataclass(slots=True, eq=False)
class UserRecord:
    """A user: a human, a project/group bot (owner of a resource token) or a service account."""

    id: int
    username: str
    name: str
    email: str
    created_at: datetime
    is_admin: bool = False
    state: str = "active"
    user_type: str = HUMAN
    #: Group that provisioned this service account (group service accounts only).
    provisioned_by_group_id: int | None = None

    @property
    def bot(self) -> bool:
        """True for bots and service accounts (GitLab's ``bot`` field)."""
        return self.user_type != HUMAN


@dataclass(slots=True, eq=False)
class GroupRecord:
    """A group; ``members`` maps user id to direct access level."""

    id: int
    name: str
    path: str
    full_path: str
    created_at: datetime
    parent_id: int | None = None
    visibility: str = "internal"
    description: str = ""
    members: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class ProjectRecord:
    """A project in a group namespace; ``members`` maps user id to direct access level."""

    id: int
    name: str
    path: str
    namespace_id: int
    path_with_namespace: str
    created_at: datetime
    visibility: str = "internal"
    description: str = ""
    members: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class TokenRecord:
    """A PersonalAccessToken row (every kind is one: resource tokens belong to bot users).

    The secret value is never stored, only its digest (``digest``).
    """

    id: int
    name: str
    user_id: int
    scopes: tuple[str, ...]
    created_at: datetime
    kind: TokenKind = TokenKind.PERSONAL
    description: str | None = None
    revoked: bool = False
    expires_at: date | None = None
    last_used_at: datetime | None = None
    #: Most recent first, at most 5 distinct addresses.
    last_used_ips: list[str] = field(default_factory=list)
    impersonation: bool = False
    #: ``previous_personal_access_token_id``: the token this one was rotated from.
    previous_id: int | None = None
    #: ``"project"`` or ``"group"`` for resource tokens.
    resource_type: str | None = None
    resource_id: int | None = None
    digest: str = field(default="", repr=False)

    def expired(self, today: date) -> bool:
        """GitLab: a token expires at 00:00 UTC on its ``expires_at`` date."""
        return self.expires_at is not None and self.expires_at <= today

    def active(self, today: date) -> bool:
        """Not revoked and not expired."""
        return not self.revoked and not self.expired(today)


@dataclass(slots=True, eq=False)
class DeployTokenRecord:
    """A ``deploy_tokens`` row of one project or group (§7.3). Not a ``PersonalAccessToken``:
    its own id sequence, never an API credential. The value is stored only as a digest.

    ``username`` None means the default ``gitlab+deploy-token-<id>``; ``expires_at`` None means
    never (GitLab stores a far-future date and shows ``null``).
    """

    id: int
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    resource_type: str
    resource_id: int
    username: str | None = None
    expires_at: datetime | None = None
    revoked: bool = False
    #: The user who created it (``creator_id``; for the credentials inventory only).
    creator_id: int | None = None
    digest: str = field(default="", repr=False)

    def expired(self, today: date) -> bool:
        """``expires_at < Date.today``: day granularity, from 00:00 UTC of the next day."""
        if self.expires_at is None:
            return False
        return self.expires_at < datetime.combine(today, time.min, UTC)

    def active(self, now: datetime) -> bool:
        """The ``active`` scope: ``revoked = false AND expires_at >= NOW()`` (to the instant)."""
        return not self.revoked and (self.expires_at is None or self.expires_at >= now)


@dataclass(slots=True, eq=False)
class VariableRecord:
    """A project's or group's CI/CD variable (§7.6). Unique per (``key``,
    ``environment_scope``) in its project or group. ``hidden`` implies ``masked``; a hidden
    variable's value is never shown again (``value`` is kept for the pipeline and for tests)."""

    owner_type: str
    owner_id: int
    key: str
    value: str = field(repr=False)
    variable_type: str = "env_var"
    protected: bool = False
    masked: bool = False
    hidden: bool = False
    raw: bool = False
    environment_scope: str = "*"
    description: str | None = None
