"""Hostile conditions, part 2: the bad-input catalogue (issue 7), end to end.

Each case runs the real CLI (or the TUI) against a real loopback server (the simulator, or a
small "hostile" server answering like a login page, a proxy, a broken or silent server) and
asserts one clear, specific message and no traceback. Argument checks done before any request
(empty name, 256 characters, no scope, bad dates, non-numeric ids, ...) are the
``BAD_ARGUMENTS`` of ``tests/test_cli.py``; ``docs/reliability.md`` lists every case and the
test that shows it.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hostile_helpers import Sleeps, assert_one_clear_error, cli_runner

from tokentui.gitlab.client import GitLabClient
from tokentui.simulator.server import BackgroundServer
from tokentui.tui.app import make_app

CAROL = 4

LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in - GitLab</title></head><body>sign in</body>"
)
USER = b'{"id": 1, "username": "root", "name": "Administrator", "state": "active"}'
ADMIN = USER[:-1] + b', "is_admin": true}'


def _token(token_id: int) -> dict:
    return {
        "id": token_id,
        "name": f"t{token_id}",
        "revoked": False,
        "active": True,
        "created_at": "2026-01-01T00:00:00.000Z",
        "scopes": ["api"],
        "user_id": 1,
        "last_used_at": None,
        "expires_at": "2027-01-01",
    }


async def hostile_app(scope, receive, send) -> None:
    """Answers by the first path segment: ``/login`` a 200 login page, ``/redirect`` a 302 to
    the sign-in page, ``/pageloop`` and ``/pagerepeat`` page 1 for every page (with and without
    ``X-Page``), ``/text`` plain text, ``/shape`` JSON of the wrong shape, ``/truncated``
    JSON cut short, ``/short`` fewer bytes than Content-Length, ``/proxy`` a proxy's 502 HTML
    page, ``/silent`` nothing for 3 s."""
    if scope["type"] != "http":
        return
    kind = scope["path"].strip("/").split("/", 1)[0]
    status, ctype, body, extra = 200, b"application/json", b"{}", []
    if kind == "login":
        ctype, body = b"text/html; charset=utf-8", LOGIN_PAGE
    elif kind == "redirect":
        status, ctype, body = 302, b"text/html", b"<html>redirected</html>"
        extra = [(b"location", b"http://127.0.0.1/users/sign_in")]
    elif kind == "text":
        ctype, body = b"text/plain", b"OK"
    elif kind == "shape":
        body = b'[{"unexpected": true}]'
    elif kind == "truncated":
        body = USER[:25]
    elif kind == "proxy":
        status, ctype, body = 502, b"text/html", b"<html><h1>502 Bad Gateway</h1></html>"
    elif kind in ("pageloop", "pagerepeat"):
        # A cache in front of GitLab that ignores the query string: page 1 for every page.
        if scope["path"].endswith("/user"):
            body = ADMIN
        else:
            body = json.dumps([_token(i) for i in range(1, 101)]).encode()
            extra = [(b"x-next-page", b"2"), (b"x-per-page", b"100")]
            if kind == "pageloop":
                extra.append((b"x-page", b"1"))
    elif kind in ("ratedate", "rategarbage"):
        when = b"Wed, 21 Oct 2099 07:28:00 GMT" if kind == "ratedate" else b"soon"
        status, ctype, body = 429, b"text/plain", b"Retry later\n"
        extra = [(b"retry-after", when)]
    elif kind == "silent":
        await asyncio.sleep(3)
        body = USER
    headers = [(b"content-type", ctype), *extra]
    if kind == "short":
        headers.append((b"content-length", str(len(USER)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": USER[:20], "more_body": False})
        return
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def hostile_url() -> Iterator[str]:
    server = BackgroundServer(hostile_app)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def untrusted_tls_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The hostile server over HTTPS with a certificate from a private CA nobody trusts."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    base = tmp_path_factory.mktemp("untrusted-tls")
    cert.cert_chain_pems[0].write_to_path(str(base / "server.pem"))
    cert.private_key_pem.write_to_path(str(base / "server.key"))
    server = BackgroundServer(
        hostile_app, ssl_certfile=str(base / "server.pem"), ssl_keyfile=str(base / "server.key")
    )
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Case:
    """One catalogue case: the command, where it connects, with which token, and the words
    the one error line must hold."""

    argv: tuple[str, ...]
    fragments: tuple[str, ...]
    url: Callable[..., str] | None = None  # (sim, hostile_url[, tls_url]) -> URL
    token: Callable[..., str] | None = None  # (sim) -> token


def expired(sim) -> str:
    return sim.issue_token(
        CAROL, name="old", scopes=("api",), expires_at=sim.today() - timedelta(days=1)
    )


def revoked(sim) -> str:
    return sim.issue_token(CAROL, name="gone", scopes=("api",), revoked=True)


def read_user_only(sim) -> str:
    return sim.issue_token(CAROL, name="narrow", scopes=("read_user",))


def carol(sim) -> str:
    return sim.issue_token(CAROL, name="carol", scopes=("api",))


CASES: dict[str, Case] = {
    # -- where to connect -----------------------------------------------------------------
    "url-without-scheme-plain-http-server": Case(
        ("list",),
        ("plain HTTP", "http://127.0.0.1:"),
        url=lambda sim, h, *_: sim.url.removeprefix("http://"),
    ),
    "url-other-scheme": Case(
        ("list",),
        ("not a GitLab URL", "https://"),
        url=lambda sim, h, *_: "ftp://gitlab.example.com",
    ),
    "url-login-page": Case(("list",), ("HTML page", "URL"), url=lambda sim, h, *_: f"{h}/login"),
    "url-wrong-path": Case(
        ("list",), ("HTML page", "URL"), url=lambda sim, h, *_: f"{sim.url}/wrong/path"
    ),
    "url-redirects-to-sign-in": Case(
        ("list",), ("redirect", "URL"), url=lambda sim, h, *_: f"{h}/redirect"
    ),
    "connection-refused": Case(
        ("list",), ("refused",), url=lambda sim, h, *_: f"http://127.0.0.1:{closed_port()}"
    ),
    "dns-failure": Case(
        ("list",), ("no-such-host.invalid",), url=lambda sim, h, *_: "https://no-such-host.invalid"
    ),
    "tls-certificate-not-trusted": Case(
        ("list",), ("TLS", "certificate", "--ca-bundle"), url=lambda sim, h, tls: f"{tls}/login"
    ),
    "timeout": Case(("list",), ("did not answer",), url=lambda sim, h, *_: f"{h}/silent"),
    "body-not-json": Case(("list",), ("not GitLab",), url=lambda sim, h, *_: f"{h}/text"),
    "json-of-the-wrong-shape": Case(
        ("list",), ("is it GitLab's API",), url=lambda sim, h, *_: f"{h}/shape"
    ),
    "truncated-json": Case(("list",), ("not GitLab",), url=lambda sim, h, *_: f"{h}/truncated"),
    "body-shorter-than-announced": Case(
        ("list",), ("connection",), url=lambda sim, h, *_: f"{h}/short"
    ),
    "cache-ignoring-the-page-query": Case(
        ("list", "--all"),
        ("asked for page 2", "proxy or cache"),
        url=lambda sim, h, *_: f"{h}/pageloop",
    ),
    "cache-repeating-pages-without-x-page": Case(
        ("list", "--all"),
        ("asked for page 2", "proxy or cache"),
        url=lambda sim, h, *_: f"{h}/pagerepeat",
    ),
    "proxy-502-html": Case(("list",), ("502",), url=lambda sim, h, *_: f"{h}/proxy"),
    # -- who you are ----------------------------------------------------------------------
    "401-unknown-token": Case(
        ("list",), ("401", "tokentui auth login"), token=lambda sim: "glpat-00000000000000000000"
    ),
    "401-expired-token": Case(("list",), ("expired", "tokentui auth login"), token=expired),
    "401-revoked-token": Case(("list",), ("revoked", "tokentui auth login"), token=revoked),
    "403-insufficient-scope": Case(("list", "--mine"), ("scope", "api"), token=read_user_only),
    "non-admin-all": Case(("list", "--all"), ("administrator",), token=carol),
    "non-admin-create-for-another-user": Case(
        ("create", "--user", "2", "--name", "x", "--scope", "api"),
        ("only an administrator",),
        token=carol,
    ),
    # -- what you point at -----------------------------------------------------------------
    "404-project-path": Case(
        ("list", "--project", "no/such-project"),
        ("project 'no/such-project' was not found", "404 Project Not Found"),
    ),
    "404-group-path": Case(
        ("list", "--group", "no-such-group"), ("group 'no-such-group' was not found", "Not Found")
    ),
    "404-user-id": Case(("list", "--user", "999999"), ("there is no user 999999",)),
    "404-token-id": Case(("show", "999999"), ("Not Found", "Check the id")),
    "rotate-a-revoked-token": Case(("rotate", "REVOKED"), ("revoked",)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_catalogue_case_is_one_clear_error(
    name: str, sim, hostile_url, untrusted_tls_url, monkeypatch, capsys
) -> None:
    case = CASES[name]
    # Only the silent server's case is about the timeout (it never answers within 3 s); every
    # other case gets a bound a loaded machine cannot reach, so it is never mistaken for one.
    timeout = 0.5 if name == "timeout" else 60
    run = cli_runner(monkeypatch, capsys, sim, sleeps=Sleeps(), timeout=timeout)
    url = case.url(sim, hostile_url, untrusted_tls_url) if case.url else None
    token = case.token(sim) if case.token else None
    argv = case.argv
    if "REVOKED" in argv:
        gone = sim.token_record(revoked(sim)).id
        argv = tuple(str(gone) if a == "REVOKED" else a for a in argv)
    writes_before = len([r for r in sim.request_log if r.method in ("POST", "DELETE")])
    result = run(*argv, token=token, url=url)
    assert_one_clear_error(result, *case.fragments)
    assert result.out == ""
    # A refused command changed nothing on the server.
    if name != "rotate-a-revoked-token":
        after = len([r for r in sim.request_log if r.method in ("POST", "DELETE")])
        assert after == writes_before


# --- the TUI at start: a URL that is not GitLab is one message on stderr, no screen of errors ---


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("login", "HTML page"),
        ("text", "not GitLab"),
        ("shape", "is it GitLab's API"),
    ],
)
async def test_tui_start_on_a_server_that_is_not_gitlab_exits_with_one_message(
    hostile_url, path: str, fragment: str
) -> None:
    app = make_app(GitLabClient(f"{hostile_url}/{path}", "glpat-x", sleep=Sleeps()))
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(200):
            await pilot.pause()
            if app.exit_message:
                break
    assert app.exit_message and fragment in app.exit_message, app.exit_message
    assert "Traceback" not in app.exit_message
    assert app.return_code == 2


async def test_tui_start_behind_a_failing_proxy_says_so_and_offers_a_retry(hostile_url) -> None:
    from tokentui.tui.screens.tokens import TokensScreen
    from tokentui.tui.widgets.token_table import TokenTable

    app = make_app(GitLabClient(f"{hostile_url}/proxy", "glpat-x", sleep=Sleeps()))
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(200):
            await pilot.pause()
            if app.startup_error is not None:
                break
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, TokensScreen) and app.is_running
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "HTTP 502" in errors[0] and "ctrl+r" in errors[0]
        empty = app.screen.query_one(TokenTable).render_line(1).text
        assert "could not start" in empty or "502" in str(app.startup_error)


def test_tui_flags_are_checked_before_the_screen_opens(monkeypatch, capsys) -> None:
    from tokentui.cli.main import main

    monkeypatch.setenv("GITLAB_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-x")
    code = main(["--user", "bob smith"])
    err = capsys.readouterr().err
    assert code == 2 and "--user takes a user id or a username" in err and "Traceback" not in err


async def test_tui_list_behind_a_cache_ignoring_the_page_says_so(hostile_url) -> None:
    app = make_app(
        GitLabClient(f"{hostile_url}/pageloop", "glpat-x", sleep=Sleeps()),
        source_choice=("all", None),
    )
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(200):
            await pilot.pause()
            if app.store.error is not None:
                break
        await app.workers.wait_for_complete()
        await pilot.pause()
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "proxy or cache" in errors[0]
        ids = [t.id for t in app.store.index.tokens]
        assert len(ids) == len(set(ids)) == 100  # page 1 once, never twice


@pytest.mark.parametrize("kind", ["ratedate", "rategarbage"])
def test_odd_retry_after_values_are_capped_or_ignored(
    kind: str, sim, hostile_url, monkeypatch, capsys
) -> None:
    sleeps = Sleeps()
    run = cli_runner(monkeypatch, capsys, sim, sleeps=sleeps)
    result = run("list", url=f"{hostile_url}/{kind}")
    assert_one_clear_error(result, "rate limiting")
    assert len(sleeps.delays) == 4
    if kind == "ratedate":  # an HTTP date in 2099: capped, and said
        assert sleeps.delays == [60, 60, 60, 60]
        assert "waiting at most 60 s" in result.err
    else:  # unreadable: the usual backoff
        assert max(sleeps.delays) <= 8
