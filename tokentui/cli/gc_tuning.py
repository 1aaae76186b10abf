"""The cyclic garbage collector at start-up: paused while modules are imported, then frozen.

Importing tokentui's dependencies (pydantic, httpx, Textual) creates hundreds of thousands of
objects that live as long as the process, and Python's collector scans them again and again
while they are being made: ~130 collections, ~40 ms of every start on the reference machine
(docs/performance.md). The ``tokentui`` command pauses the collector while it imports, then
freezes what exists (the permanent generation: never scanned again) and resumes it. Only the
command does this (:func:`enable`); imported as a library (tests), nothing changes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_enabled = False


def enable() -> None:
    """Let :func:`paused_for_imports` act (the ``tokentui`` command's entry point calls it)."""
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
