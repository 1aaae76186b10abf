"""Rotating the token tokentui itself uses, without ever losing the new value.

Order is the whole feature. GitLab revokes the old value the moment it answers the rotate
request, so after that the new value in the response is the only working credential:

1. ``POST .../self/rotate`` (never retried: a retry would present the now-revoked value to a
   rotate endpoint, and GitLab's reuse detection would revoke the new token too);
2. at once store the new value where the old one was (``save``); a failure is reported, not
   raised, so the caller shows the value instead (CLI: stdout; TUI: the reveal screen);
3. switch the client to the new value (the old one is dead, so there is nothing to wait for);
4. check it with ``GET /personal_access_tokens/self``.

Steps 2-4 run in a task shielded from cancellation: if the caller (a TUI worker, a Ctrl+C)
is cancelled after the request went out, the value is still stored.

When the rotate's answer is lost (a dropped connection, a proxy's 502/504), nothing can be
stored: the credential in use is read back (:func:`tokentui.core.write_outcome.after_self_rotate`)
and :class:`~tokentui.core.write_outcome.LostAnswer` says whether it still works (not rotated: safe
to try again) or was revoked (rotated: the stored credential is dead, and the only way on is
to log in again with another token).

No Textual import here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pydantic import SecretStr

from tokentui.core.write_outcome import LostAnswer, after_self_rotate
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.errors import GitLabError, OutcomeUnknown
from tokentui.gitlab.models import NewToken, Token, User
from tokentui.gitlab.sources import GroupTokens, ProjectTokens, TokenSource

log = logging.getLogger(__name__)

#: Saves a new credential value where the old one was; raises with a user-ready message.
SaveCredential = Callable[[SecretStr], None]

#: Tasks kept alive when their caller was cancelled mid-rotation (see the module docstring).
_IN_FLIGHT: set[asyncio.Task[SelfRotation]] = set()


@dataclass(frozen=True)
class SelfRotation:
    """What happened in a self-rotation."""

    new_token: NewToken
    stored: bool
    store_error: str | None = None
    verified: bool = False
    verify_error: str | None = None


def resource_source(user: User) -> TokenSource | None:
    """The project/group whose access token ``user`` is, from GitLab's bot user name
    (``project_<id>_bot_<hex>``, ``group_<id>_bot_<hex>``); None for anyone else."""
    if not user.bot:
        return None
    kind, _, rest = user.username.partition("_")
    resource, _, tail = rest.partition("_")
    if not resource.isdigit() or not tail.startswith("bot"):
        return None
    if kind == "project":
        return ProjectTokens(resource=resource)
    if kind == "group":
        return GroupTokens(resource=resource)
    return None


async def rotate_in_use(
    client: GitLabClient,
    save: SaveCredential | None,
    *,
    source: TokenSource | None = None,
    expires_at: date | None = None,
    old: Token | None = None,
) -> SelfRotation:
    """Rotate the credential in use; see the module docstring for the order of steps.

    ``source`` is the project/group for a resource access token (its own ``self/rotate``
    path); None rotates through ``/personal_access_tokens/self/rotate``. Raises the client's
    error when the rotation itself fails (then nothing changed). When its answer is lost it
    raises :class:`~tokentui.core.write_outcome.LostAnswer` with what the read-back found (``old``,
    the token in use as last read, names it). Once GitLab has answered, it never raises: the
    result carries the new value and what went wrong.
    """
    try:
        new = await client.rotate_self(source, expires_at=expires_at)
    except OutcomeUnknown as err:
        verdict = await after_self_rotate(client, old, error=err)
        log.info("self-rotation answer lost; read-back: %s", verdict.finding)
        raise LostAnswer(verdict) from err
    task = asyncio.ensure_future(_store_switch_verify(client, save, new))
    _IN_FLIGHT.add(task)
    task.add_done_callback(_IN_FLIGHT.discard)
    return await asyncio.shield(task)


async def _store_switch_verify(
    client: GitLabClient, save: SaveCredential | None, new: NewToken
) -> SelfRotation:
    stored, store_error = _store(save, new.token)
    # The old value is already revoked: switch even if storing failed, so this session goes on.
    client.set_token(new.token)
    verified, verify_error = False, None
    try:
        checked = await client.get_self_token()
    except GitLabError as err:
        verify_error = str(err)
    else:
        verified = checked.id == new.id and checked.active and not checked.revoked
        if not verified:
            verify_error = (
                f"GitLab reports token {checked.id} "
                f"({'active' if checked.active else 'inactive'}) for the new value, "
                f"expected the new token {new.id}"
            )
    return SelfRotation(
        new_token=new,
        stored=stored,
        store_error=store_error,
        verified=verified,
        verify_error=verify_error,
    )


def _store(save: SaveCredential | None, value: SecretStr) -> tuple[bool, str | None]:
    """Run ``save``; any failure becomes a message (never an exception, never the value)."""
    if save is None:
        return False, "there is no credential store for this token"
    try:
        save(value)
    except Exception as err:
        secret = value.get_secret_value()
        message = (str(err) or type(err).__name__).replace(secret, "<hidden>")
        log.warning("storing the rotated token failed: %s", type(err).__name__)
        return False, message
    return True, None
