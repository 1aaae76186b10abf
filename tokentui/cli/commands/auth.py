"""``tokentui auth login|status|logout|rotate``: profiles, stored credentials, self-rotation.

The token is never a flag: ``login`` reads it with hidden input from the terminal, or one line
from standard input when that is not a terminal (``tokentui auth login --url URL < file``).
Reports go to stdout, prompts and warnings to stderr. No Textual import; the keyring is
imported only when an ``auth`` command runs (every ``tokentui`` start imports this module).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from tokentui.cli.commands import arguments as av
from tokentui.cli.commands import common
from tokentui.core import config, session
from tokentui.core.config import Profile
from tokentui.core.expiry import (
    format_countdown,
    preset_date,
    remaining,
    same_lifetime_days,
    system_clock,
)
from tokentui.core.expiry import today as utc_today
from tokentui.core.session import UsageError
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.credential_check import token_in_use
from tokentui.gitlab.errors import (
    Forbidden,
    GitLabError,
    InsufficientScope,
    NotGitLab,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
)
from tokentui.gitlab.sources import SOURCE_CHOICES
from tokentui.gitlab.terminal_text import escape

if TYPE_CHECKING:
    from tokentui.core.login import Identity, LoginRequest

#: Below this much time left, ``status`` and ``login`` warn.
WARN_WITHIN = timedelta(days=30)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``auth`` and its subcommands."""
    auth = sub.add_parser(
        "auth",
        help="log in, show credentials, log out, rotate the token in use",
        description="Profiles and their stored tokens (system keyring, or a 0600 file you chose).",
    )
    auth_sub = auth.add_subparsers(dest="auth_command", metavar="SUBCOMMAND", required=True)

    login = auth_sub.add_parser(
        "login",
        help="check a token and save it in a profile",
        description="Asks for the GitLab URL and the token (hidden input; or one line on "
        "standard input), checks them, then stores the token in the system keyring and the "
        "profile (never the token) in the config file.",
    )
    login.add_argument("--profile", metavar="NAME", help="profile name (default: 'default')")
    login.add_argument("--url", metavar="URL", help="GitLab URL, e.g. https://gitlab.example.com")
    login.add_argument(
        "--ca-bundle", metavar="PATH", type=Path, help="PEM file of the CA(s) the server uses"
    )
    login.add_argument(
        "--insecure-skip-tls-verify",
        action="store_true",
        help="do not check the server certificate (dangerous; prefer --ca-bundle)",
    )
    login.add_argument("--client-cert", metavar="PATH", type=Path, help="TLS client certificate")
    login.add_argument("--client-key", metavar="PATH", type=Path, help="key of --client-cert")
    login.add_argument(
        "--insecure-storage",
        action="store_true",
        help="store the token in a plaintext file only you can read (mode 0600) instead of "
        "the system keyring (for machines without one)",
    )
    login.add_argument(
        "--default-source",
        choices=SOURCE_CHOICES,
        help="token list the TUI opens with for this profile",
    )
    login.add_argument("--default", action="store_true", help="make this the default profile")
    login.set_defaults(handler=run_login)

    status = auth_sub.add_parser(
        "status",
        help="every profile: URL, user, where the token is, scopes, time left",
        description="Checks each profile's token (and GITLAB_TOKEN when set) against GitLab. "
        "With --url, only the profile(s) for that URL, and GITLAB_TOKEN against it. "
        "Exit code 0 when every one works, 2 otherwise (a token that does not work, or a "
        "server that cannot be reached).",
    )
    # No defaults: ``tokentui --url URL auth status`` keeps the top-level values.
    status.add_argument(
        "--profile", metavar="NAME", default=argparse.SUPPRESS, help="only this profile"
    )
    status.add_argument(
        "--url",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="only the profile(s) for this GitLab URL; GITLAB_TOKEN is checked against it",
    )
    status.set_defaults(handler=run_status)

    logout = auth_sub.add_parser(
        "logout",
        help="forget a profile and its stored token",
        description="Removes the profile and its stored token from this machine. The token "
        "keeps working on GitLab unless you also pass --revoke.",
    )
    logout.add_argument("--profile", metavar="NAME", help="profile (default: the default one)")
    logout.add_argument(
        "--revoke", action="store_true", help="also revoke the token on GitLab first"
    )
    logout.set_defaults(handler=run_logout)

    rotate = auth_sub.add_parser(
        "rotate",
        help="rotate the token tokentui uses and store the new value in its place",
        description="Rotates the token in use (POST .../self/rotate), stores the new value "
        "where the old one was, checks it, and prints a summary. If it cannot be stored (e.g. "
        "it came from GITLAB_TOKEN), the new value is printed on stdout: the old one is "
        "revoked by GitLab.",
    )
    common.add_connection_flags(rotate)
    rotate.add_argument("--expires-at", metavar="DATE", help="new expiry YYYY-MM-DD")
    rotate.add_argument("--duration", metavar="DAYS", help="new expiry from today, e.g. 30d, 1y")
    rotate.set_defaults(handler=run_rotate)


