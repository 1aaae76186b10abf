"""``tokentui deliver set|list|unset``: where a token's rotated value goes (a project's or
group's CI/CD variable), kept in the config file without any secret
(:class:`tokentui.core.config.DeliveryTarget`). The delivery itself happens in
``tokentui rotate`` (:mod:`tokentui.cli.commands.rotate_delivery`) and the TUI's ``r``."""

from __future__ import annotations

import argparse
import sys
from typing import Literal

from tokentui.cli.commands import arguments as av
from tokentui.cli.commands import common
from tokentui.cli.commands import tokens as token_commands
from tokentui.core import config, delivery
from tokentui.core.config import DeliveryTarget
from tokentui.core.session import Connection, UsageError
from tokentui.gitlab.errors import GitLabError
from tokentui.gitlab.terminal_text import escape
from tokentui.gitlab.variables import checked_key

_EXIT_CODES = "0 done, 2 error (bad arguments, configuration, network, GitLab), 130 interrupted"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``deliver`` and its subcommands."""
    deliver = sub.add_parser(
        "deliver",
        help="where a token's rotated value goes (a CI/CD variable)",
        description="Delivery targets: when a token with one is rotated (tokentui rotate ID, "
        "the TUI's r), its new value is written to that project's or group's CI/CD variable "
        "(masked, protected and environment scope kept) and read back to check it landed. "
        "Targets live in the config file; no value is ever stored there.",
    )
    deliver_sub = deliver.add_subparsers(
        dest="deliver_command", metavar="SUBCOMMAND", required=True
    )
    set_ = token_commands.command_parser(
        deliver_sub,
        "set",
        "send token ID's rotated values to a CI/CD variable",
        "Make the CI/CD variable KEY of a project (--project) or group (--group) the delivery "
        "target of token ID. The variable must exist and be readable with your credential "
        "(Maintainer of the project, Owner of the group): it is read once to check.",
        _EXIT_CODES,
    )
    set_.add_argument("token_id", metavar="ID", help="token id")
    place = set_.add_mutually_exclusive_group(required=True)
    place.add_argument("--project", metavar="ID_OR_PATH", help="the project of the variable")
    place.add_argument("--group", metavar="ID_OR_PATH", help="the group of the variable")
    set_.add_argument("--variable", metavar="KEY", required=True, help="the variable's key")
    set_.add_argument(
        "--environment-scope",
        metavar="SCOPE",
        help="the variable's environment scope, when the key exists in several",
    )
    set_.set_defaults(handler=run_set)
    listed = token_commands.command_parser(
        deliver_sub,
        "list",
        "delivery targets of this GitLab",
        "List the delivery targets "
        "of the instance (from the config file; nothing is asked of GitLab).",
        _EXIT_CODES,
    )
    listed.set_defaults(handler=run_list)
    unset = token_commands.command_parser(
        deliver_sub,
        "unset",
        "forget token ID's delivery target",
        "Forget the delivery target of token ID (the variable itself is left as it is).",
        _EXIT_CODES,
    )
    unset.add_argument("token_id", metavar="ID", help="token id")
    unset.set_defaults(handler=run_unset)


def _instance(args: argparse.Namespace) -> Connection:
    if getattr(args, "demo", False):
        raise UsageError("delivery targets are kept in your config file: not with --demo")
    return common.connect(args)


def _token_id(text: str) -> int:
    value = av.token_id(text)
    if value == av.SELF:
        raise UsageError("give the token's id ('self' is the credential tokentui uses)")
    return int(value)


def run_set(args: argparse.Namespace) -> int:
    """``tokentui deliver set ID --project P --variable KEY``."""
    return common.run_async(_set(args))


async def _set(args: argparse.Namespace) -> int:
    token_id = _token_id(args.token_id)
    key = checked_key(args.variable)
    connection = _instance(args)
    kind: Literal["project", "group"] = "project" if args.project else "group"
    target = DeliveryTarget(
        connection.url,
        token_id,
        kind,
        args.project or args.group,
        key,
        args.environment_scope or None,
    )
    async with token_commands.command_client(connection) as client:
        report = await delivery.plan(client, target)
    if report.result is delivery.Delivered.FAILED:
        raise UsageError(report.message)
    try:
        settings = config.load_settings()
        settings.set_delivery(target)
        settings.save()
    except (config.ConfigError, OSError) as err:
        raise UsageError(f"the target could not be saved: {err}") from None
    print(
        f"tokentui: token {token_id}'s rotated values go to {escape(target.label)}; "
        f"a rotate {escape(report.message.removeprefix('would '))}",
        file=sys.stderr,
    )
    return common.EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    """``tokentui deliver list``: ``ID  variable KEY of project P`` lines."""
    try:
        connection = _instance(args)
        settings = config.load_settings()
    except (UsageError, config.ConfigError, GitLabError) as err:
        return common.report_error(err)
    mine = [d for d in settings.deliveries if config.same_instance(d.url, connection.url)]
    with common.closed_stdout_tolerated():
        for target in sorted(mine, key=lambda d: d.token_id):
            sys.stdout.write(f"{target.token_id}\t{escape(target.label)}\n")
    if not mine:
        print(f"tokentui: no delivery targets for {connection.url}", file=sys.stderr)
    return common.EXIT_OK


def run_unset(args: argparse.Namespace) -> int:
    """``tokentui deliver unset ID``."""
    try:
        token_id = _token_id(args.token_id)
        connection = _instance(args)
        settings = config.load_settings()
    except (UsageError, config.ConfigError, GitLabError, ValueError) as err:
        return common.report_error(err)
    dropped = settings.unset_delivery(connection.url, token_id)
    if dropped is None:
        print(f"tokentui: error: token {token_id} has no delivery target", file=sys.stderr)
        return common.EXIT_ERROR
    settings.save()
    print(f"tokentui: forgot token {token_id}'s {escape(dropped.label)}", file=sys.stderr)
    return common.EXIT_OK
