"""The Starlette app: fault layer, request log, routing and GitLab's error rendering."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Protocol
from urllib.parse import unquote

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from tokentui.simulator import errors, routes
from tokentui.simulator.config import SimulatorConfig
from tokentui.simulator.context import Ctx
from tokentui.simulator.faults import Decision, Faults, LoggedRequest
from tokentui.simulator.params import Params
from tokentui.simulator.rate_limits import RateLimits, credential_of
from tokentui.simulator.state import State


class SimulatorHost(Protocol):
    """What the ASGI app needs of its simulator (:class:`~tokentui.simulator.simulator.Simulator`,
    which builds the app, so the app does not import it)."""

    state: State
    config: SimulatorConfig
    faults: Faults
    rate_limits: RateLimits

    def now(self) -> datetime: ...

    def log_request(self, entry: LoggedRequest) -> None: ...


log = logging.getLogger(__name__)
API_PREFIX = "/api/v4"
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_FAULT_MESSAGES = {
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
    503: "503 Service Unavailable",
}
_APP_LIMIT_MESSAGE = "This endpoint has been requested too many times. Try again later."
_PROXY_TITLES = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}
_HTML_404 = (
    "<!DOCTYPE html>\n<html><head><title>Not Found</title></head>"
    "<body><h1>404</h1><p>Page not found</p></body></html>\n"
)
_HTML_SIGN_IN = (
    "<!DOCTYPE html>\n<html><head><title>Sign in · GitLab</title></head>"
    '<body><form action="/users/sign_in" method="post"></form></body></html>\n'
)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer (204 has no body)."""
    if body is None:
        return Response(status_code=status, headers=headers)
    content = json.dumps(body, separators=(",", ":"))
    return Response(content, status, headers, media_type="application/json")


def proxy_error_page(status: int) -> Response:
    """NGINX's own error page for ``status`` (502, 503, 504), as it sends it."""
    title = _PROXY_TITLES[status]
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return Response(page, status, media_type="text/html")


