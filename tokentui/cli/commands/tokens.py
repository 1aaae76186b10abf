"""The scripting commands: ``list``, ``show``, ``create``, ``rotate``, ``revoke``, ``expiring``.

Same client, token sources and client-side filters as the TUI (``tokentui.core.query``). Every
argument is checked before the first request; errors reach stderr through
``common.run_async`` with a documented exit code (docs/cli.md). Data goes to stdout, everything
else to stderr, so ``VALUE=$(tokentui create ...)`` captures the new value alone.
No Textual import.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shlex
import sys
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import date, datetime
from functools import partial

from tokentui.cli import output
from tokentui.cli.commands import arguments as av
from tokentui.cli.commands import bulk, common, rotate_delivery
from tokentui.cli.commands import deploy as deploy_tokens
from tokentui.cli.commands import everything as everything_cli
from tokentui.core import self_rotation, session, source_names
from tokentui.core.delivery import deliver_rotated
from tokentui.core.expiry import (
    format_countdown,
    preset_date,
    same_lifetime_days,
    system_clock,
    token_state,
)
from tokentui.core.expiry import today as utc_today
from tokentui.core.operations import Operations, Outcome, Status, revoke_deploy_tokens
from tokentui.core.ownership import Ownership
from tokentui.core.query import ClientFilters, SortKey, expiring_filters, filter_tokens, sort_tokens
from tokentui.core.session import UsageError
from tokentui.gitlab.client import CreateTokenRequest, GitLabClient
from tokentui.gitlab.credential_check import token_in_use
from tokentui.gitlab.errors import Forbidden, GitLabError, NotFound, Unauthorized
from tokentui.gitlab.models import NewToken, Token, TokenKind, User
from tokentui.gitlab.sources import (
    DeployTokens,
    GroupTokens,
    ImpersonationTokens,
    PersonalTokens,
    ProjectTokens,
    ServiceAccountTokens,
    TokenFilters,
    TokenSource,
    resolve_source,
    source_before_viewer,
)
from tokentui.gitlab.terminal_text import escape

#: ``--sort`` values and the key each sorts by (the TUI's orders, ``tokentui.core.query``).
SORT_FIELDS: dict[str, SortKey] = {
    "urgency": SortKey.URGENCY,
    "expiry": SortKey.EXPIRY,
    "name": SortKey.NAME,
    "created": SortKey.CREATED,
    "last_used": SortKey.LAST_USED,
    "kind": SortKey.KIND,
    "resource": SortKey.RESOURCE,
}
#: Expiry of a created token when neither ``--expires-at`` nor ``--duration`` is given.
CREATE_DEFAULT_DAYS = 30


def _now() -> datetime:
    return system_clock()


# --- parser -----------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``list``, ``show``, ``create``, ``rotate``, ``revoke`` and ``expiring``."""
    _register_list(sub)
    _register_show(sub)
    _register_create(sub)
    _register_rotate(sub)
    _register_revoke(sub)
    _register_expiring(sub)


_EXIT_CODES = "0 success, 2 error (message on stderr), 130 interrupted"


def command_parser(
    sub: argparse._SubParsersAction,
    name: str,
    help_: str,
    description: str,
    exit_codes: str = _EXIT_CODES,
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        name,
        help=help_,
        description=description,
        epilog=f"Exit codes: {exit_codes}. The token comes from GITLAB_TOKEN or the profile, "
        "never a flag; the URL from --url, GITLAB_HOST or the profile. NO_COLOR turns colour off.",
    )
    common.add_connection_flags(parser)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against the bundled simulator in process, as its admin (no network, no "
        "configuration; changes are gone when the command ends)",
    )
    parser.set_defaults(demo_supported=True)
    return parser


def inherit_from_top_level(parser: argparse.ArgumentParser) -> None:
    """Let ``tokentui --url U --mine list`` work like ``tokentui list --url U --mine``.

    argparse copies every default of a subcommand over the top-level values, so the flags the
    top level also has (``--url``, ``--profile``, the source) get no default here: unset, they
    leave the top-level value (itself None by default) alone.
    """
    for action in parser._actions:
        if action.dest in ("url", "profile", "source", "demo"):
            action.default = argparse.SUPPRESS
    parser._defaults.pop("source", None)


def _add_output_flags(parser: argparse.ArgumentParser, *, csv: bool = False) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--json", action="store_true", help="print JSON (schema in docs/cli.md) instead of text"
    )
    if csv:
        group.add_argument(
            "--csv", action="store_true", help="print CSV with a header row (same fields as JSON)"
        )


def _add_expiry_flags(parser: argparse.ArgumentParser, default: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--expires-at", metavar="DATE", help=f"expiry date YYYY-MM-DD (default: {default})"
    )
    group.add_argument(
        "--duration",
        metavar="DAYS",
        help="expiry as a duration from today, e.g. 30d, 2w, 1y (at most 365 days)",
    )
    group.add_argument(
        "--no-expiry", action="store_true", help="deploy tokens (--deploy) only: never expires"
    )


