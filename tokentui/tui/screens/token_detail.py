"""Full-screen detail of one token (``enter`` on the list; the only detail view at 80x24)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer

from tokentui.gitlab.models import Token
from tokentui.tui.widgets.detail import TokenDetail

if TYPE_CHECKING:
    from tokentui.tui.app import TokenApp


class TokenDetailScreen(ModalScreen[None]):
    """Every field of one token; ``esc``/``enter``/``q`` go back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "dismiss", "Back", id="detail.back"),
        Binding("r", "rotate", "Rotate", id="detail.rotate"),
        Binding("d,delete", "revoke", "Revoke", id="detail.revoke"),
        Binding("y", "copy_name", "Copy name", id="detail.copy_name"),
    ]

    def __init__(self, token: Token) -> None:
        super().__init__(id="token-detail")
        self.token = token

    def compose(self) -> ComposeResult:
        app = cast("TokenApp", self.app)
        with VerticalScroll(id="full-detail-scroll"):
            yield TokenDetail(app.row_context, auto_height=True, id="full-detail")
        yield Footer()

    def on_mount(self) -> None:
        app = cast("TokenApp", self.app)
        pane = self.query_one(TokenDetail)
        pane.associations = app.associations
        pane.associations_error = app.associations_error
        pane.show(self.token)
        if app.is_self_token(self.token):
            app.want_associations()
        self.set_interval(1.0, pane.refresh_time, name="detail-countdown")

    def refresh_associations(self) -> None:
        """The token-in-use associations arrived."""
        app = cast("TokenApp", self.app)
        pane = self.query_one(TokenDetail)
        pane.associations = app.associations
        pane.associations_error = app.associations_error
        pane.refresh_time(layout=True)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)

    def action_rotate(self) -> None:
        self.dismiss(None)
        cast("TokenApp", self.app).actions.rotate(self.token)

    def action_revoke(self) -> None:
        self.dismiss(None)
        cast("TokenApp", self.app).actions.revoke(self.token)

    def action_copy_name(self) -> None:
        self.app.copy_to_clipboard(self.token.name)
        self.notify("Copied the token's name.", timeout=3)
