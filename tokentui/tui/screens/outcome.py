"""The dialog after a write whose answer was lost: what the read-back found.

It shows a :class:`~tokentui.core.write_outcome.Verdict`. When a rotate happened but its new value
was lost (or a create made a token nobody has the value of), it offers the way out in one
step: ``y``/``enter`` rotate that token now (the normal rotate, which reveals the new value);
``n``/``esc`` close. Otherwise it only informs: ``enter``/``esc`` close.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tokentui.core.write_outcome import Action, Finding, Verdict
from tokentui.gitlab.terminal_text import clean
from tokentui.tui.screens.confirm import key_button

_TITLES = {
    Finding.DONE: {
        Action.ROTATE: "Rotated, but the new value is lost",
        Action.CREATE: "Created, but the value is lost",
        Action.REVOKE: "Revoked",
    },
    Finding.NOT_DONE: {
        Action.ROTATE: "Not rotated: safe to try again",
        Action.CREATE: "Not created: safe to try again",
        Action.REVOKE: "Not revoked: safe to try again",
    },
}


class OutcomeDialog(ModalScreen[bool | None]):
    """The read-back's verdict; dismisses with True when the user asks to rotate
    :attr:`offered` now, else None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "confirm", "Rotate it now", id="outcome.confirm", priority=True),
        Binding("n,escape", "close", "Close", id="outcome.close", priority=True),
    ]

    def __init__(self, verdict: Verdict, *, lost: str) -> None:
        super().__init__(classes="outcome-dialog")
        self.verdict = verdict
        #: What went wrong with the request (the client's message), shown small.
        self.lost = lost
        #: The token whose value nobody has, offered for rotation (or None).
        self.offered = verdict.successor
        if verdict.credential_dead:
            self.offered = None

    @property
    def title_text(self) -> str:
        """The dialog's title."""
        if self.verdict.credential_dead and self.verdict.action is Action.ROTATE:
            return "Rotated: the stored credential no longer works"
        by_action = _TITLES.get(self.verdict.finding)
        if by_action is None:
            return f"{self.verdict.action.value.capitalize()}: outcome unknown"
        return by_action[self.verdict.action]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-small", id="outcome-box"):
            yield Static(Text(self.title_text), classes="dialog-title", id="outcome-title")
            yield Static(Text(clean(self.verdict.text)), classes="dialog-text", id="outcome-text")
            yield Static(Text(clean(self.lost)), classes="dialog-subtitle outcome-lost")
            with Horizontal(classes="dialog-buttons"):
                if self.offered is not None:
                    yield key_button(
                        f"Rotate token {self.offered.id} now (y)", "confirm", variant="primary"
                    )
                    yield key_button("Not now (n)", "cancel")
                else:
                    yield key_button("Close (enter)", "cancel", variant="primary")
            keys = (
                "y/enter rotate it now · n/esc close"
                if self.offered is not None
                else "enter/esc close"
            )
            yield Static(keys, classes="dialog-keys")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self.action_confirm()
        else:
            self.action_close()

    def action_confirm(self) -> None:
        """Rotate the offered token; without one, ``enter`` closes."""
        self.dismiss(True if self.offered is not None else None)

    def action_close(self) -> None:
        """Close; nothing is sent."""
        self.dismiss(None)
