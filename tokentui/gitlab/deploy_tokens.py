"""Deploy tokens: where they live and what a create request may be (gitlab-api.md §7.3).

Pure data for :class:`~tokentui.gitlab.client.GitLabClient`'s deploy-token methods: the
project or group a token belongs to (:class:`DeployTokenOwner`, its paths) and a create
request checked against GitLab's rules before any request (:func:`create_body`). GitLab has no
rotate endpoint for deploy tokens: replacing one is create + delete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote

from tokentui.gitlab import scopes as sc

DeployTokenKind = Literal["project", "group"]
#: The instance-wide list (``GET /deploy_tokens``, administrators only).
ALL_DEPLOY_TOKENS_PATH = "/deploy_tokens"
_USERNAME = re.compile(rf"\A{sc.DEPLOY_USERNAME_PATTERN}\Z")


@dataclass(frozen=True, slots=True)
class DeployTokenOwner:
    """The project or group whose deploy tokens are meant: numeric id or full path."""

    kind: DeployTokenKind
    id_or_path: int | str

    def __post_init__(self) -> None:
        if self.kind not in ("project", "group"):
            raise ValueError(f"deploy tokens belong to a project or a group, not {self.kind!r}")

    @property
    def label(self) -> str:
        """``project platform/api``, for messages."""
        return f"{self.kind} {self.id_or_path}"

    @property
    def list_path(self) -> str:
        """``/projects/:id/deploy_tokens`` (list and create)."""
        return f"/{self.kind}s/{quote(str(self.id_or_path), safe='')}/deploy_tokens"

    def token_path(self, token_id: int) -> str:
        """``/projects/:id/deploy_tokens/:token_id`` (get and delete)."""
        return f"{self.list_path}/{int(token_id)}"


@dataclass(frozen=True, slots=True)
class CreateDeployTokenRequest:
    """What a new deploy token should be. ``username`` None: GitLab's default
    ``gitlab+deploy-token-<id>``; ``expires_at`` None: never (a date means 00:00 UTC)."""

    name: str
    scopes: tuple[str, ...]
    expires_at: date | datetime | None = None
    username: str | None = None


def create_body(request: CreateDeployTokenRequest) -> dict[str, Any]:
    """The JSON body of ``POST …/deploy_tokens``, or ``ValueError`` with a user-ready sentence
    when GitLab would refuse it (or when it would make a token nobody can tell apart).

    Stricter than GitLab in one place: GitLab accepts a blank name, this refuses it. An expiry
    in the past is GitLab's to accept (it creates the token already expired).
    """
    name = sc.checked_name_and_scopes(
        request.name,
        request.scopes,
        sc.DEPLOY_TOKEN_SCOPES,
        what="deploy token",
        valid_for="deploy tokens",
    )
    body: dict[str, Any] = {"name": name, "scopes": list(dict.fromkeys(request.scopes))}
    username = (request.username or "").strip()
    if username:
        if len(username) > sc.MAX_DEPLOY_USERNAME_LENGTH:
            raise ValueError(
                f"a deploy token username has at most {sc.MAX_DEPLOY_USERNAME_LENGTH} characters"
            )
        if not _USERNAME.match(username):
            raise ValueError(
                "a deploy token username can contain only letters, digits, '_', '-', '+' and '.'"
            )
        body["username"] = username
    if isinstance(request.expires_at, datetime):
        if request.expires_at.tzinfo is None:
            raise ValueError("a deploy token's expiry time needs a time zone")
        body["expires_at"] = request.expires_at.isoformat()
    elif request.expires_at is not None:
        body["expires_at"] = request.expires_at.isoformat()
    return body
