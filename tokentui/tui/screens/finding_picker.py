"""The finding picker (``f`` on the list): filter the list by one hygiene finding.

Each finding of :mod:`tokentui.core.hygiene` with its flag and how many loaded tokens have it;
``enter`` filters by the highlighted one (the filter bar says so, ``esc`` on the list clears it
as it clears every filter), "every token" removes the finding filter, ``esc`` closes without a
change. The screen only chooses: it dismisses with the finding, ``ALL`` or None.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tokentui.core.hygiene import FINDINGS, Finding
from tokentui.tui.screens.confirm import dialog_footer

#: The picker's answer for "no finding filter".
ALL: Literal["all"] = "all"

PickedFinding = Finding | Literal["all"] | None


class FindingPicker(ModalScreen[PickedFinding]):
    """Pick one finding to filter by (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f", "close", "Close", id="findings.close"),
    ]

    def __init__(self, counts: Mapping[Finding, int], current: Finding | None) -> None:
        super().__init__(id="finding-picker")
        self.counts = counts
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-small", id="finding-box"):
            yield Static("Filter by finding", classes="dialog-title")
            yield Static(
                "Each token's findings are in the Flags column and the detail pane "
                "(docs/hygiene.md).",
                classes="dialog-subtitle",
            )
            options = [Option(Text("   every token (no finding filter)"), id=ALL)]
            for finding in FINDINGS:
                count = self.counts.get(finding, 0)
                line = Text.assemble(
                    (f" {finding.flag} ", "bold"),
                    f" {finding.label:<24}",
                    (f"{count:>9,} token{'s' if count != 1 else ''}", "dim"),
                )
                options.append(Option(line, id=finding.value))
            yield OptionList(*options, id="finding-options")
            yield Static("enter filters · esc closes", classes="dialog-keys")
        yield dialog_footer()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        index = 0 if self.current is None else FINDINGS.index(self.current) + 1
        options.highlighted = index
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        picked = event.option.id or ALL
        self.dismiss(ALL if picked == ALL else Finding(picked))

    def action_close(self) -> None:
        """Close without changing the filter."""
        self.dismiss(None)
