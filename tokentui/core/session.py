"""Where tokentui connects and with which credential, and the client for it (both fronts).

:func:`connect` resolves a :class:`Connection` from a profile name, a URL, the environment and
the profiles file (docs/credentials.md); :func:`open_client` opens its client and tells a bare
401 apart (a dead credential, or an account that may not do this); :func:`error_message` is the
user-ready text of an error, with the next step. Headless: the CLI (``tokentui.cli``) and the
TUI's login and profile screens use it alike.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import SecretStr

from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.connection import TLSOptions
from tokentui.gitlab.credential_check import DEAD_CREDENTIAL, dead_credential
from tokentui.gitlab.errors import (
    Forbidden,
    GitLabError,
    InsufficientScope,
    NotFound,
    Unauthorized,
)

if TYPE_CHECKING:
    from tokentui.core import config
    from tokentui.core.config import Settings


class UsageError(Exception):
    """Bad arguments or configuration, found before any request. The message is user-ready."""


def env_url() -> str | None:
    """``GITLAB_HOST`` as glab and python-gitlab's CLI read it."""
    value = os.environ.get("GITLAB_HOST", "").strip()
    return value or None


class NotConfigured(UsageError):
    """Nothing to connect with: no profile and no ``GITLAB_TOKEN``. The TUI answers this with
    its login screen; the scripting CLI prints the message."""


class Connection:
    """Where to connect and with which credential, resolved from flags, environment and the
    profile. ``token_origin`` names where the token came from (for ``auth status``):
    ``"keyring"``, ``"file"`` (the opt-in 0600 file), ``"GITLAB_TOKEN"`` or ``"demo"``."""

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

    @property
    def insecure(self) -> bool:
        """True when TLS certificate verification is off (the TUI header shows a warning)."""
        return self.tls.verify is False

    def client(self) -> GitLabClient:
        """A client for this connection."""
        return GitLabClient(self.url, self.token, tls=self.tls)

    def save_token(self, token: SecretStr) -> None:
        """Store a new value of this credential where the old one came from (after a
        self-rotation), and use it from now on. Raises ``CredentialError`` with a user-ready
        message when it cannot: a ``GITLAB_TOKEN`` cannot be changed from here."""
        from tokentui.core.credentials import CredentialError, save_token

        if self.token_origin not in ("keyring", "file") or not self.profile:
            raise CredentialError(
                "the token came from the GITLAB_TOKEN environment variable, which tokentui "
                "cannot change: put the new value there (and wherever else it is kept)"
            )
        save_token(self.profile, self.token_origin, token)  # type: ignore[arg-type]
        self.token = token


def connect(*, profile_name: str | None = None, url: str | None = None) -> Connection:
    """Resolve the connection from a profile name (``--profile``), a URL (``--url``), the
    environment and the profiles file (see docs/credentials.md).

    The token: ``GITLAB_TOKEN`` when set, else the profile's stored token (keyring or the
    opt-in file). The URL: ``--url``, else ``GITLAB_HOST``, else the profile's. The profile:
    ``--profile``, else ``TOKENTUI_PROFILE``, else (with a URL given) the one for that URL, else
    the default. A stored token is only ever sent to its own profile's URL. TLS options come
    from the profile (CA bundle, ``verify``, client certificate), else ``SSL_CERT_FILE`` /
    ``REQUESTS_CA_BUNDLE``. With ``verify = false``, :attr:`Connection.insecure` is true (each
    front warns in its own way).

    Raises :class:`NotConfigured` when nothing is configured and :class:`UsageError` for any
    other problem, each with a user-ready message.
    """
    from tokentui.core import config

    try:
        settings = config.load_settings()
        explicit_url = url or env_url()
        url = config.normalize_url(explicit_url) if explicit_url else None
        name = profile_name or os.environ.get(config.PROFILE_ENV, "").strip()
        if name:
            profile: config.Profile | None = settings.get(config.check_profile_name(name))
        elif url:
            profile = settings.find_by_url(url)
        else:
            profile = settings.default()
        env_token = os.environ.get("GITLAB_TOKEN", "").strip()

        if env_token:
            target = url or (profile.url if profile else None)
            if not target:
                raise UsageError(
                    "GITLAB_TOKEN is set but no GitLab URL: set GITLAB_HOST, pass --url, "
                    "or configure a profile with 'tokentui auth login'"
                )
            same = profile is not None and config.same_instance(target, profile.url)
            tls = profile.tls_options() if same and profile else config.tls_options()
            conn = Connection(
                target,
                SecretStr(env_token),
                tls=tls,
                profile=profile.name if same and profile else None,
                token_origin="GITLAB_TOKEN",
            )
        else:
            if profile is None:
                raise _not_configured(settings, url)
            if url and not config.same_instance(url, profile.url):
                raise UsageError(
                    f"profile {profile.name!r} is for {profile.url}, not {url}: its token is "
                    "only sent to its own URL (log in to the other one with "
                    "'tokentui auth login --profile NAME --url URL', or set GITLAB_TOKEN)"
                )
            conn = Connection(
                profile.url,
                _stored_token(profile),
                tls=profile.tls_options(),
                profile=profile.name,
                token_origin=profile.storage,
            )
    except config.ConfigError as err:
        raise UsageError(str(err)) from None
    return conn


