"""What happened to a write whose answer was lost: read the token back and say so.

A create, rotate or revoke raises :class:`~tokentui.gitlab.errors.OutcomeUnknown` when its
answer never arrived (a dropped connection, a read timeout, a proxy's 502 or 504, an
unreadable body): GitLab may have acted. A write is never sent again; instead one function per
write reads the server's state back (GETs only, retried like every read) and returns a
:class:`Verdict`:

- rotate: the old token still active means it was not rotated (safe to try again); revoked
  with a successor (same name, created since the attempt, a higher id) means it was rotated and
  the successor's value is lost for good: rotating the successor is the way out;
- revoke: revoked or gone means done; still active means not revoked (safe to try again);
- create: a token of that name created since the attempt means it was created (its value is
  lost: revoke or rotate it); none means it was not (safe to try again);
- a rotate of the token tokentui itself uses: see :func:`after_self_rotate`.

When the read-back cannot tell, the verdict says so plainly. GitLab links a rotated token to
its successor (``previous_personal_access_token_id``) but its API does not expose the link:
what this module relies on instead is written down in docs/reliability.md. This is the first
piece of the operations layer shared by the TUI and the CLI; no Textual import.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.deploy_tokens import DeployTokenOwner
from tokentui.gitlab.errors import (
    Forbidden,
    GitLabError,
    NotFound,
    OutcomeUnknown,
    Unauthorized,
)
from tokentui.gitlab.models import Token
from tokentui.gitlab.sources import (
    PersonalTokens,
    ServiceAccountTokens,
    TokenFilters,
    TokenSource,
)
from tokentui.gitlab.terminal_text import escape

log = logging.getLogger(__name__)

#: How far the server's clock may be behind this machine's: a token created by the attempt
#: has ``created_at`` (server time) at or after the attempt's start (local time) minus this.
CLOCK_SKEW = timedelta(minutes=2)


class Action(StrEnum):
    """The write that was attempted."""

    CREATE = "create"
    ROTATE = "rotate"
    REVOKE = "revoke"


class Finding(StrEnum):
    """What the read-back found."""

    DONE = "done"  # GitLab acted: the change happened
    NOT_DONE = "not_done"  # GitLab did not act: safe to try again
    UNKNOWN = "unknown"  # the read-back could not tell


@dataclass(frozen=True)
class Verdict:
    """The read-back's answer. ``headline`` and ``explanation`` are user-ready sentences (server
    text in them as visible escapes); the fronts add their own next step (a key, a command)."""

    action: Action
    finding: Finding
    headline: str
    explanation: str
    #: The token the rotate/revoke aimed at.
    token_id: int | None = None
    #: Rotate done: GitLab's new token, whose value nobody has.
    successor: Token | None = None
    #: Create done: the token created, whose value nobody has.
    created: Token | None = None
    #: A self-rotation done: the credential tokentui had stored no longer works.
    credential_dead: bool = False

    @property
    def safe_to_retry(self) -> bool:
        """Whether sending the same write again is safe (GitLab did not act)."""
        return self.finding is Finding.NOT_DONE

    @property
    def text(self) -> str:
        """Headline and explanation in one paragraph."""
        return f"{self.headline} {self.explanation}"


class LostAnswer(Exception):
    """A write's answer was lost; ``verdict`` says what the read-back found. ``str()`` is the
    verdict's text; ``__cause__`` the :class:`OutcomeUnknown`."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.text)
        self.verdict = verdict


def _quoted(name: str) -> str:
    return f"“{escape(name)}”"


def _since(started_at: datetime) -> datetime:
    return started_at - CLOCK_SKEW


def _still_working(error: OutcomeUnknown) -> str:
    """A 504 means the proxy stopped waiting, not that GitLab stopped working."""
    if error.status == 504:
        return (
            " (After a 504 GitLab may still finish the request for up to a minute: if the list "
            "later shows otherwise, believe the list.)"
        )
    return ""