def _register_list(sub: argparse._SubParsersAction) -> None:
    parser = command_parser(
        sub,
        "list",
        "list tokens (table, --json or --csv)",
        "List the tokens of a source, filtered and sorted like the TUI. A readable table on a "
        "terminal (plain when piped or NO_COLOR), or --json / --csv for scripts.",
        f"{_EXIT_CODES}; with --everything, {everything_cli.EXIT_INCOMPLETE} when a project, "
        "group or list could not be read (what could be read is listed, the problems are on "
        "stderr)",
    )
    common.add_source_flags(parser, everything=True)
    everything_cli.add_flags(parser)
    filters = parser.add_argument_group("filters (checked before any request)")
    filters.add_argument("--state", choices=("active", "inactive"), help="active or inactive")
    filters.add_argument(
        "--revoked",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="only revoked (--revoked) or only not revoked (--no-revoked) tokens",
    )
    filters.add_argument("--search", metavar="TEXT", help="name search, as GitLab's search=")
    for flag, text in (
        ("--created-after", "created at or after DATE"),
        ("--created-before", "created at or before DATE"),
        ("--last-used-after", "last used at or after DATE"),
        ("--last-used-before", "last used at or before DATE"),
    ):
        filters.add_argument(flag, metavar="DATE", help=f"{text} (YYYY-MM-DD or ISO date-time)")
    filters.add_argument(
        "--expiring-within",
        metavar="DAYS",
        help="not expired yet and expiring within DAYS, e.g. 14d or 2w",
    )
    filters.add_argument("--scope", metavar="SCOPE", help="holding this scope, e.g. api")
    parser.add_argument(
        "--sort",
        choices=tuple(SORT_FIELDS),
        help="sort by this field; urgency (the TUI's order): active tokens by soonest expiry, "
        "then never-expiring, expired, revoked (default: urgency for the table, GitLab's "
        "order by id for --json/--csv)",
    )
    parser.add_argument("--reverse", action="store_true", help="reverse the sort order")
    _add_output_flags(parser, csv=True)
    inherit_from_top_level(parser)
    parser.set_defaults(handler=run_list)


def _register_show(sub: argparse._SubParsersAction) -> None:
    parser = command_parser(
        sub,
        "show",
        "show one token's every field",
        "Show one token by id (pass its source for project, group, impersonation and "
        "service-account tokens), or 'self' for the token tokentui uses.",
    )
    parser.add_argument("token_id", metavar="ID|self", help="token id, or 'self'")
    common.add_source_flags(parser, default="a personal token, by id")
    _add_output_flags(parser)
    inherit_from_top_level(parser)
    parser.set_defaults(handler=run_show)


def _register_create(sub: argparse._SubParsersAction) -> None:
    parser = command_parser(
        sub,
        "create",
        "create a token; its value alone goes to stdout",
        "Create a token. The new value is printed alone on stdout (or inside --json); "
        "everything else goes to stderr, so VALUE=$(tokentui create ...) captures only it. "
        "Source: default --mine (your own token); --user ID (admin), --impersonation USER_ID "
        "(admin), --project, --group or --service-account for the others.",
    )
    parser.add_argument("--name", required=True, help="token name (1-255 characters)")
    parser.add_argument(
        "--scope",
        action="append",
        metavar="SCOPE",
        help="a scope (repeat the flag, or separate with commas); at least one",
    )
    _add_expiry_flags(parser, f"{CREATE_DEFAULT_DAYS} days from today")
    parser.add_argument(
        "--access-level",
        metavar="LEVEL",
        help="project/group tokens: guest, planner, reporter, developer, maintainer (default), "
        "owner, or 10/15/20/30/40/50",
    )
    parser.add_argument("--description", metavar="TEXT", help="description (at most 255 chars)")
    parser.add_argument(
        "--username",
        metavar="NAME",
        help="deploy tokens (--deploy) only: what git and the registry log in as "
        "(default: GitLab's gitlab+deploy-token-<id>)",
    )
    common.add_source_flags(parser, default="--mine, your own token")
    _add_output_flags(parser)
    inherit_from_top_level(parser)
    parser.set_defaults(handler=run_create)


def _register_rotate(sub: argparse._SubParsersAction) -> None:
    parser = command_parser(
        sub,
        "rotate",
        "rotate a token; the new value alone goes to stdout",
        "Rotate a token: GitLab revokes it and returns a new one with the same name and "
        "scopes. The new value is printed alone on stdout (or inside --json). 'self' rotates "
        "the token tokentui uses and stores the new value where the old one was. A token "
        "with a delivery target (tokentui deliver set) gets its new value written to that "
        "CI/CD variable, read back and checked, and not printed; if delivery fails, the value "
        "is printed as usual and the exit status is 3. Several ids: each is rotated, one "
        "'OLD_ID VALUE' line each on stdout (JSON lines with --json).",
    )
    parser.add_argument(
        "token_id", nargs="+", metavar="ID|self", help="token id(s), or 'self' (on its own)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would happen (the token, the new expiry, the delivery target) and send "
        "no write",
    )
    _add_expiry_flags(parser, "GitLab's, 7 days from today")
    parser.add_argument(
        "--spread",
        metavar="DAYS",
        help="several ids: spread the new expiries evenly over DAYS (e.g. 14d) from "
        "--expires-at/--duration (default 30 days from today), to break an expiry cliff",
    )
    common.add_source_flags(parser, default="a personal token, by id")
    _add_output_flags(parser)
    inherit_from_top_level(parser)
    parser.set_defaults(handler=run_rotate)


def _register_revoke(sub: argparse._SubParsersAction) -> None:
    parser = command_parser(
        sub,
        "revoke",
        "revoke a token (asks first)",
        "Revoke a token (or several: a preview, then type their number). Asks for "
        "confirmation on a terminal; without a terminal it refuses unless --yes is given.",
        "0 revoked (or already revoked: said on stderr), 1 you answered no, 2 error or refused "
        "(message on stderr), 130 interrupted",
    )
    parser.add_argument(
        "token_id", nargs="+", metavar="ID|self", help="token id(s), or 'self' (on its own)"
    )
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    common.add_source_flags(parser, default="a personal token, by id")
    inherit_from_top_level(parser)
    parser.set_defaults(handler=run_revoke)