def _stored_token(profile: config.Profile) -> SecretStr:
    """The token stored for ``profile``. The credential store (and the keyring library,
    ~25 ms to import) is only loaded here, when ``GITLAB_TOKEN`` does not give the token."""
    from tokentui.core import credentials

    try:
        token = credentials.load_token(profile.name, profile.storage)
    except credentials.CredentialError as err:
        raise UsageError(str(err)) from None
    if token is None:
        where = credentials.ORIGIN_LABELS[profile.storage]
        raise UsageError(
            f"profile {profile.name!r} has no token in the {where}: run "
            f"'tokentui auth login --profile {profile.name}' or set GITLAB_TOKEN"
        )
    return token


def connect_profile(name: str | None = None) -> Connection:
    """:func:`connect` for a profile by name (None: the default), as the TUI's profile switcher
    needs it. The names come from ``tokentui.core.config.load_settings().profiles``."""
    return connect(profile_name=name)


def _not_configured(settings: Settings, url: str | None) -> NotConfigured:
    if url:
        return NotConfigured(
            f"no profile for {url} and GITLAB_TOKEN is not set: run "
            f"'tokentui auth login --url {url}' or set GITLAB_TOKEN"
        )
    if settings.profiles:
        return NotConfigured(
            f"several profiles ({', '.join(sorted(settings.profiles))}) and no default: pass "
            "--profile NAME (or set default_profile in "
            f"{settings.path})"
        )
    return NotConfigured(
        "not logged in: run 'tokentui auth login', or set GITLAB_HOST and GITLAB_TOKEN"
    )


# --- a connection's client: a bare 401 told apart ------------------------------------------------


class NotAllowed(GitLabError):
    """GitLab answered 401, but the credential in use still works: the account may not do
    this (GitLab's 401-instead-of-403 on several token endpoints)."""


class CredentialDead(Unauthorized):
    """GitLab answered 401 and the credential itself is no longer accepted (revoked, expired,
    or unknown to the instance). The message ends with the next step."""


@asynccontextmanager
async def open_client(
    connection: Connection, *, on_retry: Callable[[int, float, str], None] | None = None
) -> AsyncIterator[GitLabClient]:
    """``async with open_client(connection) as client:`` the connection's client for one
    command (``on_retry``: the client's retry hook). A 401 leaving the block is told apart
    while the client is still open (:func:`explain_unauthorized`)."""
    client = connection.client()
    if on_retry is not None:
        client.on_retry = on_retry
    async with client:
        try:
            yield client
        except Unauthorized as err:
            raise await explain_unauthorized(client, err, connection) from err


#: Why a credential is no longer valid, by the 401's reason.
_DEAD_WHY = {
    "revoked": "revoked",
    "expired": "expired",
    "impersonation_disabled": "an impersonation token, and impersonation is disabled here",
}


async def explain_unauthorized(
    client: GitLabClient, err: Unauthorized, connection: Connection | None = None
) -> GitLabError:
    """The one error to report for ``err`` (a 401), after checking the credential as the TUI
    does (:func:`tokentui.gitlab.credential_check.dead_credential`, which asks
    ``GET /personal_access_tokens/self`` after a bare 401 elsewhere):

    * :class:`CredentialDead`, "the credential is no longer valid (revoked or expired): ...",
      with the next step (``tokentui auth login``), when the credential is rejected;
    * :class:`NotAllowed`, "not allowed: this token may not <action> (HTTP 401 from GitLab on
      <endpoint>)", when it still works;
    * ``err`` itself when GitLab could not be asked (it then names both possibilities).
    """
    if _on_self_endpoint(err):
        dead: Unauthorized | None = err  # the credential's own endpoint refused it
    else:
        dead = await dead_credential(client, err)
    if dead is None:
        return NotAllowed(
            f"not allowed: this token may not {refused_action(err)} (HTTP 401 from GitLab on "
            f"{_where(err)})",
            method=err.method,
            url=err.url,
        )
    if dead is err and not _on_self_endpoint(err) and dead.reason not in DEAD_CREDENTIAL:
        return err  # the check could not be made
    if dead.reason in _DEAD_WHY:
        said = _gitlab_said(dead)
        detail = f"GitLab: {said}" if said else f"HTTP 401 from GitLab on {_where(dead)}"
        why = _DEAD_WHY[dead.reason]
    else:
        why = "revoked or expired, or unknown to this GitLab"
        detail = f"GitLab does not accept your token, also on {_where(dead)} (HTTP 401)"
    return CredentialDead(
        f"the credential is no longer valid ({why}): {detail}. {_login_step(connection)}",
        reason=dead.reason,
        status=dead.status,
        gitlab_message=dead.gitlab_message,
        method=dead.method,
        url=dead.url,
    )


