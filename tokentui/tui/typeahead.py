"""Type-ahead: the keys of a burst are handled one after another, each once the previous
one's effects are done, so every key goes where it would have gone had it been typed slowly.

Textual routes a key to the widget focused when the app takes it from its queue. The keys of
a burst (a fast typist, a paste without bracketed-paste mode, tmux ``send-keys``, keys over
SSH) are all taken before the first one is handled, so they all go to the widget focused
before the burst, though the first key moves the focus: Enter in the wizard's name field
moves to the description only once ``Input.Submitted`` has bubbled to the wizard and the
focus callback has run; the wizard's next step is focused a few messages after Enter.

:class:`TypeAhead` holds a key (or a paste) that arrives while the previous one is still
being handled, and lets it go when the app is idle again: every message queue of the app and
its widgets empty, no callback pending. A key that arrives when the app is idle goes at once
(no delay for a key typed alone). A key waits at most :data:`MAX_HOLD` seconds: a handler
that keeps the app busy longer (it never should) does not swallow the keys typed meanwhile.
The bound is generous: on a starved machine (both cores busy) opening the wizard took more than
a second, and a key let go early went to the list instead of the wizard's name field.

Textual has no public "idle" test: the queues and callbacks are read through
:mod:`tokentui.tui.textual_internals`, which checks them when the app starts (a Textual that
renamed one stops the app with a clear error instead of losing keys silently).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from typing import TYPE_CHECKING

from textual import events

from tokentui.tui import textual_internals

if TYPE_CHECKING:
    from textual.app import App

#: Longest wait (seconds) for the previous key's effects before a held key goes anyway.
MAX_HOLD = 5.0

#: Key and paste events: what the terminal types, in order.
_TYPED = (events.Key, events.Paste)


class TypeAhead:
    """Keys in order, each routed once the previous one has been handled (one per app)."""

    def __init__(self, app: App) -> None:
        textual_internals.check(app)  # raises TextualChanged if Textual renamed what idle() reads
        self._app = app
        self._held: deque[events.Event] = deque()
        self._released: weakref.WeakSet[events.Event] = weakref.WeakSet()
        self._drain: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        """Whether keys are held, or the last key let through is still being handled."""
        return self._drain is not None

    def hold(self, event: events.Event) -> bool:
        """Called by the app for every event it takes from its queue: True when ``event``
        (a key or a paste straight from the terminal) must wait its turn; the app then drops
        it, and it is posted again when its turn comes."""
        if not isinstance(event, _TYPED) or event.is_forwarded:
            return False
        if event in self._released:
            self._released.discard(event)
            return False
        if self._drain is not None:
            self._held.append(event)
            return True
        # Goes now; the keys that follow it wait until it has been handled.
        self._drain = asyncio.get_running_loop().create_task(self._release_held())
        return False

    def idle(self) -> bool:
        """Whether the app and every widget have handled everything they were sent."""
        app = self._app
        if textual_internals.pump_busy(app):
            return False
        try:
            if textual_internals.after_refresh_pending(app.screen):
                return False
        except Exception:  # no screen yet, or the app is closing
            return True
        return not any(textual_internals.pump_busy(node) for node in textual_internals.nodes(app))

    async def _wait_idle(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MAX_HOLD
        spins = 0
        while not self.idle() and loop.time() < deadline:
            # A handful of loop turns usually suffice; then poll gently.
            await asyncio.sleep(0 if spins < 50 else 0.001)
            spins += 1

    async def _release_held(self) -> None:
        try:
            while True:
                await self._wait_idle()
                if not self._held or not self._app.is_running:
                    return
                event = self._held.popleft()
                self._released.add(event)
                self._app.post_message(event)
        finally:
            self._drain = None
            self._held.clear()
