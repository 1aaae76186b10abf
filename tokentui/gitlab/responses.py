"""From an HTTP answer (or its absence) to a model or a typed error.

The one place that knows GitLab's error body shapes (``{"message": str | dict | list}``,
``{"error": ..., "error_description": ...}``, plain-text ``Retry later``) and turns them, and
httpx transport exceptions, into the exceptions of :mod:`tokentui.gitlab.errors`.
Messages are user-ready sentences and never contain a token value.
"""

from __future__ import annotations

import email.utils
import html
import json
import re
import socket
import ssl
import time
from collections.abc import Iterator
from typing import TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from tokentui.gitlab.errors import (
    ApiError,
    ConnectionFailed,
    ConnectionRefused,
    Forbidden,
    GitLabError,
    HostNotFound,
    InsufficientScope,
    NotFound,
    NotGitLab,
    OutcomeUnknown,
    RateLimited,
    RequestFields,
    RequestTimedOut,
    ServerError,
    StatusFields,
    TLSFailed,
    TransportError,
    Unauthorized,
    UnauthorizedReason,
    ValidationFailed,
)
from tokentui.gitlab.terminal_text import escape

T = TypeVar("T")

#: Grape's parameter-error templates: ``"<param> is missing"`` and friends.
_GRAPE_PARAM = re.compile(
    r"^(?P<field>[a-z_][\w\[\]]*) (?P<msg>is missing|is invalid|does not have a valid value|"
    r"has a value not allowed|are mutually exclusive|is empty|must be .*)$"
)
_PERMISSION_WORDS = ("not permitted", "does not have permission", "cannot delete")
_MAX_TEXT = 300
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_MAX_TITLE = 120
#: A proxy's answer to a write that may have reached GitLab: 502 (Workhorse or NGINX lost
#: Puma's answer: "badgateway: failed to receive response") and 504 (the proxy's read timeout
#: ran out while Puma was still working). 503 is not here: the proxy or GitLab refused to take
#: the request on (maintenance, no healthy upstream), so it was not acted on.
OUTCOME_UNKNOWN_STATUSES = frozenset({502, 504})
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def describe_request(request: httpx.Request, base_url: str) -> str:
    """``GET /personal_access_tokens`` style: the method and the path under the API root."""
    path = request.url.raw_path.decode("ascii", "replace").split("?", 1)[0]
    api = httpx.URL(base_url).raw_path.decode("ascii", "replace").rstrip("/") + "/api/v4"
    if path.startswith(api):
        path = path[len(api) :] or "/"
    return f"{request.method} {path}"


# --- success bodies -------------------------------------------------------------------------


def parse_body(adapter: TypeAdapter[T], response: httpx.Response, *, what: str, base_url: str) -> T:
    """Validate the JSON body of a successful ``response`` as ``adapter``'s type.

    Raises :class:`NotGitLab` for HTML, non-JSON, truncated JSON or a body of the wrong shape.
    """
    request = response.request
    if looks_like_html(response):
        raise html_error(response, base_url)
    try:
        return adapter.validate_json(response.content)
    except ValidationError as exc:
        details = exc.errors(include_url=False, include_input=False)
        first = details[0] if details else None
        if (first and first["type"] == "json_invalid") or not response.content.strip():
            reason = "an empty body" if not response.content.strip() else "invalid JSON"
            raise NotGitLab(
                f"The server at {base_url} answered {describe_request(request, base_url)} with "
                f"{reason} (truncated or not JSON), not GitLab's API: is the URL right?",
                method=request.method,
                url=str(request.url),
            ) from None
        location = ".".join(str(p) for p in first["loc"]) if first else ""
        problem = first["msg"] if first else "unexpected shape"
        raise NotGitLab(
            f"The server at {base_url} answered {describe_request(request, base_url)} with JSON "
            f"that is not {what} ({location or 'the body'}: {problem}): "
            "is it GitLab's API?",
            method=request.method,
            url=str(request.url),
        ) from None


def looks_like_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    if "html" in ctype:
        return True
    head = response.content[:64].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body"))


def html_title(response: httpx.Response) -> str | None:
    """The ``<title>`` of an HTML page, one line, entities decoded, unsafe characters as
    visible escapes (:func:`tokentui.gitlab.terminal_text.escape`), at most 120 characters; None
    when it has none."""
    match = _TITLE.search(response.content[:65536])
    if match is None:
        return None
    charset = response.charset_encoding or "utf-8"
    try:
        raw = match.group(1).decode(charset, "replace")
    except LookupError:
        raw = match.group(1).decode("utf-8", "replace")
    title = " ".join(html.unescape(raw).split())
    if not title:
        return None
    if len(title) > _MAX_TITLE:
        title = title[: _MAX_TITLE - 1] + "…"
    return escape(title)


