"""Every private name of Textual that tokentui reads, in one place, checked when the app starts.

Type-ahead (:mod:`tokentui.tui.typeahead`) needs to know when the app is idle: every message
queue empty, no callback pending. Textual has no public way to ask, so it reads:

- ``MessagePump._message_queue``: a cached property (a queue with ``qsize()``, made on first
  use; Textual 8's own cut-down queue, which does not count the message being handled);
- ``MessagePump._next_callbacks``: callbacks queued with ``call_next``;
- ``Screen._callbacks``: callbacks queued with ``call_after_refresh`` (focus, scrolling...);
- ``App._registry``: every node of the app.

The reveal screen writes a token value to the terminal's clipboard (OSC 52) through
``App._driver``: ``App.copy_to_clipboard`` writes the same sequence but also keeps the text in
``App.clipboard`` for the whole session, and a token value must be kept nowhere.

The token table (:mod:`tokentui.tui.widgets.token_table`) sizes its own scroll area and
calls ``Widget._scroll_update`` to update the scrollbars without a layout of the whole screen
(a layout per page of a 100,000-token list costs frames; docs/performance.md).

Nothing else of tokentui reads a private name of Textual (tests/test_textual_internals.py
checks the source). :func:`check` runs when the app starts (:class:`~tokentui.tui.typeahead.
TypeAhead` calls it): if an upgrade of Textual renamed one of these or changed its kind, the
app refuses to start with :class:`TextualChanged`, which names the name and Textual's version,
instead of losing typed keys silently. The accessors below never guess: they assume
:func:`check` passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MethodType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from weakref import WeakSet

import textual
from textual.driver import Driver
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.scroll_view import ScrollView

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.geometry import Size
    from textual.widget import Widget


class TextualChanged(RuntimeError):
    """A private name of Textual that tokentui relies on is missing or of another kind."""


@dataclass(frozen=True)
class Private:
    """A private attribute tokentui reads on a Textual object, and what it must be."""

    #: Where it lives, for the message ("MessagePump", "App"...).
    owner: str
    name: str
    #: What its value must be an instance of.
    kind: type | tuple[type, ...]


@runtime_checkable
class _Queue(Protocol):
    """What tokentui asks of a message queue."""

    def qsize(self) -> int: ...


MESSAGE_QUEUE = Private("MessagePump", "_message_queue", _Queue)
NEXT_CALLBACKS = Private("MessagePump", "_next_callbacks", list)
SCREEN_CALLBACKS = Private("Screen", "_callbacks", list)
REGISTRY = Private("App", "_registry", WeakSet)
SCROLL_UPDATE = Private("Widget", "_scroll_update", MethodType)
#: None until the app runs (and in a headless test without a driver).
DRIVER = Private("App", "_driver", (Driver, type(None)))

#: Every private name tokentui reads (see the module's docstring).
NAMES = (MESSAGE_QUEUE, NEXT_CALLBACKS, SCREEN_CALLBACKS, REGISTRY, SCROLL_UPDATE, DRIVER)


def _require(obj: object, private: Private) -> Any:
    """``obj``'s ``private`` attribute, or :class:`TextualChanged` saying what changed."""
    missing = object()
    value = getattr(obj, private.name, missing)
    if value is missing:
        problem = "is gone"
    elif not isinstance(value, private.kind):
        problem = f"is a {type(value).__name__} now"
    else:
        return value
    raise TextualChanged(
        f"Textual {textual.__version__}: {private.owner}.{private.name} {problem}; tokentui "
        f"relies on it (tokentui/tui/textual_internals.py). Install the Textual version "
        f"tokentui was released with, or update textual_internals.py."
    )


def check(
    app: App[Any],
    *,
    make_pump: Callable[[], object] = MessagePump,
    make_screen: Callable[[], object] = Screen,
    make_widget: Callable[[], object] = ScrollView,
) -> None:
    """Raise :class:`TextualChanged` unless every private name in :data:`NAMES` is there with
    its kind: on ``app`` and on a message pump, a screen and a widget made for the check (the
    factories are for tests, which pass stand-ins). Costs well under a millisecond."""
    _require(app, REGISTRY)
    _require(app, NEXT_CALLBACKS)
    _require(app, DRIVER)
    pump = make_pump()
    _require(pump, NEXT_CALLBACKS)
    _require(pump, MESSAGE_QUEUE)
    if MESSAGE_QUEUE.name not in vars(pump):
        # pump_busy reads the queue without making it: it must be cached on the instance.
        raise TextualChanged(
            f"Textual {textual.__version__}: MessagePump._message_queue is no longer cached "
            "on the instance; tokentui's type-ahead reads it there "
            "(tokentui/tui/textual_internals.py)."
        )
    _require(make_screen(), SCREEN_CALLBACKS)
    _require(make_widget(), SCROLL_UPDATE)


def pump_busy(pump: MessagePump) -> bool:
    """Whether ``pump`` has a message queued, or a ``call_next`` pending."""
    queue = vars(pump).get(MESSAGE_QUEUE.name)  # made on first use: none yet, nothing queued
    if queue is not None and queue.qsize():
        return True
    return bool(getattr(pump, NEXT_CALLBACKS.name))


def after_refresh_pending(screen: Screen[Any]) -> bool:
    """Whether ``screen`` has ``call_after_refresh`` callbacks waiting (focus, scrolling...)."""
    return bool(getattr(screen, SCREEN_CALLBACKS.name))


def nodes(app: App[Any]) -> list[DOMNode]:
    """Every node of ``app`` (a snapshot: nodes come and go while it is walked)."""
    return list(getattr(app, REGISTRY.name))


def update_scrollbars(widget: Widget, virtual_size: Size) -> None:
    """Resize ``widget``'s scrollbars for ``virtual_size`` (no layout of the screen)."""
    getattr(widget, SCROLL_UPDATE.name)(virtual_size)


def write_to_terminal(app: App[Any], sequence: str) -> None:
    """Write ``sequence`` (an escape sequence) to ``app``'s terminal, keeping no copy; nothing
    when the app has no driver (not running)."""
    driver: Driver | None = getattr(app, DRIVER.name)
    if driver is not None:
        driver.write(sequence)