def _now() -> datetime:
    return system_clock()


# --- login ------------------------------------------------------------------------------


def run_login(args: argparse.Namespace) -> int:
    """``tokentui auth login``."""
    return common.run_async(_login(args))


def _prompt(text: str) -> str:
    """One line from the terminal (prompt on stderr, so stdout stays clean)."""
    sys.stderr.write(text)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise UsageError("no input (end of file)")
    return line.strip()


def read_token() -> SecretStr:
    """The token: hidden input on a terminal, else one line of standard input."""
    if sys.stdin.isatty():
        value = getpass.getpass("Token (input hidden): ", stream=sys.stderr)
    else:
        value = sys.stdin.readline()
    value = value.strip()
    if not value:
        raise UsageError("no token given")
    if any(ch.isspace() for ch in value):
        raise UsageError("a GitLab token has no spaces; paste the token alone")
    return SecretStr(value)


def _login_request(args: argparse.Namespace, settings: config.Settings) -> LoginRequest:
    from tokentui.core.login import LoginRequest

    name = args.profile or settings.default_profile or config.DEFAULT_PROFILE
    config.check_profile_name(name)
    existing = settings.profiles.get(name)
    url = args.url or session.env_url()
    if not url:
        if not sys.stdin.isatty():
            raise UsageError("pass --url (or set GITLAB_HOST) when the token comes from stdin")
        hint = f" [{existing.url}]" if existing else ""
        url = _prompt(f"GitLab URL{hint}: ") or (existing.url if existing else "")
    tls_given = any(
        (args.ca_bundle, args.insecure_skip_tls_verify, args.client_cert, args.client_key)
    )
    keep = existing if existing is not None and not tls_given else None
    if args.ca_bundle and args.insecure_skip_tls_verify:
        raise UsageError("give --ca-bundle or --insecure-skip-tls-verify, not both")
    return LoginRequest(
        profile=name,
        url=url,
        storage="file" if args.insecure_storage else "keyring",
        verify=keep.verify if keep else not args.insecure_skip_tls_verify,
        ca_bundle=keep.ca_bundle if keep else _abs(args.ca_bundle),
        client_cert=keep.client_cert if keep else _abs(args.client_cert),
        client_key=keep.client_key if keep else _abs(args.client_key),
        default_source=args.default_source or (existing.default_source if existing else None),
        make_default=args.default,
    ).normalized()


def _abs(path: Path | None) -> Path | None:
    return path.expanduser().resolve() if path is not None else None


