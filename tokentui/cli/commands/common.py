"""What every command shares: connection and source flags, exit codes, ``--demo``, and turning
errors into messages on stderr. Connections themselves are the core's
(:mod:`tokentui.core.session`)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tokentui.core import session, source_names
from tokentui.core.session import Connection, UsageError, error_message
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.errors import GitLabError
from tokentui.gitlab.sources import SOURCE_CHOICES

if TYPE_CHECKING:
    from tokentui.demo_server import DemoConnection

#: Documented exit codes (README "Exit codes").
EXIT_OK = 0
EXIT_FOUND = 1  # ``expiring``: something expires in the window
EXIT_DECLINED = 1  # ``revoke``: the answer to "revoke?" was no
EXIT_ERROR = 2  # any error (usage, network, GitLab)
EXIT_USAGE = 2


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """``--profile`` and ``--url`` (the token itself never comes from a flag)."""
    parser.add_argument("--profile", metavar="NAME", help="credential profile to use")
    parser.add_argument(
        "--url", metavar="URL", help="GitLab URL, e.g. https://gitlab.example.com (GITLAB_HOST)"
    )


def _tagged(choice: str) -> Callable[[str], tuple[str, str]]:
    """An argparse ``type`` that pairs a source flag's value with the flag's name."""
    return lambda value: (choice, value)


class _ResourceFlag(argparse.Action):
    """``--project``/``--group``: the access tokens, or with ``--deploy`` (either order) the
    deploy tokens (``project-deploy``/``group-deploy``)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        choice = self.option_strings[0].removeprefix("--")
        if getattr(namespace, "deploy", False):
            choice += "-deploy"
        setattr(namespace, self.dest, (choice, values))


