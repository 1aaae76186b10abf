"""GitLabClient: the async httpx client for GitLab's token API.

One ``httpx.AsyncClient`` per instance and credential. Every token path comes from the
:class:`~tokentui.gitlab.sources.TokenSource` in hand; errors are the typed exceptions of
:mod:`tokentui.gitlab.errors` (mapped in :mod:`tokentui.gitlab.responses`); reads are retried
by the one :class:`~tokentui.gitlab.retry.RetryPolicy`, writes never. See ``docs/client.md``.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit
from urllib.request import getproxies

import httpx
from pydantic import SecretStr, TypeAdapter

from tokentui import __version__
from tokentui.gitlab import scopes as sc
from tokentui.gitlab.connection import (
    API_SUFFIX,
    TLSOptions,
    TokenAuth,
    as_secret,
    build_ssl_context,
    normalise_base_url,
)
from tokentui.gitlab.deploy_tokens import (
    ALL_DEPLOY_TOKENS_PATH,
    CreateDeployTokenRequest,
    DeployTokenOwner,
    create_body,
)
from tokentui.gitlab.errors import GitLabError, NotGitLab, OutcomeUnknown, RateLimited
from tokentui.gitlab.models import (
    TOKEN_LIST,
    AssociatedGroup,
    AssociatedProject,
    Associations,
    DeployToken,
    Group,
    NewDeployToken,
    NewToken,
    Project,
    ServiceAccount,
    Token,
    User,
    Variable,
    Version,
)
from tokentui.gitlab.pagination import keyset_next, ordered_pages, page_info
from tokentui.gitlab.rate_limit import RateGate
from tokentui.gitlab.responses import (
    error_from_response,
    error_from_transport,
    html_error,
    looks_like_html,
    parse_body,
)
from tokentui.gitlab.retry import RetryHook, RetryPolicy, Sleep
from tokentui.gitlab.sources import (
    DeployTokens,
    PersonalTokens,
    TokenFilters,
    TokenSource,
    _encode,
    self_rotate_path,
)
from tokentui.gitlab.transport import SpreadTransport
from tokentui.gitlab.variables import VariableOwner, scope_params

log = logging.getLogger("tokentui.gitlab")
T = TypeVar("T")

_TOKEN = TypeAdapter(Token)
_NEW_TOKEN = TypeAdapter(NewToken)
_USER = TypeAdapter(User)
_PROJECT = TypeAdapter(Project)
_GROUP = TypeAdapter(Group)
_VERSION = TypeAdapter(Version)
_ACCOUNTS = TypeAdapter(list[ServiceAccount])
_USERS = TypeAdapter(list[User])
_PROJECTS = TypeAdapter(list[Project])
_GROUPS = TypeAdapter(list[Group])
_ASSOCIATIONS = TypeAdapter(Associations)
_DEPLOY_TOKEN = TypeAdapter(DeployToken)
_DEPLOY_TOKENS = TypeAdapter(list[DeployToken])
_NEW_DEPLOY_TOKEN = TypeAdapter(NewDeployToken)
_VARIABLE = TypeAdapter(Variable)
_VARIABLES = TypeAdapter(list[Variable])
_OBJECT: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])
#: The token information API (§7.4), administrators only.
ADMIN_TOKEN_PATH = "/admin/token"

#: ``GET``/``DELETE /personal_access_tokens/self`` (the token in use), from the source.
_SELF_PATH = PersonalTokens().token_path("self")
MAX_PER_PAGE = 100
#: Pages in flight at once when the total is known (GitLab's X-Total-Pages). 10,000 tokens at
#: 100 a page over a 30 ms link: 100 sequential round trips become ~7 (see docs/performance.md).
DEFAULT_CONCURRENCY = 16

#: One shared ``__pydantic_fields_set__`` per distinct set of fields (see :func:`_compact`).
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def _compact(tokens: list[Token]) -> list[Token]:
    """Share one ``__pydantic_fields_set__`` between tokens that set the same fields.

    pydantic keeps a separate ``set`` of explicitly set field names on every instance: ~750
    bytes per token, half of a token's memory (100,000 tokens: 75 MB). Tokens are frozen, so
    the set is never mutated in place (``model_copy`` copies it first); sharing it is safe.
    """
    shared = _FIELDS_SETS
    for token in tokens:
        fields = token.__pydantic_fields_set__
        one = shared.get(key := frozenset(fields))
        if one is None:
            if len(shared) < 64:  # a handful of shapes per endpoint; never grow unbounded
                shared[key] = fields
        elif one is not fields:
            object.__setattr__(token, "__pydantic_fields_set__", one)
    return tokens


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a token list."""

    items: list[Token]
    page: int
    per_page: int
    #: None when GitLab did not say (it drops X-Total above 10,000 rows).
    total: int | None
    total_pages: int | None
    next_page: int | None