async def _login(args: argparse.Namespace) -> int:
    from tokentui.core import credentials
    from tokentui.core.login import check_login, check_storage, save_login

    try:
        settings = config.load_settings()
        # Before asking anything: say at once when the token could not be stored.
        check_storage("file" if args.insecure_storage else "keyring")
        request = _login_request(args, settings)
        tls = request.tls_options()
    except (config.ConfigError, credentials.CredentialError) as err:
        raise UsageError(str(err)) from None
    if not request.verify:
        print(f"tokentui: WARNING: {config.VERIFY_OFF_WARNING}", file=sys.stderr)
    token = read_token()
    async with GitLabClient(request.url, token, tls=tls) as client:
        identity = await check_login(client)
    try:
        profile = save_login(request, token, identity, settings)
    except (config.ConfigError, credentials.CredentialError) as err:
        raise UsageError(f"the token works but was not saved: {err}") from None
    now = _now()
    print(f"Logged in to {profile.url} as {identity.describe_user()}.")
    for line in _token_lines(identity, now):
        print(line)
    where = _storage_text(profile)
    default = " (the default profile)" if settings.default_profile == profile.name else ""
    print(
        f"Token stored in the {where}; profile {profile.name!r}{default} saved in {settings.path}."
    )
    _warn_expiry(identity, now)
    if os.environ.get("GITLAB_TOKEN", "").strip():
        print(
            "tokentui: note: GITLAB_TOKEN is set in this environment and is used before the "
            "stored token; unset it to use this profile's token.",
            file=sys.stderr,
        )
    return common.EXIT_OK


def _storage_text(profile: Profile) -> str:
    from tokentui.core import credentials

    if profile.storage == "file":
        return f"credentials file {credentials.credentials_path()} (mode 0600)"
    return f"system keyring ({credentials.keyring_status().backend})"


def _token_lines(identity: Identity, now: datetime) -> list[str]:
    token = identity.token
    scopes = escape(", ".join(token.scopes)) or "none"
    if token.expires_at is None:
        expiry = "never expires"
    else:
        expiry = f"expires {token.expires_at.isoformat()} ({format_countdown(token, now)})"
    return [f"Token {token.name!r} (id {token.id}): scopes {scopes}; {expiry}."]


def _expiry_warning(identity: Identity, now: datetime) -> str | None:
    left = remaining(identity.token, now)
    if left is not None and left < WARN_WITHIN:
        return (
            f"WARNING: this token expires in under 30 days ({format_countdown(identity.token, now)}"
            "); rotate it with 'tokentui auth rotate'"
        )
    return None


def _warn_expiry(identity: Identity, now: datetime) -> None:
    warning = _expiry_warning(identity, now)
    if warning:
        print(f"tokentui: {warning}", file=sys.stderr)


# --- status -----------------------------------------------------------------------------


def run_status(args: argparse.Namespace) -> int:
    """``tokentui auth status``."""
    return common.run_async(_status(args))


async def _status(args: argparse.Namespace) -> int:
    name = getattr(args, "profile", None)
    try:
        settings = config.load_settings()
        url = config.normalize_url(args.url) if getattr(args, "url", None) else None
        if name:
            profiles = [settings.get(config.check_profile_name(name))]
        else:
            profiles = sorted(
                settings.profiles.values(),
                key=lambda p: (p.name != settings.default_profile, p.name),
            )
    except config.ConfigError as err:
        raise UsageError(str(err)) from None
    if url is not None:
        if name and not config.same_instance(url, profiles[0].url):
            raise UsageError(f"profile {name!r} is for {profiles[0].url}, not {url}")
        profiles = [p for p in profiles if config.same_instance(url, p.url)]
    env_token = os.environ.get("GITLAB_TOKEN", "").strip()
    if not profiles and not env_token:
        if url is not None:
            print(
                f"No profile for {url}: run 'tokentui auth login --url {url}', or set GITLAB_TOKEN."
            )
        else:
            print("Not logged in: run 'tokentui auth login', or set GITLAB_HOST and GITLAB_TOKEN.")
        return common.EXIT_ERROR
    now = _now()
    ok = True
    if env_token:
        ok &= await _status_environment(name, url, now)
    for profile in profiles:
        ok &= await _status_profile(profile, settings, now, env_token=bool(env_token))
    return common.EXIT_OK if ok else common.EXIT_ERROR


