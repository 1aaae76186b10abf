"""Textual's private names: read in one module only (``tokentui/tui/textual_internals.py``),
checked when the app starts, and the check fails loudly when one is gone or changed kind.

The check is run twice: on the installed Textual (it must pass) and on stand-ins that lack
one name each or hold the wrong kind (it must raise, naming the name and Textual's version),
so it cannot pass vacuously. A scan of the TUI's source finds any other read, write or
shadowing of a private name of Textual.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import Any
from weakref import WeakSet

import pytest
import textual
from textual.app import App
from textual.message_pump import MessagePump
from textual.screen import ModalScreen, Screen
from textual.scroll_view import ScrollView
from textual.widget import Widget
from tui_helpers import sim_app, wait_loaded

from tokentui.tui import textual_internals
from tokentui.tui.textual_internals import NAMES, TextualChanged, check
from tokentui.tui.widgets.token_table import TokenTable

TUI = Path(textual_internals.__file__).parent


def test_the_check_passes_on_the_installed_textual() -> None:
    check(App())


def test_the_check_covers_every_name_it_documents() -> None:
    assert {p.name for p in NAMES} == {
        "_message_queue",
        "_next_callbacks",
        "_callbacks",
        "_registry",
        "_scroll_update",
        "_driver",
    }


class _Stand:
    """A stand-in whose attributes are set from keyword arguments (a method stays a method)."""

    def __init__(self, **attrs: Any) -> None:
        for name, value in attrs.items():
            setattr(self, name, value)


def _stand_ins(drop: str | None = None, wrong: str | None = None) -> dict[str, Any]:
    """Objects that pass :func:`check`, but for ``drop`` (missing) or ``wrong`` (a string)."""

    def attrs(**values: Any) -> dict[str, Any]:
        values = {k: ("a string" if k == wrong else v) for k, v in values.items()}
        return {k: v for k, v in values.items() if k != drop}

    queue: asyncio.Queue[object] = asyncio.Queue()

    class Scrolling:
        if drop != "_scroll_update":
            if wrong == "_scroll_update":
                _scroll_update = "a string"
            else:

                def _scroll_update(self, size: object) -> None:
                    pass

    app = _Stand(**attrs(_registry=WeakSet(), _next_callbacks=[], _driver=None))
    pump = _Stand(**attrs(_next_callbacks=[], _message_queue=queue))
    screen = _Stand(**attrs(_callbacks=[]))
    return {
        "app": app,
        "make_pump": lambda: pump,
        "make_screen": lambda: screen,
        "make_widget": Scrolling,
    }


def test_the_stand_ins_pass_the_check() -> None:
    stand_ins = _stand_ins()
    check(stand_ins.pop("app"), **stand_ins)


@pytest.mark.parametrize("name", [p.name for p in NAMES])
def test_a_missing_private_name_stops_the_app_with_a_clear_error(name: str) -> None:
    stand_ins = _stand_ins(drop=name)
    with pytest.raises(TextualChanged) as raised:
        check(stand_ins.pop("app"), **stand_ins)
    message = str(raised.value)
    assert f".{name} is gone" in message
    assert f"Textual {textual.__version__}" in message


@pytest.mark.parametrize("name", [p.name for p in NAMES])
def test_a_private_name_of_another_kind_stops_the_app_with_a_clear_error(name: str) -> None:
    stand_ins = _stand_ins(wrong=name)
    with pytest.raises(TextualChanged) as raised:
        check(stand_ins.pop("app"), **stand_ins)
    assert f".{name} is a str now" in str(raised.value)


def test_a_message_queue_not_cached_on_the_instance_is_refused() -> None:
    """The type-ahead reads the queue from the instance's ``__dict__`` (so as not to make
    one): a queue that is a plain property would always look empty."""

    class Pump:
        def __init__(self) -> None:
            self._next_callbacks: list[object] = []

        @property
        def _message_queue(self) -> asyncio.Queue[object]:
            return asyncio.Queue()

    stand_ins = _stand_ins()
    stand_ins["make_pump"] = Pump
    with pytest.raises(TextualChanged, match="no longer cached"):
        check(stand_ins.pop("app"), **stand_ins)


async def test_the_app_does_not_start_on_a_textual_without_them(sim, monkeypatch) -> None:
    """The check runs when the app is made: a renamed name stops it there, loudly."""
    monkeypatch.setattr(
        textual_internals, "REGISTRY", textual_internals.Private("App", "_nodes_by_id", WeakSet)
    )
    with pytest.raises(TextualChanged, match=r"App\._nodes_by_id is gone"):
        sim_app(sim)


def _textual_private_names() -> set[str]:
    """The private names (class and instance attributes) of the Textual classes the TUI
    subclasses, and of those whose objects it is handed (app, screens, widgets, pumps)."""
    textual_classes: set[type] = {App, Screen, ModalScreen, Widget, ScrollView, MessagePump}
    for info in pkgutil.walk_packages([str(TUI)], "tokentui.tui."):
        module = importlib.import_module(info.name)
        for member in vars(module).values():
            if inspect.isclass(member) and member.__module__ == module.__name__:
                textual_classes |= {
                    c for c in member.__mro__ if c.__module__.split(".")[0] == "textual"
                }
    names = {name for cls in textual_classes for name in dir(cls)}
    for cls in textual_classes:
        try:
            probe = cls()
        except Exception:  # needs arguments: its class attributes are enough
            continue
        names |= set(vars(probe))
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_no_other_module_reads_or_shadows_a_private_name_of_textual() -> None:
    """Outside textual_internals.py, no attribute (``obj._x``, ``self._x = ...``, a method
    ``def _x``) and no string (``getattr(obj, "_x")``) of the TUI is a private name of Textual:
    reading one breaks silently when Textual renames it, and defining one in a subclass
    replaces Textual's own (the token table's style cache once replaced
    ``DOMNode._component_styles``)."""
    private = _textual_private_names()
    found = []
    for path in sorted(TUI.rglob("*.py")):
        if path.name == "textual_internals.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = node.name
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                name = node.value
            else:
                continue
            if name in private:
                found.append(f"{path.relative_to(TUI.parent.parent)}:{node.lineno}: {name}")
    assert found == [], "private names of Textual outside textual_internals.py:\n" + "\n".join(
        found
    )


async def test_the_table_keeps_textual_s_component_styles_across_focus_and_blur(sim) -> None:
    """The table's own style cache is its own: Textual's component styles (the CSS of
    ``token-table--cursor``...) stay in place when the table's focus and blur handlers run."""
    app = sim_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        table = app.screen.query_one(TokenTable)
        table.focus()
        await pilot.pause()
        for handler in (table.on_blur, table.on_focus):
            handler()
            for name in table.COMPONENT_CLASSES:
                table.get_component_styles(name)  # KeyError when Textual's were cleared
