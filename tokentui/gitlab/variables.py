"""CI/CD variables: where they live (gitlab-api.md §7.6). Pure data for
:class:`~tokentui.gitlab.client.GitLabClient`'s variable methods."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

VariableOwnerKind = Literal["project", "group"]
#: GitLab's key rule: at most 255 of ``[A-Za-z0-9_]``.
KEY_PATTERN = re.compile(r"\A[A-Za-z0-9_]{1,255}\Z")
#: The query parameter that picks one environment scope of a key held in several.
SCOPE_FILTER = "filter[environment_scope]"


@dataclass(frozen=True, slots=True)
class VariableOwner:
    """The project or group whose variables are meant: numeric id or full path."""

    kind: VariableOwnerKind
    id_or_path: int | str

    def __post_init__(self) -> None:
        if self.kind not in ("project", "group"):
            raise ValueError(f"CI/CD variables belong to a project or a group, not {self.kind!r}")

    @property
    def label(self) -> str:
        """``project platform/api``, for messages."""
        return f"{self.kind} {self.id_or_path}"

    @property
    def list_path(self) -> str:
        """``/projects/:id/variables`` (list and create)."""
        return f"/{self.kind}s/{quote(str(self.id_or_path), safe='')}/variables"

    def key_path(self, key: str) -> str:
        """``/projects/:id/variables/:key`` (get, update, delete); the key is checked."""
        return f"{self.list_path}/{checked_key(key)}"


def checked_key(key: str) -> str:
    """``key`` if GitLab would accept it, else ``ValueError`` with GitLab's rule in words."""
    if not KEY_PATTERN.match(key):
        raise ValueError(
            f"{key!r} is not a CI/CD variable key: at most 255 letters, digits and '_'"
        )
    return key


def scope_params(environment_scope: str | None) -> dict[str, str] | None:
    """The filter that names one environment scope, or None for the only variable of a key."""
    return {SCOPE_FILTER: environment_scope} if environment_scope else None
