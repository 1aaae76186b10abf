"""What every command shares: connection flags, source flags, exit codes, building a client."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine
from typing import Any

from pydantic import SecretStr

from tokentui.gitlab.client import GitLabClient, TLSOptions
from tokentui.gitlab.errors import (
    Forbidden,
    GitLabError,
    InsufficientScope,
    NotFound,
    Unauthorized,
)
from tokentui.gitlab.sources import SOURCE_CHOICES

#: Documented exit codes (README "Exit codes").
EXIT_OK = 0
EXIT_FOUND = 1  # ``expiring``: something expires in the window
EXIT_DECLINED = 1  # ``revoke``: the answer to "revoke?" was no
EXIT_ERROR = 2  # any error (usage, network, GitLab)
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad arguments or configuration, found before any request. The message is user-ready."""


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """``--profile`` and ``--url`` (the token itself never comes from a flag)."""
    parser.add_argument("--profile", metavar="NAME", help="credential profile to use")
    parser.add_argument(
        "--url", metavar="URL", help="GitLab URL, e.g. https://gitlab.example.com (GITLAB_HOST)"
    )


def add_source_flags(
    parser: argparse.ArgumentParser,
    *,
    default: str = "--all for an admin, else --mine",
) -> None:
    """The token-source flags: ``--mine | --all | --user ID | ...`` (mutually exclusive);
    ``default`` says in the help which source applies without a flag."""
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
    for choice, metavar, text in (
        ("user", "ID", "one user's personal tokens (admin)"),
        ("impersonation", "USER_ID", "a user's impersonation tokens (admin)"),
        ("project", "ID_OR_PATH", "a project's access tokens"),
        ("group", "ID_OR_PATH", "a group's access tokens"),
        ("service-account", "GROUP:USER_ID", "a group service account's tokens"),
    ):
        assert choice in SOURCE_CHOICES
        exclusive.add_argument(
            f"--{choice}",
            dest="source",
            metavar=metavar,
            type=lambda v, c=choice: (c, v),
            help=text,
        )
    parser.set_defaults(source=None)


def env_url() -> str | None:
    """``GITLAB_HOST`` as glab and python-gitlab's CLI read it."""
    value = os.environ.get("GITLAB_HOST", "").strip()
    return value or None


class Connection:
    """Where to connect and with which credential, resolved from flags, environment and the
    profile. ``token_origin`` names where the token came from (for ``auth status``)."""

    def __init__(
        self,
        url: str,
        token: SecretStr,
        *,
        tls: TLSOptions | None = None,
        profile: str | None = None,
        token_origin: str = "GITLAB_TOKEN",
    ) -> None:
        self.url = url
        self.token = token
        self.tls = tls or TLSOptions()
        self.profile = profile
        self.token_origin = token_origin

    def __repr__(self) -> str:
        return f"Connection(url={self.url!r}, profile={self.profile!r}, token=<hidden>)"

    def client(self) -> GitLabClient:
        """A client for this connection."""
        return GitLabClient(self.url, self.token, tls=self.tls)


def connect(args: argparse.Namespace) -> Connection:
    """Resolve the connection for a command: ``--url``/``GITLAB_HOST`` and ``GITLAB_TOKEN``.

    (The credentials issue extends this with profiles and the keyring.) Raises
    :class:`UsageError` when nothing is configured.
    """
    url = getattr(args, "url", None) or env_url()
    token = os.environ.get("GITLAB_TOKEN", "").strip()
    if not url:
        raise UsageError("no GitLab URL: pass --url or set GITLAB_HOST")
    if not token:
        raise UsageError("no token: set GITLAB_TOKEN (the token is never taken from a flag)")
    return Connection(url, SecretStr(token))


# --- running a command and reporting its errors (scripting CLI) ----------------------------------
#
# Every scripting command runs its coroutine through ``run_async``: the one place that turns an
# error into a message on stderr and a documented exit code (docs/cli.md), never a traceback.

#: Extra advice printed after GitLab's message, by error type.
_ERROR_HINTS: tuple[tuple[type[Exception], str], ...] = (
    (Unauthorized, "check GITLAB_TOKEN or run 'tokentui auth login'"),
    (InsufficientScope, "use a token with the scope(s) GitLab named"),
    (Forbidden, "this needs more rights (an administrator, or a project/group owner)"),
    (NotFound, "check the id, or pass the token source (--project, --group, ...)"),
)


def error_message(err: BaseException) -> str:
    """The user-ready text for an error: GitLab's message, plus advice when there is some."""
    text = str(err) or type(err).__name__
    for kind, hint in _ERROR_HINTS:
        if isinstance(err, kind):
            return f"{text} ({hint})"
    return text


def report_error(err: BaseException, *, exit_code: int = EXIT_ERROR) -> int:
    """Print ``err`` on stderr as ``tokentui: error: ...`` and return ``exit_code``."""
    print(f"tokentui: error: {error_message(err)}", file=sys.stderr)
    return exit_code


def run_async(coro: Coroutine[Any, Any, int]) -> int:
    """Run a command's coroutine; GitLab, usage and value errors become a message on stderr and
    :data:`EXIT_ERROR`. Returns the command's exit code."""
    try:
        return asyncio.run(coro)
    except (GitLabError, UsageError, ValueError) as err:
        return report_error(err)
