"""Hooks that tell the TUI benchmarks when something reached the screen.

A headless Textual app still lays out and renders every dirty line (``render_line``), but skips
turning the update into terminal output. :func:`install` patches ``TokenApp._display`` so that,
headless, it also builds the terminal byte string (the cost a real terminal run pays) and then
reports the paint to :data:`PROBE`. Hooks in the token table *arm* tags (``rows``: new rows
were set; ``key``: a cursor key was handled); the next paint *fires* every armed tag, with the
time it happened. Benchmarks wait on a tag with :meth:`Probe.wait`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


class Probe:
    """Armed tags, their waiters and paint timestamps (``time.perf_counter``)."""

    def __init__(self) -> None:
        self.armed: set[str] = set()
        self.waiters: dict[str, list[asyncio.Future[float]]] = {}
        self.paints = 0
        #: Called on each paint that fires ``rows`` with the table's row count.
        self.on_rows_painted: Callable[[int, float], None] | None = None
        self.rows_count = 0

    def arm(self, tag: str) -> None:
        """Something a benchmark waits for changed: the next paint fires ``tag``."""
        self.armed.add(tag)

    def waiter(self, tag: str) -> asyncio.Future[float]:
        """A future resolved with the time of the next paint after ``tag`` is armed."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters.setdefault(tag, []).append(future)
        return future

    def painted(self) -> None:
        """A screen update was written: fire the armed tags."""
        now = time.perf_counter()
        self.paints += 1
        armed, self.armed = self.armed, set()
        for tag in armed:
            if tag == "rows" and self.on_rows_painted is not None:
                self.on_rows_painted(self.rows_count, now)
            for future in self.waiters.pop(tag, []):
                if not future.done():
                    future.set_result(now)


PROBE = Probe()


def install(*, emulate_output: bool = True) -> None:
    """Patch the app and the token table to report paints to :data:`PROBE`."""
    # The app first: it may configure Textual before Textual is imported (as the CLI does).
    from tokentui.tui.app import TokenApp
    from tokentui.tui.widgets.token_table import TokenTable

    from textual._compositor import CompositorUpdate  # isort: skip

    original_display = TokenApp._display

    def _display(self: TokenApp, screen: Any, renderable: Any) -> None:
        original_display(self, screen, renderable)
        if renderable is None or self._batch_count:
            return
        if emulate_output and self.is_headless and isinstance(renderable, CompositorUpdate):
            renderable.render_segments(self.console)
        PROBE.painted()

    TokenApp._display = _display  # type: ignore[method-assign]

    original_set_rows = TokenTable.set_rows

    def set_rows(self: TokenTable, rows: Any, **kwargs: Any) -> None:
        original_set_rows(self, rows, **kwargs)
        PROBE.rows_count = len(rows)
        PROBE.arm("rows")

    TokenTable.set_rows = set_rows  # type: ignore[method-assign]

    for name in ("action_cursor_down", "action_cursor_up"):
        original = getattr(TokenTable, name)

        def action(self: TokenTable, _original: Callable[[TokenTable], None] = original) -> None:
            _original(self)
            PROBE.arm("key")

        setattr(TokenTable, name, action)
