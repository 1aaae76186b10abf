"""What a create, rotate or revoke came to: one frozen :class:`Outcome` per token, and a
:class:`BatchResult` listing them in the order the tokens were given. No Textual import."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from tokentui.core.self_rotation import SelfRotation
from tokentui.core.write_outcome import Action, Verdict
from tokentui.gitlab.errors import GitLabError
from tokentui.gitlab.models import NewToken, Token


class Status(StrEnum):
    """How a write ended."""

    #: GitLab answered yes (``Outcome.new_token`` holds a created or rotated token).
    DONE = "done"
    #: Nothing changed: GitLab said no, the request never left, or the layer did not send it
    #: (``Outcome.reason`` says why; ``Outcome.error`` is the error, when there was one).
    REFUSED = "refused"
    #: The answer was lost, so GitLab may have acted; ``Outcome.verdict`` is what the
    #: read-back (:mod:`tokentui.core.write_outcome`) found.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Outcome:
    """One token's result. Its new value (``new_token.token``) is a ``SecretStr``, kept in
    memory only: a front shows it once and drops the outcome."""

    action: Action
    status: Status
    #: The token aimed at, as given (None: a create, or the credential in use by ``self``).
    token: Token | None = None
    #: Its id (also when the caller gave an id only).
    token_id: int | None = None
    #: A done create or rotate: the new token with its value.
    new_token: NewToken | None = None
    #: Refused: why, in words (GitLab's message, or the layer's own reason).
    reason: str | None = None
    #: Refused: GitLab's (or the transport's) error; unknown: the ``OutcomeUnknown``.
    error: GitLabError | None = None
    #: Unknown: what reading the server's state back found.
    verdict: Verdict | None = None
    #: The token was tokentui's own credential.
    in_use: bool = False
    #: A done rotate of the credential in use: whether the new value was stored and checked.
    self_rotation: SelfRotation | None = None

    @property
    def done(self) -> bool:
        """GitLab answered yes."""
        return self.status is Status.DONE

    @property
    def name(self) -> str | None:
        """The token's name as known (the new token's, else the one aimed at)."""
        known = self.new_token or self.token
        return known.name if known is not None else None


@dataclass(frozen=True)
class BatchResult:
    """Every token's :class:`Outcome`, in input order."""

    action: Action
    outcomes: tuple[Outcome, ...]

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)

    def with_status(self, status: Status) -> tuple[Outcome, ...]:
        """The outcomes that ended with ``status`` (in input order)."""
        return tuple(o for o in self.outcomes if o.status is status)

    @property
    def all_done(self) -> bool:
        """Every write was done."""
        return all(o.done for o in self.outcomes)
