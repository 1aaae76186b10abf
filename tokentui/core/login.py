"""Logging in, shared by ``tokentui auth login`` and the TUI's login screen.

:func:`check_login` asks GitLab who a token belongs to; :func:`save_login` stores the token
(keyring or, when chosen, the 0600 file) and then the profile (never the token) in the TOML
file. No Textual import here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import SecretStr

from tokentui.core import config, credentials
from tokentui.core.config import Profile, Settings, Storage
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.connection import TLSOptions
from tokentui.gitlab.errors import Forbidden, InsufficientScope, Unauthorized
from tokentui.gitlab.models import Token, User
from tokentui.gitlab.terminal_text import escape


@dataclass(frozen=True)
class Identity:
    """Who a token is: its own record and, when its scopes allow ``GET /user``, the user."""

    token: Token
    user: User | None

    @property
    def username(self) -> str:
        """The user name, or ``user <id>`` when the token may not read its user."""
        if self.user is not None:
            return self.user.username
        return f"user {self.token.user_id}" if self.token.user_id else "unknown user"

    @property
    def is_admin(self) -> bool | None:
        """Whether the user is an administrator; None when unknown."""
        return self.user.is_admin if self.user is not None else None

    def describe_user(self) -> str:
        """``alice (Alice Anders), administrator`` and the like."""
        if self.user is None:
            return (
                f"{escape(self.username)} (the token may not read its user: no read_user/api scope)"
            )
        name = f" ({escape(self.user.name)})" if self.user.name else ""
        role = "administrator" if self.user.is_admin else "not an administrator"
        bot = ", a bot user (project/group access token)" if self.user.bot else ""
        return f"{escape(self.user.username)}{name}, {role}{bot}"


async def check_login(client: GitLabClient) -> Identity:
    """``GET /personal_access_tokens/self`` then ``GET /user``. Raises the client's typed
    error when the token does not work (401 unknown/expired/revoked, TLS, network)."""
    token = await client.get_self_token()
    try:
        user: User | None = await client.current_user()
    except (InsufficientScope, Forbidden, Unauthorized):
        # e.g. a self_rotate-only token: it works, it just may not read /user.
        user = None
    return Identity(token=token, user=user)


@dataclass(frozen=True)
class LoginRequest:
    """What the user entered to log in (the token travels separately, as a ``SecretStr``)."""

    profile: str
    url: str
    storage: Storage = "keyring"
    verify: bool = True
    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    default_source: str | None = None
    make_default: bool = False

    def normalized(self) -> LoginRequest:
        """The request with a checked profile name and a normalised URL (or ConfigError)."""
        return replace(
            self,
            profile=config.check_profile_name(self.profile),
            url=config.normalize_url(self.url),
        )

    def tls_options(self) -> TLSOptions:
        """TLS settings for checking the login (files must exist)."""
        return config.tls_options(
            verify=self.verify,
            ca_bundle=self.ca_bundle,
            client_cert=self.client_cert,
            client_key=self.client_key,
        )

    def profile_for(self, identity: Identity) -> Profile:
        """The profile to save after a successful check."""
        return Profile(
            name=self.profile,
            url=self.url,
            verify=self.verify,
            ca_bundle=self.ca_bundle,
            client_cert=self.client_cert,
            client_key=self.client_key,
            default_source=self.default_source,
            storage=self.storage,
            user=identity.user.username if identity.user else None,
        )


def check_storage(storage: Storage) -> None:
    """Raise :class:`~tokentui.core.credentials.NoKeyring` (with the ways forward) before asking
    for a token that could not be stored."""
    if storage == "keyring":
        status = credentials.keyring_status()
        if not status.usable:
            raise credentials.NoKeyring(credentials.no_keyring_message(status))


def save_login(
    request: LoginRequest, token: SecretStr, identity: Identity, settings: Settings | None = None
) -> Profile:
    """Store the token, then the profile. Raises :class:`~tokentui.core.credentials.CredentialError`
    (nothing saved in the profiles file then) or :class:`~tokentui.core.config.ConfigError`."""
    settings = settings if settings is not None else config.load_settings()
    credentials.save_token(request.profile, request.storage, token)
    # A token left in the other store would be stale: remove it (best effort).
    other: Storage = "file" if request.storage == "keyring" else "keyring"
    try:
        if other == "file":
            credentials.file_delete(request.profile)
        else:
            credentials.keyring_delete(request.profile)
    except credentials.CredentialError:
        pass
    profile = request.profile_for(identity)
    settings.put(profile, make_default=request.make_default)
    settings.save()
    return profile