def _register_expiring(sub: argparse._SubParsersAction) -> None:
    parser = command_parser(
        sub,
        "expiring",
        "monitoring: exit 1 when a token expires within the window",
        "List the active tokens that expire within the window. Exit 0 when none does, 1 when "
        "some do (they are listed on stdout), 2 on an error.",
        "0 nothing expires in the window, 1 something does (listed), 2 error, "
        f"{everything_cli.EXIT_INCOMPLETE} (--everything) nothing expires in what could be "
        "read, but a project, group or list could not be read (problems on stderr)",
    )
    parser.add_argument(
        "--within", metavar="DAYS", default="14d", help="the window, e.g. 14d or 2w (default 14d)"
    )
    common.add_source_flags(parser, everything=True)
    everything_cli.add_flags(parser)
    _add_output_flags(parser)
    inherit_from_top_level(parser)
    parser.set_defaults(handler=run_expiring)


# --- handlers ---------------------------------------------------------------------------------


def run_list(args: argparse.Namespace) -> int:
    """``tokentui list``."""
    return common.run_async(_list(args))


def _list_filters(args: argparse.Namespace) -> tuple[TokenFilters, ClientFilters]:
    """The server and client filters of ``list``, validated."""
    server = TokenFilters(
        state=args.state,
        revoked=args.revoked,
        search=args.search,
        created_after=_instant(args.created_after, "--created-after"),
        created_before=_instant(args.created_before, "--created-before"),
        last_used_after=_instant(args.last_used_after, "--last-used-after"),
        last_used_before=_instant(args.last_used_before, "--last-used-before"),
    )
    within = None
    if args.expiring_within is not None:
        within = av.duration_days(args.expiring_within, "--expiring-within")
        server = _with_expiring(server, within)
    scope = args.scope.strip().lower() if args.scope else None
    if scope is not None and scope not in av.kind_scopes(TokenKind.PERSONAL):
        raise UsageError(f"--scope {args.scope!r} is not a GitLab token scope")
    return server, ClientFilters(expiring_within_days=within, scope=scope)


def _instant(text: str | None, flag: str) -> datetime | date | None:
    return None if text is None else av.filter_instant(text, flag)


def _with_expiring(server: TokenFilters, days: int) -> TokenFilters:
    """``server`` narrowed to tokens expiring within ``days`` (GitLab's expires_* filters)."""
    window = expiring_filters(days, utc_today(_now()))
    return replace(server, expires_after=window.expires_after, expires_before=window.expires_before)


async def _list(args: argparse.Namespace) -> int:
    server, client_filters = _list_filters(args)
    kinds = everything_cli.kinds(args)
    everything = everything_cli.source(args)
    if everything_cli.is_everything(args):
        return await _list_everything(args, everything, server, client_filters, kinds)
    check_source(args)
    sort = _list_sort(args)
    connection = common.connect(args)
    now = _now()
    shape = partial(_filtered, server=server, client_filters=client_filters, now=now)
    async with command_client(connection) as client:
        await with_ids(client, args, connection)
        rows, source, viewer = await fetch_with_viewer(client, args, connection, server, shape)
        # Every owner at once, after the pages: an administrator's GET /users lists then
        # place them 100 at a time (tokentui/core/ownership.py), not one lookup per owner.
        owners = await resolve_owners(client, Ownership(bulk=True), viewer, rows, source)
    if kinds:
        rows = [token for token in rows if owners.kind(token) in kinds]
    if sort is not None:
        rows = sort_tokens(rows, sort, args.reverse, now=now, facts=owners.facts)
    elif args.reverse:
        rows.reverse()
    _print_tokens(args, rows, now, source.kind, owners)
    return common.EXIT_OK


async def _list_everything(
    args: argparse.Namespace,
    everything: everything_cli.Everything,
    server: TokenFilters,
    client_filters: ClientFilters,
    kinds: frozenset[TokenKind],
) -> int:
    """``list --everything``: the scan's rows, filtered and printed like any list (JSON and
    CSV in a stable order: kind, then where the token lives, then id); problems on stderr."""
    sort = _list_sort(args)
    connection = common.connect(args)
    async with command_client(connection) as client:
        scanned = await everything_cli.run_scan(client, everything)
    now = _now()
    owners = scanned.owners
    rows = filter_tokens(scanned.rows, server, client_filters, now)
    if kinds:
        rows = [token for token in rows if owners.kind(token) in kinds]
    if sort is not None:
        rows = sort_tokens(rows, sort, args.reverse, now=now)
    elif args.reverse:
        rows.reverse()
    _print_tokens(args, rows, now, TokenKind.PERSONAL, owners)
    return everything_cli.report_problems(scanned.scan)


def _list_sort(args: argparse.Namespace) -> SortKey | None:
    """``--sort``; without it the table is in the TUI's urgency order, and ``--json``/``--csv``
    keep GitLab's order (stable for scripts, and written page by page as it arrives)."""
    if args.sort:
        return SORT_FIELDS[args.sort]
    return None if args.json or args.csv else SortKey.URGENCY


def _filtered(
    items: list[Token],
    _kind: TokenKind,
    *,
    server: TokenFilters,
    client_filters: ClientFilters,
    now: datetime,
) -> list:
    return filter_tokens(items, server, client_filters, now)


async def resolve_owners(
    client: GitLabClient,
    ownership: Ownership,
    viewer: User | None,
    tokens: list[Token],
    source: TokenSource,
) -> output.Owners:
    """Every token's kind, owner and resource, resolved before anything is printed."""
    ownership.set_viewer(viewer)
    await ownership.resolve(client, tokens, source)
    return output.Owners(ownership, source)