def html_summary(response: httpx.Response) -> str:
    """An HTML page in a few words (``an HTML page titled “502 Bad Gateway”``): an error page
    is summarised by its title, never dumped."""
    title = html_title(response)
    return f"an HTML page titled “{title}”" if title else "an HTML page without a title"


def html_error(response: httpx.Response, base_url: str) -> NotGitLab:
    request = response.request
    return NotGitLab(
        f"The server at {base_url} answered {describe_request(request, base_url)} with "
        f"{html_summary(response)} (HTTP {response.status_code}), not GitLab's API: is the URL "
        "right?",
        method=request.method,
        url=str(request.url),
    )


# --- error bodies ---------------------------------------------------------------------------


def _decode(response: httpx.Response) -> object:
    """The JSON body, or the stripped text when it is not JSON (None when empty)."""
    if not response.content.strip():
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return response.text.strip()[:_MAX_TEXT]


def _flatten_field_errors(value: dict[object, object]) -> tuple[str, dict[str, list[str]]]:
    """``{"expires_at": ["must be before X"]}`` -> ("expires_at must be before X", {...})."""
    fields: dict[str, list[str]] = {}
    for key, msgs in value.items():
        if isinstance(msgs, list | tuple):
            fields[str(key)] = [str(m) for m in msgs]
        else:
            fields[str(key)] = [str(msgs)]
    if set(fields) == {"error"}:
        # The application rate limit: {"message": {"error": "..."}} is no field error.
        return "; ".join(fields["error"]), {}
    text = "; ".join(f"{k} {m}" if k != "base" else m for k, ms in fields.items() for m in ms)
    return text, fields


def _grape_field_errors(text: str) -> dict[str, list[str]]:
    """Field errors out of Grape's ``"name is missing, scopes is invalid"``."""
    fields: dict[str, list[str]] = {}
    for part in text.split(", "):
        match = _GRAPE_PARAM.match(part.strip())
        if match:
            fields.setdefault(match["field"], []).append(match["msg"])
    return fields


def gitlab_text(body: object) -> tuple[str, dict[str, list[str]], dict[str, object]]:
    """GitLab's message, field errors and the raw JSON object of an error body."""
    if isinstance(body, dict):
        if "message" in body:
            message = body["message"]
            if isinstance(message, dict):
                text, fields = _flatten_field_errors(message)
                return text, fields, body
            if isinstance(message, list):
                return "; ".join(str(m) for m in message), {}, body
            return str(message), {}, body
        if "error" in body:
            error = str(body["error"])
            description = body.get("error_description")
            if description:
                return str(description), {}, body
            return error, _grape_field_errors(error), body
        return json.dumps(body)[:_MAX_TEXT], {}, body
    if isinstance(body, list):
        return "; ".join(str(m) for m in body)[:_MAX_TEXT], {}, {}
    if body is None:
        return "", {}, {}
    return str(body), {}, {}


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _unauthorized_reason(raw: dict[str, object], text: str, had_token: bool) -> UnauthorizedReason:
    if not had_token:
        return "missing"
    description = f"{raw.get('error_description', '')} {text}".lower()
    if raw.get("error") == "invalid_token" or "token" in description:
        if "expired" in description:
            return "expired"
        if "revoked" in description:
            return "revoked"
        if "impersonation" in description:
            return "impersonation_disabled"
    return "unknown"


_UNAUTHORIZED_LEADS: dict[str, str] = {
    "missing": "GitLab needs a token for this, and none was given",
    "expired": "The token has expired",
    "revoked": "The token was revoked (or rotated)",
    "impersonation_disabled": "The token is an impersonation token, and impersonation is "
    "disabled on this instance",
}


def retry_after_seconds(response: httpx.Response, *, now: float | None = None) -> float | None:
    """How long a 429/503 asks to wait: ``Retry-After`` (seconds or HTTP date), else
    ``RateLimit-Reset`` (epoch seconds), else ``RateLimit-ResetTime`` (HTTP date)."""
    now = time.time() if now is None else now
    headers = response.headers
    value = headers.get("retry-after", "").strip()
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            when = _http_date(value)
            if when is not None:
                return max(0.0, when - now)
    value = headers.get("ratelimit-reset", "").strip()
    if value:
        try:
            return max(0.0, float(value) - now)
        except ValueError:
            pass
    value = headers.get("ratelimit-resettime", "").strip()
    if value:
        when = _http_date(value)
        if when is not None:
            return max(0.0, when - now)
    return None


