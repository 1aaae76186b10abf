"""Full-screen detail of one token (``enter`` on the list; the only detail view at 80x24).

The screen imports nothing of the app: what it needs (the row context, the associations of the
token in use, rotate and revoke) comes from its :class:`DetailHost`, given when it is created,
and it follows the associations through the host's ``associations_changed`` signal.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.signal import Signal
from textual.widgets import Footer

from tokentui.gitlab.models import Associations, Token
from tokentui.tui.widgets.detail import TokenDetail
from tokentui.tui.widgets.token_table import RowContext


class ActionsOnToken(Protocol):
    """The actions on one token a screen may start (``TokenActions`` has them)."""

    def rotate(self, token: Token) -> None:
        """``r``: confirm, then rotate ``token``."""

    def revoke(self, token: Token) -> None:
        """``d``: confirm, then revoke ``token``."""


class DetailHost(Protocol):
    """What the token screens need from the app (``TokenApp`` is one)."""

    @property
    def row_context(self) -> RowContext:
        """The clock, the token in use, owners and kinds, shared with the table."""

    @property
    def actions(self) -> ActionsOnToken:
        """Rotate and revoke (with their dialogs)."""

    @property
    def associations(self) -> Associations | None:
        """The token in use's groups and projects, once fetched."""

    @property
    def associations_error(self) -> str | None:
        """Why the associations are not available, when they are not."""

    @property
    def associations_changed(self) -> Signal[None]:
        """Published when :attr:`associations` or :attr:`associations_error` changed."""

    def is_self_token(self, token: Token) -> bool:
        """Whether ``token`` is the one tokentui is using."""

    def want_associations(self) -> None:
        """Fetch the associations of the token in use (once); the signal says when."""


class TokenDetailScreen(ModalScreen[None]):
    """Every field of one token; ``esc``/``enter``/``q`` go back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "dismiss", "Back", id="detail.back"),
        Binding("r", "rotate", "Rotate", id="detail.rotate"),
        Binding("d,delete", "revoke", "Revoke", id="detail.revoke"),
        Binding("y", "copy_name", "Copy name", id="detail.copy_name"),
    ]

    def __init__(self, token: Token, host: DetailHost) -> None:
        super().__init__(id="token-detail")
        self.token = token
        self.host = host

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="full-detail-scroll"):
            yield TokenDetail(self.host.row_context, auto_height=True, id="full-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.host.associations_changed.subscribe(
            self, lambda _: self.refresh_associations(), immediate=True
        )
        pane = self.query_one(TokenDetail)
        pane.associations = self.host.associations
        pane.associations_error = self.host.associations_error
        pane.show(self.token)
        if self.host.is_self_token(self.token):
            self.host.want_associations()
        self.set_interval(1.0, pane.refresh_time, name="detail-countdown")

    def on_unmount(self) -> None:
        self.host.associations_changed.unsubscribe(self)

    def refresh_associations(self) -> None:
        """Show the token-in-use associations as the host knows them now."""
        pane = self.query_one(TokenDetail)
        pane.associations = self.host.associations
        pane.associations_error = self.host.associations_error
        pane.refresh_time(layout=True)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)

    def action_rotate(self) -> None:
        self.dismiss(None)
        self.host.actions.rotate(self.token)

    def action_revoke(self) -> None:
        self.dismiss(None)
        self.host.actions.revoke(self.token)

    def action_copy_name(self) -> None:
        self.app.copy_to_clipboard(self.token.name)
        self.notify("Copied the token's name.", timeout=3)
