"""Pure parts of the client: URL normalisation, the error mapping of every GitLab error body,
body parsing, and the retry policy's decisions."""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from pydantic import TypeAdapter

from tokentui.gitlab import errors
from tokentui.gitlab.connection import normalise_base_url
from tokentui.gitlab.models import TOKEN_LIST, Token
from tokentui.gitlab.pagination import page_info
from tokentui.gitlab.responses import (
    error_from_response,
    error_from_transport,
    parse_body,
    retry_after_seconds,
)
from tokentui.gitlab.retry import RetryPolicy

BASE = "https://gitlab.example.com"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://gitlab.example.com", BASE),
        ("https://gitlab.example.com/", BASE),
        ("https://gitlab.example.com/api/v4", BASE),
        ("https://gitlab.example.com/api/v4/", BASE),
        ("  HTTPS://gitlab.example.com/api/v4/  ", BASE),
        ("https://example.com/gitlab/", "https://example.com/gitlab"),
        ("https://example.com/gitlab/api/v4", "https://example.com/gitlab"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
    ],
)
def test_base_url_normalisation(given: str, expected: str) -> None:
    assert normalise_base_url(given) == expected


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("gitlab.example.com", "has no scheme: write it as https://gitlab.example.com"),
        ("", "empty"),
        ("ftp://gitlab.example.com", "must start with https://"),
        ("https://", "no host"),
        ("https://user:pw@gitlab.example.com", "must not contain a user name or password"),
        ("http://127.0.0.1:99999", "invalid port"),
    ],
)
def test_bad_base_urls_are_refused_clearly(given: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=r"GitLab URL|port|user name") as info:
        normalise_base_url(given)
    assert fragment in str(info.value)


def answer(status: int, body: object = None, *, method: str = "GET", **kw) -> httpx.Response:
    request = httpx.Request(method, f"{BASE}/api/v4/projects/a%2Fb/access_tokens")
    if isinstance(body, bytes | str):
        return httpx.Response(status, content=body, request=request, **kw)
    if body is None:
        return httpx.Response(status, request=request, **kw)
    return httpx.Response(status, json=body, request=request, **kw)


def mapped(response: httpx.Response, *, had_token: bool = True) -> errors.GitLabError:
    return error_from_response(response, had_token=had_token, base_url=BASE)


def test_401_unknown_and_missing() -> None:
    err = mapped(answer(401, {"message": "401 Unauthorized"}))
    assert isinstance(err, errors.Unauthorized) and err.reason == "unknown"
    assert "401 Unauthorized" in str(err) and "/projects/a%2Fb/access_tokens" in str(err)
    assert err.status == 401 and err.gitlab_message == {"message": "401 Unauthorized"}
    err = mapped(answer(401, {"message": "401 Unauthorized"}), had_token=False)
    assert isinstance(err, errors.Unauthorized) and err.reason == "missing"
    assert "none was given" in str(err)


@pytest.mark.parametrize(
    ("description", "reason", "fragment"),
    [
        (
            "Token is expired. You can either do re-authorization or token refresh.",
            "expired",
            "has expired",
        ),
        ("Token was revoked. You have to re-authorize from the user.", "revoked", "was revoked"),
        (
            "Token is an impersonation token but impersonation was disabled.",
            "impersonation_disabled",
            "impersonation is disabled",
        ),
    ],
)
def test_401_invalid_token_reasons(description: str, reason: str, fragment: str) -> None:
    err = mapped(answer(401, {"error": "invalid_token", "error_description": description}))
    assert isinstance(err, errors.Unauthorized)
    assert err.reason == reason
    assert fragment in str(err) and description in str(err)


def test_403_insufficient_scope_names_the_scopes() -> None:
    err = mapped(
        answer(
            403,
            {
                "error": "insufficient_scope",
                "error_description": "The request requires higher privileges than provided by "
                "the access token.",
                "scope": "api read_api",
            },
        )
    )
    assert isinstance(err, errors.InsufficientScope)
    assert err.required_scopes == ("api", "read_api")
    assert "api or read_api" in str(err)


def test_403_forbidden_keeps_gitlab_message() -> None:
    err = mapped(answer(403, {"message": "403 Forbidden - Must be admin to use sudo"}))
    assert type(err) is errors.Forbidden
    assert "Must be admin to use sudo" in str(err)


@pytest.mark.parametrize("body", [{"message": "404 Project Not Found"}, {"error": "404 Not Found"}])
def test_404_not_found(body: dict) -> None:
    err = mapped(answer(404, body))
    assert isinstance(err, errors.NotFound)
    assert "404" in str(err) and "Not Found" in str(err)


