"""What a bulk rotate or revoke will do, before anything is sent: the preview both fronts show.

:func:`plan_revoke` and :func:`plan_rotate` sort the tokens into the ones to send and the ones
skipped (with why: already revoked, expired, a deploy token that GitLab cannot rotate), count
them by kind and resource, say whether tokentui's own credential is among them (handled last,
by :mod:`tokentui.core.operations`) and, for a rotate, each new expiry
(:mod:`tokentui.core.rotate_expiry`). The operations layer then sends :attr:`BulkPlan.targets`.
No Textual, no printing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from tokentui.core.expiry import today as today_of
from tokentui.core.expiry import token_state
from tokentui.core.rotate_expiry import RotateExpiry, new_expiries
from tokentui.core.write_outcome import Action
from tokentui.gitlab.models import Token

#: ``(kind, resource)`` of a token in words, as the front knows them (``("project",
#: "platform/api")``; the resource is "" for a personal token).
Describe = Callable[[Token], tuple[str, str]]


@dataclass(frozen=True)
class Skip:
    """A token left out of the batch, and why (a sentence)."""

    token: Token
    reason: str


@dataclass(frozen=True)
class BulkPlan:
    """The preview of a bulk action: what will be sent, what is skipped."""

    action: Action
    #: The tokens to send, in the order given (the credential in use is sent last anyway).
    targets: tuple[Token, ...]
    skipped: tuple[Skip, ...]
    #: tokentui's own credential, when it is among the targets.
    in_use: Token | None
    #: ``(kind, count)`` and ``(resource, count)`` of the targets, most first.
    kinds: tuple[tuple[str, int], ...]
    resources: tuple[tuple[str, int], ...]
    #: A rotate: each target's new expiry by :attr:`Token.key` (None: GitLab's default).
    expiries: Mapping[int, date | None] = field(default_factory=dict)
    #: A rotate: the expiry choice in words.
    expiry_text: str = ""

    @property
    def count(self) -> int:
        """How many tokens will be sent."""
        return len(self.targets)

    def summary(self) -> list[str]:
        """The preview in sentences (both fronts print or show these lines)."""
        verb = "revoke" if self.action is Action.REVOKE else "rotate"
        noun = "token" if self.count == 1 else "tokens"
        lines = [f"{verb.capitalize()} {self.count} {noun}."]
        if self.kinds:
            lines.append("Kinds: " + ", ".join(f"{n} {kind}" for kind, n in self.kinds) + ".")
        if self.resources:
            parts = ", ".join(f"{n} of {resource}" for resource, n in self.resources)
            lines.append(f"Resources: {parts}.")
        if self.action is Action.ROTATE and self.expiry_text:
            lines.append(f"New expiry: {self.expiry_text}.")
        if self.in_use is not None:
            if self.action is Action.ROTATE:
                lines.append(
                    "tokentui's own credential is among them: it is rotated last, and the new "
                    "value is stored where the old one was."
                )
            else:
                lines.append(
                    "tokentui's own credential is among them: it is revoked last, and this "
                    "session stops working then."
                )
        if self.skipped:
            lines.append(f"Skipped ({len(self.skipped)}):")
            lines.extend(f"  {skip.reason}" for skip in self.skipped)
        return lines


def _quoted(token: Token) -> str:
    return f"token {token.id} “{token.name}”"


Counts = tuple[tuple[str, int], ...]


def _counts(values: Iterable[str]) -> Counts:
    return tuple(Counter(v for v in values if v).most_common())


def _plan(
    action: Action,
    tokens: Iterable[Token],
    skip: Callable[[Token], str | None],
    *,
    in_use_key: int | None,
    describe: Describe,
) -> tuple[list[Token], list[Skip], Token | None, Counts, Counts]:
    targets: list[Token] = []
    skipped: list[Skip] = []
    seen: set[int] = set()
    for token in tokens:
        if token.key in seen:
            continue
        seen.add(token.key)
        why = skip(token)
        if why is None:
            targets.append(token)
        else:
            skipped.append(Skip(token, f"{_quoted(token)}: {why}"))
    in_use = next((t for t in targets if in_use_key is not None and t.key == in_use_key), None)
    described = [describe(t) for t in targets]
    return (
        targets,
        skipped,
        in_use,
        _counts(k for k, _ in described),
        _counts(r for _, r in described),
    )


def plan_revoke(
    tokens: Iterable[Token], *, now: datetime, in_use_key: int | None, describe: Describe
) -> BulkPlan:
    """The preview of revoking ``tokens``: revoked and expired ones are skipped (a revoked
    token is revoked already; an expired one no longer works, GitLab lists it until it goes)."""

    def skip(token: Token) -> str | None:
        state = token_state(token, now)
        if state == "revoked":
            return "already revoked"
        if state == "expired":
            when = f" on {token.expires_at.isoformat()}" if token.expires_at else ""
            return f"expired{when}: it no longer works, nothing to revoke"
        return None

    targets, skipped, in_use, kinds, resources = _plan(
        Action.REVOKE, tokens, skip, in_use_key=in_use_key, describe=describe
    )
    return BulkPlan(Action.REVOKE, tuple(targets), tuple(skipped), in_use, kinds, resources)


def plan_rotate(
    tokens: Iterable[Token],
    *,
    now: datetime,
    in_use_key: int | None,
    describe: Describe,
    expiry: RotateExpiry,
    cannot_rotate: str | None = None,
) -> BulkPlan:
    """The preview of rotating ``tokens`` to ``expiry``: revoked and expired tokens are skipped
    (GitLab rotates only active tokens: recreate them), so are deploy tokens (GitLab has no
    rotate endpoint for them) and, with ``cannot_rotate`` (why), every token of the source.
    Raises ``ValueError`` (a sentence) for an expiry choice that cannot be used."""

    def skip(token: Token) -> str | None:
        if token.is_deploy:
            return (
                "a deploy token: GitLab has no rotate endpoint for deploy tokens (create a new "
                "one, then revoke this one)"
            )
        if cannot_rotate:
            return cannot_rotate
        state = token_state(token, now)
        if state == "revoked":
            return "revoked: a revoked token cannot be rotated (recreate it instead)"
        if state == "expired":
            when = f" on {token.expires_at.isoformat()}" if token.expires_at else ""
            return f"expired{when}: GitLab rotates only active tokens (recreate it instead)"
        return None

    targets, skipped, in_use, kinds, resources = _plan(
        Action.ROTATE, tokens, skip, in_use_key=in_use_key, describe=describe
    )
    today = today_of(now)
    expiries = new_expiries(expiry, targets, today)
    return BulkPlan(
        Action.ROTATE,
        tuple(targets),
        tuple(skipped),
        in_use,
        kinds,
        resources,
        expiries=expiries,
        expiry_text=expiry.describe(today),
    )
