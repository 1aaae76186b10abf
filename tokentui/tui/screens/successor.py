"""``r`` on a deploy token: GitLab cannot rotate deploy tokens, so offer a successor; ``c`` on
an expired one: recreate it (the same dialog, worded for a token that no longer works).

The dialog says so, shows what the successor keeps (name, username, scopes) and asks for its
expiry (or never); ``y``/``enter`` creates it (nothing is lost: the old token stays until it is
revoked, which the dialog says), ``n``/``esc`` cancels. Dismisses with ``(True, expiry)`` or None.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tokentui.gitlab.models import Token
from tokentui.gitlab.terminal_text import clean
from tokentui.tui.screens.confirm import _Dialog, facts_table
from tokentui.tui.widgets.expiry_picker import ExpiryPicker


class SuccessorDialog(_Dialog):
    """Create a deploy token like ``token``, with a new expiry."""

    confirm_label = "Create successor"

    def __init__(self, token: Token, *, today: date, recreate: bool = False) -> None:
        super().__init__(id="successor-dialog")
        self.token = token
        self.today = today
        #: ``c`` on an expired (or revoked) deploy token: nothing keeps working meanwhile.
        self.recreate = recreate

    def compose(self) -> ComposeResult:
        token = self.token
        with Vertical(classes="dialog dialog-small"):
            if self.recreate:
                title = f"Recreate deploy token {token.id}"
                text = (
                    f"Deploy token {token.id} “{clean(token.name)}” no longer works. Create a "
                    "new token with the same name, username and scopes, and the expiry below. "
                    "Its value is shown once."
                )
            else:
                title = "GitLab cannot rotate deploy tokens"
                text = (
                    f"Create a successor of deploy token {token.id} “{clean(token.name)}” "
                    "instead: a new token with the same name, username and scopes, and the "
                    "expiry below. Its value is shown once. The old token keeps working until "
                    "you revoke it (d); switch what uses it to the new value first."
                )
            yield Static(Text(title), classes="dialog-title")
            yield Static(Text(text), classes="dialog-text")
            yield Static(
                facts_table(
                    [
                        ("Name", clean(token.name)),
                        ("Username", clean(token.username or "")),
                        ("Scopes", clean(", ".join(token.scopes)) or "none"),
                    ]
                ),
                classes="dialog-facts",
            )
            yield ExpiryPicker(self.today, default_days=90, allow_never=True, id="expiry")
            yield Static("", id="successor-error", classes="step-error")
            yield from self.buttons()

    def action_confirm(self) -> None:
        """Create the successor with the chosen expiry (None: never)."""
        expires_at, problem = self.query_one(ExpiryPicker).chosen()
        if problem:
            error = self.query_one("#successor-error", Static)
            error.update(Text(problem, style="bold"))
            error.add_class("-visible")
            return
        self.dismiss((True, expires_at))
