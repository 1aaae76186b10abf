"""The screen for a rejected credential (401): what happened and what to do next."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from tokentui.gitlab.errors import Unauthorized

_WHY = {
    "expired": "The token tokentui is using has expired.",
    "revoked": "The token tokentui is using has been revoked.",
    "missing": "No token was sent to GitLab.",
    "impersonation_disabled": "Impersonation tokens are disabled on this GitLab instance.",
    "unknown": "GitLab does not accept the token tokentui is using (unknown, expired or revoked).",
}


def unauthorized_text(err: Unauthorized, *, instance: str, profile: str | None) -> Text:
    """The explanation and the next steps, as plain text."""
    login = "tokentui auth login" + (f" --profile {profile}" if profile else "")
    text = Text()
    text.append("Signed out by GitLab (401)\n\n", style="bold red")
    text.append(_WHY.get(err.reason, _WHY["unknown"]) + "\n")
    text.append(f"GitLab said: {err.message}\n\n", style="dim")
    text.append("What to do\n", style="bold")
    text.append(f"  1. Create a new personal access token on {instance}\n")
    text.append("     (User settings > Access tokens; scope api, or read_api to only list).\n")
    text.append(f"  2. Save it with:  {login}\n")
    text.append("     or export GITLAB_TOKEN=<the new token> and start tokentui again.\n\n")
    text.append("Press q to quit.", style="bold")
    return text


class UnauthorizedScreen(Screen[None]):
    """Full screen: the credential was rejected. Only quitting makes sense from here."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape", "quit", "Quit", id="unauthorized.quit"),
    ]

    def __init__(self, err: Unauthorized, *, instance: str, profile: str | None = None) -> None:
        super().__init__(id="unauthorized")
        self.err = err
        self.instance = instance
        self.profile = profile

    def compose(self) -> ComposeResult:
        with Vertical(id="unauthorized-box"):
            yield Static(
                unauthorized_text(self.err, instance=self.instance, profile=self.profile),
                id="unauthorized-text",
            )
        yield Footer()

    def action_quit(self) -> None:
        self.app.exit(return_code=2)
