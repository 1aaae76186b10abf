"""The credential in use, checked with ``GET /personal_access_tokens/self``.

Two rules, each written once here and followed by both fronts (the scripting CLI and the TUI):

* **Before every rotate** (by id or ``self``), :func:`check_before_rotate`. A credential rotated
  elsewhere is revoked, and presenting a revoked value to a rotate endpoint makes GitLab revoke
  its whole token family (reuse detection), so a dead credential must stop before the POST.
  And the token being rotated may be the credential in use: that one must go through the
  self-rotation path (:mod:`tokentui.core.self_rotation`), which stores the new value.
* **After a bare 401**, :func:`dead_credential`. GitLab answers 401 both for a dead credential
  and, on several token endpoints, for "not allowed": asking for the token in use tells which.

The check lives here, not inside ``GitLabClient.rotate_token``: the client's rotate methods are
single requests (their tests pin that), and the answer decides which of two client calls to make
(by id, or self-rotation), which only the caller can do.

No Textual import (the API layer never imports it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokentui.gitlab.errors import GitLabError, Unauthorized
from tokentui.gitlab.models import Token

if TYPE_CHECKING:
    from tokentui.gitlab.client import GitLabClient

#: 401 reasons that prove the credential itself is dead (GitLab's ``invalid_token`` bodies).
DEAD_CREDENTIAL = frozenset({"expired", "revoked", "missing", "impersonation_disabled"})

#: What a 401 means when the credential still works (both fronts say it, then their next step).
REFUSED_EXPLANATION = (
    "GitLab answered 401 Unauthorized, but your credential still works: your account is not "
    "allowed to do this (another user's tokens need an administrator; a project's tokens need "
    "Maintainer, a group's Owner)."
)


async def token_in_use(client: GitLabClient) -> Token | None:
    """The token ``client`` authenticates with, or None when GitLab cannot say (no ``self``
    endpoint on an old GitLab, an OAuth token, a network failure after the read's retries).

    Raises :class:`~tokentui.gitlab.errors.Unauthorized` when the credential is rejected.
    """
    try:
        return await client.get_self_token()
    except Unauthorized:
        raise
    except GitLabError:
        return None


async def check_before_rotate(
    client: GitLabClient, token_id: int | None, *, last_known_id: int | None = None
) -> bool:
    """The rotate pre-flight: call it before any rotate request, then act on the answer.

    ``token_id`` is the token to rotate (None: the credential in use, ``rotate self``).
    Returns True when it is the credential in use, which must then be rotated through
    :func:`tokentui.core.self_rotation.rotate_in_use` (so the new value is stored), False when it
    may be rotated by id. ``last_known_id``: the id of the token in use as the caller last knew
    it, the answer when GitLab cannot say. Raises
    :class:`~tokentui.gitlab.errors.Unauthorized` when the credential is rejected: then no
    rotate request may be sent with it.
    """
    current = await token_in_use(client)
    if token_id is None:
        return True
    in_use_id = current.id if current is not None else last_known_id
    return in_use_id == token_id


async def dead_credential(client: GitLabClient, err: Unauthorized) -> Unauthorized | None:
    """After ``err`` (a 401): the error proving the credential is dead, or None when the
    credential still works (GitLab refused this one request: see :data:`REFUSED_EXPLANATION`).

    A 401 that already says why (expired, revoked, ...) is returned as is; a bare one is
    followed by ``GET /personal_access_tokens/self``: its own 401 is returned; when that
    cannot be asked, ``err`` (the credential is taken as dead, as before any check existed).
    """
    if err.reason in DEAD_CREDENTIAL:
        return err
    try:
        await client.get_self_token()
    except Unauthorized as dead:
        return dead
    except GitLabError:
        return err
    return None