async def _status_environment(profile: str | None, url: str | None, now: datetime) -> bool:
    print("GITLAB_TOKEN (environment variable; used before any stored token)")
    try:
        conn = session.connect(profile_name=profile, url=url)
    except UsageError as err:
        print(f"  ! {err}")
        return False
    for_profile = f" (with the TLS options of profile {conn.profile!r})" if conn.profile else ""
    print(f"  url: {conn.url}{for_profile}")
    return await _check_and_print(conn, now)


async def _status_profile(
    profile: Profile, settings: config.Settings, now: datetime, *, env_token: bool
) -> bool:
    from tokentui.core import credentials

    default = " (default)" if settings.default_profile == profile.name else ""
    print(f"profile {profile.name}{default}")
    print(f"  url: {profile.url}")
    print(f"  TLS: {_tls_text(profile)}")
    where = (
        f"credentials file {credentials.credentials_path()} (mode 0600)"
        if profile.storage == "file"
        else "system keyring"
    )
    overridden = "; GITLAB_TOKEN is set and is used instead" if env_token else ""
    print(f"  token stored in: {where}{overridden}")
    try:
        token = credentials.load_token(profile.name, profile.storage)
        tls = profile.tls_options()
    except (credentials.CredentialError, config.ConfigError) as err:
        print(f"  ! {err}")
        return False
    if token is None:
        print(f"  ! no token stored: run 'tokentui auth login --profile {profile.name}'")
        return False
    conn = session.Connection(
        profile.url, token, tls=tls, profile=profile.name, token_origin=profile.storage
    )
    return await _check_and_print(conn, now)


def _tls_text(profile: Profile) -> str:
    if profile.url.startswith("http://"):
        return "none (plain HTTP: the token crosses the network unencrypted)"
    if not profile.verify:
        text = f"!! certificate verification OFF !! {config.VERIFY_OFF_WARNING}"
    elif profile.ca_bundle is not None:
        text = f"CA bundle {profile.ca_bundle}"
    else:
        env = next((n for n in config.CA_BUNDLE_ENVS if os.environ.get(n, "").strip()), None)
        text = f"CA bundle from {env}" if env else "system trust store"
    if profile.client_cert is not None:
        text += f"; client certificate {profile.client_cert}"
    return text


async def _check_and_print(conn: session.Connection, now: datetime) -> bool:
    from tokentui.core.login import check_login

    try:
        async with conn.client() as client:
            identity = await check_login(client)
    except (GitLabError, ValueError) as err:
        print(f"  ! {_status_problem(err, conn.url)}")
        return False
    print(f"  user: {identity.describe_user()}")
    token = identity.token
    print(f"  token: {token.name!r} (id {token.id})")
    print(f"  scopes: {escape(', '.join(token.scopes)) or 'none'}")
    if token.expires_at is None:
        print("  expires: never")
    else:
        print(f"  expires: {token.expires_at.isoformat()} ({format_countdown(token, now)})")
    warning = _expiry_warning(identity, now)
    if warning:
        print(f"  ! {warning}")
    return True


def _status_problem(err: Exception, url: str) -> str:
    """What a failed check says: the server's fault (unreachable, not GitLab, a server error)
    is not blamed on the token, which then was not checked at all."""
    if isinstance(err, TransportError):
        return f"cannot reach the server at {url}, so the token was not checked: {err}"
    if isinstance(err, NotGitLab):
        return f"the server at {url} did not answer as GitLab, so the token was not checked: {err}"
    if isinstance(err, ServerError | RateLimited):
        return f"GitLab at {url} could not answer, so the token was not checked: {err}"
    if isinstance(err, Unauthorized):
        return f"the token does not work: {session.error_message(err)}"
    return f"the token could not be checked: {session.error_message(err)}"


# --- logout -----------------------------------------------------------------------------


def run_logout(args: argparse.Namespace) -> int:
    """``tokentui auth logout``."""
    return common.run_async(_logout(args))


