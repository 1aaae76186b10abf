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

from tokentui.tui.screens.confirm import dialog_footer

#: Rows of ``(keys, description)``. A screen lists in ``HELP_KEYS`` the keys that mean
#: something there without being one of its bindings; a row for exactly the keys of a binding
#: replaces that binding's row.
HelpRows = Sequence[tuple[str, str]]


def _own_actions(node: object) -> set[str]:
    """Actions bound by tokentui's own classes of ``node`` (not Textual's generic ones)."""
    actions: set[str] = set()
    for cls in type(node).__mro__:
        if not cls.__module__.startswith("tokentui."):
            continue
        for binding in cls.__dict__.get("BINDINGS", ()):
            if isinstance(binding, Binding):
                actions.add(binding.action)
            elif isinstance(binding, tuple) and len(binding) > 1:
                actions.add(binding[1])
    return actions


def help_sections(screen: Screen) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(own, general)`` rows of ``(keys, description)`` for ``screen``.

    ``own``: the app's keys: the screen's bindings, then those of the focused widget (moving
    around), then the keys the screen explains in ``HELP_KEYS`` (filters, esc, the palette).
    ``general``: Textual's generic keys (focus, copy, scrolling), last. Keys of one action
    (``d`` and ``delete``) share a row.
    """

    def rank(active: ActiveBinding) -> int:
        if active.node is screen:
            return 0
        return 2 if active.node is screen.app else 1

    extra: list[tuple[str, str]] = list(getattr(screen, "HELP_KEYS", ()))
    explained = {keys for keys, _ in extra}
    own: dict[tuple[str, str], list[str]] = {}
    general: dict[tuple[str, str], list[str]] = {}
    for active in sorted(screen.active_bindings.values(), key=rank):
        binding = active.binding
        description = binding.description or binding.tooltip
        if not description:
            continue
        display = screen.app.get_key_display(binding)
        if display in explained or binding.key in explained:
            continue
        mine = binding.action in _own_actions(active.node)
        keys = (own if mine else general).setdefault((binding.action, description), [])
        if display not in keys:
            keys.append(display)

    def rows(found: dict[tuple[str, str], list[str]]) -> list[tuple[str, str]]:
        return [(", ".join(keys), description) for (_, description), keys in found.items()]

    return rows(own) + extra, rows(general)


def binding_rows(screen: Screen) -> list[tuple[str, str]]:
    """``(keys, description)`` for the app's own keys on ``screen`` (see :func:`help_sections`)."""
    return help_sections(screen)[0]


#: The help's scroll keys, shown as one footer entry.
_SCROLL = Binding.Group("Scroll", compact=True)


class HelpScreen(ModalScreen[None]):
    """A list of key bindings; ``esc``, ``?`` or ``q`` closes it. Its footer shows its own
    keys (close, scroll), covering those of the screen it was opened from."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close help", id="help.close"),
        Binding("up,k", "scroll('up')", "Scroll", group=_SCROLL, id="help.up"),
        Binding("down,j", "scroll('down')", "Scroll", group=_SCROLL, id="help.down"),
        Binding("pageup", "scroll('page_up')", "Scroll", show=False, id="help.page_up"),
        Binding("pagedown,space", "scroll('page_down')", "Scroll", show=False, id="help.page_down"),
        Binding("home", "scroll('home')", "Scroll", show=False, id="help.home"),
        Binding("end", "scroll('end')", "Scroll", show=False, id="help.end"),
    ]

    def __init__(self, rows: HelpRows, *, title: str = "Keys", general: HelpRows = ()) -> None:
        super().__init__(id="help")
        self.rows = list(rows)
        #: Textual's generic keys, listed after the app's own under "General".
        self.general = list(general)
        self.heading = title

    def compose(self) -> ComposeResult:
        width = max((len(keys) for keys, _ in self.rows + self.general), default=4) + 3
        table = Text()
        for index, (keys, description) in enumerate(self.rows):
            if index:
                table.append("\n")
            table.append(keys.ljust(width), style="bold")
            table.append(description)
        if self.general:
            table.append("\n\nGeneral", style="bold underline")
            for keys, description in self.general:
                table.append("\n")
                table.append(keys.ljust(width), style="bold dim")
                table.append(description, style="dim")
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(Text(self.heading), classes="dialog-title")
            # Not focusable: the screen's own keys scroll it, and so its footer shows them.
            scroll = VerticalScroll(id="help-scroll")
            scroll.can_focus = False
            with scroll:
                yield Static(table, id="help-table")
            yield Static(
                "Every action is also in the command palette (ctrl+p). esc/?/q closes.",
                classes="dialog-keys",
            )
        yield dialog_footer()

    def action_scroll(self, where: str) -> None:
        """Scroll the list: ``up``, ``down``, ``page_up``, ``page_down``, ``home`` or ``end``."""
        scroll = self.query_one("#help-scroll", VerticalScroll)
        getattr(scroll, f"scroll_{where}")(animate=False)

    def action_close(self) -> None:
        """Back to where help was opened."""
        self.dismiss(None)