def _http_date(value: str) -> float | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.timestamp() if parsed.tzinfo else None


def error_from_response(
    response: httpx.Response, *, had_token: bool, base_url: str, now: float | None = None
) -> GitLabError:
    """The typed error for a non-2xx ``response`` (or a 2xx that is not GitLab's); ``now``
    (epoch seconds, default the system clock) turns ``RateLimit-Reset`` into a wait."""
    request = response.request
    status = response.status_code
    where = describe_request(request, base_url)
    kw: StatusFields = {"method": request.method, "url": str(request.url), "status": status}

    if 300 <= status < 400:
        location = response.headers.get("location", "another address")
        return NotGitLab(
            f"The server at {base_url} redirected {where} to {location}, which GitLab's API "
            "never does: is the URL right (https rather than http, no login page)?",
            method=request.method,
            url=str(request.url),
        )
    if status not in (429,) and status < 500 and looks_like_html(response):
        return html_error(response, base_url)
    if request.method in _WRITE_METHODS and status in OUTCOME_UNKNOWN_STATUSES:
        return _proxy_lost_write(response, where)

    if looks_like_html(response):
        # A proxy's error page (a 5xx, a 429): its title says it all; the page is no message.
        body: object = html_title(response)
        text = html_summary(response)
        fields: dict[str, list[str]] = {}
        raw: dict[str, object] = {}
    else:
        body = _decode(response)
        text, fields, raw = gitlab_text(body)
    shown = text or f"HTTP {status} {response.reason_phrase}".strip()

    if status == 401:
        reason = _unauthorized_reason(raw, text, had_token)
        lead = _UNAUTHORIZED_LEADS.get(reason)
        if lead is None:
            lead = (
                "GitLab refused the request: the token is unknown to this instance, "
                f"or it may not do {where}"
            )
        return Unauthorized(
            f"{lead} (GitLab: {_sentence(shown)})", reason=reason, gitlab_message=body, **kw
        )
    if status == 403:
        if raw.get("error") == "insufficient_scope":
            required = tuple(str(raw.get("scope", "")).split())
            need = f" (it needs {' or '.join(required)})" if required else ""
            return InsufficientScope(
                f"The token lacks the scope for {where}{need}.",
                required_scopes=required,
                gitlab_message=body,
                **kw,
            )
        return Forbidden(
            f"GitLab does not allow this user {where}: {_sentence(shown)}",
            gitlab_message=body,
            **kw,
        )
    if status == 404:
        return NotFound(
            f"GitLab found nothing at {where}: {_sentence(shown)}", gitlab_message=body, **kw
        )
    if status == 429:
        wait = retry_after_seconds(response, now=now)
        after = f" Try again in {wait:.0f} s." if wait is not None else ""
        return RateLimited(
            f"GitLab is rate limiting requests ({where}): {_sentence(shown)}{after}",
            retry_after=wait,
            gitlab_message=body,
            **kw,
        )
    if status >= 500:
        return ServerError(
            f"GitLab had a server error (HTTP {status}) on {where}: {_sentence(shown)}",
            gitlab_message=body,
            **kw,
        )
    if status in (400, 422):
        if any(word in text.lower() for word in _PERMISSION_WORDS):
            return Forbidden(
                f"GitLab does not allow this user {where}: {_sentence(shown)}",
                gitlab_message=body,
                **kw,
            )
        return ValidationFailed(
            f"GitLab refused the input: {_sentence(shown)}",
            field_errors=fields,
            gitlab_message=body,
            **kw,
        )
    if 200 <= status < 300:
        return NotGitLab(
            f"The server at {base_url} answered {where} with HTTP {status}, which GitLab's API "
            "does not: is the URL right?",
            method=request.method,
            url=str(request.url),
        )
    return ApiError(
        f"GitLab answered HTTP {status} to {where}: {_sentence(shown)}", gitlab_message=body, **kw
    )


def _proxy_lost_write(response: httpx.Response, where: str) -> OutcomeUnknown:
    """A 502/504 to a write: GitLab may have acted before the proxy gave up on its answer."""
    status = response.status_code
    if looks_like_html(response):
        said = html_summary(response)
    else:
        text = gitlab_text(_decode(response))[0]
        said = f"“{text}”" if text else "no message"
    return OutcomeUnknown(
        f"The proxy in front of GitLab answered HTTP {status} ({said}) to {where}: GitLab may "
        "have acted on it before the proxy gave up, so its outcome is unknown. It was not sent "
        "again.",
        status=status,
        where=where,
        method=response.request.method,
        url=str(response.request.url),
    )


