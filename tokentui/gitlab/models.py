"""pydantic models of GitLab's token API entities (docs/gitlab-facts.md, section 2).

Unknown fields are ignored (GitLab keeps adding some); fields older versions lack are optional.
A token *value* only exists on :class:`NewToken`, as a ``SecretStr``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError


class TokenKind(StrEnum):
    """The kinds of access token tokentui manages."""

    PERSONAL = "personal"
    IMPERSONATION = "impersonation"
    PROJECT = "project"
    GROUP = "group"
    SERVICE_ACCOUNT = "service_account"
    #: A project's or group's deploy token (its own table and id space: :attr:`Token.key`).
    DEPLOY = "deploy"

    @property
    def label(self) -> str:
        """Human name of the kind."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    TokenKind.PERSONAL: "personal",
    TokenKind.IMPERSONATION: "impersonation",
    TokenKind.PROJECT: "project",
    TokenKind.GROUP: "group",
    TokenKind.SERVICE_ACCOUNT: "service account",
    TokenKind.DEPLOY: "deploy",
}

#: Where a token row comes from: GitLab's ``personal_access_tokens`` table (personal,
#: impersonation, project, group and service-account tokens share it and its ids) or its
#: ``deploy_tokens`` table (ids of their own).
TokenFamily = Literal["access", "deploy"]


class GitLabModel(BaseModel):
    """Base: ignore unknown fields, immutable."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Token(GitLabModel):
    """An access token as GitLab lists it (PersonalAccessToken and its subclasses).

    Covers personal, impersonation, project/group (``access_level``) and service-account
    tokens. Never carries the secret value.
    """

    id: int
    name: str
    revoked: bool = False
    #: ``deploy`` for a deploy token shown as a row (:meth:`DeployToken.as_row`); its
    #: ``resource_type``/``resource_id`` say which project or group holds it. (Declared before
    #: ``created_at``, whose check reads it.)
    family: TokenFamily = "access"
    #: None only for a deploy token (GitLab's ``DeployToken`` entity has no creation time): an
    #: access token without one is not GitLab's answer, and is refused as a missing field.
    created_at: AwareDatetime | None = Field(default=None, validate_default=True)
    description: str | None = None
    scopes: tuple[str, ...] = ()
    user_id: int | None = None
    last_used_at: AwareDatetime | None = None
    active: bool = True
    expires_at: date | None = None
    last_used_ips: tuple[str, ...] | None = None
    impersonation: bool | None = None
    access_level: int | None = None
    resource_type: str | None = None
    resource_id: int | None = None
    granular: bool | None = None
    #: A deploy token's username (what ``git clone`` takes with its value); None otherwise.
    username: str | None = None

    @field_validator("created_at", mode="after")
    @classmethod
    def _created_at_for_access_tokens(
        cls, value: datetime | None, info: ValidationInfo
    ) -> datetime | None:
        if value is None and info.data.get("family", "access") == "access":
            raise PydanticCustomError("missing", "Field required")
        return value

    @property
    def key(self) -> int:
        """The row's identity in a list that may mix families: the id for an access token,
        minus the id for a deploy token (GitLab ids are positive; a deploy token and a personal
        token may share an id). Stores, views, marks and cursors key rows by this, never by
        ``id``; API calls use ``id``."""
        return -self.id if self.family == "deploy" else self.id

    @property
    def is_deploy(self) -> bool:
        """Whether this row is a deploy token (no rotate endpoint; its own id space)."""
        return self.family == "deploy"


class NewToken(Token):
    """A token returned by create or rotate: the only place its value exists."""

    token: SecretStr = Field(repr=False)

    def public(self) -> Token:
        """The same token without its value, for the store and the views."""
        return Token.model_validate(self.model_dump(exclude={"token"}))


class DeployToken(GitLabModel):
    """A project or group deploy token (``DeployToken``, gitlab-api.md §7.3). Never carries the
    value. GitLab's entity names no project or group: the caller knows which list it read.

    ``expires_at`` is a date-time (``2021-01-01T00:00:00.000Z``) or None for never.
    ``expired`` is GitLab's day-granular flag; ``revoked`` only becomes true through the UI or
    the admin token API (the REST ``DELETE`` removes the token instead).
    """

    id: int
    name: str
    username: str
    expires_at: AwareDatetime | None = None
    scopes: tuple[str, ...] = ()
    revoked: bool = False
    expired: bool = False

    def as_row(self, resource_type: Literal["project", "group"], resource_id: int | None) -> Token:
        """This deploy token as a row of a token list (``family="deploy"``, keyed by
        :attr:`Token.key`), held by the project or group ``resource_type``/``resource_id``.

        The row's ``expires_at`` is the UTC date of GitLab's expiry instant: rows expire at
        00:00 UTC of that date, so an expiry later in the day shows a few hours early, never
        late. ``active`` is GitLab's own view: neither revoked nor ``expired``."""
        expires = self.expires_at.astimezone(UTC).date() if self.expires_at else None
        return Token(
            id=self.id,
            name=self.name,
            revoked=self.revoked,
            scopes=self.scopes,
            active=not (self.revoked or self.expired),
            expires_at=expires,
            resource_type=resource_type,
            resource_id=resource_id,
            family="deploy",
            username=self.username,
        )