def test_400_grape_errors_become_field_errors() -> None:
    err = mapped(answer(400, {"error": "name is missing, scopes does not have a valid value"}))
    assert isinstance(err, errors.ValidationFailed)
    assert err.field_errors == {"name": ["is missing"], "scopes": ["does not have a valid value"]}
    assert "name is missing" in str(err)


def test_400_model_errors_become_field_errors() -> None:
    err = mapped(answer(400, {"message": {"expires_at": ["must be before 2027-08-25"]}}))
    assert isinstance(err, errors.ValidationFailed)
    assert err.field_errors == {"expires_at": ["must be before 2027-08-25"]}
    assert "expires_at must be before 2027-08-25" in str(err)


def test_422_plain_message_and_list_message() -> None:
    err = mapped(answer(422, {"message": "Expiration date must be before 2027-08-25"}))
    assert isinstance(err, errors.ValidationFailed)
    assert err.status == 422 and "Expiration date must be before 2027-08-25" in str(err)
    err = mapped(answer(400, {"message": ["first problem", "second problem"]}))
    assert isinstance(err, errors.ValidationFailed)
    assert "first problem; second problem" in str(err)


def test_400_permission_refusal_is_forbidden() -> None:
    err = mapped(answer(400, {"message": "400 Bad request - Not permitted to revoke"}))
    assert isinstance(err, errors.Forbidden) and err.status == 400
    assert "Not permitted to revoke" in str(err)


def test_429_plain_text_with_retry_after() -> None:
    err = mapped(
        answer(
            429,
            "Retry later",
            headers={"content-type": "text/plain", "Retry-After": "30", "RateLimit-Limit": "60"},
        )
    )
    assert isinstance(err, errors.RateLimited)
    assert err.retry_after == 30
    assert "Retry later" in str(err) and "30 s" in str(err)


def test_429_reset_headers_and_application_limit() -> None:
    now = time.time()
    epoch = answer(429, "Retry later", headers={"RateLimit-Reset": str(int(now) + 20)})
    assert 15 <= retry_after_seconds(epoch, now=now) <= 20
    date_only = answer(
        429, "Retry later", headers={"RateLimit-ResetTime": "Tue, 05 Jan 2021 11:00:00 GMT"}
    )
    assert retry_after_seconds(date_only, now=1609844400 - 12) == 12
    app_limit = mapped(
        answer(
            429,
            {
                "message": {
                    "error": "This endpoint has been requested too many times. Try again later."
                }
            },
        )
    )
    assert isinstance(app_limit, errors.RateLimited) and app_limit.retry_after is None
    assert "requested too many times" in str(app_limit)


def test_5xx_even_html_is_a_server_error() -> None:
    err = mapped(
        answer(
            502, "<html><body>502 Bad Gateway</body></html>", headers={"content-type": "text/html"}
        )
    )
    assert isinstance(err, errors.ServerError) and err.status == 502
    err = mapped(answer(500, {"message": "500 Internal Server Error"}))
    assert isinstance(err, errors.ServerError) and "500 Internal Server Error" in str(err)


def test_html_or_redirect_is_not_gitlab() -> None:
    err = mapped(
        answer(404, "<!DOCTYPE html><html>nope</html>", headers={"content-type": "text/html"})
    )
    assert isinstance(err, errors.NotGitLab)
    assert "HTML page" in str(err) and "is the URL right?" in str(err)
    err = mapped(answer(302, None, headers={"location": "https://sso.example.com/login"}))
    assert isinstance(err, errors.NotGitLab) and "sso.example.com/login" in str(err)


def test_parse_body_refuses_non_gitlab_bodies() -> None:
    tokens = TOKEN_LIST
    with pytest.raises(errors.NotGitLab, match="HTML page"):
        parse_body(
            tokens, answer(200, "<html>Sign in</html>"), what="a list of tokens", base_url=BASE
        )
    with pytest.raises(errors.NotGitLab, match="invalid JSON"):
        parse_body(tokens, answer(200, b'[{"id": 1, "na'), what="a list of tokens", base_url=BASE)
    with pytest.raises(errors.NotGitLab, match="not a list of tokens") as info:
        parse_body(tokens, answer(200, {"id": 1}), what="a list of tokens", base_url=BASE)
    assert "Traceback" not in str(info.value)
    with pytest.raises(errors.NotGitLab, match=r"0\.created_at"):
        parse_body(
            tokens, answer(200, [{"id": 1, "name": "x"}]), what="a list of tokens", base_url=BASE
        )
    one = parse_body(
        TypeAdapter(Token),
        answer(200, {"id": 1, "name": "x", "created_at": "2020-07-23T14:31:47.729Z"}),
        what="a token",
        base_url=BASE,
    )
    assert one.id == 1


