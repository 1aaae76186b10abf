"""TokenActions: the App-level controller for create / rotate / revoke / source switch / help.

SKELETON owned by the TUI-actions helper. The main screen's bindings call these methods; they
push dialogs and run the API calls in App-level workers (a worker dies with the widget that
started it, so never from inside a dialog).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

    from tokentui.gitlab.models import Token


class TokenActions:
    """Actions on tokens, bound to one running app (which has ``client``, ``store``,
    ``viewer``, ``self_token``, ``clock``)."""

    def __init__(self, app: App) -> None:
        self.app = app

    def new_token(self) -> None:
        """``n``: open the create wizard for the current source."""

    def rotate(self, token: Token) -> None:
        """``r``: confirm, rotate, then reveal the new value once."""

    def revoke(self, token: Token) -> None:
        """``d``/``delete``: confirm, then revoke."""

    def pick_source(self) -> None:
        """``t``: choose another token source."""

    def show_help(self) -> None:
        """``?``: every binding of the current screen."""
