"""The pieces a batch is made of: its targets (a token, or an id), its shared state, and the
:class:`~.results.Outcome` of each way a write can end. No Textual import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tokentui.core.operations.results import BatchResult, Outcome, Status
from tokentui.core.write_outcome import Action, Verdict
from tokentui.gitlab.credential_check import DEAD_CREDENTIAL
from tokentui.gitlab.errors import GitLabError, OutcomeUnknown, Unauthorized
from tokentui.gitlab.models import Token

#: A token to act on: the token as listed, or its id alone.
Target = Token | int


@dataclass
class BatchState:
    """One batch's shared state."""

    #: The 401 that stopped the batch: nothing more is sent.
    stopped: Unauthorized | None = None
    #: Writes sent so far.
    sent: int = 0


def target_id(target: Target) -> int:
    """The id of ``target``."""
    return target.id if isinstance(target, Token) else int(target)


def target_key(target: Target) -> int:
    """The :attr:`Token.key` of ``target`` (an id alone is an access token's)."""
    return target.key if isinstance(target, Token) else int(target)


def is_deploy(target: Target) -> bool:
    """Whether ``target`` is a deploy token row (its own id space and endpoints)."""
    return isinstance(target, Token) and target.is_deploy


def target_token(target: Target) -> Token | None:
    """``target`` when it is a token as listed (None: an id alone)."""
    return target if isinstance(target, Token) else None


def listed(targets: Target | Sequence[Target]) -> list[Target]:
    """One target or many, as a list."""
    return [targets] if isinstance(targets, Token | int) else list(targets)


def described(target: Target) -> str:
    """``token 12 “ci”`` (or ``token 12``; ``deploy token 3 “ci”``), for a reason in words."""
    token = target_token(target)
    what = "deploy token" if is_deploy(target) else "token"
    if token is None:
        return f"{what} {target_id(target)}"
    return f"{what} {target_id(target)} “{token.name}”"


def collect(action: Action, results: list[Outcome | None]) -> BatchResult:
    """The batch result, once every target has its outcome."""
    outcomes = tuple(o for o in results if o is not None)
    assert len(outcomes) == len(results), "every token has an outcome"
    return BatchResult(action, outcomes)


def stop_if_dead(batch: BatchState, err: GitLabError) -> None:
    """A 401 that proves the credential dead stops the batch: nothing more is sent with it."""
    if isinstance(err, Unauthorized) and err.reason in DEAD_CREDENTIAL:
        batch.stopped = err


def refused(
    action: Action, target: Target | None, err: GitLabError, *, in_use: bool = False
) -> Outcome:
    return Outcome(
        action,
        Status.REFUSED,
        token=target_token(target) if target is not None else None,
        token_id=target_id(target) if target is not None else None,
        reason=err.message,
        error=err,
        in_use=in_use,
    )


def not_sent(action: Action, target: Target, why: str, *, in_use: bool = False) -> Outcome:
    """Refused by the layer itself: nothing was sent."""
    return Outcome(
        action,
        Status.REFUSED,
        token=target_token(target),
        token_id=target_id(target),
        reason=f"{described(target)} was not {action.value}d: {why}.",
        in_use=in_use,
    )


def stopped(action: Action, target: Target, err: Unauthorized, *, in_use: bool = False) -> Outcome:
    """Not sent: the batch stopped at ``err`` (the credential rejected)."""
    return not_sent(
        action,
        target,
        f"GitLab rejected the credential earlier in this batch ({err.message}), so nothing more "
        "was sent with it",
        in_use=in_use,
    )


def unknown(
    action: Action,
    target: Target,
    err: OutcomeUnknown,
    verdict: Verdict,
    *,
    in_use: bool = False,
) -> Outcome:
    """The answer was lost: ``verdict`` is what the read-back found."""
    return Outcome(
        action,
        Status.UNKNOWN,
        token=target_token(target),
        token_id=target_id(target),
        error=err,
        verdict=verdict,
        in_use=in_use,
    )
