"""The client over real loopback connections to small purpose-built servers: what GitLab's
simulator cannot be (an HTML site, a TLS server with a private CA, a server that drops the
connection or never answers, nothing listening at all)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import trustme
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.routing import Route

from tokentui import __version__
from tokentui.gitlab import errors
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.connection import TLSOptions
from tokentui.gitlab.retry import RetryPolicy
from tokentui.gitlab.sources import PersonalTokens

SECRET = "glpat-transport-test-secret-0123"
USER = {"id": 1, "username": "root", "name": "Administrator", "is_admin": True}
TOKEN = {"id": 7, "name": "t", "created_at": "2026-01-01T00:00:00.000Z", "scopes": ["api"]}


# --- small servers ---------------------------------------------------------------------------


@contextlib.contextmanager
def serve(app, **ssl_kw) -> Iterator[int]:
    """Serve ``app`` with uvicorn on 127.0.0.1 in a thread; yield the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="error", lifespan="off", **ssl_kw)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class Recorder:
    """A tiny GitLab-ish app that records requests and answers from a script."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.script: list = []

    async def endpoint(self, request: Request):
        self.requests.append((request.method, request.url.path, dict(request.headers)))
        if self.script:
            return self.script.pop(0)
        if request.url.path.endswith("/user"):
            return JSONResponse(USER)
        return JSONResponse(TOKEN)

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/{path:path}", self.endpoint, methods=["GET", "POST", "DELETE"])]
        )


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, str]]:
    rec = Recorder()
    with serve(rec.app()) as port:
        yield rec, f"http://127.0.0.1:{port}"


class Sleeps:
    """An instant ``sleep`` that records the delays asked for."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@contextlib.asynccontextmanager
