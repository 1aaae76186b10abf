"""The source picker (``t``): which list of tokens to show.

Choosing needs the server for some choices (does the project exist? which service accounts
has the group?). Those checks run in App-level workers started by
:class:`tokentui.actions.TokenActions` through the callbacks; the picker stays open and shows
their answer (:meth:`SourcePicker.show_error`, :meth:`SourcePicker.show_accounts`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tokentui.gitlab.models import ServiceAccount
from tokentui.gitlab.sources import (
    GroupTokens,
    ImpersonationTokens,
    PersonalTokens,
    ProjectTokens,
    ServiceAccountTokens,
    TokenSource,
)
from tokentui.terminal_text import clean

#: (choice, label, needs a value, admin only, prompt for the value)
CHOICES: tuple[tuple[str, str, bool, bool, str], ...] = (
    ("mine", "My personal tokens", False, False, ""),
    ("all", "All users' personal tokens (admin)", False, True, ""),
    ("user", "One user's personal tokens (admin)", True, True, "User id, e.g. 2"),
    (
        "impersonation",
        "A user's impersonation tokens (admin)",
        True,
        True,
        "User id, e.g. 2",
    ),
    ("project", "A project's access tokens", True, False, "Project path or id, e.g. platform/api"),
    ("group", "A group's access tokens", True, False, "Group path or id, e.g. platform"),
    (
        "service-account",
        "A group service account's tokens",
        True,
        False,
        "Group path or id (then pick the account), or GROUP:USER_ID",
    ),
)

#: Called with (picker, choice, value) to check and switch.
SubmitSource = Callable[["SourcePicker", str, str | None], None]
#: Called with (picker, group) to list the group's service accounts.
ListAccounts = Callable[["SourcePicker", str], None]


def choice_of(source: TokenSource | None) -> tuple[str | None, str]:
    """The picker choice and value that describe ``source``."""
    if isinstance(source, PersonalTokens):
        if source.mine:
            return "mine", ""
        return ("all", "") if source.user_id is None else ("user", str(source.user_id))
    if isinstance(source, ImpersonationTokens):
        return "impersonation", str(source.user_id)
    if isinstance(source, ProjectTokens):
        return "project", source.resource
    if isinstance(source, GroupTokens):
        return "group", source.resource
    if isinstance(source, ServiceAccountTokens):
        return "service-account", f"{source.group}:{source.user_id}"
    return None, ""


class SourcePicker(ModalScreen[None]):
    """Pick a token source; see the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="source.cancel"),
    ]

    def __init__(
        self,
        *,
        current: TokenSource | None,
        viewer_is_admin: bool,
        on_submit: SubmitSource,
        on_list_accounts: ListAccounts,
    ) -> None:
        super().__init__(id="source-picker")
        self.viewer_is_admin = viewer_is_admin
        self.on_submit = on_submit
        self.on_list_accounts = on_list_accounts
        self.choices = tuple(c for c in CHOICES if viewer_is_admin or not c[3])
        self.current_choice, self.current_value = choice_of(current)
        self.choice: str | None = None
        self.accounts_group: str | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="source-dialog", classes="dialog"):
            yield Static("Show tokens from…", classes="dialog-title")
            yield OptionList(
                *(
                    Option(self._choice_label(choice, label), id=choice)
                    for choice, label, *_ in self.choices
                ),
                id="source-choices",
            )
            yield Static("", id="source-prompt", classes="dialog-text")
            yield Input(id="source-value", max_length=255)
            yield OptionList(id="service-accounts")
            yield Static("", id="source-error", classes="step-error")
            yield Static(
                "enter choose · esc cancel"
                if self.viewer_is_admin
                else "enter choose · esc cancel (listing other users' tokens needs an admin)",
                classes="dialog-keys",
            )

    def _choice_label(self, choice: str, label: str) -> Text:
        if choice != self.current_choice:
            return Text(label)
        current = f" {clean(self.current_value)}" if self.current_value else ""
        text = Text(f"{label} · now{current}")
        text.stylize("dim", len(label))
        return text

    def on_mount(self) -> None:
        choices = [c[0] for c in self.choices]
        option_list = self.query_one("#source-choices", OptionList)
        if self.current_choice in choices:
            option_list.highlighted = choices.index(self.current_choice)
        self.query_one("#source-prompt", Static).display = False
        self.query_one("#source-value", Input).display = False
        self.query_one("#service-accounts", OptionList).display = False
        option_list.focus()

    def _spec(self, choice: str) -> tuple[str, str, bool, bool, str]:
        return next(c for c in self.choices if c[0] == choice)

    # -- choosing -------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#source-choices")
    def _choice_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.choose(event.option.id or "")

    def choose(self, choice: str) -> None:
        """Pick a choice; ask for its value when it needs one."""
        if self.busy:
            return
        self.show_error(None)
        self.choice = choice
        _, _, needs_value, _, prompt = self._spec(choice)
        accounts = self.query_one("#service-accounts", OptionList)
        accounts.display = False
        value_input = self.query_one("#source-value", Input)
        prompt_widget = self.query_one("#source-prompt", Static)
        if not needs_value:
            value_input.display = False
            prompt_widget.display = False
            self._submit(choice, None)
            return
        prompt_widget.update(Text(prompt))
        prompt_widget.display = True
        value_input.placeholder = prompt
        if self.current_choice == choice and not value_input.value:
            value_input.value = self.current_value.split(":")[0]
        value_input.display = True
        value_input.focus()

    @on(Input.Submitted, "#source-value")
    def _value_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.busy or self.choice is None:
            return
        value = event.value.strip()
        if self.choice == "service-account" and ":" not in value:
            if not value.strip("/"):
                self.show_error("type the group's path or id, e.g. platform")
                return
            self.set_busy(True, "Looking up the group's service accounts…")
            self.on_list_accounts(self, value.strip("/"))
            return
        self._submit(self.choice, value)

    @on(OptionList.OptionSelected, "#service-accounts")
    def _account_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.accounts_group and event.option.id:
            self._submit("service-account", f"{self.accounts_group}:{event.option.id}")

    def _submit(self, choice: str, value: str | None) -> None:
        self.set_busy(True, "Checking…")
        self.on_submit(self, choice, value)

    # -- answers from the workers ---------------------------------------------------------
    def show_accounts(self, group: str, accounts: Sequence[ServiceAccount]) -> None:
        """List a group's service accounts to choose from."""
        self.set_busy(False)
        if not accounts:
            self.show_error(f"group {group} has no service accounts")
            return
        self.accounts_group = group
        option_list = self.query_one("#service-accounts", OptionList)
        option_list.clear_options()
        option_list.add_options(
            Option(Text(f"{clean(a.username)}  {clean(a.name)}  (id {a.id})"), id=str(a.id))
            for a in accounts
        )
        option_list.display = True
        option_list.highlighted = 0
        option_list.focus()

    def show_error(self, message: str | None) -> None:
        """Show why the choice cannot be used (or clear it)."""
        self.set_busy(False)
        widget = self.query_one("#source-error", Static)
        widget.update(Text(message, style="bold") if message else "")
        widget.set_class(bool(message), "-visible")

    def set_busy(self, busy: bool, message: str = "") -> None:
        """Mark a check in flight."""
        self.busy = busy
        if busy:
            widget = self.query_one("#source-error", Static)
            widget.update(Text(message, style="italic"))
            widget.set_class(bool(message), "-visible")

    def action_cancel(self) -> None:
        """Keep the current source."""
        self.dismiss(None)
