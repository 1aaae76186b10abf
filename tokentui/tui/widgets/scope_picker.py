"""ScopePicker: a SelectionList of the scopes a kind of token may hold, each with its meaning."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import SelectionList
from textual.widgets.selection_list import Selection

from tokentui.gitlab.scopes import SCOPE_MEANINGS


def scope_prompt(scope: str, width: int = 23) -> Text:
    """``read_api               Read-only access to the API ...`` (plain text, never markup)."""
    prompt = Text(scope.ljust(width), style="bold")
    prompt.append(SCOPE_MEANINGS.get(scope, ""), style="dim")
    return prompt


class ScopePicker(SelectionList[str]):
    """Only the ``allowed`` scopes are offered; ``space`` toggles one, ``enter`` posts
    :class:`ScopePicker.Confirmed` (the wizard goes on), as Enter does on every other step:
    "space, enter" typed ahead ticks a scope and goes on instead of ticking and unticking it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "confirm", "Next", show=False),
    ]

    class Confirmed(Message):
        """Enter: the scopes are chosen."""

    def __init__(
        self,
        allowed: Iterable[str],
        selected: Iterable[str] = (),
        *,
        id: str | None = None,
    ) -> None:
        chosen = set(selected)
        super().__init__(
            *(Selection(scope_prompt(s), s, s in chosen) for s in allowed),
            id=id,
            classes="scope-picker",
        )

    @property
    def allowed(self) -> tuple[str, ...]:
        """The scopes on offer, in GitLab's order."""
        return tuple(self.get_option_at_index(i).value for i in range(self.option_count))

    def set_allowed(self, allowed: Iterable[str]) -> None:
        """Offer other scopes (the target changed), keeping the still-valid selections."""
        keep = set(self.selected)
        allowed = tuple(allowed)
        if allowed == self.allowed:
            return
        self.clear_options()
        self.add_options(Selection(scope_prompt(s), s, s in keep) for s in allowed)

    def action_confirm(self) -> None:
        self.post_message(self.Confirmed())

    def chosen(self) -> tuple[str, ...]:
        """The selected scopes in GitLab's order (not click order)."""
        picked = set(self.selected)
        return tuple(s for s in self.allowed if s in picked)