async def _logout(args: argparse.Namespace) -> int:
    from tokentui.core import credentials

    profile: config.Profile | None
    try:
        settings = config.load_settings()
        if args.profile:
            profile = settings.get(config.check_profile_name(args.profile))
        else:
            profile = settings.default()
            if profile is None:
                names = ", ".join(sorted(settings.profiles))
                raise UsageError(
                    f"which profile? pass --profile NAME (configured: {names})"
                    if names
                    else "not logged in: there is no profile to log out of"
                )
    except config.ConfigError as err:
        raise UsageError(str(err)) from None
    if args.revoke:
        await _revoke_stored(profile)
    try:
        removed = credentials.delete_token(profile.name)
    except credentials.CredentialError as err:
        raise UsageError(f"{err}; the profile was kept") from None
    settings.remove(profile.name)
    settings.save()
    where = " and ".join(credentials.ORIGIN_LABELS[r] for r in removed) or "nowhere (none found)"
    print(f"Logged out of profile {profile.name!r} ({profile.url}); token removed from {where}.")
    if not args.revoke:
        print(
            "The token itself still works on GitLab until it expires; revoke it there, or next "
            "time use 'tokentui auth logout --revoke'.",
            file=sys.stderr,
        )
    if os.environ.get("GITLAB_TOKEN", "").strip():
        print("Note: GITLAB_TOKEN is still set in this environment.", file=sys.stderr)
    return common.EXIT_OK


async def _revoke_stored(profile: Profile) -> None:
    from tokentui.core import credentials

    try:
        token = credentials.load_token(profile.name, profile.storage)
        tls = profile.tls_options()
    except (credentials.CredentialError, config.ConfigError) as err:
        raise UsageError(f"cannot revoke: {err}") from None
    if token is None:
        raise UsageError(f"cannot revoke: profile {profile.name!r} has no stored token")
    async with GitLabClient(profile.url, token, tls=tls) as client:
        await client.revoke_self()
    print(f"Revoked the token of profile {profile.name!r} on {profile.url}.")


# --- rotate -----------------------------------------------------------------------------


def run_rotate(args: argparse.Namespace) -> int:
    """``tokentui auth rotate``."""
    return common.run_async(_rotate(args))


async def _rotate(args: argparse.Namespace) -> int:
    from tokentui.core import credentials
    from tokentui.core.self_rotation import resource_source, rotate_in_use

    expires_at: date | None = av.new_expiry(
        args.expires_at, args.duration, utc_today(_now()), default_days=None
    )
    conn = common.connect(args)
    async with conn.client() as client:
        try:
            source = resource_source(await client.current_user())
        except (InsufficientScope, Forbidden):  # e.g. a self_rotate-only token
            source = None
        if expires_at is None:  # keep the token's lifetime (capped), as ``rotate ID`` does
            current = await token_in_use(client)
            days = same_lifetime_days(current) if current is not None else None
            expires_at = preset_date(days, utc_today(_now())) if days is not None else None
        result = await rotate_in_use(client, conn.save_token, source=source, expires_at=expires_at)
    new = result.new_token
    now = _now()
    expiry = new.expires_at.isoformat() if new.expires_at else "never"
    summary = (
        f"Rotated {new.name!r}: new token id {new.id}, expires {expiry} "
        f"({format_countdown(new, now)})."
    )
    if result.stored:
        where = credentials.ORIGIN_LABELS.get(conn.token_origin, conn.token_origin)
        print(f"{summary} The new value is stored in the {where} of profile {conn.profile!r}.")
        if not result.verified:
            print(
                f"tokentui: warning: the new value was stored but not confirmed: "
                f"{result.verify_error}",
                file=sys.stderr,
            )
        return common.EXIT_OK
    # Not stored: the value must not be lost. It goes to stdout alone; the rest to stderr.
    sys.stdout.write(new.token.get_secret_value() + "\n")
    sys.stdout.flush()
    print(f"tokentui: {summary}", file=sys.stderr)
    print(
        f"tokentui: WARNING: the new value could not be stored ({result.store_error}). "
        "The old value no longer works: keep the new one printed on stdout now.",
        file=sys.stderr,
    )
    return common.EXIT_OK if conn.token_origin == "GITLAB_TOKEN" else common.EXIT_ERROR