#: What a command keeps of each page of tokens (filtered tokens, or output records).
Shape = Callable[[list[Token], TokenKind], list]


def _keep_all(items: list[Token], _kind: TokenKind) -> list:
    return items


async def fetch_with_viewer(
    client: GitLabClient,
    args: argparse.Namespace,
    connection: session.Connection,
    server: TokenFilters,
    shape: Shape = _keep_all,
) -> tuple[list, TokenSource, User]:
    """The viewer decides the source (the default, ``mine``, whether ``--all`` is allowed);
    when the flag names a source whose requests do not depend on the viewer, the list is
    fetched while ``GET /user`` is answered, and kept only if the viewer confirms it."""
    guess = source_before_viewer(*args.source) if args.source else None
    early = None
    if guess is not None:
        # Every user's tokens is the one list expected to be long: its first pages go out
        # together instead of waiting for page 1 to announce them.
        ahead = client.concurrency - 1 if args.source[0] == "all" else 0
        early = asyncio.ensure_future(_fetch(client, guess, server, shape, ahead=ahead))
    try:
        viewer = await client.current_user()
        source = _list_source(args, viewer, connection)
        if early is not None and guess is not None and guess.same_list(source, server):
            return await early, source, viewer
    finally:
        if early is not None and not early.done():
            early.cancel()
            await asyncio.gather(early, return_exceptions=True)
    return await _fetch(client, source, server, shape), source, viewer


async def _fetch(
    client: GitLabClient,
    source: TokenSource,
    server: TokenFilters,
    shape: Shape = _keep_all,
    *,
    ahead: int = 0,
) -> list:
    """Every token of ``source`` (pages fetched concurrently), each page put through
    ``shape``; on a terminal, stderr shows how many have arrived while a long list loads."""
    try:
        return await _fetch_pages(client, source, server, shape, ahead)
    except NotFound as err:
        # A list's 404 is about its source, whatever GitLab's words (a missing user's list
        # is a bare "404 Not Found").
        missing = _source_not_found(err, source, any_404=True)
        if missing is None:
            raise
        raise missing from None


class SourceNotFound(GitLabError):
    """GitLab has no such project, group or user, or the account cannot see it (404)."""


#: GitLab's 404 for the project, group or user of a path (not for a token in it), e.g.
#: ``404 Project Not Found``, ``404 User with ID or username '7' Not Found``. A token's own
#: 404 reads ``404 project Access Token Not Found``, ``404 Not found`` and the like.
_RESOURCE_404 = re.compile(r"^404 (Project|Group|User)( with ID or username '[^']*')? Not Found")


def _source_not_found(
    err: NotFound, source: TokenSource | None, *, any_404: bool = False
) -> SourceNotFound | None:
    """The error naming the source's project, group or user when ``err`` (a 404) is about it,
    instead of GitLab's 404 with advice about token ids; None when it is about something else.
    ``any_404``: every 404 of the request is about the source (a list)."""
    text = _gitlab_words(err)
    match = _RESOURCE_404.match(text)
    what = match.group(1) if match else None
    if what is None and not any_404:
        return None
    said = f" (GitLab: {escape(text)})" if text else ""
    if isinstance(source, ProjectTokens) and what in ("Project", None):
        name = f"project {source.resource!r}"
    elif isinstance(source, GroupTokens) and what in ("Group", None):
        name = f"group {source.resource!r}"
    elif isinstance(source, ServiceAccountTokens) and what == "Group":
        name = f"group {source.group!r}"
    elif isinstance(source, ServiceAccountTokens) and what in ("User", None):
        return SourceNotFound(
            f"user {source.user_id} is not a service account of group {source.group!r}, or "
            f"does not exist{said}: check the user id",
            method=err.method,
            url=err.url,
        )
    elif isinstance(source, PersonalTokens | ImpersonationTokens) and source.user_id:
        if what not in ("User", None):
            return None
        return SourceNotFound(
            f"there is no user {source.user_id}, or you cannot see them{said}: check the user id",
            method=err.method,
            url=err.url,
        )
    else:
        return None
    return SourceNotFound(
        f"{name} was not found, or your account cannot see it{said}: check its path or id",
        method=err.method,
        url=err.url,
    )


def _gitlab_words(err: NotFound) -> str:
    """GitLab's own message of a 404 (``404 Project Not Found``), or ``""``."""
    body = err.gitlab_message
    return str(body.get("message") or body.get("error") or "") if isinstance(body, dict) else ""


async def _naming_a_missing_source(args: argparse.Namespace, command: Awaitable[int]) -> int:
    """Run ``command``; a 404 about the source's project, group or user names it."""
    try:
        return await command
    except NotFound as err:
        if not args.source:
            raise
        source = _item_source(args)
        missing = _source_not_found(err, source)
        if missing is not None:
            raise missing from None
        token_id = getattr(args, "token_id", None)
        if token_id is None or not token_id.strip().isdigit():
            raise
        # The source exists: the token is not in it.
        said = _gitlab_words(err) or "404"
        raise SourceNotFound(
            f"there is no token {token_id.strip()} in {source.label}, or you cannot see it "
            f"(GitLab: {escape(said)}): check the id",
            method=err.method,
            url=err.url,
        ) from None


