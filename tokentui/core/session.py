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
from urllib.parse import urlsplit

from pydantic import SecretStr

from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.connection import TLSOptions
from tokentui.gitlab.credential_check import REFUSED_EXPLANATION, dead_credential
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
            raise await explain_unauthorized(client, err) from err


async def explain_unauthorized(client: GitLabClient, err: Unauthorized) -> GitLabError:
    """The error to report for ``err``: the credential's own 401 when it is dead (GitLab's
    ``GET /personal_access_tokens/self`` answers 401 too), :class:`NotAllowed` when it still
    works, ``err`` itself when that cannot be asked. Same decision as the TUI's
    (:func:`tokentui.gitlab.credential_check.dead_credential`)."""
    dead = await dead_credential(client, err)
    if dead is None:
        return NotAllowed(f"{_where(err)}: {REFUSED_EXPLANATION}", method=err.method, url=err.url)
    if dead is err or dead.reason != "unknown":
        return dead
    return Unauthorized(
        "GitLab does not accept your token (unknown to this instance, expired or revoked): "
        f"{_where(dead)} answered 401 Unauthorized too",
        reason=dead.reason,
        status=dead.status,
        gitlab_message=dead.gitlab_message,
        method=dead.method,
        url=dead.url,
    )


def _where(err: GitLabError) -> str:
    """``GET /personal_access_tokens/5``: the request under the API root."""
    path = urlsplit(err.url).path
    _, api, rest = path.partition("/api/v4")
    return f"{err.method} {rest if api else path}".strip()


#: Extra advice printed after GitLab's message, by error type.
_ERROR_HINTS: tuple[tuple[type[Exception], str], ...] = (
    (Unauthorized, "Check GITLAB_TOKEN, or run 'tokentui auth login'."),
    (NotAllowed, "Pick a source this account may see (--mine for your own tokens)."),
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
            end = "" if text.endswith((".", "!", "?")) else "."
            return f"{text}{end} {hint}"
    return text