async def raw_server(handler) -> AsyncIterator[int]:
    """A bare TCP server on 127.0.0.1 running ``handler(reader, writer)``; yields the port."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- headers, secrets ------------------------------------------------------------------------


async def test_headers_user_agent_and_token_switch(recorder) -> None:
    rec, url = recorder
    async with GitLabClient(url + "/api/v4/", SECRET) as client:
        user = await client.current_user()
        assert user.username == "root" and user.is_admin
        client.set_token("glpat-second-value")
        await client.get_self_token()
    (m1, p1, h1), (m2, p2, h2) = rec.requests
    assert (m1, p1) == ("GET", "/api/v4/user")
    assert (m2, p2) == ("GET", "/api/v4/personal_access_tokens/self")
    assert h1["private-token"] == SECRET
    assert h2["private-token"] == "glpat-second-value"
    assert h1["user-agent"] == f"tokentui/{__version__}"
    assert "authorization" not in h1


async def test_token_never_in_logs_repr_or_errors(recorder, caplog) -> None:
    rec, url = recorder
    rec.script = [JSONResponse({"message": "401 Unauthorized"}, status_code=401)]
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "tokentui"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    async with GitLabClient(url, SECRET) as client:
        with pytest.raises(errors.Unauthorized) as info:
            await client.current_user()
        await client.current_user()
        assert SECRET not in repr(client)
    assert caplog.records, "httpx/httpcore debug logging should have produced records"
    assert SECRET not in caplog.text
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert info.value.reason == "unknown"


async def test_writes_send_json_and_are_never_retried(recorder) -> None:
    rec, url = recorder
    rec.script = [JSONResponse({"message": "503 Service Unavailable"}, status_code=503)]
    sleeps = Sleeps()
    async with GitLabClient(url, SECRET, sleep=sleeps) as client:
        with pytest.raises(errors.ServerError):
            await client.rotate_token(PersonalTokens(), 7)
        rec.script = [
            PlainTextResponse("Retry later", status_code=429, headers={"Retry-After": "1"})
        ]
        with pytest.raises(errors.RateLimited):
            await client.revoke_token(PersonalTokens(), 7)
    assert [(m, p) for m, p, _ in rec.requests] == [
        ("POST", "/api/v4/personal_access_tokens/7/rotate"),
        ("DELETE", "/api/v4/personal_access_tokens/7"),
    ]
    assert sleeps.delays == []


async def test_reads_are_retried_with_the_hook(recorder) -> None:
    rec, url = recorder
    rec.script = [
        JSONResponse({"message": "502 Bad Gateway"}, status_code=502),
        PlainTextResponse("Retry later", status_code=429, headers={"Retry-After": "7200"}),
        HTMLResponse("<html>503</html>", status_code=503),
    ]
    sleeps = Sleeps()
    seen: list[tuple[int, float, str]] = []
    async with GitLabClient(
        url, SECRET, sleep=sleeps, on_retry=lambda *a: seen.append(a)
    ) as client:
        user = await client.current_user()
    assert user.id == 1
    assert len(rec.requests) == 4
    assert [a for a, _, _ in seen] == [2, 3, 4]
    assert seen[1][1] == 60.0 and "7200 s" in seen[1][2]
    assert sleeps.delays == [d for _, d, _ in seen]


async def test_retries_are_bounded(recorder) -> None:
    rec, url = recorder
    rec.script = [JSONResponse({"message": "503"}, status_code=503) for _ in range(10)]
    policy = RetryPolicy(max_attempts=3)
    async with GitLabClient(url, SECRET, sleep=Sleeps(), retry=policy) as client:
        with pytest.raises(errors.ServerError) as info:
            await client.current_user()
    assert info.value.status == 503
    assert len(rec.requests) == 3


# --- not GitLab ------------------------------------------------------------------------------


async def test_html_site_is_not_gitlab() -> None:
    async def page(request: Request):
        return HTMLResponse("<!DOCTYPE html><html><body>Welcome to nginx!</body></html>")

    app = Starlette(routes=[Route("/{path:path}", page)])
    with serve(app) as port:
        async with GitLabClient(f"http://127.0.0.1:{port}", SECRET) as client:
            with pytest.raises(errors.NotGitLab) as info:
                await client.list_tokens(PersonalTokens())
    text = str(info.value)
    assert "answered GET /personal_access_tokens with an HTML page" in text
    assert "is the URL right?" in text


async def test_truncated_json_is_not_gitlab() -> None:
    async def page(request: Request):
        return PlainTextResponse('[{"id": 1, "name": "cut', media_type="application/json")

    app = Starlette(routes=[Route("/{path:path}", page)])
    with serve(app) as port:
        async with GitLabClient(f"http://127.0.0.1:{port}", SECRET) as client:
            with pytest.raises(errors.NotGitLab, match="invalid JSON"):
                await client.list_tokens(PersonalTokens())


# --- transport failures ----------------------------------------------------------------------


async def test_connection_refused_is_reported_at_once_without_retry() -> None:
    """Nothing listening is no transient fault: the first refusal is the answer (issue 11,
    item 16); retries stay for 5xx, 429 and dropped connections."""
    port = free_port()
    sleeps = Sleeps()
    retries: list[tuple[int, float, str]] = []
    async with GitLabClient(
        f"http://127.0.0.1:{port}",
        SECRET,
        sleep=sleeps,
        on_retry=lambda *report: retries.append(report),
    ) as client:
        with pytest.raises(errors.ConnectionRefused) as info:
            await client.current_user()
        with pytest.raises(errors.ConnectionRefused):
            await client.revoke_self()  # never sent: not OutcomeUnknown
    assert f"Nothing answers at 127.0.0.1:{port} (connection refused)" in str(info.value)
    assert isinstance(info.value, errors.ConnectionFailed)  # still a connection failure
    assert retries == [] and sleeps.delays == []


async def test_dns_failure_is_reported() -> None:
    sleeps = Sleeps()
    async with GitLabClient(
        "https://no-such-host.invalid", SECRET, sleep=sleeps, timeout=10
    ) as client:
        with pytest.raises((errors.ConnectionFailed, errors.RequestTimedOut)) as info:
            await client.version()
    if isinstance(info.value, errors.ConnectionFailed):
        assert "no-such-host.invalid" in str(info.value)
    if isinstance(info.value, errors.HostNotFound):
        assert sleeps.delays == []  # a name that does not resolve is said at once


async def _drop_after_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read a request's head (and its body if any), then close without answering."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    if length:
        await reader.readexactly(length)
    dropped.append(head.split(b" ", 2)[:2])
    writer.close()


dropped: list[list[bytes]] = []


async def test_dropped_write_is_outcome_unknown_and_sent_once() -> None:
    dropped.clear()
    sleeps = Sleeps()
    async with (
        raw_server(_drop_after_request) as port,
        GitLabClient(f"http://127.0.0.1:{port}", SECRET, sleep=sleeps) as client,
    ):
        with pytest.raises(errors.OutcomeUnknown) as info:
            await client.rotate_token(PersonalTokens(), 42)
        assert dropped == [[b"POST", b"/api/v4/personal_access_tokens/42/rotate"]]
        assert "check the token list before trying again" in str(info.value)
        with pytest.raises(errors.ConnectionFailed):
            await client.current_user()
    assert len([d for d in dropped if d[0] == b"GET"]) == client.retry.max_attempts
    assert len(sleeps.delays) == client.retry.max_attempts - 1


async def _never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    await asyncio.sleep(30)
    writer.close()


async def test_timeouts() -> None:
    async with (
        raw_server(_never_answer) as port,
        GitLabClient(f"http://127.0.0.1:{port}", SECRET, timeout=0.3, sleep=Sleeps()) as client,
    ):
        with pytest.raises(errors.RequestTimedOut, match=r"did not answer GET /user within"):
            await client.current_user()
        with pytest.raises(errors.OutcomeUnknown):
            await client.revoke_self()


# --- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> dict[str, Path]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    files = {
        "ca": folder / "ca.pem",
        "cert": folder / "server.pem",
        "key": folder / "server.key",
        "client": folder / "client.pem",
    }
    ca.cert_pem.write_to_path(files["ca"])
    cert.cert_chain_pems[0].write_to_path(files["cert"])
    cert.private_key_pem.write_to_path(files["key"])
    client_cert = ca.issue_cert("client@example.com")
    client_cert.private_key_and_cert_chain_pem.write_to_path(files["client"])
    return files


async def test_tls_private_ca(tls_files, recorder) -> None:
    rec, _ = recorder
    with serve(
        rec.app(), ssl_certfile=str(tls_files["cert"]), ssl_keyfile=str(tls_files["key"])
    ) as port:
        url = f"https://127.0.0.1:{port}"
        async with GitLabClient(url, SECRET, sleep=Sleeps()) as client:
            with pytest.raises(errors.TLSFailed) as info:
                await client.current_user()
        assert "--ca-bundle" in str(info.value) and "ca_bundle" in str(info.value)
        tls = TLSOptions(verify=tls_files["ca"])
        async with GitLabClient(url, SECRET, tls=tls) as client:
            assert (await client.current_user()).username == "root"
        async with GitLabClient(url, SECRET, tls=TLSOptions(verify=False)) as client:
            assert (await client.current_user()).username == "root"


async def test_tls_client_certificate_required(tls_files, recorder) -> None:
    rec, _ = recorder
    with serve(
        rec.app(),
        ssl_certfile=str(tls_files["cert"]),
        ssl_keyfile=str(tls_files["key"]),
        ssl_ca_certs=str(tls_files["ca"]),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
    ) as port:
        url = f"https://127.0.0.1:{port}"
        tls = TLSOptions(verify=tls_files["ca"], client_cert=tls_files["client"])
        async with GitLabClient(url, SECRET, tls=tls) as client:
            assert (await client.current_user()).username == "root"


def test_bad_tls_files_are_clear_errors(tmp_path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        GitLabClient("https://g", SECRET, tls=TLSOptions(verify=tmp_path / "missing.pem"))
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(ValueError, match="could not be read"):
        GitLabClient("https://g", SECRET, tls=TLSOptions(verify=junk))
    with pytest.raises(ValueError, match="has no scheme"):
        GitLabClient("gitlab.example.com", SECRET)


async def test_proxy_from_environment(monkeypatch) -> None:
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head)
        body = b'{"id": 1, "username": "root"}'
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()

    async with raw_server(proxy) as port:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        async with GitLabClient("http://gitlab.internal.example", SECRET) as client:
            assert (await client.current_user()).username == "root"
    assert seen and seen[0].startswith(b"GET http://gitlab.internal.example/api/v4/user HTTP/1.1")


async def test_unreadable_answer_to_a_write_is_outcome_unknown(recorder) -> None:
    rec, url = recorder
    rec.script = [PlainTextResponse('{"id": 8, "token": "glpat-cut', media_type="application/json")]
    async with GitLabClient(url, SECRET, sleep=Sleeps()) as client:
        with pytest.raises(errors.OutcomeUnknown, match="check the token list") as info:
            await client.rotate_token(PersonalTokens(), 7)
    assert "glpat-cut" not in str(info.value)
    assert [(m, p) for m, p, _ in rec.requests] == [
        ("POST", "/api/v4/personal_access_tokens/7/rotate")
    ]


async def test_a_failing_retry_hook_does_not_break_the_request(recorder) -> None:
    rec, url = recorder
    rec.script = [JSONResponse({"message": "502 Bad Gateway"}, status_code=502)]

    def broken_hook(attempt: int, delay: float, reason: str) -> None:
        raise RuntimeError("the UI is gone")

    async with GitLabClient(url, SECRET, sleep=Sleeps(), on_retry=broken_hook) as client:
        assert (await client.current_user()).username == "root"
    assert len(rec.requests) == 2


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="per_page must be between 1 and 100"):
        GitLabClient("https://g", SECRET).iter_token_pages(PersonalTokens(), per_page=500)
    with pytest.raises(ValueError, match="concurrency must be at least 1"):
        GitLabClient("https://g", SECRET, concurrency=0)
    with pytest.raises(ValueError, match="the new token is empty"):
        GitLabClient("https://g", SECRET).set_token("  ")
