"""Token create / rotate / revoke as GitLab's services do them (validation, expiry rules)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import overload

from tokentui.simulator import errors, rules
from tokentui.simulator.context import Ctx
from tokentui.simulator.records import SERVICE_ACCOUNT, TokenRecord, UserRecord
from tokentui.simulator.rules import TokenKind


def max_expiry(today: date) -> date:
    """The latest accepted ``expires_at`` (today + 365, inclusive)."""
    return today + timedelta(days=rules.MAX_LIFETIME_DAYS)


def model_errors(
    ctx: Ctx,
    *,
    name: str | None,
    description: str | None,
    expires_at: date | None,
    scopes: list[str] | None = None,
) -> dict[str, list[str]]:
    """``PersonalAccessToken`` validation errors as ``{attribute: [message, ...]}``.

    ``name == ""`` and ``scopes == []`` are blank values sent explicitly (None: not checked).
    """
    found: dict[str, list[str]] = {}
    if name == "":
        found.setdefault("name", []).append("can't be blank")
    if scopes is not None and not scopes:
        found.setdefault("scopes", []).append("can't be blank")
    if name is not None and len(name) > rules.MAX_NAME_LENGTH:
        found.setdefault("name", []).append(
            f"is too long (maximum is {rules.MAX_NAME_LENGTH} characters)"
        )
    if description is not None and len(description) > rules.MAX_DESCRIPTION_LENGTH:
        found.setdefault("description", []).append(
            f"is too long (maximum is {rules.MAX_DESCRIPTION_LENGTH} characters)"
        )
    if expires_at is not None and expires_at > max_expiry(ctx.today):
        found.setdefault("expires_at", []).append(
            f"must be before {max_expiry(ctx.today).isoformat()}"
        )
    return found


_HUMAN = {
    "name": "Name",
    "scopes": "Scopes",
    "description": "Description",
    "expires_at": "Expiration date",
}


def full_messages(found: dict[str, list[str]]) -> str:
    """Rails ``errors.full_messages.to_sentence``-like text (joined with ", ")."""
    return ", ".join(
        f"{_HUMAN.get(attr, attr)} {msg}" for attr, msgs in found.items() for msg in msgs
    )


def kind_for(user: UserRecord, *, impersonation: bool) -> TokenKind:
    """The token kind a new token of ``user`` has."""
    if impersonation:
        return TokenKind.IMPERSONATION
    if user.user_type == SERVICE_ACCOUNT:
        return TokenKind.SERVICE_ACCOUNT
    return TokenKind.PERSONAL


def new_token(
    ctx: Ctx,
    *,
    user_id: int,
    name: str,
    scopes: Sequence[str],
    kind: TokenKind,
    description: str | None = None,
    expires_at: date | None = None,
    impersonation: bool = False,
    previous_id: int | None = None,
    resource: tuple[str, int] | None = None,
) -> tuple[TokenRecord, str]:
    """Store a new token created now; returns it and its value."""
    record = TokenRecord(
        id=ctx.state.next_token_id(),
        name=name,
        user_id=user_id,
        scopes=tuple(scopes),
        created_at=ctx.now,
        kind=kind,
        description=description,
        expires_at=expires_at,
        impersonation=impersonation,
        previous_id=previous_id,
        resource_type=resource[0] if resource else None,
        resource_id=resource[1] if resource else None,
    )
    value = ctx.state.add_token(record)
    return record, value


def rotate(ctx: Ctx, old: TokenRecord, expires_at: date | None) -> tuple[TokenRecord, str]:
    """``RotateService``: errors are 400 ``"400 Bad request - <message>"``; old revoked."""
    if old.revoked:
        raise errors.bad_request("Token already revoked")
    if expires_at is None:
        expires_at = ctx.today + timedelta(days=rules.ROTATE_DEFAULT_DAYS)
    found = model_errors(ctx, name=None, description=None, expires_at=expires_at)
    if found:
        raise errors.bad_request(full_messages(found))
    old.revoked = True
    return new_token(
        ctx,
        user_id=old.user_id,
        name=old.name,
        scopes=old.scopes,
        kind=old.kind,
        description=old.description,
        expires_at=expires_at,
        impersonation=old.impersonation,
        previous_id=old.id,
        resource=(old.resource_type, old.resource_id)
        if old.resource_type and old.resource_id
        else None,
    )


def revoke(ctx: Ctx, token: TokenRecord) -> None:
    """Revoke (idempotent: an already revoked token stays revoked, still a success)."""
    token.revoked = True
    ctx.state.touch()


class IdView(Sequence[TokenRecord]):
    """A read-only sequence of tokens over an id list, without copying (fast big pages)."""

    def __init__(self, ids: Sequence[int], tokens: dict[int, TokenRecord]) -> None:
        self._ids = ids
        self._tokens = tokens

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, index: int) -> TokenRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[TokenRecord]: ...
    def __getitem__(self, index: int | slice) -> TokenRecord | list[TokenRecord]:
        if isinstance(index, slice):
            return [self._tokens[i] for i in self._ids[index]]
        return self._tokens[self._ids[index]]

    def __iter__(self) -> Iterator[TokenRecord]:
        return (self._tokens[i] for i in self._ids)
