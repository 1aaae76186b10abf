"""``tokentui identify``: what a leaked token value is, and revoking it (leak response).

The value comes from a hidden prompt (terminal) or one line of standard input, never from the
command line: an argument is refused without being repeated. The lookup and the revoke are
:mod:`tokentui.core.identify`'s; this module reads, prints and asks.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from pydantic import SecretStr

from tokentui.cli.commands import common
from tokentui.cli.commands import tokens as token_commands
from tokentui.cli.commands.auth import read_token
from tokentui.core import config, identify, session
from tokentui.core.session import UsageError
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.terminal_text import escape
from tokentui.gitlab.token_formats import looks_like_token

EXIT_IDENTIFIED = 0
EXIT_NOT_IDENTIFIED = 1
_EXIT_CODES = (
    "0 identified (and revoked, when asked), 1 not identified (GitLab does not know the value, "
    "or nothing here can look it up), 2 error (bad input, network, GitLab; a revoke that failed "
    "or whose answer was lost), 130 interrupted"
)
ARGV_REFUSED = (
    "a token value does not belong on the command line (shell history, ps, logs keep it): "
    "pipe it instead, e.g. 'xclip -o | tokentui identify', or run 'tokentui identify' and "
    "paste it at the hidden prompt"
)


class _QuietParser(argparse.ArgumentParser):
    """``identify``'s parser: an unknown option is refused without repeating it (argparse
    would print ``--token=glpat-…`` back, and the value with it)."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extra = super().parse_known_args(args, namespace)
        if extra:
            names = sorted({word.split("=", 1)[0] for word in extra if word.startswith("-")})
            shown = [n for n in names if not looks_like_token(n)]
            what = f" ({', '.join(shown)})" if shown else ""
            self.error(f"unrecognized option(s){what}; {ARGV_REFUSED}")
        return parsed, extra


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``identify``."""
    parser = token_commands.command_parser(
        sub,
        "identify",
        "say what a leaked token value is (hidden prompt or stdin), and revoke it",
        "Read a token value from a hidden prompt (on a terminal) or one line of standard input "
        "(never from the command line), say what it is (kind by its prefix; owner, resource, "
        "scopes, dates, last use and IPs, looked up with the value itself or, for an "
        "administrator, with POST /admin/token) and, with --revoke or a yes at the prompt, "
        "revoke it: with the value itself, by id with your credential, or DELETE /admin/token.",
        _EXIT_CODES,
    )
    parser.add_argument(
        "--revoke",
        action="store_true",
        help="revoke it after identifying it (no question asked)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    # Same attributes, other class: unknown options are refused without being repeated.
    parser.__class__ = _QuietParser
    # Catches a value pasted as an argument, so argparse never repeats it in an error.
    parser.add_argument("stray", nargs="*", help=argparse.SUPPRESS)
    token_commands.inherit_from_top_level(parser)
    parser.set_defaults(handler=run_identify)


def run_identify(args: argparse.Namespace) -> int:
    """``tokentui identify``."""
    if args.stray:
        problem = ARGV_REFUSED
        if not any(looks_like_token(word) for word in args.stray):
            problem = f"identify takes no arguments; {ARGV_REFUSED}"
        return common.report_error(UsageError(problem))
    return common.run_async(_identify(args))


def _connection(args: argparse.Namespace) -> session.Connection | str:
    """The configured connection, or only the URL when nothing is configured (the value can
    still describe itself)."""
    try:
        return common.connect(args)
    except session.NotConfigured:
        url = getattr(args, "url", None) or session.env_url()
        if not url:
            raise UsageError(
                "identify needs the GitLab URL: pass --url or set GITLAB_HOST (no credential "
                "is needed to look a value up with itself)"
            ) from None
        return config.normalize_url(url)


async def _identify(args: argparse.Namespace) -> int:
    value = read_token()
    connection = _connection(args)
    if isinstance(connection, str):
        base = connection
        return await _run(args, value, lambda other: GitLabClient(base, other), None)
    async with token_commands.command_client(connection) as configured:
        return await _run(args, value, configured.with_credential, configured)


async def _run(
    args: argparse.Namespace,
    value: SecretStr,
    client_for: identify.ClientFactory,
    configured: GitLabClient | None,
) -> int:
    found = await identify.identify(value, client_for=client_for, configured=configured)
    if not args.json:
        with common.closed_stdout_tolerated():
            sys.stdout.write("".join(f"{line}\n" for line in describe(found)))
    revocation = None
    wanted = args.revoke or (
        found.found and found.state == "active" and not args.json and _ask_to_revoke()
    )
    if wanted:
        revocation = await identify.revoke(
            found, value, client_for=client_for, configured=configured
        )
    if args.json:
        data = found.as_json()
        if revocation is not None:
            data["revocation"] = {
                "done": revocation.done,
                "how": revocation.how,
                "unknown": revocation.unknown,
                "tried": list(revocation.tried),
            }
        with common.closed_stdout_tolerated():
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
    if revocation is not None:
        return _report_revocation(revocation)
    if not found.found:
        return EXIT_NOT_IDENTIFIED
    return EXIT_IDENTIFIED


def _ask_to_revoke() -> bool:
    """The y/N question (default No), only when someone is at a terminal to answer."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    sys.stderr.write("Revoke this token now? Anything using it stops working. [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        print("tokentui: not revoked", file=sys.stderr)
        return False
    return True


def _report_revocation(revocation: identify.Revocation) -> int:
    for line in revocation.tried:
        print(f"tokentui: tried {escape(line)}", file=sys.stderr)
    if revocation.done:
        print(f"tokentui: revoked {revocation.how}", file=sys.stderr)
        return EXIT_IDENTIFIED
    if revocation.unknown:
        print(
            f"tokentui: error: the answer to the revoke was lost ({revocation.how})",
            file=sys.stderr,
        )
    else:
        print(f"tokentui: error: the token was not revoked: {revocation.how}", file=sys.stderr)
    return common.EXIT_ERROR


def describe(found: identify.Identity) -> list[str]:
    """The text report: ``label:`` padded to 12, then the value (server text escaped; the
    token value itself is never among them)."""
    return [f"{label + ':':<12}{escape(value)}" for label, value in identify.facts(found)]
