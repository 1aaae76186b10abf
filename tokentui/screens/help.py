"""Help: every binding of the screen it was opened from, with what it does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def binding_rows(screen: Screen) -> list[tuple[str, str]]:
    """``(keys, description)`` for every described binding active on ``screen``.

    Keys of one action (``d`` and ``delete``) share a row. The screen's own bindings come
    first, then those of the focused widget (moving around), then the app's.
    """

    def rank(active: ActiveBinding) -> int:
        if active.node is screen:
            return 0
        return 2 if active.node is screen.app else 1

    rows: dict[tuple[str, str], list[str]] = {}
    for active in sorted(screen.active_bindings.values(), key=rank):
        binding = active.binding
        description = binding.description or binding.tooltip
        if not description:
            continue
        keys = rows.setdefault((binding.action, description), [])
        display = screen.app.get_key_display(binding)
        if display not in keys:
            keys.append(display)
    return [(", ".join(keys), description) for (_, description), keys in rows.items()]


class HelpScreen(ModalScreen[None]):
    """A list of key bindings; ``esc``, ``?`` or ``q`` closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close help", id="help.close"),
    ]

    def __init__(self, rows: Sequence[tuple[str, str]], *, title: str = "Keys") -> None:
        super().__init__(id="help")
        self.rows = list(rows)
        self.heading = title

    def compose(self) -> ComposeResult:
        width = max((len(keys) for keys, _ in self.rows), default=4) + 3
        table = Text()
        for index, (keys, description) in enumerate(self.rows):
            if index:
                table.append("\n")
            table.append(keys.ljust(width), style="bold")
            table.append(description)
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(Text(self.heading), classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(table, id="help-table")
            yield Static(
                "Every action is also in the command palette (ctrl+p). esc/?/q closes.",
                classes="dialog-keys",
            )

    def on_mount(self) -> None:
        # Arrow keys scroll a long list.
        self.query_one("#help-scroll", VerticalScroll).focus()

    def action_close(self) -> None:
        """Back to where help was opened."""
        self.dismiss(None)