async def _fetch_pages(
    client: GitLabClient, source: TokenSource, server: TokenFilters, shape: Shape, ahead: int
) -> list:
    rows: list = []
    loaded = 0
    progress = sys.stderr.isatty()
    shown = False
    async for page in client.iter_token_pages(source, server, ahead=ahead):
        rows.extend(shape(page.items, source.kind))
        loaded += len(page.items)
        if progress and page.next_page is not None:
            of = f" of {page.total:,}" if page.total is not None else ""
            sys.stderr.write(f"\rtokentui: loaded {loaded:,}{of} tokens")
            sys.stderr.flush()
            shown = True
    if shown:
        sys.stderr.write("\r\x1b[K")  # erase the progress line
        sys.stderr.flush()
    return rows


def command_client(connection: session.Connection) -> AbstractAsyncContextManager[GitLabClient]:
    """The connection's client, telling stderr when it retries a read (so a slow, flaky
    server shows progress instead of silence); a bare 401 is told apart (dead credential or
    not allowed) before the client closes (``session.open_client``)."""
    return session.open_client(connection, on_retry=_report_retry)


def _report_retry(attempt: int, delay: float, reason: str) -> None:
    print(f"tokentui: {reason} (attempt {attempt})", file=sys.stderr, flush=True)


def _list_source(
    args: argparse.Namespace, viewer: User, connection: session.Connection
) -> TokenSource:
    """The source to list: the flag, else the profile's ``default_source`` (``mine`` or
    ``all``), else ``all`` for an administrator and ``mine`` for anyone else."""
    choice, value = args.source or (_profile_default(connection), None)
    try:
        return resolve_source(choice, value, viewer_id=viewer.id, viewer_is_admin=viewer.is_admin)
    except ValueError as err:
        raise UsageError(str(err)) from None


def _profile_default(connection: session.Connection) -> str | None:
    if not connection.profile:
        return None
    from tokentui.core import config

    try:
        choice = config.load_settings().get(connection.profile).default_source
    except config.ConfigError:
        return None
    # Only the choices that need no argument can be a profile's default.
    return choice if choice in ("mine", "all") else None


def check_source(args: argparse.Namespace) -> None:
    """Refuse a malformed ``--user``/``--project``/... before any request (a username is
    well formed: :func:`with_ids` looks it up once the client is open)."""
    deploy = deploy_tokens.is_deploy(args)
    if getattr(args, "deploy", False) and not deploy:
        raise UsageError("--deploy goes with --project or --group (their deploy tokens)")
    for flag in ("no_expiry", "username"):
        if getattr(args, flag, None) and not deploy:
            raise UsageError(f"--{flag.replace('_', '-')} applies to deploy tokens (--deploy)")
    _item_source(argparse.Namespace(source=source_names.check_syntax(args.source)))


async def with_ids(
    client: GitLabClient, args: argparse.Namespace, connection: common.Connection
) -> None:
    """Put the id of a user the source flag names in its place (``--user alice`` ->
    ``--user 2``); no such user is a usage error naming the instance."""
    args.source = await common.ids_for_names(client, args.source, connection.url)


def _item_source(args: argparse.Namespace) -> TokenSource:
    """The source of one token by id, without asking who the viewer is: the paths of a token
    never depend on it (every personal source reads ``/personal_access_tokens/:id``).
    A username in the source flag must have been replaced by its id (:func:`with_ids`)."""
    if args.source is None:
        return PersonalTokens()
    choice, value = args.source
    try:
        return resolve_source(choice, value, viewer_id=0, viewer_is_admin=True)
    except ValueError as err:
        raise UsageError(str(err)) from None


def _print_tokens(
    args: argparse.Namespace,
    tokens: list[Token],
    now: datetime,
    kind: TokenKind,
    owners: output.Owners | None = None,
) -> None:
    out = sys.stdout
    with common.closed_stdout_tolerated():
        if args.json:
            records = [output.token_record(t, now, kind=kind, owners=owners) for t in tokens]
            output.write_json(records, out)
        elif getattr(args, "csv", False):
            output.write_csv(
                (output.token_record(t, now, kind=kind, owners=owners) for t in tokens), out
            )
        else:
            isatty = out.isatty()
            output.write_table(
                tokens, now, out, kind=kind, owners=owners, width=None if isatty else 10**6
            )


def run_show(args: argparse.Namespace) -> int:
    """``tokentui show ID|self``."""
    return common.run_async(_naming_a_missing_source(args, _show(args)))


async def _show(args: argparse.Namespace) -> int:
    token_id = av.token_id(args.token_id)
    check_source(args)
    connection = common.connect(args)
    async with command_client(connection) as client:
        await with_ids(client, args, connection)
        source = _item_source(args)
        viewer = asyncio.ensure_future(client.current_user())
        try:
            if token_id == av.SELF:
                token = await client.get_self_token()
            else:
                token = await _get_token(client, source, int(token_id))
            owners = await resolve_owners(client, Ownership(), await viewer, [token], source)
        finally:
            viewer.cancel()
    now = _now()
    with common.closed_stdout_tolerated():
        if args.json:
            record = output.token_record(token, now, kind=source.kind, owners=owners)
            output.write_json(record, sys.stdout)
        else:
            output.write_detail(token, now, sys.stdout, kind=source.kind, owners=owners)
    return common.EXIT_OK


async def _get_token(client: GitLabClient, source: TokenSource, token_id: int) -> Token:
    """One token by id. A group service account's token has no GET under the group (only
    ``/personal_access_tokens/:id``, which GitLab answers for an administrator or the owner):
    for a group owner it is found in the service account's list instead."""
    try:
        return await client.get_token(source, token_id)
    except (Unauthorized, Forbidden, NotFound):
        if not isinstance(source, ServiceAccountTokens):
            raise
    for token in await client.list_tokens(source):
        if token.id == token_id:
            return token
    raise UsageError(f"there is no token {token_id} in {source.label}")


