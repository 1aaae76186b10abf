"""The source picker (``t``): which list of tokens to show.

Choosing needs the server for some choices (does the project exist? which service accounts
has the group?). Those checks run in App-level workers started by
:class:`tokentui.tui.actions.TokenActions` through the callbacks; the picker stays open and shows
their answer (:meth:`SourcePicker.show_error`, :meth:`SourcePicker.show_accounts`).

Users are picked by username, projects and groups by path (ids work too). While a value is
typed, GitLab's search completes it (:meth:`SourcePicker.show_suggestions`): ``down`` goes to
the list, ``enter`` takes an entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Key
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tokentui.core import everything
from tokentui.core.source_search import Suggestion, account_label, wants_completion
from tokentui.gitlab.models import ServiceAccount
from tokentui.gitlab.sources import (
    DeployTokens,
    GroupTokens,
    ImpersonationTokens,
    PersonalTokens,
    ProjectTokens,
    ServiceAccountTokens,
    TokenSource,
)
from tokentui.gitlab.terminal_text import clean

#: (choice, label, needs a value, admin only, prompt for the value)
CHOICES: tuple[tuple[str, str, bool, bool, str], ...] = (
    (
        everything.CHOICE,
        "Everything I manage (every kind, every project and group)",
        False,
        False,
        "",
    ),
    ("mine", "My personal tokens", False, False, ""),
    ("all", "All users' personal tokens (admin)", False, True, ""),
    ("user", "One user's personal tokens (admin)", True, True, "Username (or id), e.g. alice"),
    (
        "impersonation",
        "A user's impersonation tokens (admin)",
        True,
        True,
        "Username (or id), e.g. alice",
    ),
    ("project", "A project's access tokens", True, False, "Project path or id, e.g. platform/api"),
    ("group", "A group's access tokens", True, False, "Group path or id, e.g. platform"),
    (
        "project-deploy",
        "A project's deploy tokens",
        True,
        False,
        "Project path or id, e.g. platform/api",
    ),
    ("group-deploy", "A group's deploy tokens", True, False, "Group path or id, e.g. platform"),
    (
        "service-account",
        "A group service account's tokens",
        True,
        False,
        "Group path (then pick the account), or GROUP:USERNAME",
    ),
)

#: Called with (picker, choice, value) to check and switch.
SubmitSource = Callable[["SourcePicker", str, str | None], None]
#: Called with (picker, group) to list the group's service accounts.
ListAccounts = Callable[["SourcePicker", str], None]
#: Called with (picker, choice, text typed) to ask GitLab for completions.
Complete = Callable[["SourcePicker", str, str], None]
#: Wait after the last key before searching (GitLab.com allows 50 group searches a minute).
COMPLETE_DELAY = 0.25


def choice_of(source: TokenSource | None) -> tuple[str | None, str]:
    """The picker choice and value that describe ``source``."""
    if isinstance(source, everything.Everything):
        return everything.CHOICE, ""
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
    if isinstance(source, DeployTokens):
        return f"{source.resource_type}-deploy", source.resource
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
        on_complete: Complete | None = None,
    ) -> None:
        super().__init__(id="source-picker")
        self.viewer_is_admin = viewer_is_admin
        self.on_submit = on_submit
        self.on_list_accounts = on_list_accounts
        self.on_complete = on_complete
        self._complete_timer: Timer | None = None
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
            yield OptionList(id="source-suggestions")
            yield OptionList(id="service-accounts")
            yield Static("", id="source-error", classes="step-error")
            yield Static(
                "enter choose · ↓ suggestions · esc cancel"
                if self.viewer_is_admin
                else "enter choose · ↓ suggestions · esc cancel (other users' tokens: admins)",
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
        self.query_one("#source-suggestions", OptionList).display = False
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
        self._hide_suggestions()
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

    # -- completion -----------------------------------------------------------------------
    @on(Input.Changed, "#source-value")
    def _value_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._complete_timer is not None:
            self._complete_timer.stop()
            self._complete_timer = None
        if self.on_complete is None or not wants_completion(self.choice, event.value):
            self._hide_suggestions()
            return
        self._complete_timer = self.set_timer(COMPLETE_DELAY, self._ask_completion)

    def _ask_completion(self) -> None:
        self._complete_timer = None
        if self.choice is not None and self.on_complete is not None:
            self.on_complete(self, self.choice, self.query_one("#source-value", Input).value)

    def show_suggestions(self, choice: str, query: str, suggestions: Sequence[Suggestion]) -> None:
        """GitLab's matches for ``query`` (ignored when the box says something else by now)."""
        value_input = self.query_one("#source-value", Input)
        if choice != self.choice or query != value_input.value:
            return
        listed = self.query_one("#source-suggestions", OptionList)
        listed.clear_options()
        if not suggestions:
            self._hide_suggestions()
            return
        listed.add_options(Option(Text(s.label), id=s.value) for s in suggestions)
        listed.highlighted = 0
        listed.display = True

    def _hide_suggestions(self) -> None:
        listed = self.query_one("#source-suggestions", OptionList)
        if listed.display:
            listed.display = False
            listed.clear_options()

    def on_key(self, event: Key) -> None:
        listed = self.query_one("#source-suggestions", OptionList)
        value_input = self.query_one("#source-value", Input)
        if event.key == "down" and self.focused is value_input and listed.display:
            event.stop()
            listed.focus()

    @on(OptionList.OptionSelected, "#source-suggestions")
    def _suggestion_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        value = event.option.id or ""
        value_input = self.query_one("#source-value", Input)
        with self.prevent(Input.Changed):
            value_input.value = value
        self._hide_suggestions()
        value_input.focus()
        self._take(value)

    @on(Input.Submitted, "#source-value")
    def _value_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._take(event.value)

    def _take(self, text: str) -> None:
        """Use the value typed or picked: check it (and list a group's accounts)."""
        if self.busy or self.choice is None:
            return
        if self._complete_timer is not None:
            self._complete_timer.stop()
            self._complete_timer = None
        self._hide_suggestions()
        value = text.strip()
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
        option_list.add_options(Option(Text(account_label(a)), id=str(a.id)) for a in accounts)
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
        """Mark a check in flight (its line shows ``message``), or over (the line goes)."""
        was_busy, self.busy = self.busy, busy
        widget = self.query_one("#source-error", Static)
        if busy:
            widget.update(Text(message, style="italic"))
            widget.set_class(bool(message), "-visible")
        elif was_busy:
            widget.update("")
            widget.set_class(False, "-visible")

    def action_cancel(self) -> None:
        """Keep the current source."""
        self.dismiss(None)
