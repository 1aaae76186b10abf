"""The everything scan's problems (``P``): each project, group or list that could not be read,
and why (GitLab's answer, made safe for the terminal by the core). ``esc``/``q``/``enter``
closes it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tokentui.core.everything import Problem
from tokentui.gitlab.terminal_text import clean


class ProblemsScreen(ModalScreen[None]):
    """A list of :class:`~tokentui.core.everything.Problem`; any closing key dismisses it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter,P", "close", "Close", id="problems.close"),
    ]

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(id="problems")
        self.problems = list(problems)

    def compose(self) -> ComposeResult:
        count = len(self.problems)
        listing = Text()
        for index, problem in enumerate(self.problems):
            if index:
                listing.append("\n")
            listing.append(clean(problem.resource), style="bold")
            listing.append(f"\n  {clean(problem.reason)}")
        with Vertical(id="problems-dialog", classes="dialog"):
            yield Static(
                f"{count} problem{'s' if count != 1 else ''}: not read, so the list is incomplete",
                classes="dialog-title",
            )
            with VerticalScroll(id="problems-scroll"):
                yield Static(listing, id="problems-list")
            yield Static("ctrl+r scans again · esc closes", classes="dialog-keys")

    def action_close(self) -> None:
        """Back to the list."""
        self.dismiss(None)
