"""Rotating the token tokentui itself uses, without ever losing the new value.

SKELETON owned by the credentials helper. Order is the whole feature: rotate, then at once
store the new value where the old one was, verify it with ``GET /personal_access_tokens/self``,
then switch the client to it. If storing fails the caller shows the value with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pydantic import SecretStr

from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.models import NewToken
from tokentui.gitlab.sources import TokenSource

#: Saves a new credential value where the old one was; raises with a user-ready message.
SaveCredential = Callable[[SecretStr], None]


@dataclass(frozen=True)
class SelfRotation:
    """What happened in a self-rotation."""

    new_token: NewToken
    stored: bool
    store_error: str | None = None
    verified: bool = False
    verify_error: str | None = None


async def rotate_in_use(
    client: GitLabClient,
    save: SaveCredential | None,
    *,
    source: TokenSource | None = None,
    expires_at: date | None = None,
) -> SelfRotation:
    """Rotate the credential in use; see the module docstring for the order of steps."""
    raise NotImplementedError