def run_create(args: argparse.Namespace) -> int:
    """``tokentui create``."""
    return common.run_async(_naming_a_missing_source(args, _create(args)))


async def _create(args: argparse.Namespace) -> int:
    check_source(args)
    if deploy_tokens.is_deploy(args):
        return await deploy_tokens.create(args)
    choice = (args.source or ("mine", None))[0]
    kind = _choice_kind(choice)
    name = av.token_name(args.name)
    scopes = av.token_scopes(args.scope, av.kind_scopes(kind), f"a {kind.label} token")
    expires_at = av.new_expiry(
        args.expires_at,
        args.duration,
        utc_today(_now()),
        default_days=CREATE_DEFAULT_DAYS,
    )
    level = av.access_level(args.access_level)
    if level is not None and kind not in (TokenKind.PROJECT, TokenKind.GROUP):
        raise UsageError("--access-level applies to project and group tokens only")
    request = CreateTokenRequest(
        name=name,
        scopes=scopes,
        expires_at=expires_at,
        description=av.description(args.description),
        access_level=level,
    )
    connection = common.connect(args)
    async with command_client(connection) as client:
        await with_ids(client, args, connection)
        viewer = await client.current_user()
        choice, value = args.source or ("mine", None)
        source = _create_source(choice, value, viewer)
        _check_create_route(source, request, viewer)
        outcome = await _operations(client).create(source, request, viewer_is_admin=viewer.is_admin)
    new = _new_or_raise(outcome)
    if new is None:
        return _report_outcome_lost(outcome)
    _print_new(args, new, source.kind, f"created {source.kind.label} token", {})
    return common.EXIT_OK


def _choice_kind(choice: str) -> TokenKind:
    return {
        "impersonation": TokenKind.IMPERSONATION,
        "project": TokenKind.PROJECT,
        "group": TokenKind.GROUP,
        "service-account": TokenKind.SERVICE_ACCOUNT,
    }.get(choice, TokenKind.PERSONAL)


def _create_source(choice: str, value: str | None, viewer: User) -> TokenSource:
    try:
        return resolve_source(choice, value, viewer_id=viewer.id, viewer_is_admin=viewer.is_admin)
    except ValueError as err:
        raise UsageError(str(err)) from None


def _cannot_create(source: TokenSource) -> str:
    """Why the viewer cannot create a token in ``source`` (its ``create_route`` is None)."""
    if isinstance(source, ImpersonationTokens):
        return "only an administrator can create impersonation tokens"
    if isinstance(source, PersonalTokens) and source.user_id is None:
        return "say whose token to create: --mine, or --user ID (administrators)"
    if isinstance(source, PersonalTokens):
        return (
            f"only an administrator can create a token for user {source.user_id}; "
            "use --mine for your own"
        )
    return f"tokens of {source.label} cannot be created through the API"


def _check_create_route(source: TokenSource, request: CreateTokenRequest, viewer: User) -> None:
    """Refuse, before the POST, what this viewer cannot create in ``source``."""
    route = source.create_route(viewer_is_admin=viewer.is_admin)
    if route is None:
        raise UsageError(_cannot_create(source))
    outside = [s for s in request.scopes if s not in route.scopes]
    if outside:
        who = "you (not an administrator)" if route.self_service else source.label
        raise UsageError(
            f"--scope {', '.join(outside)}: {who} may only create tokens with "
            f"{', '.join(route.scopes)}"
        )


def run_rotate(args: argparse.Namespace) -> int:
    """``tokentui rotate ID|self``; several ids (or ``--spread``): ``cli/commands/bulk.py``."""
    if len(args.token_id) > 1 or args.spread:
        if args.dry_run:
            return common.report_error(
                UsageError("--dry-run shows one token's rotation: give one id, without --spread")
            )
        return bulk.run_rotate_many(args, _bulk_kit())
    args.token_id = args.token_id[0]
    return common.run_async(_naming_a_missing_source(args, _rotate(args)))


def _bulk_kit() -> bulk.Kit:
    """What the many-token commands share with these (so neither module imports the other)."""
    return bulk.Kit(
        open_client=command_client,
        with_ids=with_ids,
        check_source=check_source,
        item_source=_item_source,
        get_token=_get_token,
        on_terminal=_on_terminal,
        now=_now,
    )


async def _rotate(args: argparse.Namespace) -> int:
    token_id = av.token_id(args.token_id)
    check_source(args)
    if deploy_tokens.is_deploy(args):
        if token_id == av.SELF:
            raise UsageError("a deploy token is never the token tokentui uses: give its id")
        return await deploy_tokens.rotate(args, int(token_id))
    expires_at = av.new_expiry(args.expires_at, args.duration, utc_today(_now()), default_days=None)
    connection = common.connect(args)
    extra: dict[str, object] = {}
    target = None if token_id == av.SELF else int(token_id)
    async with command_client(connection) as client:
        await with_ids(client, args, connection)
        source = _item_source(args)
        if expires_at is None:
            expires_at = await _same_lifetime_expiry(client, source, target)
        if args.dry_run:
            return await rotate_delivery.dry_run(client, connection.url, source, target, expires_at)
        # The layer checks the credential before any rotate request (GitLab's reuse
        # detection), and rotates the very token tokentui uses as "self", which stores the
        # new value where the old one was.
        operations = _operations(client, save=connection.save_token)
        if target is None:
            outcome = await operations.rotate_in_use(source, expires_at=expires_at)
        else:
            [outcome] = await operations.rotate(source, target, expires_at=expires_at)
        new = _new_or_raise(outcome)
        if new is None:
            if target is not None and not outcome.in_use:
                return _rotate_lost(args, outcome)
            return _report_outcome_lost(outcome)
        if target is not None:
            extra["rotated_from_id"] = target
        if outcome.self_rotation is None:
            assert target is not None
            report = await deliver_rotated(client, target, new)
            if report is not None and report.landed:
                return rotate_delivery.report_delivered(args, new, source.kind, target, report)
            owners = await _owners_after_write(client, new, source) if args.json else None
            _print_new(args, new, source.kind, f"rotated token {target} into", extra, owners)
            return common.EXIT_OK if report is None else rotate_delivery.report_failed(report)
    stored, note = _self_rotation_note(outcome.self_rotation)
    extra["stored"] = stored
    _print_new(args, new, source.kind, "rotated the token in use into", extra)
    if note:
        print(f"tokentui: warning: {note}", file=sys.stderr)
    return common.EXIT_OK