def test_page_info_from_headers_or_link() -> None:
    full = httpx.Headers(
        {
            "X-Page": "2",
            "X-Per-Page": "100",
            "X-Next-Page": "3",
            "X-Prev-Page": "1",
            "X-Total": "250",
            "X-Total-Pages": "3",
        }
    )
    info = page_info(full, requested_page=2, requested_per_page=100)
    assert (info.page, info.next_page, info.total, info.total_pages) == (2, 3, 250, 3)
    last = httpx.Headers({"X-Page": "3", "X-Per-Page": "100", "X-Next-Page": ""})
    info = page_info(last, requested_page=3, requested_per_page=100)
    assert info.next_page is None and info.total is None and info.total_pages is None
    link_only = httpx.Headers(
        {
            "Link": '<https://g/api/v4/personal_access_tokens?page=1&per_page=100>; rel="prev", '
            '<https://g/api/v4/personal_access_tokens?page=3&per_page=100>; rel="next", '
            '<https://g/api/v4/personal_access_tokens?page=1&per_page=100>; rel="first"'
        }
    )
    info = page_info(link_only, requested_page=2, requested_per_page=100)
    assert (info.page, info.next_page) == (2, 3)
    no_next = httpx.Headers({"Link": '<https://g/api/v4/x?page=1&per_page=100>; rel="first"'})
    assert page_info(no_next, requested_page=4, requested_per_page=100).next_page is None


def test_retry_policy_decisions() -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=4.0, max_retry_after=60.0)
    assert policy.may_retry("GET") and policy.may_retry("HEAD")
    assert not policy.may_retry("POST") and not policy.may_retry("DELETE")
    for status in (500, 502, 503, 504):
        err = mapped(answer(status, {"message": f"{status}"}))
        decision = policy.decide(err, 1)
        assert decision is not None and 0.5 <= decision[0] <= 1.0
        assert f"HTTP {status}" in decision[1]
    assert policy.decide(mapped(answer(503, {"message": "x"})), 3) is None  # attempts used up
    assert policy.decide(mapped(answer(404, {"message": "404 Not Found"})), 1) is None
    assert policy.decide(mapped(answer(401, {"message": "401 Unauthorized"})), 1) is None
    polite = mapped(answer(429, "Retry later", headers={"Retry-After": "2"}))
    assert policy.decide(polite, 1) == (
        2.0,
        "rate limited by GitLab; retrying in 2.0 s as it asked",
    )
    absurd = mapped(answer(429, "Retry later", headers={"Retry-After": "7200"}))
    delay, reason = policy.decide(absurd, 1)
    assert delay == 60.0
    assert "7200 s" in reason and "at most 60 s" in reason


def _transport(exc: httpx.TransportError, method: str = "GET") -> errors.GitLabError:
    request = httpx.Request(method, "https://gitlab.example.com/api/v4/user")
    return error_from_transport(
        exc, request=request, base_url="https://gitlab.example.com", timeout=30
    )


def _caused(exc: httpx.TransportError, cause: BaseException) -> httpx.TransportError:
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    ("exc", "kind", "retried"),
    [
        # Nothing listening, or a name that does not resolve: said at once.
        (
            _caused(httpx.ConnectError("[Errno 111] Connection refused"), ConnectionRefusedError()),
            errors.ConnectionRefused,
            False,
        ),
        (
            _caused(httpx.ConnectError("[Errno -2] Name or service not known"), socket.gaierror()),
            errors.HostNotFound,
            False,
        ),
        # Other connect failures, a connect timeout and a dropped read are transient.
        (httpx.ConnectError("[Errno 101] Network is unreachable"), errors.ConnectionFailed, True),
        (httpx.ConnectTimeout("timed out"), errors.RequestTimedOut, True),
        (httpx.ReadError("connection reset by peer"), errors.ConnectionFailed, True),
        (httpx.RemoteProtocolError("Server disconnected"), errors.ConnectionFailed, True),
    ],
)
def test_retry_policy_tells_refused_and_dns_from_transient_faults(
    exc: httpx.TransportError, kind: type[errors.GitLabError], retried: bool
) -> None:
    err = _transport(exc)
    assert type(err) is kind
    assert (RetryPolicy().decide(err, 1) is not None) is retried