async def _read_token(client: GitLabClient, source: TokenSource, token_id: int) -> Token | None:
    """The token by id (None when GitLab shows no such token). A group service account's token
    has no GET under the group: a group owner finds it in the account's list."""
    try:
        return await client.get_token(source, token_id)
    except NotFound:
        if not isinstance(source, ServiceAccountTokens):
            return None
    except (Unauthorized, Forbidden):
        if not isinstance(source, ServiceAccountTokens):
            raise
    return next((t for t in await client.list_tokens(source) if t.id == token_id), None)


def _list_source(source: TokenSource, user_id: int | None) -> TokenSource:
    """Where to look for a new token: one user's list rather than every user's."""
    if isinstance(source, PersonalTokens) and source.user_id is None and user_id is not None:
        return PersonalTokens(user_id=user_id)
    return source


async def _recent_named(
    client: GitLabClient, source: TokenSource, name: str, started_at: datetime
) -> list[Token]:
    """Active tokens of ``source`` named exactly ``name`` created since the attempt, by id."""
    since = _since(started_at)
    tokens = await client.list_tokens(source, TokenFilters(created_after=since))
    found = [
        t
        for t in tokens
        if t.name == name and t.created_at is not None and t.created_at >= since and not t.revoked
    ]
    return sorted(found, key=lambda t: t.id)


# --- rotate ---------------------------------------------------------------------------------


async def after_rotate(
    client: GitLabClient,
    source: TokenSource,
    token_id: int,
    *,
    started_at: datetime,
    error: OutcomeUnknown,
    name: str | None = None,
) -> Verdict:
    """Read back token ``token_id`` of ``source`` after a rotate whose answer was lost;
    ``started_at`` is when the rotate was sent (this machine's clock). ``name`` (as last seen)
    only words the verdict when the token cannot be read back."""
    what = f"token {token_id} {_quoted(name)}" if name else f"token {token_id}"
    try:
        old = await _read_token(client, source, token_id)
    except GitLabError as err:
        return _rotate_unknown(token_id, f"reading it back failed too: {err}")
    if old is not None:
        name = old.name
        what = f"token {token_id} {_quoted(name)}"
    if old is None:
        return _rotate_unknown(
            token_id,
            f"GitLab no longer shows {what}, so tokentui cannot tell whether it was rotated.",
        )
    if not old.revoked:
        return Verdict(
            Action.ROTATE,
            Finding.NOT_DONE,
            f"{what[0].upper()}{what[1:]} was not rotated.",
            "GitLab shows it still active, so its value still works and it is safe to try "
            f"again.{_still_working(error)}",
            token_id=token_id,
        )
    try:
        found = await _recent_named(client, _list_source(source, old.user_id), old.name, started_at)
    except GitLabError as err:
        return _rotate_unknown(
            token_id, f"{what} is revoked now, but listing its successor failed: {err}"
        )
    successors = [t for t in found if t.id > token_id]
    if len(successors) == 1:
        [new] = successors
        return Verdict(
            Action.ROTATE,
            Finding.DONE,
            f"{what[0].upper()}{what[1:]} was rotated, but the new value is lost for good.",
            f"GitLab revoked it and made its successor, token {new.id} (expires "
            f"{new.expires_at.isoformat() if new.expires_at else 'never'}); the answer that "
            f"carried the new value never arrived. Rotate token {new.id} to get a value you can "
            "use.",
            token_id=token_id,
            successor=new,
        )
    if not successors:
        return _rotate_unknown(
            token_id,
            f"{what} is revoked now, but no new token of that name appeared since the attempt: "
            "it may have been revoked rather than rotated. If you need it, create a new token.",
        )
    ids = ", ".join(str(t.id) for t in successors)
    return _rotate_unknown(
        token_id,
        f"{what} is revoked now, and {len(successors)} new tokens of that name appeared since "
        f"the attempt ({ids}): tokentui cannot tell which one replaced it. Nobody has the "
        "value of the one that did: check them in the list and rotate or revoke it.",
    )


