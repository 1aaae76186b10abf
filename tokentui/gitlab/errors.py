"""Typed errors of the API layer. Each carries GitLab's own message, never a token value."""

from __future__ import annotations

from typing import Literal, TypedDict, Unpack

from tokentui.gitlab.terminal_text import escape

UnauthorizedReason = Literal["unknown", "expired", "revoked", "missing", "impersonation_disabled"]


class RequestFields(TypedDict, total=False):
    """Which request an error is about: the keyword arguments every error takes."""

    method: str
    url: str


class StatusFields(RequestFields):
    """Which request, and the HTTP status GitLab answered it with."""

    status: int


class ApiErrorFields(StatusFields, total=False):
    """The keyword arguments the subclasses of :class:`ApiError` pass on to it."""

    gitlab_message: object


class GitLabError(Exception):
    """Base of every error the API layer raises. ``str(err)`` is a user-ready sentence,
    safe on a terminal: server text in it (GitLab's message, a header) has its control and
    bidi characters as visible escapes (:func:`tokentui.gitlab.terminal_text.escape`)."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        message = escape(message)
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url


# --- transport: no HTTP answer ----------------------------------------------------------------


class TransportError(GitLabError):
    """No usable HTTP response: connection refused, DNS, TLS, timeout, dropped connection."""


class ConnectionFailed(TransportError):
    """The server could not be reached (refused, DNS failure, unreachable), or the connection
    broke during the request."""


class ConnectionRefused(ConnectionFailed):
    """Nothing listens at the address: a server that is down or a wrong port. Not transient:
    never retried, said at once."""


class HostNotFound(ConnectionFailed):
    """The host name does not resolve. Not transient: never retried, said at once."""


class TLSFailed(TransportError):
    """The TLS handshake failed (unknown CA, wrong host name, expired certificate)."""


class RequestTimedOut(TransportError):
    """The server did not answer in time."""


class OutcomeUnknown(TransportError):
    """A write (POST/DELETE) was sent but its answer was lost: it may or may not have happened.

    Lost means: the connection dropped or timed out after the request left, a proxy in front
    of GitLab answered 502 or 504 (GitLab may have acted before the proxy gave up; ``status``
    is then the proxy's status), or a 2xx body could not be read. ``where`` names the request
    (``POST /personal_access_tokens/54/rotate``). Never retried automatically: a retried
    rotate revokes the value the first one returned; read the token back instead
    (:mod:`tokentui.core.write_outcome`).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        where: str = "",
        **kw: Unpack[RequestFields],
    ) -> None:
        super().__init__(message, **kw)
        self.status = status
        self.where = where


class NotGitLab(GitLabError):
    """The answer is not GitLab's API: HTML (a login page, a wrong URL), non-JSON, wrong shape."""


# --- HTTP errors from GitLab -----------------------------------------------------------------


class ApiError(GitLabError):
    """GitLab answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        gitlab_message: object = None,
        method: str = "",
        url: str = "",
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.status = status
        self.gitlab_message = gitlab_message


class Unauthorized(ApiError):
    """401: the token is unknown, expired or revoked (``reason`` says which), or lacks rights
    on an endpoint where GitLab answers 401 instead of 403."""

    def __init__(
        self, message: str, *, reason: UnauthorizedReason = "unknown", **kw: Unpack[ApiErrorFields]
    ) -> None:
        super().__init__(message, **kw)
        self.reason = reason


class InsufficientScope(ApiError):
    """403 ``insufficient_scope``: the token lacks a scope; ``required_scopes`` names them."""

    def __init__(
        self, message: str, *, required_scopes: tuple[str, ...] = (), **kw: Unpack[ApiErrorFields]
    ) -> None:
        super().__init__(message, **kw)
        self.required_scopes = required_scopes


class Forbidden(ApiError):
    """403: the user may not do this (not an admin, not an owner)."""


class NotFound(ApiError):
    """404: no such token, user, project or group (or not visible to this user)."""


class ValidationFailed(ApiError):
    """400/422: GitLab refused the input. ``field_errors`` maps a field to its messages."""

    def __init__(
        self,
        message: str,
        *,
        field_errors: dict[str, list[str]] | None = None,
        **kw: Unpack[ApiErrorFields],
    ) -> None:
        super().__init__(message, **kw)
        self.field_errors = field_errors or {}


class RateLimited(ApiError):
    """429: too many requests; ``retry_after`` in seconds when GitLab said."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, **kw: Unpack[ApiErrorFields]
    ) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx from GitLab or a proxy in front of it."""