def _on_self_endpoint(err: GitLabError) -> bool:
    """Whether ``err`` came from the credential's own endpoint (any scope may use it)."""
    return _api_path(err.url).startswith("/personal_access_tokens/self")


def _gitlab_said(err: Unauthorized) -> str:
    """GitLab's own words in a 401 body (``Token was revoked. ...``), or ``""``."""
    body = err.gitlab_message
    if not isinstance(body, dict):
        return ""
    said = str(body.get("error_description") or body.get("message") or "").strip()
    return said.rstrip(".")


def _login_step(connection: Connection | None) -> str:
    """What to do about a dead credential, where this one came from."""
    if connection is not None and connection.token_origin == "GITLAB_TOKEN":
        return "Put a working token in GITLAB_TOKEN, or unset it and run 'tokentui auth login'."
    profile = f" --profile {connection.profile}" if connection and connection.profile else ""
    return f"Log in again with a new token: tokentui auth login{profile}"


def refused_action(err: GitLabError) -> str:
    """What a refused request tried, in words: ``list the tokens of user 3``,
    ``rotate token 5 of project platform/api``; the request itself when it has no name."""
    parts = urlsplit(err.url)
    path = _api_path(err.url)
    segments = [unquote(s) for s in path.strip("/").split("/")]
    method = err.method.upper()
    verb = {"GET": "read", "DELETE": "revoke", "POST": "create"}.get(method, method)
    if segments[-1:] == ["rotate"]:
        verb, segments = "rotate", segments[:-1]
    owner = ""
    if len(segments) >= 5 and segments[2] == "service_accounts":
        owner = f" of service account {segments[3]} of group {segments[1]}"
    elif len(segments) >= 3 and segments[0] in ("projects", "groups"):
        owner = f" of {segments[0][:-1]} {segments[1]}"
    elif len(segments) >= 3 and segments[0] == "users":
        owner = f" of user {segments[1]}"
    kind = "impersonation token" if "impersonation_tokens" in segments else "token"
    last = segments[-1]
    if last == "self" and len(segments) >= 2:
        return f"{verb} the token in use{owner}"
    if last.isdigit() and len(segments) >= 2 and segments[-2].endswith("tokens"):
        return f"{verb} token {last}{owner}"
    if last.endswith("tokens"):
        if method == "POST":
            return f"create {'an' if kind[0] == 'i' else 'a'} {kind}{owner}"
        user_id = parse_qs(parts.query).get("user_id", [None])[0]
        if not owner and user_id:
            owner = f" of user {user_id}"
        return f"list the {kind}s{owner}" if owner else f"list every user's {kind}s"
    return f"send {method} {path}"


def _api_path(url: str) -> str:
    """The path of ``url`` under the API root (``/personal_access_tokens/5``)."""
    path = urlsplit(url).path
    _, api, rest = path.partition("/api/v4")
    return rest if api else path


def _where(err: GitLabError) -> str:
    """``GET /personal_access_tokens/5``: the request under the API root."""
    return f"{err.method} {_api_path(err.url)}".strip()


#: Extra advice printed after GitLab's message, by error type.
_ERROR_HINTS: tuple[tuple[type[Exception], str], ...] = (
    (CredentialDead, ""),  # its message ends with the next step
    (Unauthorized, "Check GITLAB_TOKEN, or run 'tokentui auth login'."),
    (
        NotAllowed,
        "Your credential still works: pick a source this account may see (--mine for your "
        "own tokens).",
    ),
    (InsufficientScope, "Use a token with the scope GitLab named."),
    (Forbidden, "This needs more rights (an administrator, or a project/group owner)."),
    (NotFound, "Check the id, and pass the token's source (--project, --group, ...)."),
)


def error_message(err: BaseException) -> str:
    """The user-ready text for an error: GitLab's message, plus the next step when there is
    one."""
    text = (str(err) or type(err).__name__).strip()
    for kind, hint in _ERROR_HINTS:
        if isinstance(err, kind):
            if not hint:
                return text
            end = "" if text.endswith((".", "!", "?")) else "."
            return f"{text}{end} {hint}"
    return text