@dataclass(frozen=True, slots=True)
class _AnyPage(Generic[T]):
    """One page of a non-token list (service accounts)."""

    items: list[T]
    page: int
    per_page: int
    total_pages: int | None
    next_page: int | None


@dataclass(frozen=True, slots=True)
class _ListRequest:
    """What page 1 of a token list asks the server: two sources (or filters) that send the
    same requests list the same tokens."""

    path: str
    params: dict[str, str]
    per_page: int

    @classmethod
    def of(cls, source: TokenSource, filters: TokenFilters | None, per_page: int) -> _ListRequest:
        return cls(
            source.list_path(), dict(source.list_params(filters or TokenFilters())), per_page
        )


@dataclass(frozen=True, slots=True)
class CreateTokenRequest:
    """What a new token should be. ``access_level`` only for project/group tokens."""

    name: str
    scopes: tuple[str, ...]
    expires_at: date | None = None
    description: str | None = None
    access_level: int | None = None


def _verify_for(base_url: str, tls: TLSOptions | None) -> ssl.SSLContext | bool:
    """httpx's ``verify`` for ``base_url``: the SSL context of ``tls``, or False when no TLS
    connection can ever be made (a plain ``http://`` URL and no proxy from the environment;
    redirects are never followed), whatever TLS options apply: a CA bundle from
    ``SSL_CERT_FILE`` or a profile only matters to an HTTPS connection.

    Building a context loads a CA store (~20-40 ms at every start); httpx would otherwise
    build one even for ``http://``. requests (python-gitlab) only does it for an HTTPS
    connection, so neither pays it on a plain-HTTP instance (docs/performance.md). The files
    named in a profile are still checked to exist when it is loaded (``config.tls_options``).
    """
    if urlsplit(base_url).scheme == "http" and not getproxies():
        return False
    return build_ssl_context(tls or TLSOptions())


