"""Connection set-up for :class:`~tokentui.gitlab.client.GitLabClient`: the instance URL, TLS
and the credential header. No requests are made here."""

from __future__ import annotations

import ssl
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import SecretStr

API_SUFFIX = "/api/v4"
TOKEN_HEADER = "PRIVATE-TOKEN"


def normalise_base_url(url: str) -> str:
    """The instance URL without trailing slash and without ``/api/v4``.

    Accepts ``https://host``, ``https://host/``, ``https://host/api/v4``, a relative URL root
    (``https://host/gitlab``) and ``http://127.0.0.1:PORT``. Raises ``ValueError`` with a
    user-ready message for anything else.
    """
    text = (url or "").strip()
    if not text:
        raise ValueError("the GitLab URL is empty: give one like https://gitlab.example.com")
    if "://" not in text:
        raise ValueError(
            f"the GitLab URL {text!r} has no scheme: write it as https://{text.lstrip('/')}"
        )
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(
            f"the GitLab URL {text!r} must start with https:// or http://, not {parts.scheme}://"
        )
    if not parts.hostname:
        raise ValueError(f"the GitLab URL {text!r} has no host name")
    if parts.username or parts.password:
        raise ValueError(
            "the GitLab URL must not contain a user name or password; the token is sent separately"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ValueError(f"the GitLab URL {text!r} has an invalid port") from None
    path = parts.path.rstrip("/")
    while path.lower().endswith(API_SUFFIX):
        path = path[: -len(API_SUFFIX)].rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, "", ""))


@dataclass(frozen=True, slots=True)
class TLSOptions:
    """TLS settings: ``verify`` is True (system/certifi CAs), False, or a CA bundle path."""

    verify: bool | Path = True
    client_cert: Path | None = None
    client_key: Path | None = None


def build_ssl_context(tls: TLSOptions) -> ssl.SSLContext:
    """An ``ssl.SSLContext`` for ``tls``: system/certifi CAs, a CA bundle, or no verification,
    plus an optional client certificate. Raises ``ValueError`` when a file cannot be used."""
    verify = tls.verify
    if isinstance(verify, str):
        verify = Path(verify)
    if isinstance(verify, Path):
        path = verify.expanduser()
        if not path.exists():
            raise ValueError(f"the CA bundle {str(path)!r} does not exist")
        try:
            if path.is_dir():
                ctx = ssl.create_default_context(capath=str(path))
            else:
                ctx = ssl.create_default_context(cafile=str(path))
        except (ssl.SSLError, OSError) as exc:
            raise ValueError(
                f"the CA bundle {str(path)!r} could not be read as PEM certificates ({exc})"
            ) from None
    else:
        ctx = httpx.create_ssl_context(verify=bool(verify))
    if tls.client_cert is not None:
        cert = Path(tls.client_cert).expanduser()
        key = Path(tls.client_key).expanduser() if tls.client_key is not None else None
        try:
            ctx.load_cert_chain(str(cert), str(key) if key else None)
        except (ssl.SSLError, OSError) as exc:
            raise ValueError(
                f"the client certificate {str(cert)!r} could not be loaded ({exc})"
            ) from None
    elif tls.client_key is not None:
        raise ValueError("a client key was given without a client certificate")
    return ctx


class TokenAuth(httpx.Auth):
    """Adds ``PRIVATE-TOKEN`` to each request as it is sent.

    The value lives in a ``SecretStr`` here, not in the client's default headers, so it is
    neither in ``repr(client)`` nor in anything httpx/httpcore log (they log method, URL and
    status only).
    """

    def __init__(self, token: SecretStr | None) -> None:
        self.token = token

    def __repr__(self) -> str:
        return "TokenAuth(<hidden>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.token is not None:
            request.headers[TOKEN_HEADER] = self.token.get_secret_value()
        yield request


def as_secret(token: SecretStr | str | None) -> SecretStr | None:
    """``token`` as a ``SecretStr`` (None or blank -> None)."""
    if token is None:
        return None
    value = token.get_secret_value() if isinstance(token, SecretStr) else token
    value = value.strip()
    return SecretStr(value) if value else None
