"""The cyclic garbage collector's policy for the ``tokentui`` command (docs/performance.md).

At start-up: importing tokentui's dependencies (pydantic, httpx, Textual) creates hundreds of
thousands of objects that live as long as the process, and Python's collector scans them again
and again while they are being made: ~130 collections, ~40 ms of every start on the reference
machine. The command pauses the collector while it imports, then freezes what exists (the
permanent generation: never scanned again) and resumes it (:func:`paused_for_imports`).

While tokens load: :func:`freeze_tokens_as_they_load` keeps the loaded tokens out of the
collector's scans (:class:`_TokenFreezer`).

Only the command does this (:func:`enable`, called by :func:`tokentui.cli.main.entry`);
imported as a library (tests, scripts), nothing changes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store imports httpx: not before the command's start-up policy ran
    from tokentui.core.store import Change, TokenStore

_enabled = False


def enable() -> None:
    """Let this module act (the ``tokentui`` command's entry point calls it)."""
    global _enabled
    _enabled = True


@contextmanager
def paused_for_imports() -> Iterator[None]:
    """Pause the collector while the block imports; then freeze what exists and resume.

    A no-op unless :func:`enable` was called, or when the collector is already paused."""
    if not _enabled or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def freeze_tokens_as_they_load(store: TokenStore) -> None:
    """Keep the tokens ``store`` loads out of the collector's scans (a no-op unless
    :func:`enable` was called). See :class:`_TokenFreezer`."""
    if _enabled:
        store.subscribe(_TokenFreezer())


class _TokenFreezer:
    """Move what is alive into the collector's permanent generation as pages arrive.

    With 100,000 tokens loaded, each full collection walks millions of objects: measured
    pauses of 80-130 ms while a big list streams in (issue 6, P6). Tokens hold no reference
    cycles and are freed by reference counting, so they need no scanning; garbage made later
    is collected as usual. A new query (``RESET``) unfreezes and collects once: without it,
    cyclic garbage frozen with each load would never be freed (memory grew ~50 % over a day of
    reloads every 5 minutes; tests/test_hostile_endurance.py). Before the first page nothing
    was frozen by a load, and a full collection then (~30 ms, everything just imported) would
    delay the first paint.
    """

    def __init__(self) -> None:
        from tokentui.core.store import Change

        self._reset = Change.RESET
        self._loaded = (Change.PAGE, Change.DONE)
        #: Whether a load froze tokens.
        self.frozen = False

    def __call__(self, change: Change) -> None:
        if change is self._reset:
            if self.frozen:
                gc.unfreeze()
                gc.collect()
                self.frozen = False
        elif change in self._loaded:
            gc.collect(1)  # young garbage first (cheap: the frozen heap is not scanned)
            gc.freeze()
            self.frozen = True
