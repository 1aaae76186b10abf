"""``tokentui revoke ID ID ...`` and ``tokentui rotate ID ID ... [--spread 14d]``: many tokens.

One id keeps the one-token behaviour of ``cli/commands/tokens.py``, which calls these for more
(or for ``--spread``). The policy is core's (the preview: :mod:`tokentui.core.bulk`; the new
expiries: :mod:`tokentui.core.rotate_expiry`; the batch: :mod:`tokentui.core.operations`);
this module reads the tokens, asks, prints and picks the exit code.

- ``revoke``: every token is read first (an id that is not there stops the command before any
  DELETE); revoked and expired ones are skipped (said on stderr). On a terminal without
  ``--yes`` the preview goes to stderr and the number of tokens has to be typed; without a
  terminal and without ``--yes`` it refuses.
- ``rotate``: the new values on stdout, one line per token (``OLD_ID VALUE``), or with
  ``--json`` one JSON object per line (JSON lines); every message on stderr.

Exit codes: 0 every token done (``revoke``: a skipped token, revoked or expired already, no
longer works either), 1 you did not type the number, 2 anything not done (refused, outcome
unknown, a rotate's skipped token, or an error). No Textual import.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pydantic_core

from tokentui.cli import output
from tokentui.cli.commands import arguments as av
from tokentui.cli.commands import common
from tokentui.core import session
from tokentui.core.bulk import BulkPlan, plan_revoke, plan_rotate
from tokentui.core.expiry import today as today_of
from tokentui.core.operations import BatchResult, Operations, Outcome, Status
from tokentui.core.rotate_expiry import RotateExpiry, spread_problem
from tokentui.core.session import UsageError
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.credential_check import token_in_use
from tokentui.gitlab.errors import NotFound
from tokentui.gitlab.models import Token
from tokentui.gitlab.sources import TokenSource
from tokentui.gitlab.terminal_text import escape, escape_json

#: Reads of the tokens named, at once.
READ_CONCURRENCY = 4


@dataclass(frozen=True)
class Kit:
    """What these commands share with the one-token ones (``cli/commands/tokens.py`` hands
    them over, so the two modules do not import each other)."""

    open_client: Callable[[session.Connection], AbstractAsyncContextManager[GitLabClient]]
    with_ids: Callable[[GitLabClient, argparse.Namespace, session.Connection], Awaitable[None]]
    check_source: Callable[[argparse.Namespace], None]
    item_source: Callable[[argparse.Namespace], TokenSource]
    get_token: Callable[[GitLabClient, TokenSource, int], Awaitable[Token]]
    on_terminal: Callable[[], bool]
    now: Callable[[], datetime]


def token_ids(texts: Sequence[str]) -> list[int]:
    """The ids named (each a positive number; ``self`` only on its own)."""
    ids: list[int] = []
    for text in texts:
        value = av.token_id(text)
        if value == av.SELF:
            raise UsageError(
                "'self' cannot be combined with other ids or --spread: rotate or revoke it on "
                "its own"
            )
        assert isinstance(value, int)
        if value not in ids:
            ids.append(value)
    return ids


def _say(text: str) -> None:
    print(f"tokentui: {text}", file=sys.stderr, flush=True)


def _named(token: Token) -> str:
    return f"token {token.id} '{escape(token.name)}'"


async def _read(kit: Kit, client: GitLabClient, source: TokenSource, ids: list[int]) -> list[Token]:
    """Every token named, in the order given; one that is not there stops the command."""
    gate = asyncio.Semaphore(READ_CONCURRENCY)

    async def one(token_id: int) -> Token:
        async with gate:
            try:
                return await kit.get_token(client, source, token_id)
            except NotFound:
                raise UsageError(
                    f"there is no token {token_id} in {source.label}, or you cannot see it: "
                    "nothing was sent; check the ids"
                ) from None

    return list(await asyncio.gather(*(one(i) for i in ids)))


def _describe(source: TokenSource) -> Callable[[Token], tuple[str, str]]:
    def describe(token: Token) -> tuple[str, str]:
        kind = "deploy" if token.is_deploy else source.kind.label
        return kind, source.label

    return describe


def _report_skips(plan: BulkPlan) -> None:
    for skip in plan.skipped:
        _say(f"skipped {escape(skip.reason)}")


def _preview(plan: BulkPlan) -> None:
    """The preview on stderr (before the typed confirmation)."""
    for line in plan.summary():
        if line.startswith(("Skipped", "  ")):
            continue  # said already, one line each
        print(escape(line), file=sys.stderr)
    for token in plan.targets:
        when = ""
        if plan.action.value == "rotate":
            new = plan.expiries.get(token.key)
            when = f" -> {new.isoformat() if new else 'GitLab default'}"
        print(f"  {_named(token)}{when}", file=sys.stderr)


def _typed_count(count: int, verb: str) -> bool:
    """Ask for the number of tokens (one token: y/N); True when it was typed."""
    if count == 1:
        sys.stderr.write(f"{verb.capitalize()} it? Anything using it will fail. [y/N] ")
        sys.stderr.flush()
        return sys.stdin.readline().strip().lower() in ("y", "yes")
    sys.stderr.write(
        f"Anything using them will fail. Type {count} (the number of tokens) to {verb} them: "
    )
    sys.stderr.flush()
    return sys.stdin.readline().strip() == str(count)


def _report(result: BatchResult, verb: str) -> bool:
    """One stderr line per token; True when every one was done."""
    for outcome in result:
        token = outcome.token
        named = _named(token) if token is not None else f"token {outcome.token_id}"
        if outcome.status is Status.DONE:
            new = outcome.new_token
            into = f" into {new.id}" if new is not None else ""
            own = " (the token in use)" if outcome.in_use else ""
            _say(f"{verb}d {named}{own}{into}")
        elif outcome.status is Status.UNKNOWN:
            verdict = outcome.verdict.text if outcome.verdict is not None else "unknown"
            _say(f"outcome unknown for {named}: {outcome.error}; {verdict}")
        else:
            _say(f"not {verb}d: {named}: {escape(outcome.reason or 'refused')}")
    return result.all_done


async def _read_named(
    args: argparse.Namespace,
    kit: Kit,
    client: GitLabClient,
    connection: session.Connection,
    ids: list[int],
) -> tuple[TokenSource, list[Token], Token | None]:
    """The command's source, the tokens it names (read from GitLab, in the order given) and
    the token in use (None if GitLab does not say)."""
    await kit.with_ids(client, args, connection)
    source = kit.item_source(args)
    tokens = await _read(kit, client, source, ids)
    return source, tokens, await token_in_use(client)


# --- revoke -----------------------------------------------------------------------------------


def run_revoke_many(args: argparse.Namespace, kit: Kit) -> int:
    """``tokentui revoke ID ID ...``."""
    return common.run_async(_revoke_many(args, kit))


async def _revoke_many(args: argparse.Namespace, kit: Kit) -> int:
    ids = token_ids(args.token_id)
    kit.check_source(args)
    ask = not args.yes
    if ask and not kit.on_terminal():
        raise UsageError(
            f"refusing to revoke {len(ids)} tokens without confirmation: there is no terminal "
            "to ask on; pass --yes to revoke from a script"
        )
    connection = common.connect(args)
    async with kit.open_client(connection) as client:
        source, tokens, current = await _read_named(args, kit, client, connection, ids)
        plan = plan_revoke(
            tokens,
            now=kit.now(),
            in_use_key=current.key if current is not None else None,
            describe=_describe(source),
        )
        _report_skips(plan)
        if not plan.count:
            _say("nothing to revoke")
            return common.EXIT_OK
        if ask:
            _preview(plan)
            if not _typed_count(plan.count, "revoke"):
                _say("not revoked")
                return common.EXIT_DECLINED
        operations = Operations(
            client, in_use_id=current.id if current is not None else None, clock=kit.now
        )
        # Named and confirmed (the typed count or --yes), so the token in use may go too: last.
        result = await operations.revoke(source, plan.targets, allow_in_use=True)
    # A skipped token is revoked or expired already: it no longer works, as asked.
    return common.EXIT_OK if _report(result, "revoke") else common.EXIT_ERROR


# --- rotate -----------------------------------------------------------------------------------


def run_rotate_many(args: argparse.Namespace, kit: Kit) -> int:
    """``tokentui rotate ID ID ... [--spread 14d]``."""
    return common.run_async(_rotate_many(args, kit))


def _expiry_choice(args: argparse.Namespace, kit: Kit) -> RotateExpiry:
    today = today_of(kit.now())
    on = av.new_expiry(args.expires_at, args.duration, today, default_days=None)
    spread = av.duration_days(args.spread, "--spread") if args.spread else None
    if spread is None and on is None:
        return RotateExpiry(same_lifetime=True)
    choice = RotateExpiry(on=on, spread_days=spread)
    problem = spread_problem(choice, today)
    if problem:
        raise UsageError(f"--spread: {problem}")
    return choice


async def _rotate_many(args: argparse.Namespace, kit: Kit) -> int:
    ids = token_ids(args.token_id)
    choice = _expiry_choice(args, kit)
    kit.check_source(args)
    connection = common.connect(args)
    async with kit.open_client(connection) as client:
        source, tokens, current = await _read_named(args, kit, client, connection, ids)
        cannot = None if source.can_rotate else f"tokens of {source.label} cannot be rotated"
        plan = plan_rotate(
            tokens,
            now=kit.now(),
            in_use_key=current.key if current is not None else None,
            describe=_describe(source),
            expiry=choice,
            cannot_rotate=cannot,
        )
        _report_skips(plan)
        result: BatchResult | None = None
        if plan.count:
            _say(f"rotating {plan.count} token(s), {plan.expiry_text}")
            operations = Operations(
                client,
                save=connection.save_token,
                in_use_id=current.id if current is not None else None,
                clock=kit.now,
            )
            result = await operations.rotate(source, plan.targets, expiries=plan.expiries)
    if result is None:
        _say("nothing to rotate")
        return common.EXIT_ERROR
    _print_values(args, result, source, kit.now())
    done = _report(result, "rotate")
    for outcome in result:
        _self_rotation_note(outcome)
    return common.EXIT_OK if done and not plan.skipped else common.EXIT_ERROR


def _print_values(
    args: argparse.Namespace, result: BatchResult, source: TokenSource, now: datetime
) -> None:
    """The new values on stdout, one line per rotated token, in the order given."""
    with common.closed_stdout_tolerated() as stdout:
        for outcome in result.with_status(Status.DONE):
            new = outcome.new_token
            if new is None:
                continue
            if args.json:
                extra: dict[str, Any] = {"rotated_from_id": outcome.token_id}
                if outcome.self_rotation is not None:
                    extra["stored"] = outcome.self_rotation.stored
                record = output.new_token_record(new, now, kind=source.kind, **extra)
                sys.stdout.write(escape_json(pydantic_core.to_json(record).decode()) + "\n")
            else:
                sys.stdout.write(f"{outcome.token_id} {new.token.get_secret_value()}\n")
            sys.stdout.flush()
    if stdout.broken:
        _say(
            "warning: stdout was closed before every new value was written; the tokens were "
            "rotated: rotate again the ones whose value you did not get"
        )


def _self_rotation_note(outcome: Outcome) -> None:
    result = outcome.self_rotation
    if result is None:
        return
    if result.stored:
        if not result.verified:
            _say(
                f"warning: the token in use: stored, but checking it failed: {result.verify_error}"
            )
        return
    reason = result.store_error or "nowhere to store it"
    _say(
        f"warning: the token in use: the new value was not stored: {reason}. The old value no "
        "longer works; the new one is the one printed on stdout."
    )
