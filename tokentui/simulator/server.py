"""Serving an ASGI app with uvicorn on a free loopback port in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import Receive, Scope, Send


class BackgroundServer:
    """uvicorn in a daemon thread; :meth:`start` returns ``http://HOST:PORT``.

    Extra keyword arguments go to ``uvicorn.Config`` (e.g. ``ssl_certfile``/``ssl_keyfile``
    for HTTPS; the URL then starts with ``https://``).
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        self.host = host
        self.port = port
        self.scheme = "https" if options.get("ssl_certfile") else "http"
        settings: dict[str, Any] = {
            "log_level": "warning",
            "access_log": False,
            "lifespan": "off",
            "proxy_headers": False,
            "server_header": False,
            "timeout_graceful_shutdown": 2,
            # GitLab's bundled nginx keeps an idle connection 65 s (omnibus keepalive_timeout).
            # uvicorn's default, 5 s, equals httpx's pool expiry: a request sent on a pooled
            # connection as the server closes it fails unsent-or-not, and a write then has an
            # unknown outcome (docs/simulator.md).
            "timeout_keep_alive": 65,
        }
        settings.update(options)
        config = uvicorn.Config(app, host=host, port=port, **settings)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> str:
        """Bind, start serving in a thread, wait until ready; returns the URL."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets whose proto is TCP
        # (with proto 0 every keep-alive answer waits ~40 ms for a delayed ACK).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name="tokentui-simulator",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator server did not start")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()

    def wait(self) -> None:
        """Block until the server thread ends (used by ``tokentui simulate``)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=0.5)


@contextmanager
def serve_app(app: Any, host: str = "127.0.0.1", port: int = 0, **options: Any) -> Iterator[str]:
    """Serve ``app`` for the duration of the ``with`` block; yields the URL. ``options`` go
    to ``uvicorn.Config`` (see :class:`BackgroundServer`)."""
    server = BackgroundServer(app, host, port, **options)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


class Dispatcher:
    """An ASGI app that forwards to whichever app ``target`` currently is.

    Lets one uvicorn server (per test session) serve a fresh simulator per test.
    """

    def __init__(self) -> None:
        self.target: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self.target
        if target is None:
            if scope["type"] == "http":
                await send({"type": "http.response.start", "status": 503, "headers": []})
                await send({"type": "http.response.body", "body": b"no simulator attached"})
            return
        await target(scope, receive, send)
