"""The URL of a token's settings page, when no browser can open it (``o`` over SSH).

The URL is already on the terminal's clipboard (OSC 52) when this opens; ``y`` copies it again,
``enter``/``esc``/``q`` close. Server text (the path) is shown as plain text.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tokentui.gitlab.terminal_text import clean
from tokentui.tui.screens.confirm import dialog_footer


class UrlDialog(ModalScreen[None]):
    """Shows where a token lives and its settings page's URL (copied)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,escape,q", "close", "Close", id="url.close", priority=True),
        Binding("y,c", "copy", "Copy again", id="url.copy", priority=True),
    ]

    def __init__(self, where: str, url: str, *, reason: str) -> None:
        super().__init__(id="url-dialog")
        self.where = where
        self.url = url
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-small"):
            yield Static(Text(f"Settings page of {clean(self.where)}"), classes="dialog-title")
            yield Static(Text(clean(self.url), style="bold"), id="url-text", classes="dialog-text")
            yield Static(
                Text(
                    f"{self.reason} The URL is on your clipboard (OSC 52): paste it in a browser."
                ),
                classes="dialog-text",
            )
            yield Static("y copies again · enter/esc closes", classes="dialog-keys")
        yield dialog_footer()

    def action_copy(self) -> None:
        """Copy the URL again (the terminal's clipboard, OSC 52)."""
        self.app.copy_to_clipboard(self.url)
        self.notify("Copied the URL.", timeout=3)

    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)