class GitLabClient:
    """Async client for one GitLab instance and one credential.

    ``on_retry(attempt, delay_seconds, reason)`` is called before each retry of a read (for a
    UI to show "retrying...", ``attempt`` >= 2; ``on_retry_end`` once the read is over) and
    before a request waits for GitLab's rate limit to reset (``attempt`` 1; ``on_retry_end``
    once the wait is over); ``sleep`` is what waits (tests pass a
    fast one); ``retry`` tunes the policy. Every request goes through the rate gate
    (``rate_limit.py``): it holds requests back when ``RateLimit-Remaining`` says the window
    is nearly used up, and spaces them to ``max_rate`` requests per second when given.
    ``clock`` (epoch seconds, default the system's) is what ``RateLimit-Reset`` is compared
    with. Use as ``async with GitLabClient(...) as client:`` or call :meth:`aclose`.
    """

    def __init__(
        self,
        base_url: str,
        token: SecretStr | str | None,
        *,
        tls: TLSOptions | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        retry: RetryPolicy | None = None,
        on_retry: RetryHook | None = None,
        sleep: Sleep | None = None,
        max_rate: float | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._base_url = normalise_base_url(base_url)
        if timeout <= 0:
            raise ValueError("the timeout must be a positive number of seconds")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._auth = TokenAuth(as_secret(token))
        self._timeout = timeout
        self._tls = tls
        self._transport = transport
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self.on_retry = on_retry
        #: Called once a read that was retried is over (answered, failed or cancelled): with
        #: ``on_retry``, a UI knows how many requests are waiting to be tried again.
        self.on_retry_end: Callable[[], None] | None = None
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock: Callable[[], float] = clock or time.time
        #: GitLab's rate limit and the ``max_rate`` cap (``rate_limit.py``).
        self.rate_gate = RateGate(clock=self._clock, sleep=self._sleep, max_rate=max_rate)
        #: Page 1 of a token list requested ahead (:meth:`prefetch_token_page`), with the
        #: request it answers: the next :meth:`iter_token_pages` takes it or cancels it.
        self._prefetched: list[tuple[_ListRequest, asyncio.Task[Page]]] = []
        verify = _verify_for(self._base_url, tls) if transport is None else True
        connections = max(concurrency * 2, 10)
        if transport is None and not getproxies():
            # httpx honours proxies from the environment only with its own transport.
            transport = SpreadTransport(connections, verify=verify)
        self._http = httpx.AsyncClient(
            base_url=self._base_url + API_SUFFIX,
            auth=self._auth,
            headers={"User-Agent": f"tokentui/{__version__}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            verify=verify,
            transport=transport,
            trust_env=True,
            follow_redirects=False,
            # Only for httpx's own transport (behind a proxy), as before SpreadTransport.
            limits=httpx.Limits(
                max_connections=connections, max_keepalive_connections=max(concurrency, 5)
            ),
        )

    def __repr__(self) -> str:
        return f"GitLabClient({self._base_url!r}, token=<hidden>)"

    @property
    def base_url(self) -> str:
        """The instance URL as given, without ``/api/v4``."""
        return self._base_url

    def with_credential(self, token: SecretStr) -> GitLabClient:
        """A new client for the same instance (URL, TLS, transport, timeout, retry policy)
        with another credential, e.g. a pasted value asked about itself. Close it after use."""
        return GitLabClient(
            self._base_url,
            token,
            tls=self._tls,
            timeout=self._timeout,
            transport=self._transport,
            retry=self.retry,
            sleep=self._sleep,
        )

    def set_token(self, token: SecretStr | str) -> None:
        """Switch the credential (after a self-rotation)."""
        secret = as_secret(token)
        if secret is None:
            raise ValueError("the new token is empty")
        self._auth.token = secret

    async def aclose(self) -> None:
        """Close the connection pool (a page 1 requested ahead and never used is cancelled)."""
        self.cancel_prefetched()
        await self._http.aclose()

    async def __aenter__(self) -> GitLabClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- requests ------------------------------------------------------------------------
    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """Send one request; retry it per the policy if it is a read; return a 2xx response
        or raise the typed error."""
        retries = self.retry.may_retry(method)
        attempt = 1
        rate_limited = False
        held = False

        def on_hold(delay: float, reason: str) -> None:
            # A hold is an episode of its own, announced as attempt 1 (no retry) and ended
            # as soon as the request may go.
            nonlocal held
            held = True
            self._report_retry(1, delay, reason)

        try:
            while True:
                request = self._http.build_request(
                    method, path.lstrip("/"), params=params, json=json
                )
                error: GitLabError
                # A read retried after GitLab's Retry-After has waited already.
                ticket = await self.rate_gate.enter(on_hold, hold=not rate_limited)
                if held:
                    held = False
                    self._report_retry_end()
                answer: httpx.Response | None = None
                try:
                    answer = response = await self._http.send(request)
                except httpx.TransportError as exc:
                    error = error_from_transport(
                        exc, request=request, base_url=self._base_url, timeout=self._timeout
                    )
                    log.debug("%s %s failed: %s", method, request.url, type(exc).__name__)
                else:
                    log.debug("%s %s -> %s", method, request.url, response.status_code)
                    if 200 <= response.status_code < 300:
                        if looks_like_html(response):  # e.g. a login page in front of the API
                            raise html_error(response, self._base_url)
                        return response
                    error = error_from_response(
                        response,
                        had_token=self._auth.token is not None,
                        base_url=self._base_url,
                        now=self._clock(),
                    )
                finally:
                    ok = answer is not None and 200 <= answer.status_code < 300
                    headers = answer.headers if answer is not None else None
                    self.rate_gate.leave(ticket, headers, ok=ok)
                decision = self.retry.decide(error, attempt) if retries else None
                if decision is None:
                    raise error
                delay, reason = decision
                rate_limited = isinstance(error, RateLimited)
                attempt += 1
                self._report_retry(attempt, delay, reason)
                await self._sleep(delay)
        finally:
            if held:  # cancelled while held
                self._report_retry_end()
            if attempt > 1:
                self._report_retry_end()

    def _report_retry(self, attempt: int, delay: float, reason: str) -> None:
        log.info("retry %d in %.1f s: %s", attempt, delay, reason)
        if self.on_retry is not None:
            try:
                self.on_retry(attempt, delay, reason)
            except Exception:  # a UI callback must not break the request
                log.debug("on_retry callback failed", exc_info=True)

    def _report_retry_end(self) -> None:
        if self.on_retry_end is not None:
            try:
                self.on_retry_end()
            except Exception:  # a UI callback must not break the request
                log.debug("on_retry_end callback failed", exc_info=True)

    async def _get(self, path: str, adapter: TypeAdapter[T], what: str, **params: Any) -> T:
        response = await self._request("GET", path, params=params or None)
        return parse_body(adapter, response, what=what, base_url=self._base_url)

    async def _write_token(
        self, method: str, path: str, body: dict[str, Any], what: str
    ) -> NewToken:
        return await self._write_secret(method, path, body, _NEW_TOKEN, what)

    async def _write_secret(
        self, method: str, path: str, body: dict[str, Any], adapter: TypeAdapter[T], what: str
    ) -> T:
        """Send a write whose answer carries a new secret (never retried). A 2xx answer that
        cannot be read is :class:`OutcomeUnknown`: the change happened, the value is lost."""
        response = await self._request(method, path, json=body)
        try:
            return parse_body(adapter, response, what=what, base_url=self._base_url)
        except NotGitLab as exc:
            # GitLab said yes, so the change happened, but the new value is unreadable.
            raise OutcomeUnknown(
                f"GitLab accepted {method} {path} (HTTP {response.status_code}) but its answer "
                "could not be read, so the new token's value is lost: the change has probably "
                "happened; check the token list before trying again.",
                method=method,
                url=str(response.request.url),
                where=f"{method} {path}",
            ) from exc

    # -- who and where -------------------------------------------------------------------
    async def current_user(self) -> User:
        """``GET /user``."""
        return await self._get("/user", _USER, "a user")

    async def get_user(self, user_id: int | str) -> User:
        """``GET /users/:id``."""
        return await self._get(f"/users/{_encode(user_id)}", _USER, "a user")

    async def get_project(self, id_or_path: int | str) -> Project:
        """``GET /projects/:id`` (id or full path)."""
        return await self._get(f"/projects/{_encode(id_or_path)}", _PROJECT, "a project")

    async def get_group(self, id_or_path: int | str) -> Group:
        """``GET /groups/:id`` (id or full path)."""
        return await self._get(f"/groups/{_encode(id_or_path)}", _GROUP, "a group")

    async def version(self) -> Version:
        """``GET /version``."""
        return await self._get("/version", _VERSION, "a version")

    async def list_service_accounts(self, group: int | str) -> list[ServiceAccount]:
        """``GET /groups/:id/service_accounts`` (all pages)."""
        path = f"/groups/{_encode(group)}/service_accounts"
        return await self._list(path, _ACCOUNTS, "a list of service accounts", {})

    async def _list(
        self,
        path: str,
        adapter: TypeAdapter[list[T]],
        what: str,
        params: dict[str, Any],
        *,
        limit: int | None = None,
    ) -> list[T]:
        """Every item of a paginated list (pages in order, fetched ahead as GitLab's totals
        allow), or only the first ``limit`` items (one request when they fit in a page)."""
        per_page = MAX_PER_PAGE if limit is None else max(1, min(limit, MAX_PER_PAGE))

        async def fetch(number: int) -> _AnyPage[T]:
            response = await self._request(
                "GET", path, params={**params, "page": number, "per_page": per_page}
            )
            items = parse_body(adapter, response, what=what, base_url=self._base_url)
            info = page_info(response.headers, requested_page=number, requested_per_page=per_page)
            return _AnyPage(items, info.page, info.per_page, info.total_pages, info.next_page)

        if limit is not None and limit <= per_page:
            return (await fetch(1)).items[:limit]
        found: list[T] = []
        async with aclosing(ordered_pages(fetch, concurrency=self.concurrency)) as pages:
            async for page in pages:
                found.extend(page.items)
                if limit is not None and len(found) >= limit:
                    return found[:limit]
        return found

    async def list_users(
        self,
        *,
        search: str | None = None,
        username: str | None = None,
        humans: bool | None = None,
        exclude_humans: bool | None = None,
        exclude_internal: bool | None = None,
        active: bool | None = None,
        limit: int | None = None,
    ) -> list[User]:
        """``GET /users``: users matching ``search`` (name, username; GitLab puts exact
        matches first) or the one named ``username`` (exact, any case). All pages unless
        ``limit``."""
        params = _flags(
            search=search,
            username=username,
            humans=humans,
            exclude_humans=exclude_humans,
            exclude_internal=exclude_internal,
            active=active,
        )
        return await self._list("/users", _USERS, "a list of users", params, limit=limit)

    async def user_by_username(self, username: str) -> User | None:
        """The user named ``username`` (``GET /users?username=``), or None."""
        found = await self.list_users(username=username.strip().removeprefix("@"), limit=1)
        return found[0] if found else None

    async def list_projects(
        self,
        *,
        search: str | None = None,
        search_namespaces: bool | None = None,
        membership: bool | None = None,
        min_access_level: int | None = None,
        owned: bool | None = None,
        simple: bool | None = None,
        order_by: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
    ) -> list[Project]:
        """``GET /projects`` (offset pages). Without ``membership``/``min_access_level``/
        ``owned`` GitLab lists every project the caller can see (on GitLab.com: millions):
        pass one of them, or a ``limit``."""
        params = _flags(
            search=search,
            search_namespaces=search_namespaces,
            membership=membership,
            min_access_level=min_access_level,
            owned=owned,
            simple=simple,
            order_by=order_by,
            sort=sort,
        )
        return await self._list("/projects", _PROJECTS, "a list of projects", params, limit=limit)

    async def iter_project_pages(
        self,
        *,
        min_access_level: int | None = None,
        membership: bool | None = None,
        simple: bool = True,
        per_page: int = MAX_PER_PAGE,
    ) -> AsyncGenerator[list[Project], None]:
        """``GET /projects`` walked with keyset pagination (``order_by=id&sort=asc``), one page
        at a time as each arrives: no offset limit and no totals (gitlab-api.md §7.1). The next
        page is the ``id_after`` of ``Link: rel="next"``; a link that does not move forward
        raises :class:`NotGitLab` before anything is listed twice. Without
        ``min_access_level``/``membership`` an administrator walks every project."""
        params: dict[str, Any] = {
            **_flags(min_access_level=min_access_level, membership=membership, simple=simple),
            "pagination": "keyset",
            "order_by": "id",
            "sort": "asc",
            "per_page": per_page,
        }
        after: int | None = None
        while True:
            response = await self._request("GET", "/projects", params=params)
            items = parse_body(
                _PROJECTS, response, what="a list of projects", base_url=self._base_url
            )
            if items:
                yield items
            following = keyset_next(response.headers)
            if following is None or not items:
                return
            if after is not None and following <= after:
                raise NotGitLab(
                    f"{self._base_url} answered GET /projects with a next page that does not move "
                    f"forward (id_after={following} after {after}): is the URL right?",
                    method="GET",
                    url=str(response.request.url),
                )
            after = following
            params = {**params, "id_after": following}

    async def list_groups(
        self,
        *,
        search: str | None = None,
        all_available: bool | None = None,
        min_access_level: int | None = None,
        owned: bool | None = None,
        top_level_only: bool | None = None,
        order_by: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
    ) -> list[Group]:
        """``GET /groups`` (offset pages). ``min_access_level`` includes the descendants of
        the groups where the caller has that role; ``owned`` only direct Owner memberships."""
        params = _flags(
            search=search,
            all_available=all_available,
            min_access_level=min_access_level,
            owned=owned,
            top_level_only=top_level_only,
            order_by=order_by,
            sort=sort,
        )
        return await self._list("/groups", _GROUPS, "a list of groups", params, limit=limit)

    # -- tokens --------------------------------------------------------------------------
    def iter_token_pages(
        self,
        source: TokenSource,
        filters: TokenFilters | None = None,
        *,
        per_page: int = 100,
        concurrency: int | None = None,
        ahead: int = 0,
    ) -> AsyncGenerator[Page, None]:
        """Yield the pages of a token list in order, each exactly once.

        Page 1 first; then, when GitLab gave ``X-Total-Pages``, the remaining pages are fetched
        up to ``concurrency`` at a time (default: the client's); without a total, a few pages
        ahead while pages come back full. Close it (``contextlib.aclosing``) or cancel it to
        cancel the requests in flight.

        Page 1 requested ahead for the very same requests (:meth:`prefetch_token_page`) is
        awaited instead of asked again; one requested for another list is cancelled.
        ``ahead``: pages requested together with page 1, for a list expected to be long (see
        :func:`~tokentui.gitlab.pagination.ordered_pages`).
        """
        fetch = self._token_page_fetcher(source, filters, per_page)
        first = self._take_prefetched(_ListRequest.of(source, filters, per_page))
        return ordered_pages(
            fetch, concurrency=concurrency or self.concurrency, first=first, ahead=ahead
        )

    async def token_page(
        self,
        source: TokenSource,
        filters: TokenFilters | None = None,
        *,
        page: int = 1,
        per_page: int = 100,
    ) -> Page:
        """One page of a token list."""
        return await self._token_page_fetcher(source, filters, per_page)(page)

    def prefetch_token_page(
        self, source: TokenSource, filters: TokenFilters | None = None, *, per_page: int = 100
    ) -> None:
        """Request page 1 of a token list now (call with a running event loop), before anyone
        iterates it: the next :meth:`iter_token_pages` takes the answer when it lists the very
        same requests, and cancels it otherwise. Start-up sends it with its other first
        requests (:mod:`tokentui.core.startup`)."""
        fetch = self._token_page_fetcher(source, filters, per_page)
        task = asyncio.ensure_future(fetch(1))
        # An answer nobody ends up waiting for (the app left early, the source changed) must
        # not be reported as "exception never retrieved".
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._prefetched.append((_ListRequest.of(source, filters, per_page), task))

    def cancel_prefetched(self) -> None:
        """Cancel every page 1 requested ahead and not taken yet."""
        prefetched, self._prefetched = self._prefetched, []
        for _, task in prefetched:
            task.cancel()

    def _take_prefetched(self, request: _ListRequest) -> Awaitable[Page] | None:
        """The page 1 requested ahead for ``request`` (the caller owns it), if any; the others
        requested ahead are for a list nobody asked for after all: cancelled."""
        prefetched, self._prefetched = self._prefetched, []
        taken: Awaitable[Page] | None = None
        for key, task in prefetched:
            if taken is None and key == request:
                taken = task
            else:
                task.cancel()
        return taken

    def _token_page_fetcher(
        self, source: TokenSource, filters: TokenFilters | None, per_page: int
    ) -> Callable[[int], Awaitable[Page]]:
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}")
        path = source.list_path()
        params = source.list_params(filters or TokenFilters())

        async def fetch(number: int) -> Page:
            response = await self._request(
                "GET", path, params={**params, "page": number, "per_page": per_page}
            )
            if isinstance(source, DeployTokens):
                # Deploy tokens have an entity of their own: shown as rows (Token.key).
                deploy = parse_body(
                    _DEPLOY_TOKENS,
                    response,
                    what="a list of deploy tokens",
                    base_url=self._base_url,
                )
                rows = [t.as_row(source.resource_type, source.resource_id) for t in deploy]
                items = _compact(rows)
            else:
                items = _compact(
                    parse_body(
                        TOKEN_LIST, response, what="a list of tokens", base_url=self._base_url
                    )
                )
            info = page_info(response.headers, requested_page=number, requested_per_page=per_page)
            return Page(
                items=items,
                page=info.page,
                per_page=info.per_page,
                total=info.total,
                total_pages=info.total_pages,
                next_page=info.next_page,
            )

        return fetch

    async def list_tokens(
        self, source: TokenSource, filters: TokenFilters | None = None
    ) -> list[Token]:
        """Every token of ``source`` (all pages)."""
        tokens: list[Token] = []
        async with aclosing(self.iter_token_pages(source, filters)) as pages:
            async for page in pages:
                tokens.extend(page.items)
        return tokens

    async def get_token(self, source: TokenSource, token_id: int) -> Token:
        """One token of ``source`` (a deploy token as a row: :meth:`DeployToken.as_row`)."""
        if isinstance(source, DeployTokens):
            found = await self.get_deploy_token(source.owner, int(token_id))
            return found.as_row(source.resource_type, source.resource_id)
        return await self._get(source.get_path(int(token_id)), _TOKEN, "a token")

    async def get_self_token(self) -> Token:
        """``GET /personal_access_tokens/self``: the token in use."""
        return await self._get(_SELF_PATH, _TOKEN, "a token")

    async def self_associations(self) -> Associations:
        """``GET /personal_access_tokens/self/associations`` (all pages).

        GitLab paginates ``groups`` and ``projects`` independently with the same ``page``:
        pages are read until both lists come back short.
        """
        groups: list[AssociatedGroup] = []
        projects: list[AssociatedProject] = []
        number = 1
        while True:
            page = await self._get(
                f"{_SELF_PATH}/associations",
                _ASSOCIATIONS,
                "the token's associations",
                page=number,
                per_page=MAX_PER_PAGE,
            )
            groups.extend(page.groups)
            projects.extend(page.projects)
            if max(len(page.groups), len(page.projects)) < MAX_PER_PAGE:
                break
            number += 1
        return Associations(groups=tuple(groups), projects=tuple(projects))

    async def create_token(
        self, source: TokenSource, request: CreateTokenRequest, *, viewer_is_admin: bool
    ) -> NewToken:
        """Create a token in ``source`` (route from ``source.create_route``). Never retried.

        Raises ``ValueError`` (user-ready message) when the source cannot create tokens through
        the API or the request cannot be valid there; GitLab's refusals raise
        :class:`~tokentui.gitlab.errors.ValidationFailed` and friends.
        """
        route = source.create_route(viewer_is_admin=viewer_is_admin)
        if route is None:
            who = "" if viewer_is_admin else " without administrator rights"
            raise ValueError(f"tokens of {source.label} cannot be created through the API{who}")
        name = sc.checked_name_and_scopes(
            request.name,
            request.scopes,
            route.scopes,
            what="token",
            valid_for=f"tokens of {source.label}",
        )
        if request.description is not None and len(request.description) > sc.MAX_DESCRIPTION_LENGTH:
            raise ValueError(
                f"a token description has at most {sc.MAX_DESCRIPTION_LENGTH} characters"
            )
        if route.expires_required and request.expires_at is None:
            raise ValueError(f"tokens of {source.label} need an expiry date")
        body: dict[str, Any] = {"name": name, "scopes": list(request.scopes)}
        if request.expires_at is not None:
            body["expires_at"] = request.expires_at.isoformat()
        if request.description is not None:
            body["description"] = request.description
        if request.access_level is not None:
            if route.access_levels is None:
                raise ValueError(f"tokens of {source.label} have no access level")
            if request.access_level not in route.access_levels:
                levels = ", ".join(f"{v} ({sc.ACCESS_LEVELS[v]})" for v in route.access_levels)
                raise ValueError(f"access level {request.access_level} is not one of {levels}")
            body["access_level"] = request.access_level
        return await self._write_token("POST", route.path, body, "a new token")

    async def rotate_token(
        self, source: TokenSource, token_id: int, *, expires_at: date | None = None
    ) -> NewToken:
        """Rotate a token by id. Never retried."""
        if not source.can_rotate:
            raise ValueError(f"tokens of {source.label} cannot be rotated through the API")
        return await self._write_token(
            "POST", source.rotate_path(int(token_id)), _expiry(expires_at), "a rotated token"
        )

    async def rotate_self(
        self, source: TokenSource | None = None, *, expires_at: date | None = None
    ) -> NewToken:
        """Rotate the token in use (resource path for a project/group token). Never retried."""
        return await self._write_token(
            "POST", self_rotate_path(source), _expiry(expires_at), "a rotated token"
        )

    async def revoke_token(self, source: TokenSource, token_id: int) -> None:
        """Revoke a token by id. Never retried."""
        await self._request("DELETE", source.revoke_path(int(token_id)))

    async def revoke_self(self) -> None:
        """``DELETE /personal_access_tokens/self``. Never retried."""
        await self._request("DELETE", _SELF_PATH)

    # -- deploy tokens (gitlab-api.md §7.3) ----------------------------------------------
    async def list_deploy_tokens(
        self,
        owner: DeployTokenOwner | None = None,
        *,
        active: bool | None = None,
        limit: int | None = None,
    ) -> list[DeployToken]:
        """The deploy tokens of a project or group (Maintainer+), or with ``owner`` None every
        deploy token of the instance (``GET /deploy_tokens``: administrators only, 403
        otherwise). ``active=True``: neither revoked nor past ``expires_at``. All pages (fetched
        ahead like the other lists) unless ``limit``. The admin list does not say which project
        or group a token belongs to (GitLab's entity has no such field)."""
        path = ALL_DEPLOY_TOKENS_PATH if owner is None else owner.list_path
        params = _flags(active=active)
        return await self._list(
            path, _DEPLOY_TOKENS, "a list of deploy tokens", params, limit=limit
        )

    async def get_deploy_token(self, owner: DeployTokenOwner, token_id: int) -> DeployToken:
        """``GET /projects|groups/:id/deploy_tokens/:token_id``."""
        return await self._get(owner.token_path(token_id), _DEPLOY_TOKEN, "a deploy token")

    async def create_deploy_token(
        self, owner: DeployTokenOwner, request: CreateDeployTokenRequest
    ) -> NewDeployToken:
        """``POST /projects|groups/:id/deploy_tokens`` (project Maintainer+, group Owner).
        Never retried: a 502/504 or a lost answer is :class:`OutcomeUnknown` (a token may
        exist whose value nobody has). ``ValueError`` before any request when GitLab would
        refuse the request (:func:`~tokentui.gitlab.deploy_tokens.create_body`)."""
        body = create_body(request)
        return await self._write_secret(
            "POST", owner.list_path, body, _NEW_DEPLOY_TOKEN, "a new deploy token"
        )

    async def revoke_deploy_token(self, owner: DeployTokenOwner, token_id: int) -> None:
        """``DELETE /projects|groups/:id/deploy_tokens/:token_id`` (204). GitLab deletes the
        token rather than marking it revoked. Never retried."""
        await self._request("DELETE", owner.token_path(token_id))

    # -- CI/CD variables (gitlab-api.md §7.6) --------------------------------------------
    async def list_variables(self, owner: VariableOwner) -> list[Variable]:
        """Every variable of a project (Maintainer+) or group (Owner)."""
        return await self._list(owner.list_path, _VARIABLES, "a list of variables", {})

    async def get_variable(
        self, owner: VariableOwner, key: str, *, environment_scope: str | None = None
    ) -> Variable:
        """``GET …/variables/:key``; ``environment_scope`` picks one of a key held in several
        scopes (GitLab answers 409 without it)."""
        response = await self._request(
            "GET", owner.key_path(key), params=scope_params(environment_scope)
        )
        return parse_body(_VARIABLE, response, what="a variable", base_url=self._base_url)

    async def create_variable(
        self,
        owner: VariableOwner,
        key: str,
        value: SecretStr,
        *,
        masked: bool = False,
        protected: bool = False,
        environment_scope: str | None = None,
    ) -> Variable:
        """``POST …/variables``. Never retried."""
        body: dict[str, Any] = {
            "key": key,
            "value": value.get_secret_value(),
            "masked": masked,
            "protected": protected,
        }
        if environment_scope:
            body["environment_scope"] = environment_scope
        response = await self._request("POST", owner.list_path, json=body)
        return parse_body(_VARIABLE, response, what="a variable", base_url=self._base_url)

    async def update_variable(
        self,
        owner: VariableOwner,
        key: str,
        value: SecretStr,
        *,
        environment_scope: str | None = None,
    ) -> Variable:
        """``PUT …/variables/:key`` with the value only, so masked, protected, raw, type and
        scope stay as they are. Never retried (a lost answer is ``OutcomeUnknown``)."""
        response = await self._request(
            "PUT",
            owner.key_path(key),
            params=scope_params(environment_scope),
            json={"value": value.get_secret_value()},
        )
        return parse_body(_VARIABLE, response, what="a variable", base_url=self._base_url)

    async def delete_variable(
        self, owner: VariableOwner, key: str, *, environment_scope: str | None = None
    ) -> None:
        """``DELETE …/variables/:key`` (204). Never retried."""
        await self._request("DELETE", owner.key_path(key), params=scope_params(environment_scope))

    # -- token information API (gitlab-api.md §7.4) --------------------------------------
    async def admin_token_info(self, value: SecretStr) -> Token | DeployToken | dict[str, Any]:
        """``POST /admin/token`` (administrators): what the token ``value`` is. An access token
        comes back as a :class:`Token` (revoked and expired ones too), a deploy token as a
        :class:`DeployToken`, any other type as GitLab's object. The value travels in the
        JSON body only. 404 (no such token), 422 (type not supported) raise."""
        response = await self._request(
            "POST", ADMIN_TOKEN_PATH, json={"token": value.get_secret_value()}
        )
        body = parse_body(_OBJECT, response, what="token information", base_url=self._base_url)
        body.pop("token", None)
        if "user_id" in body and "scopes" in body:
            return parse_body(_TOKEN, response, what="a token", base_url=self._base_url)
        if "username" in body and "scopes" in body:
            return parse_body(
                _DEPLOY_TOKEN, response, what="a deploy token", base_url=self._base_url
            )
        return body

    async def admin_revoke_token(self, value: SecretStr) -> None:
        """``DELETE /admin/token`` (administrators): revoke (or reset) the token ``value`` is,
        whatever its kind (204). Never retried."""
        await self._request("DELETE", ADMIN_TOKEN_PATH, json={"token": value.get_secret_value()})


def _flags(**values: Any) -> dict[str, str]:
    """Query parameters of the values given (booleans as ``true``/``false``)."""
    params: dict[str, str] = {}
    for name, value in values.items():
        if value is None or value == "":
            continue
        params[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return params


def _expiry(expires_at: date | None) -> dict[str, Any]:
    return {"expires_at": expires_at.isoformat()} if expires_at is not None else {}