def _operations(
    client: GitLabClient, *, save: self_rotation.SaveCredential | None = None
) -> Operations:
    return Operations(client, save=save, clock=_now)


def _new_or_raise(outcome: Outcome) -> NewToken | None:
    """A done write's new token; None when its answer was lost. A refusal is raised (an
    error of GitLab's or the transport's as itself, the layer's own reason as a usage error),
    so ``common.run_async`` reports it with its exit code."""
    if outcome.status is Status.REFUSED:
        if outcome.error is not None:
            raise outcome.error
        raise UsageError(outcome.reason or "refused")
    return outcome.new_token


async def _same_lifetime_expiry(
    client: GitLabClient, source: TokenSource, target: int | None
) -> date | None:
    """Without ``--expires-at``/``--duration``: today plus the token's current lifetime
    (capped at GitLab's maximum), or None (GitLab's default) when it never expires."""
    token = await (client.get_self_token() if target is None else client.get_token(source, target))
    days = same_lifetime_days(token)
    return None if days is None else preset_date(days, utc_today(_now()))


def _self_rotation_note(result: self_rotation.SelfRotation) -> tuple[bool, str | None]:
    """Whether the self-rotated value was stored, and a warning for stderr (or None)."""
    if result.stored:
        note = None if result.verified else f"stored, but checking it failed: {result.verify_error}"
        return True, note
    reason = result.store_error or "nowhere to store it"
    return (
        False,
        f"the new value was not stored: {reason}. The old value no longer works; the new one "
        "is the one printed on stdout.",
    )


async def _owners_after_write(
    client: GitLabClient, new: NewToken, source: TokenSource
) -> output.Owners | None:
    """The kind and resource of a rotated token for ``--json`` (only then: a plain rotate
    prints the value alone). A failed lookup leaves them null: the value is printed anyway."""
    ownership = Ownership()
    if not isinstance(source, PersonalTokens):
        return output.Owners(ownership, source)
    try:
        viewer = await client.current_user()
        ownership.set_viewer(viewer)
        await ownership.resolve(client, [new.public()], source)
    except GitLabError as err:
        print(f"tokentui: warning: could not tell the token's kind: {err}", file=sys.stderr)
    return output.Owners(ownership, source)


def _print_new(
    args: argparse.Namespace,
    new: NewToken,
    kind: TokenKind,
    what: str,
    extra: dict[str, object],
    owners: output.Owners | None = None,
) -> None:
    """The new value alone on stdout (or the JSON object with it); a summary on stderr."""
    now = _now()
    with common.closed_stdout_tolerated() as stdout:
        if args.json:
            record = output.new_token_record(new, now, kind=kind, owners=owners, **extra)
            output.write_json(record, sys.stdout)
        else:
            sys.stdout.write(new.token.get_secret_value() + "\n")
    if stdout.broken:
        print(
            f"tokentui: warning: stdout was closed before the new value of token {new.id} was "
            "fully written; the token exists: rotate it to get a value you can keep",
            file=sys.stderr,
        )
    expiry = new.expires_at.isoformat() if new.expires_at else "never"
    keep = (
        "This is a demo value: it works only in the demo, which ended with this command."
        if getattr(args, "demo", False)
        else "The value is shown once: store it now."
    )
    print(
        f"tokentui: {what} {new.id} '{escape(new.name)}' "
        f"(scopes {escape(', '.join(new.scopes))}; expires {expiry}, "
        f"{format_countdown(new, now)}). {keep}",
        file=sys.stderr,
    )


def run_revoke(args: argparse.Namespace) -> int:
    """``tokentui revoke ID|self``; several ids: ``cli/commands/bulk.py``."""
    if len(args.token_id) > 1:
        return bulk.run_revoke_many(args, _bulk_kit())
    args.token_id = args.token_id[0]
    return common.run_async(_naming_a_missing_source(args, _revoke(args)))