def _rotate_unknown(token_id: int, why: str) -> Verdict:
    return Verdict(
        Action.ROTATE,
        Finding.UNKNOWN,
        f"tokentui cannot tell whether token {token_id} was rotated:",
        why,
        token_id=token_id,
    )


async def after_self_rotate(
    client: GitLabClient, old: Token | None, *, error: OutcomeUnknown
) -> Verdict:
    """Read back the credential in use after a rotate of it whose answer was lost.

    The only credential at hand is the one that may just have been revoked, so the check is
    ``GET /personal_access_tokens/self`` with it (a GET never triggers GitLab's reuse
    detection, which only watches rotate paths): it still works → not rotated; refused as
    revoked → rotated, and the value tokentui stored is dead.
    """
    token_id = old.id if old is not None else None
    what = (
        f"the token tokentui uses ({old.id} {_quoted(old.name)})"
        if old is not None
        else "the token tokentui uses"
    )
    try:
        current = await client.get_self_token()
    except Unauthorized as err:
        if err.reason not in ("revoked", "unknown"):
            return _self_unknown(token_id, what, str(err))
        return Verdict(
            Action.ROTATE,
            Finding.DONE,
            f"{what[0].upper()}{what[1:]} was rotated, and its new value is lost for good.",
            "GitLab revoked the old value, so the stored credential (the profile's, or "
            "GITLAB_TOKEN) no longer works, and the answer that carried the new value never "
            "arrived. Log in again with another token: create one in GitLab (User settings > "
            "Access tokens; for a project or group token, a maintainer of it), then run "
            "'tokentui auth login'. Then revoke its successor (the newest token of the same "
            "name): nobody has its value.",
            token_id=token_id,
            credential_dead=True,
        )
    except GitLabError as err:
        return _self_unknown(token_id, what, str(err))
    if current.active and not current.revoked and (old is None or current.id == old.id):
        return Verdict(
            Action.ROTATE,
            Finding.NOT_DONE,
            f"{what[0].upper()}{what[1:]} was not rotated.",
            "GitLab still accepts it, so the stored credential works and it is safe to try "
            f"again.{_still_working(error)}",
            token_id=token_id,
        )
    return _self_unknown(
        token_id, what, f"GitLab reports token {current.id} for it, which tokentui did not expect."
    )


def _self_unknown(token_id: int | None, what: str, why: str) -> Verdict:
    return Verdict(
        Action.ROTATE,
        Finding.UNKNOWN,
        f"tokentui cannot tell whether {what} was rotated:",
        f"checking it failed ({why}). Do not rotate it again before 'tokentui auth status' "
        "says the stored credential works: a rotate with a revoked value makes GitLab revoke "
        "its successor too.",
        token_id=token_id,
    )


# --- revoke ---------------------------------------------------------------------------------


def _revoke_unknown(what: str, err: GitLabError, token_id: int | None) -> Verdict:
    """A revoke whose answer was lost, and whose read-back failed too."""
    return Verdict(
        Action.REVOKE,
        Finding.UNKNOWN,
        f"tokentui cannot tell whether {what[0].lower()}{what[1:]} was revoked:",
        f"reading it back failed too ({err}). Look at the list before trying again.",
        token_id=token_id,
    )