class NewDeployToken(DeployToken):
    """A deploy token as its create answer has it: the only place its value exists."""

    token: SecretStr = Field(repr=False)

    def public(self) -> DeployToken:
        """The same token without its value."""
        return DeployToken.model_validate(self.model_dump(exclude={"token"}))


class Variable(GitLabModel):
    """A project's or group's CI/CD variable (gitlab-api.md §7.6). ``value`` is a secret (it
    may be a token); GitLab sends ``null`` for a hidden variable."""

    key: str
    value: SecretStr | None = Field(default=None, repr=False)
    variable_type: str = "env_var"
    hidden: bool = False
    protected: bool = False
    masked: bool = False
    raw: bool = False
    environment_scope: str = "*"
    description: str | None = None


class User(GitLabModel):
    """A GitLab user (``GET /user``, ``GET /users/:id``)."""

    id: int
    username: str
    name: str = ""
    state: str | None = None
    is_admin: bool = False
    bot: bool = False
    email: str | None = None
    web_url: str | None = None
    #: Administrators on Premium: the group that made this service account.
    provisioned_by_group_id: int | None = None


class MemberAccess(GitLabModel):
    """A membership's level in a project's ``permissions`` block."""

    access_level: int
    notification_level: int | None = None


class ProjectPermissions(GitLabModel):
    """``permissions`` of a project listed for a signed-in user: ``project_access`` is the
    direct membership, ``group_access`` the highest in the namespace's chain (neither shows
    access through sharing)."""

    project_access: MemberAccess | None = None
    group_access: MemberAccess | None = None


class Project(GitLabModel):
    """The fields of ``GET /projects/:id`` and ``GET /projects`` tokentui uses."""

    id: int
    name: str
    path_with_namespace: str
    path: str | None = None
    name_with_namespace: str | None = None
    description: str | None = None
    visibility: str | None = None
    web_url: str | None = None
    #: Only in ``GET /projects`` without ``simple=true``.
    permissions: ProjectPermissions | None = None


class Group(GitLabModel):
    """The fields of ``GET /groups/:id`` and ``GET /groups`` tokentui uses."""

    id: int
    name: str
    full_path: str
    path: str | None = None
    full_name: str | None = None
    description: str | None = None
    visibility: str | None = None
    parent_id: int | None = None
    web_url: str | None = None


class ServiceAccount(GitLabModel):
    """A group service account (``GET /groups/:id/service_accounts``)."""

    id: int
    username: str
    name: str = ""
    email: str | None = None


class AssociatedGroup(GitLabModel):
    """A group a token reaches (``self/associations``)."""

    id: int
    name: str
    web_url: str | None = None
    parent_id: int | None = None


class AssociatedProject(GitLabModel):
    """A project a token reaches (``self/associations``)."""

    id: int
    name: str
    path_with_namespace: str | None = None
    web_url: str | None = None


class Associations(GitLabModel):
    """``GET /personal_access_tokens/self/associations``."""

    groups: tuple[AssociatedGroup, ...] = ()
    projects: tuple[AssociatedProject, ...] = ()


class Version(GitLabModel):
    """``GET /version``."""

    version: str
    revision: str | None = None


#: Fast parser for a list page (pydantic-core parses the JSON bytes directly).
TOKEN_LIST = TypeAdapter(list[Token])


def parse_datetime(value: str) -> datetime:
    """Parse an ISO 8601 timestamp as GitLab sends it (``...Z``) into an aware datetime."""
    return TypeAdapter(AwareDatetime).validate_python(value)