async def _revoke(args: argparse.Namespace) -> int:
    token_id = av.token_id(args.token_id)
    check_source(args)
    ask = not args.yes
    if ask and not _on_terminal():
        raise UsageError(
            f"refusing to revoke token {token_id} without confirmation: there is no terminal "
            "to ask on; pass --yes to revoke from a script"
        )
    connection = common.connect(args)
    async with command_client(connection) as client:
        await with_ids(client, args, connection)
        source = _item_source(args)
        # Read it first, even with --yes: GitLab answers 204 to revoking a revoked token too,
        # which would print a success that did nothing.
        if token_id == av.SELF:
            token = await client.get_self_token()
        else:
            token = await _get_token(client, source, int(token_id))
        if token.revoked:
            print(
                f"tokentui: token {token.id} '{escape(token.name)}' was already revoked; "
                "nothing to do",
                file=sys.stderr,
            )
            return common.EXIT_OK
        if ask:
            # A deploy token is never tokentui's credential (and its ids are its own).
            current = None if token_id == av.SELF or token.is_deploy else await token_in_use(client)
            in_use = token_id == av.SELF or (current is not None and current.id == token.id)
            if not _confirm(token, in_use):
                print("tokentui: not revoked", file=sys.stderr)
                return common.EXIT_DECLINED
        # Named and confirmed (the prompt or --yes), so the token in use may go too.
        operations = _operations(client)
        if token_id == av.SELF:
            outcome = await operations.revoke_in_use(source, old=token)
        elif isinstance(source, DeployTokens):
            [outcome] = await revoke_deploy_tokens(operations, source, token)
        else:
            [outcome] = await operations.revoke(source, token, allow_in_use=True)
        _new_or_raise(outcome)
        if outcome.status is Status.UNKNOWN:
            return _report_outcome_lost(outcome)
    what = "the token in use," if token_id == av.SELF else "token"
    if token.is_deploy:
        what = "deploy token"
    print(f"tokentui: revoked {what} {token.id} '{escape(token.name)}'", file=sys.stderr)
    if token.is_deploy:
        print("tokentui: GitLab deletes a revoked deploy token: it is gone", file=sys.stderr)
    return common.EXIT_OK


def _rotate_lost(args: argparse.Namespace, outcome: Outcome) -> int:
    """A rotate whose answer was lost: say what the read-back found and, when the
    successor's value is lost, the command that rotates it (never sent automatically)."""
    step = None
    if outcome.verdict is not None and outcome.verdict.successor is not None:
        step = f"to get a value, run: {_rotate_command(args, outcome.verdict.successor.id)}"
    return _report_outcome_lost(outcome, step)


def _rotate_command(args: argparse.Namespace, token_id: int) -> str:
    """``tokentui rotate 57 --user 4`` with the source, URL and profile this run used."""
    words = ["tokentui", "rotate", str(token_id)]
    choice, value = getattr(args, "source", None) or (None, None)
    if choice is not None:
        words.append(f"--{choice}")
        if value is not None:
            words.append(value)
    for flag in ("url", "profile"):
        given = getattr(args, flag, None)
        if given:
            words += [f"--{flag}", given]
    if getattr(args, "expires_at", None):
        words += ["--expires-at", args.expires_at]
    elif getattr(args, "duration", None):
        words += ["--duration", args.duration]
    return shlex.join(words)


def _report_outcome_lost(outcome: Outcome, step: str | None = None) -> int:
    """Exit status 2 with, on stderr, what was lost, what the read-back found, and the next
    step (a command; nothing is sent again automatically)."""
    assert outcome.verdict is not None
    print(f"tokentui: error: {outcome.error}", file=sys.stderr)
    print(f"tokentui: {outcome.verdict.text}", file=sys.stderr)
    if step:
        print(f"tokentui: {step}", file=sys.stderr)
    return common.EXIT_ERROR


def _on_terminal() -> bool:
    """Whether there is someone to ask: stdin and stderr are both terminals."""
    return all(getattr(s, "isatty", lambda: False)() for s in (sys.stdin, sys.stderr))


def _confirm(token: Token, in_use: bool) -> bool:
    now = _now()
    warning = " This is the token tokentui is using: it stops working at once." if in_use else ""
    sys.stderr.write(
        f"Revoke token {token.id} '{escape(token.name)}' "
        f"(user {token.user_id}, {token_state(token, now)}, "
        f"scopes {escape(', '.join(token.scopes)) or '-'})?{warning} "
        "Anything using it will fail. [y/N] "
    )
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def run_expiring(args: argparse.Namespace) -> int:
    """``tokentui expiring --within DAYS``: 0 nothing expires in the window, 1 something does."""
    return common.run_async(_expiring(args))


async def _expiring(args: argparse.Namespace) -> int:
    days = av.duration_days(args.within, "--within")
    server = _with_expiring(TokenFilters(state="active", revoked=False), days)
    client_filters = ClientFilters(expiring_within_days=days)
    kinds = everything_cli.kinds(args)
    everything = everything_cli.source(args)
    scanned = None
    connection = common.connect(args) if everything_cli.is_everything(args) else None
    if connection is not None:
        async with command_client(connection) as client:
            scanned = await everything_cli.run_scan(client, everything)
        now = _now()
        owners = scanned.owners
        source: TokenSource = everything
        tokens = filter_tokens(scanned.rows, server, client_filters, now)
    else:
        check_source(args)
        connection = common.connect(args)
        async with command_client(connection) as client:
            await with_ids(client, args, connection)
            tokens, source, viewer = await fetch_with_viewer(client, args, connection, server)
            now = _now()
            tokens = filter_tokens(tokens, server, client_filters, now)
            owners = await resolve_owners(client, Ownership(bulk=True), viewer, tokens, source)
    if kinds:
        tokens = [token for token in tokens if owners.kind(token) in kinds]
    tokens = sort_tokens(tokens, SortKey.EXPIRY)
    _print_tokens(args, tokens, now, source.kind, owners)
    if not args.json:
        print(
            f"tokentui: {len(tokens)} token(s) of {source.label} expire within {days} days",
            file=sys.stderr,
        )
    incomplete = everything_cli.report_problems(scanned.scan) if scanned else common.EXIT_OK
    return common.EXIT_FOUND if tokens else incomplete