async def after_revoke(
    client: GitLabClient,
    source: TokenSource,
    token_id: int | None,
    *,
    name: str | None,
    in_use: bool,
    error: OutcomeUnknown,
) -> Verdict:
    """Read back after a revoke whose answer was lost. ``token_id`` None (or ``in_use``) is
    the token tokentui uses: it is read back as ``/personal_access_tokens/self``."""
    what = f"Token {token_id}" if token_id is not None else "The token tokentui uses"
    if name:
        what += f" {_quoted(name)}"
    done = Verdict(
        Action.REVOKE,
        Finding.DONE,
        f"{what} was revoked.",
        "GitLab shows it revoked: nothing more to do.",
        token_id=token_id,
    )
    try:
        if in_use or token_id is None:
            try:
                token: Token | None = await client.get_self_token()
            except Unauthorized:
                return Verdict(
                    Action.REVOKE,
                    Finding.DONE,
                    f"{what} was revoked.",
                    "GitLab no longer accepts it, so the credential tokentui stored no longer "
                    "works: log in again with another token ('tokentui auth login').",
                    token_id=token_id,
                    credential_dead=True,
                )
        else:
            token = await _read_token(client, source, token_id)
    except GitLabError as err:
        return _revoke_unknown(what, err, token_id)
    if token is None:
        return Verdict(
            Action.REVOKE,
            Finding.DONE,
            f"{what} was revoked.",
            "GitLab no longer shows it: nothing more to do.",
            token_id=token_id,
        )
    if not name:
        what = f"Token {token.id} {_quoted(token.name)}"
    if token.revoked:
        return replace(done, headline=f"{what} was revoked.")
    return Verdict(
        Action.REVOKE,
        Finding.NOT_DONE,
        f"{what} was not revoked.",
        f"GitLab shows it still active: it is safe to try again.{_still_working(error)}",
        token_id=token_id,
    )


async def after_revoke_deploy(
    client: GitLabClient,
    owner: DeployTokenOwner,
    token_id: int,
    *,
    name: str | None,
    error: OutcomeUnknown,
) -> Verdict:
    """Read back after a deploy token's revoke whose answer was lost. GitLab's REST ``DELETE``
    removes a deploy token: gone (404) means done, still there means not done."""
    what = f"Deploy token {token_id}" + (f" {_quoted(name)}" if name else "")
    try:
        token = await client.get_deploy_token(owner, token_id)
    except NotFound:
        return Verdict(
            Action.REVOKE,
            Finding.DONE,
            f"{what} was revoked.",
            f"{owner.label} no longer has it: nothing more to do.",
            token_id=token_id,
        )
    except GitLabError as err:
        return _revoke_unknown(what, err, token_id)
    if token.revoked:
        return Verdict(
            Action.REVOKE,
            Finding.DONE,
            f"{what} was revoked.",
            "GitLab shows it revoked: nothing more to do.",
            token_id=token_id,
        )
    return Verdict(
        Action.REVOKE,
        Finding.NOT_DONE,
        f"{what} was not revoked.",
        f"{owner.label} still has it: it is safe to try again.{_still_working(error)}",
        token_id=token_id,
    )


# --- create ---------------------------------------------------------------------------------


async def after_create(
    client: GitLabClient,
    source: TokenSource,
    *,
    name: str,
    started_at: datetime,
    error: OutcomeUnknown,
) -> Verdict:
    """Look for the token a lost create may have made: named ``name`` in ``source``, created
    since ``started_at`` (this machine's clock, less :data:`CLOCK_SKEW`)."""
    try:
        found = await _recent_named(client, source, name, started_at)
    except GitLabError as err:
        return Verdict(
            Action.CREATE,
            Finding.UNKNOWN,
            f"tokentui cannot tell whether the token {_quoted(name)} was created:",
            f"listing {escape(source.label)} failed too ({err}). Look at the list before "
            "trying again.",
        )
    if not found:
        return Verdict(
            Action.CREATE,
            Finding.NOT_DONE,
            f"The token {_quoted(name)} was not created.",
            f"GitLab shows no token of that name created since the attempt: it is safe to try "
            f"again.{_still_working(error)}",
        )
    new = found[-1]
    more = ""
    if len(found) > 1:
        others = ", ".join(str(t.id) for t in found[:-1])
        more = f" (tokens {others} of that name were also created since the attempt)"
    return Verdict(
        Action.CREATE,
        Finding.DONE,
        f"The token {_quoted(name)} was created, but its value is lost for good.",
        f"GitLab shows it as token {new.id}{more}; the answer that carried its value never "
        f"arrived. Revoke token {new.id}, or rotate it to get a value you can use.",
        token_id=new.id,
        created=new,
    )
