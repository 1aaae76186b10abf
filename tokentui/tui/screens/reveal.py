"""The show-once screen: a new token value, ``y`` to copy it, then it is gone.

The value lives only in this screen (``self._value``) and in the one widget that shows it.
Leaving removes that widget and drops the value, so no widget, store or log keeps it. Copying
sends it to the terminal's clipboard (OSC 52) through :func:`copy_secret`, which keeps no
copy (Textual's ``copy_to_clipboard`` would keep it in ``App.clipboard`` for the session); a
mouse selection copied with ``ctrl+c`` here goes the same way.

Leaving before a copy asks first (:class:`LeaveDialog`). Keys mean the same on both screens
(``y``/``c`` copy), the question's default is to stay (``enter``, ``esc``, ``n``, ``q``), and
only :data:`~tokentui.tui.screens.confirm.DESTROY_KEY` (``x``, bound nowhere else) leaves without
copying: however fast ``enter``, ``esc`` or ``y`` are typed, the value stays on screen.
"""

from __future__ import annotations

import base64
from typing import ClassVar

from pydantic import SecretStr
from rich.text import Text
from textual.actions import SkipAction
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tokentui.gitlab.models import NewToken
from tokentui.tui.screens.confirm import DESTROY_KEY, ConfirmDialog, dialog_footer, key_button
from tokentui.tui.textual_internals import write_to_terminal

COPY_HINT = (
    "Nothing to paste? Your terminal may ignore the copy request (OSC 52): select the value "
    "with the mouse instead (shift+drag in most terminals). In tmux, add "
    "'set -g set-clipboard on' to ~/.tmux.conf."
)


def copy_secret(app: App, secret: str) -> None:
    """Put ``secret`` on the terminal's clipboard (OSC 52) and keep no copy of it.

    ``App.copy_to_clipboard`` writes the same sequence but also keeps the text in
    ``App.clipboard`` for the rest of the session; a token value is kept only where the user
    asked (the terminal's clipboard)."""
    encoded = base64.b64encode(secret.encode("utf-8")).decode("ascii")
    write_to_terminal(app, f"\x1b]52;c;{encoded}\a")


#: What the reveal screen says about the value unless told otherwise (``advice``).
DEFAULT_ADVICE = (
    "This is the only time GitLab shows this value. Copy it now and store it where it will be used."
)


class LeaveDialog(ConfirmDialog, inherit_bindings=False):
    """The question before leaving uncopied: dismisses with ``"copy"``, ``"leave"`` or None
    (stay)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy", "Copy value", id="leave.copy", priority=True),
        Binding("c", "copy", "Copy value", show=False, id="leave.copy_alt", priority=True),
        Binding(
            "enter,escape,n,q",
            "cancel",
            "Stay",
            id="leave.stay",
            priority=True,
        ),
        Binding(DESTROY_KEY, "confirm", "Leave without copying", id="leave.leave", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__(
            "Leave without copying?",
            "You will not see this value again. GitLab keeps only a digest; if it is "
            "lost, the token has to be rotated or revoked.",
            confirm_label="Leave without copying",
            cancel_label="Stay",
        )

    def buttons(self) -> ComposeResult:
        """Copy, stay (the default) and leave, each with its key."""
        with Horizontal(classes="dialog-buttons"):
            yield key_button("Copy (y)", "copy", variant="primary")
            yield key_button("Stay (enter)", "cancel")
            yield key_button(f"Leave without copying ({DESTROY_KEY})", "confirm", variant="error")
        yield Static(
            f"y copy · enter/esc stay · {DESTROY_KEY} leave without copying",
            classes="dialog-keys",
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "copy":
            event.stop()
            self.action_copy()
            return
        super().on_button_pressed(event)

    def action_copy(self) -> None:
        """Copy (as ``y`` on the reveal screen does) and go back to the value."""
        self.dismiss("copy")

    def action_confirm(self) -> None:
        """Leave without copying."""
        self.dismiss("leave")


class RevealScreen(ModalScreen[None]):
    """Shows a created or rotated token's value once."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy", "Copy value", id="reveal.copy"),
        Binding("c", "copy", "Copy value", show=False, id="reveal.copy_alt"),
        Binding("enter,escape,q", "leave", "Done", id="reveal.done"),
    ]

    def __init__(
        self,
        new_token: NewToken,
        *,
        heading: str,
        warning: str | None = None,
        details: str | None = None,
        advice: str | None = None,
    ) -> None:
        super().__init__(id="reveal")
        self._value: SecretStr | None = new_token.token
        self.token_name = new_token.name
        self.expires_at = new_token.expires_at
        self.heading = heading
        self.warning = warning
        self.details = details
        #: Where the value should go (self-rotation: where tokentui already put it).
        self.advice = advice or DEFAULT_ADVICE
        self.copied = False

    def compose(self) -> ComposeResult:
        with Vertical(id="reveal-dialog", classes="dialog"):
            yield Static(Text(self.heading), classes="dialog-title")
            if self.warning:
                yield Static(Text(self.warning), id="reveal-warning", classes="loud-warning")
            yield Static(Text(self.advice), id="reveal-advice", classes="dialog-text")
            assert self._value is not None
            yield Static(
                Text(self._value.get_secret_value(), no_wrap=False),
                id="reveal-value",
                classes="secret-value",
            )
            if self.details:
                yield Static(Text(self.details), classes="dialog-text")
            yield Static("", id="reveal-status", classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield key_button("Copy (y)", "copy", variant="primary")
                yield key_button("Done (enter)", "done")
            yield Static("y copy · enter/esc done", classes="dialog-keys")
        yield dialog_footer()

    def on_mount(self) -> None:
        self.query_one("#reveal-status", Static).display = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "copy":
            self.action_copy()
        else:
            self.action_leave()

    def action_copy(self) -> None:
        """Copy the value with OSC 52 and say how to copy by hand if that does nothing."""
        if self._value is None:
            return
        copy_secret(self.app, self._value.get_secret_value())
        self.copied = True
        status = Text("Copied to the clipboard. ", style="bold green")
        status.append(COPY_HINT)
        status_widget = self.query_one("#reveal-status", Static)
        status_widget.update(status)
        status_widget.display = True

    def action_copy_text(self) -> None:
        """``ctrl+c`` on a mouse selection: to the terminal's clipboard, kept nowhere else."""
        selection = self.get_selected_text()
        if selection is None:
            raise SkipAction()
        copy_secret(self.app, selection)

    def action_leave(self) -> None:
        """Leave; before a copy, ask first (the value cannot be shown again)."""
        if self.copied:
            self._forget_and_close()
            return

        def answered(answer: str | None) -> None:
            if answer == "copy":
                self.action_copy()
            elif answer == "leave":
                self._forget_and_close()

        self.app.push_screen(LeaveDialog(), answered)

    def _forget_and_close(self) -> None:
        value_widget = self.query_one("#reveal-value", Static)
        value_widget.update("")
        value_widget.remove()
        self._value = None
        self.dismiss(None)
