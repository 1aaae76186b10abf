"""The HTTP transport: one small connection pool per connection, the least busy one first.

httpcore 1.0's connection pool walks every connection it holds, twice per request, checking
each idle one for expiry with a ``getpeername``/``poll`` round through anyio, and counts its
idle connections once per connection it walks: the cost of a request grows with the pool's
size (quadratically for the count). With the 32 connections a scan of every project keeps
busy, that bookkeeping was ~35 % of the client's CPU, more than HTTP itself
(encode/httpcore#928 and pydantic/httpx2#974 describe the same; docs/performance.md, P7).

:class:`SpreadTransport` keeps the same number of connections as one pool would, but each in
a pool of its own: a request goes to the pool with the fewest requests in flight (ties to the
first, so that a quiet client reuses one connection), and each pool's bookkeeping walks one
connection. Everything else is httpx's own transport: TLS, timeouts, errors, keep-alive.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable

import httpx

_ONE = httpx.Limits(max_connections=1, max_keepalive_connections=1)


class SpreadTransport(httpx.AsyncBaseTransport):
    """``connections`` one-connection ``httpx.AsyncHTTPTransport`` pools behind one transport.

    ``verify`` is httpx's (an SSL context, or False where no TLS connection is ever made).
    More requests than connections wait in the least busy pool, in order.
    """

    def __init__(self, connections: int, *, verify: ssl.SSLContext | bool) -> None:
        if connections < 1:
            raise ValueError("a transport needs at least one connection")
        self._verify = verify
        #: Each pool is made when it is first needed: a quiet client makes one or two.
        self._pools: list[httpx.AsyncHTTPTransport | None] = [None] * connections
        #: Requests sent on each pool whose response is not closed yet.
        self._in_flight = [0] * connections
        #: Pools replaced while others still used them (:meth:`_retire`), closed with this.
        self._retired: list[httpx.AsyncHTTPTransport] = []
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> tuple[int, ...]:
        """Requests in flight on each pool (for tests and the curious)."""
        return tuple(self._in_flight)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = self._in_flight.index(min(self._in_flight))
        pool = self._pools[index]
        if pool is None:
            pool = self._pools[index] = httpx.AsyncHTTPTransport(verify=self._verify, limits=_ONE)
        self._in_flight[index] += 1
        try:
            response = await pool.handle_async_request(request)
        except BaseException:
            self._in_flight[index] -= 1
            self._retire(index, pool)
            raise
        body = response.stream
        assert isinstance(body, httpx.AsyncByteStream)  # an async transport's answer

        def closed(clean: bool) -> None:
            self._in_flight[index] -= 1
            if not clean:
                self._retire(index, pool)

        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Released(body, closed),
            extensions=response.extensions,
        )

    def _retire(self, index: int, pool: httpx.AsyncHTTPTransport) -> None:
        """A request on ``pool`` failed, or its answer was closed by a task being cancelled:
        the next request gets a new pool.

        httpcore can leave the connection taken in either case (an answer closed while its
        task is cancelled, e.g. a page fetched ahead and no longer wanted, stays ``ACTIVE``);
        in a pool of one connection every later request would wait for it until its timeout.
        The old pool is closed once nothing else uses it (at once if nothing does)."""
        if self._pools[index] is not pool:
            return
        self._pools[index] = None
        if self._in_flight[index] == 0:
            closing = asyncio.get_running_loop().create_task(pool.aclose())
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
        else:
            self._retired.append(pool)

    @property
    def pools_made(self) -> int:
        """How many pools are in use now (made, and not replaced since)."""
        return sum(pool is not None for pool in self._pools)

    async def aclose(self) -> None:
        for pool in [*self._pools, *self._retired]:
            if pool is not None:
                await pool.aclose()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)


class _Released(httpx.AsyncByteStream):
    """A response body that tells its pool, once, when it is closed, and whether cleanly
    (not by a task being cancelled: see :meth:`SpreadTransport._retire`)."""

    def __init__(self, stream: httpx.AsyncByteStream, closed: Callable[[bool], None]) -> None:
        self._stream = stream
        self._closed: Callable[[bool], None] | None = closed

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        closed, self._closed = self._closed, None
        clean = False
        try:
            await self._stream.aclose()
            task = asyncio.current_task()
            clean = task is None or not task.cancelling()
        finally:
            if closed is not None:
                closed(clean)