class _DeployFlag(argparse.Action):
    """``--deploy``: turns a ``--project``/``--group`` source into its deploy tokens."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)  # type: ignore[arg-type]

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        namespace.deploy = True
        source = getattr(namespace, "source", None)
        if source and source[0] in ("project", "group"):
            namespace.source = (f"{source[0]}-deploy", source[1])


def add_source_flags(
    parser: argparse.ArgumentParser,
    *,
    default: str = "--all for an admin, else --mine",
    by_name: bool = True,
    everything: bool = False,
) -> None:
    """The token-source flags: ``--mine | --all | --user ID | ...`` (mutually exclusive);
    ``default`` says in the help which source applies without a flag; ``by_name``: users are
    also taken by username (looked up with :func:`ids_for_names`); ``everything``: also
    ``--everything`` (the everything-I-manage scan, docs/everything.md)."""
    user = "ID_OR_USERNAME" if by_name else "USER_ID"
    group = parser.add_argument_group(f"token source (default: {default})")
    exclusive = group.add_mutually_exclusive_group()
    exclusive.add_argument(
        "--mine", dest="source", action="store_const", const=("mine", None), help="your own tokens"
    )
    exclusive.add_argument(
        "--all",
        dest="source",
        action="store_const",
        const=("all", None),
        help="every user's personal tokens (admin)",
    )
    if everything:
        exclusive.add_argument(
            "--everything",
            dest="source",
            action="store_const",
            const=("everything", None),
            help="everything you manage: your tokens, and those of the projects and groups you "
            "maintain or own, of every kind (an administrator: every token of the instance)",
        )
    for choice, metavar, text in (
        ("user", user, "one user's personal tokens (admin)"),
        ("impersonation", user, "a user's impersonation tokens (admin)"),
        ("project", "ID_OR_PATH", "a project's access tokens (with --deploy: its deploy tokens)"),
        ("group", "ID_OR_PATH", "a group's access tokens (with --deploy: its deploy tokens)"),
        ("service-account", f"GROUP:{user}", "a group service account's tokens"),
    ):
        assert choice in SOURCE_CHOICES
        if choice in ("project", "group"):
            exclusive.add_argument(
                f"--{choice}", dest="source", metavar=metavar, action=_ResourceFlag, help=text
            )
            continue
        exclusive.add_argument(
            f"--{choice}",
            dest="source",
            metavar=metavar,
            type=_tagged(choice),
            help=text,
        )
    group.add_argument(
        "--deploy",
        action=_DeployFlag,
        default=argparse.SUPPRESS,
        help="with --project or --group: that project's or group's deploy tokens",
    )
    parser.set_defaults(source=None)


#: What every ``--demo`` command says first (stderr).
DEMO_NOTE = (
    "demo: the bundled simulator runs in this process as its administrator (no network); "
    "its data is invented and anything changed is gone when this command ends"
)


def connect_demo(args: argparse.Namespace) -> DemoConnection:
    """The connection of a scripting command run with ``--demo``."""
    from tokentui.demo_server import DemoConnection

    if getattr(args, "url", None) or getattr(args, "profile", None):
        raise UsageError("--demo runs the bundled simulator: drop --url/--profile")
    print(f"tokentui: {DEMO_NOTE}", file=sys.stderr)
    return DemoConnection()


async def ids_for_names(
    client: GitLabClient, source: source_names.Choice | None, url: str
) -> source_names.Choice | None:
    """``source`` with ids for the names it holds (:func:`tokentui.core.source_names.
    ids_for_names`); a name GitLab does not know is a :class:`UsageError` naming ``url`` and
    the flag."""
    try:
        return await source_names.ids_for_names(client, source)
    except source_names.UnknownName as err:
        if err.what == "group":
            problem = f"group {err.name!r} was not found on {url}, or your account cannot see it"
        elif err.what == "service account":
            problem = f"group {err.group!r} has no service account named {err.name!r} on {url}"
        else:
            flag = f" (--{source[0]} {source[1]})" if source else ""
            problem = f"no user named {err.name!r} on {url}{flag}"
        raise UsageError(problem) from None


def connect(args: argparse.Namespace) -> Connection:
    """The connection of a command: :func:`tokentui.core.session.connect` from ``--profile``
    and ``--url``, or the bundled simulator with ``--demo``. With TLS verification off, a
    warning goes to stderr."""
    if getattr(args, "demo", False):
        return connect_demo(args)
    conn = session.connect(
        profile_name=getattr(args, "profile", None), url=getattr(args, "url", None)
    )
    if conn.insecure:
        from tokentui.core.config import VERIFY_OFF_WARNING

        print(f"tokentui: WARNING: {VERIFY_OFF_WARNING}", file=sys.stderr)
    return conn


# --- running a command and reporting its errors (scripting CLI) ----------------------------------
#
# Every scripting command runs its coroutine through ``run_async``: the one place that turns an
# error into a message on stderr and a documented exit code (docs/cli.md), never a traceback.


def report_error(err: BaseException, *, exit_code: int = EXIT_ERROR) -> int:
    """Print ``err`` on stderr as ``tokentui: error: ...`` and return ``exit_code``."""
    print(f"tokentui: error: {error_message(err)}", file=sys.stderr)
    return exit_code


class StdoutState:
    """Whether stdout's reader went away during a :func:`closed_stdout_tolerated` block."""

    broken: bool = False


@contextmanager
def closed_stdout_tolerated() -> Iterator[StdoutState]:
    """Write data to stdout; if the reader has gone (``tokentui list | head``), stop quietly
    instead of a BrokenPipeError traceback, and keep the command's own exit code."""
    state = StdoutState()
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        # A non-UTF-8 locale must not turn an emoji in a token name into a traceback.
        reconfigure(errors="backslashreplace")
    try:
        yield state
        sys.stdout.flush()
    except BrokenPipeError:
        state.broken = True
        # Python flushes stdout again at exit: point it somewhere that accepts the rest.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def run_async(coro: Coroutine[Any, Any, int]) -> int:
    """Run a command's coroutine; GitLab, usage and value errors become a message on stderr and
    :data:`EXIT_ERROR`. Returns the command's exit code."""
    try:
        return asyncio.run(coro)
    except (GitLabError, UsageError, ValueError) as err:
        return report_error(err)