# --- transport errors -----------------------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and its causes/contexts (httpx wraps httpcore wraps anyio wraps OSError)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _is_tls(exc: BaseException) -> bool:
    for current in _chain(exc):
        if isinstance(current, ssl.SSLError | ssl.CertificateError):
            return True
        text = str(current)
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSL:" in text or "[SSL" in text:
            return True
    return False


def _is_plain_http(exc: BaseException) -> bool:
    """An HTTPS request to a server speaking plain HTTP (OpenSSL reads "HTTP/1.1 400" as a
    bad TLS record)."""
    markers = ("WRONG_VERSION_NUMBER", "record layer failure")
    return any(
        isinstance(c, ssl.SSLError) and any(m in str(c) for m in markers) for c in _chain(exc)
    )


def _is_dns(exc: BaseException) -> bool:
    markers = (
        "name or service not known",
        "nodename nor servname",
        "temporary failure in name resolution",
        "no address associated",
        "getaddrinfo failed",
        "name resolution",
    )
    for current in _chain(exc):
        if isinstance(current, socket.gaierror):
            return True
        if any(marker in str(current).lower() for marker in markers):
            return True
    return False


def _is_refused(exc: BaseException) -> bool:
    return any(
        isinstance(c, ConnectionRefusedError) or "refused" in str(c).lower() for c in _chain(exc)
    )


def is_request_unsent(exc: httpx.TransportError) -> bool:
    """True when the request certainly never reached the server (connect/pool failures)."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def error_from_transport(
    exc: httpx.TransportError, *, request: httpx.Request, base_url: str, timeout: float
) -> TransportError:
    """The typed error for an httpx transport failure on ``request`` (``__cause__`` is ``exc``).

    A write (POST/PUT/PATCH/DELETE) that may have reached the server gives
    :class:`OutcomeUnknown`: its effect is unknown, so it must not be repeated blindly.
    """
    error = _transport_error(exc, request=request, base_url=base_url, timeout=timeout)
    error.__cause__ = exc
    return error


def _transport_error(
    exc: httpx.TransportError, *, request: httpx.Request, base_url: str, timeout: float
) -> TransportError:
    method = request.method
    where = describe_request(request, base_url)
    host = request.url.host
    port = request.url.port or (443 if request.url.scheme == "https" else 80)
    kw: RequestFields = {"method": method, "url": str(request.url)}
    write = method not in ("GET", "HEAD", "OPTIONS")

    if write and not is_request_unsent(exc) and not _is_tls(exc):
        return OutcomeUnknown(
            f"The connection to {host} was lost after {where} was sent, so its outcome is "
            "unknown: the change may have happened (a rotate may have replaced the token); "
            "check the token list before trying again.",
            where=where,
            **kw,
        )
    if _is_plain_http(exc):
        return TLSFailed(
            f"{host}:{port} answered the TLS handshake in plain HTTP: the server does not speak "
            f"HTTPS there. If that is intended, write the URL as http://{host}:{port} (a URL "
            "without a scheme means https://).",
            **kw,
        )
    if _is_tls(exc):
        return TLSFailed(
            f"The TLS connection to {host}:{port} failed ({_short(exc)}). If the server uses a "
            "private certificate authority, give tokentui its CA bundle: 'tokentui auth login "
            "--ca-bundle PATH' (profile key 'ca_bundle', or SSL_CERT_FILE); else check the host "
            "name and the clock.",
            **kw,
        )
    if isinstance(exc, httpx.TimeoutException):
        if isinstance(exc, httpx.ConnectTimeout):
            text = f"Could not connect to {host}:{port} within {timeout:g} s: is the URL right?"
        elif isinstance(exc, httpx.PoolTimeout):
            text = f"Too many requests to {host} are in flight; none finished in {timeout:g} s."
        else:
            text = f"GitLab at {host} did not answer {where} within {timeout:g} s."
        return RequestTimedOut(text, **kw)
    if isinstance(exc, httpx.ConnectError):
        if _is_dns(exc):
            return HostNotFound(
                f"Could not resolve the host name {host!r}: is the URL right?", **kw
            )
        if _is_refused(exc):
            return ConnectionRefused(
                f"Nothing answers at {host}:{port} (connection refused): is GitLab running "
                "there and the URL right?",
                **kw,
            )
        return ConnectionFailed(f"Could not connect to {host}:{port} ({_short(exc)}).", **kw)
    if isinstance(exc, httpx.ProxyError):
        return ConnectionFailed(
            f"The proxy refused the connection to {host} ({_short(exc)}).", **kw
        )
    return ConnectionFailed(f"The connection to {host} broke during {where} ({_short(exc)}).", **kw)


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]
