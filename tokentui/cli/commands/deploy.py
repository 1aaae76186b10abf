"""Deploy tokens on the command line: ``create``/``rotate`` with ``--project P --deploy`` (or
``--group G --deploy``); ``list``, ``show`` and ``revoke`` take the same flags and need nothing
of their own (the source lists deploy tokens as rows).

* ``create``: deploy-token scopes only, ``--username`` (optional), ``--expires-at`` /
  ``--duration`` / ``--no-expiry`` (default: 30 days, as for the other kinds).
* ``rotate``: GitLab cannot rotate deploy tokens. tokentui says so and creates a successor with
  the same name, username and scopes and the new expiry; the old token keeps working until it
  is revoked (stderr gives the command). The value goes to stdout alone, as for every create.

Writes go through the operations layer (:mod:`tokentui.core.operations.deploy`): sent once,
a lost answer read back and reported with exit 2. No Textual import.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import date

from tokentui.cli import output
from tokentui.cli.commands import arguments as av
from tokentui.cli.commands import common
from tokentui.core import session
from tokentui.core.expiry import format_countdown, system_clock
from tokentui.core.expiry import today as utc_today
from tokentui.core.operations import (
    Operations,
    Outcome,
    Status,
    create_deploy_token,
    successor_request,
)
from tokentui.core.ownership import Ownership
from tokentui.core.session import UsageError
from tokentui.gitlab.deploy_tokens import CreateDeployTokenRequest, create_body
from tokentui.gitlab.models import NewToken, Token, TokenKind
from tokentui.gitlab.scopes import DEPLOY_TOKEN_SCOPES
from tokentui.gitlab.sources import DeployTokens, resolve_source
from tokentui.gitlab.terminal_text import escape

#: Expiry of a created deploy token without ``--expires-at``/``--duration``/``--no-expiry``.
DEFAULT_DAYS = 30


def is_deploy(args: argparse.Namespace) -> bool:
    """Whether the command's source is a project's or group's deploy tokens."""
    source = getattr(args, "source", None)
    return source is not None and str(source[0]).endswith("-deploy")


def deploy_source(args: argparse.Namespace) -> DeployTokens:
    """The deploy-token source the flags name."""
    choice, value = args.source
    try:
        source = resolve_source(choice, value, viewer_id=0, viewer_is_admin=False)
    except ValueError as err:
        raise UsageError(str(err)) from None
    assert isinstance(source, DeployTokens)
    return source


def _expiry(args: argparse.Namespace) -> date | None:
    if getattr(args, "no_expiry", False):
        if args.expires_at is not None or args.duration is not None:
            raise UsageError("give --no-expiry, --expires-at or --duration, not two of them")
        return None
    return av.new_expiry(
        args.expires_at, args.duration, utc_today(system_clock()), default_days=DEFAULT_DAYS
    )


async def create(args: argparse.Namespace) -> int:
    """``tokentui create --project P --deploy --name N --scope S [--username U]``."""
    if args.access_level is not None or args.description is not None:
        raise UsageError("deploy tokens have no --access-level or --description")
    source = deploy_source(args)
    request = CreateDeployTokenRequest(
        name=av.token_name(args.name),
        scopes=av.token_scopes(args.scope, DEPLOY_TOKEN_SCOPES, "a deploy token"),
        expires_at=_expiry(args),
        username=args.username,
    )
    try:
        create_body(request)  # the username's rule, before any request
    except ValueError as err:
        raise UsageError(f"--username: {err}") from None
    connection = common.connect(args)
    async with session.open_client(connection) as client:
        outcome = await create_deploy_token(Operations(client), source, request)
    new = _new_or_raise(outcome)
    if new is None:
        return _lost(outcome)
    _print_new(args, source, new, f"created deploy token {new.id}")
    return common.EXIT_OK


async def rotate(args: argparse.Namespace, token_id: int) -> int:
    """``tokentui rotate ID --project P --deploy``: GitLab cannot rotate a deploy token, so a
    successor is created (same name, username, scopes; the new expiry); the old one stays."""
    source = deploy_source(args)
    expires_at = _expiry(args)
    connection = common.connect(args)
    async with session.open_client(connection) as client:
        old = await client.get_token(source, token_id)
        if old.revoked:
            raise UsageError(f"deploy token {token_id} is revoked: create a new one instead")
        request = successor_request(old, expires_at)
        outcome = await create_deploy_token(Operations(client), source, request)
    new = _new_or_raise(outcome)
    if new is None:
        return _lost(outcome)
    print(
        "tokentui: GitLab cannot rotate deploy tokens: created a successor with the same "
        "name, username and scopes instead.",
        file=sys.stderr,
    )
    _print_new(args, source, new, f"created deploy token {new.id}", rotated_from_id=old.id)
    print(
        f"tokentui: deploy token {old.id} still works until you revoke it; once nothing uses "
        f"it: {_revoke_command(args, old)}",
        file=sys.stderr,
    )
    return common.EXIT_OK


def _revoke_command(args: argparse.Namespace, old: Token) -> str:
    choice, value = args.source
    words = ["tokentui", "revoke", str(old.id), f"--{choice.removesuffix('-deploy')}", value]
    words.append("--deploy")
    for flag in ("url", "profile"):
        given = getattr(args, flag, None)
        if given:
            words += [f"--{flag}", given]
    return shlex.join(words)


def _new_or_raise(outcome: Outcome) -> NewToken | None:
    if outcome.status is Status.REFUSED:
        if outcome.error is not None:
            raise outcome.error
        raise UsageError(outcome.reason or "refused")
    return outcome.new_token


def _lost(outcome: Outcome) -> int:
    """Exit 2 with what was lost and what the read-back found (nothing is sent again)."""
    assert outcome.verdict is not None
    print(f"tokentui: error: {outcome.error}", file=sys.stderr)
    print(f"tokentui: {outcome.verdict.text}", file=sys.stderr)
    return common.EXIT_ERROR


def _print_new(
    args: argparse.Namespace, source: DeployTokens, new: NewToken, what: str, **extra: object
) -> None:
    """The value alone on stdout (or the JSON object with it); a summary on stderr."""
    now = system_clock()
    owners = output.Owners(Ownership(), source)  # the resource is the source's
    with common.closed_stdout_tolerated():
        if args.json:
            record = output.new_token_record(
                new, now, kind=TokenKind.DEPLOY, owners=owners, **extra
            )
            record["username"] = new.username
            output.write_json(record, sys.stdout)
        else:
            sys.stdout.write(new.token.get_secret_value() + "\n")
    expiry = new.expires_at.isoformat() if new.expires_at else "never"
    print(
        f"tokentui: {what} '{escape(new.name)}' (username {escape(new.username or '')}; "
        f"scopes {escape(', '.join(new.scopes))}; expires {expiry}, "
        f"{format_countdown(new, now)}). The value is shown once: store it now.",
        file=sys.stderr,
    )
