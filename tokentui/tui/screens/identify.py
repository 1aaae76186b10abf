"""``i``: identify a pasted token value (leak response), then offer to revoke it.

The value is typed or pasted into a masked box; ``enter`` looks it up (the lookup is
:func:`tokentui.core.identify.identify`, given to the dialog as ``lookup``); the facts replace the
box. Revoking needs the deliberate :data:`~tokentui.tui.screens.confirm.DESTROY_KEY`; ``enter``,
``n`` and ``esc`` close and keep the token. The dialog only asks: it dismisses with an
:class:`IdentifyRequest` and the app runs the revoke in its own worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import ClassVar

from pydantic import SecretStr
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tokentui.core.identify import Identity, facts
from tokentui.core.session import error_message
from tokentui.gitlab.errors import GitLabError
from tokentui.gitlab.terminal_text import clean
from tokentui.tui.screens.confirm import DESTROY_KEY, dialog_footer, facts_table

Lookup = Callable[[SecretStr], Awaitable[Identity]]


@dataclass(frozen=True, slots=True)
class IdentifyRequest:
    """Revoke the token ``value`` is (what the dialog looked up as ``identity``)."""

    identity: Identity
    value: SecretStr = field(repr=False)


class IdentifyScreen(ModalScreen[IdentifyRequest | None]):
    """Paste, look up, and (with ``x``) ask to revoke."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="identify.close", priority=True),
        # Typed into the box while it has the cursor; bound once the facts are shown.
        Binding("enter,n", "close", "Close", show=False, id="identify.close_keys"),
        Binding(DESTROY_KEY, "revoke", "Revoke", id="identify.revoke"),
    ]

    def __init__(self, lookup: Lookup) -> None:
        super().__init__(classes="identify-dialog")
        self._lookup = lookup
        self._value: SecretStr | None = None
        self.identity: Identity | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Identify a token value"), classes="dialog-title")
            yield Static(
                Text(
                    "Paste the value (it stays hidden). tokentui asks GitLab what it is: with "
                    "the value itself, or as an administrator with POST /admin/token."
                ),
                classes="dialog-text",
            )
            yield Input(password=True, placeholder="token value", id="identify-value")
            yield Static("", id="identify-facts", classes="dialog-text")
            yield Static("enter look it up · esc close", id="identify-keys", classes="dialog-keys")

    def on_mount(self) -> None:
        self.mount(dialog_footer())
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        event.input.value = ""
        if not text:
            return
        self._value = SecretStr(text)
        event.input.disabled = True
        self._show(Text("Asking GitLab…"), "esc close")
        self.run_worker(self._look_up(), group="identify-lookup", exit_on_error=False)

    async def _look_up(self) -> None:
        assert self._value is not None
        try:
            identity = await self._lookup(self._value)
        except GitLabError as err:
            self._value = None
            self._show(Text(f"GitLab could not be asked: {error_message(err)}"), "esc close")
            return
        self.identity = identity
        self.query_one(Input).display = False
        revocable = identity.found and identity.state != "revoked"
        keys = (
            f"enter/n/esc close, keep it · {DESTROY_KEY} revoke it"
            if revocable
            else "enter/n/esc close"
        )
        self._show(facts_table([(label, clean(text)) for label, text in facts(identity)]), keys)
        self.refresh_bindings()

    def _show(self, body: Text, keys: str) -> None:
        self.query_one("#identify-facts", Static).update(body)
        self.query_one("#identify-keys", Static).update(keys)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "revoke":
            identity = self.identity
            return bool(identity and identity.found and identity.state != "revoked")
        return True

    def action_close(self) -> None:
        """Close; the token is left as it is."""
        self._value = None
        self.dismiss(None)

    def action_revoke(self) -> None:
        """The deliberate key: hand the revoke to the app."""
        if self.identity is None or self._value is None:
            return
        request = IdentifyRequest(self.identity, self._value)
        self._value = None
        self.dismiss(request)