async def drop_connection(send: Send) -> None:
    """Close the connection without a response (uvicorn), or raise httpx's error in process."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None and hasattr(cycle, "disconnected"):
        transport.close()
        cycle.disconnected = True  # type: ignore[union-attr]
        return
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")


def _connection(scope: Scope) -> str:
    """The client's ``host:port`` of the request's connection (empty if unknown)."""
    peer = scope.get("client")
    return f"{peer[0]}:{peer[1]}" if peer else ""


class SimulatorApp(Starlette):
    """GitLab's REST API v4 for one simulator."""

    def __init__(self, sim: SimulatorHost) -> None:
        routes.load()
        super().__init__(routes=[Route("/{path:path}", self._endpoint, methods=_METHODS)])
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        method = scope["method"]
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        path = path.split("?", 1)[0]
        query = scope.get("query_string", b"").decode("latin-1")
        connection = _connection(scope)
        decision = self.sim.faults.decide(method, path)
        if decision.latency_s:
            await asyncio.sleep(decision.latency_s)
        if decision.drop_before:
            self.sim.log_request(
                LoggedRequest(method, path, query, 0, dropped=True, connection=connection)
            )
            await drop_connection(send)
            return
        throttle = None
        if path.startswith(API_PREFIX + "/"):
            credential = credential_of(scope.get("headers", []), query)
            throttle = self.sim.rate_limits.check(credential, self.sim.now())
        if throttle is not None and throttle.throttled:
            self.sim.log_request(LoggedRequest(method, path, query, 429, connection=connection))
            answer = Response("Retry later\n", 429, throttle.headers, media_type="text/plain")
            await answer(scope, receive, send)
            return
        extra = [
            (k.lower().encode(), v.encode())
            for k, v in (throttle.headers if throttle else {}).items()
        ]
        if decision.status is not None:
            self.sim.log_request(
                LoggedRequest(method, path, query, decision.status, connection=connection)
            )
            fault = self._fault_response(decision.status, decision.retry_after, decision.app_limit)
            fault.raw_headers.extend(extra)
            await fault(scope, receive, send)
            return
        if decision.proxy_status is not None:
            await self._behind_failing_proxy(decision, method, path, query, scope, receive, send)
            return
        logged = False

        async def capture(message: Message) -> None:
            nonlocal logged
            if message["type"] == "http.response.start" and not logged:
                if extra:
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                # Logged before the answer leaves, so a client never sees an unlogged reply.
                logged = True
                self.sim.log_request(
                    LoggedRequest(
                        method,
                        path,
                        query,
                        message["status"],
                        decision.drop_after,
                        connection=connection,
                    )
                )
            if not decision.drop_after:
                await send(message)

        await super().__call__(scope, receive, capture)
        if not logged:
            self.sim.log_request(
                LoggedRequest(method, path, query, 0, dropped=True, connection=connection)
            )
        if decision.drop_after:
            await drop_connection(send)

    async def _behind_failing_proxy(
        self,
        decision: Decision,
        method: str,
        path: str,
        query: str,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        """NGINX's error page instead of GitLab's answer; GitLab acts first when
        ``decision.proxy_after`` (its answer is thrown away, as a proxy that gave up does)."""
        status = decision.proxy_status
        assert status is not None
        if decision.proxy_after:

            async def discard(message: Message) -> None:
                return None

            await super().__call__(scope, receive, discard)
        # Logged before the answer leaves, so a client never sees an unlogged reply.
        self.sim.log_request(
            LoggedRequest(method, path, query, status, connection=_connection(scope))
        )
        await proxy_error_page(status)(scope, receive, send)

    def _fault_response(self, status: int, retry_after: int | None, app_limit: bool) -> Response:
        if status != 429:
            return json_response(status, {"message": _FAULT_MESSAGES[status]})
        if app_limit:
            # An application rate limit (§1.5): JSON, no RateLimit-* headers.
            body = {"message": {"error": _APP_LIMIT_MESSAGE}}
            after = {} if retry_after is None else {"Retry-After": str(retry_after)}
            return json_response(429, body, after)
        retry_after = 1 if retry_after is None else retry_after
        now = self.sim.now()
        reset = int(now.timestamp()) + retry_after
        reset_time = format_datetime(datetime.fromtimestamp(reset, UTC), usegmt=True)
        headers = {
            "RateLimit-Name": "throttle_authenticated_api",
            "RateLimit-Limit": "2000",
            "RateLimit-Observed": "2001",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": reset_time,
            "Retry-After": str(retry_after),
        }
        return Response("Retry later\n", 429, headers, media_type="text/plain")

    async def _endpoint(self, request: Request) -> Response:
        raw_path = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
        raw_path = raw_path.split("?", 1)[0]
        if not raw_path.startswith(API_PREFIX + "/"):
            return self._web_page(raw_path)
        body = await request.body()
        parts = [unquote(p) for p in raw_path[len(API_PREFIX) + 1 :].rstrip("/").split("/")]
        if parts and parts[-1].endswith(".json"):
            parts[-1] = parts[-1][:-5]
        found = routes.resolve(request.method, parts)
        if found is None:
            return json_response(404, {"error": "404 Not Found"})
        handler, path_params = found
        sim = self.sim
        client = request.scope.get("client")
        host = request.headers.get("host", "localhost")
        ctx = Ctx(
            state=sim.state,
            config=sim.config,
            method=request.method,
            path=raw_path,
            params=Params(
                request.scope.get("query_string", b"").decode("latin-1"),
                body,
                request.headers.get("content-type", ""),
            ),
            headers={k.lower(): v for k, v in request.headers.items()},
            client_ip=client[0] if client else "127.0.0.1",
            base_url=f"{request.url.scheme}://{host}",
            raw_path=raw_path,
            query_string=request.scope.get("query_string", b"").decode("latin-1"),
            now=sim.now(),
        )
        try:
            with sim.state.lock:
                status, payload = handler(ctx, **path_params)
        except errors.ApiError as err:
            return json_response(err.status, err.body, err.headers)
        except Exception:
            log.exception("simulator handler failed")
            return json_response(500, {"message": "500 Internal Server Error"})
        if request.method == "HEAD":
            payload = None
        return json_response(status, payload, ctx.response_headers)

    @staticmethod
    def _web_page(path: str) -> Response:
        """Outside /api/v4 GitLab answers with its web UI (HTML), not JSON."""
        if path in ("", "/"):
            return Response(status_code=302, headers={"Location": "/users/sign_in"})
        if path == "/users/sign_in":
            return Response(_HTML_SIGN_IN, 200, media_type="text/html")
        return Response(_HTML_404, 404, media_type="text/html")
