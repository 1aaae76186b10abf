"""The create wizard: target -> name -> scopes -> expiry -> access level -> review -> create.

The wizard only collects input; the API call runs in an App-level worker started by
:class:`tokentui.tui.actions.TokenActions` through ``on_submit``. A server validation error comes
back through :meth:`CreateWizard.show_server_error` and lands on the step it belongs to, with
the wizard still open and everything typed still there (the steps stay mounted).

``esc`` closes at once only on the first step with nothing typed; otherwise it asks first
(:class:`DiscardDialog`: ``enter``/``esc`` keep editing, only ``x`` discards).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar
from urllib.parse import quote

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, ContentSwitcher, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tokentui.gitlab.client import CreateTokenRequest
from tokentui.gitlab.deploy_tokens import CreateDeployTokenRequest, create_body
from tokentui.gitlab.errors import GitLabError, ValidationFailed
from tokentui.gitlab.scopes import (
    ACCESS_LEVELS,
    DEFAULT_ACCESS_LEVEL,
    DEPLOY_TOKEN_SCOPES,
    MAX_DEPLOY_USERNAME_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
)
from tokentui.gitlab.sources import CreateRoute, DeployTokens, PersonalTokens, TokenSource
from tokentui.gitlab.terminal_text import clean
from tokentui.tui.screens.confirm import DESTROY_KEY, ConfirmDialog, dialog_footer
from tokentui.tui.widgets.expiry_picker import ExpiryPicker
from tokentui.tui.widgets.scope_picker import ScopePicker

#: Step ids in wizard order (``target`` and ``access`` only when they apply).
ALL_STEPS: tuple[str, ...] = ("target", "name", "scopes", "expiry", "access", "review")

#: The wizard's text fields besides the target user (prefilled with the viewer's id).
FREE_TEXT = ("name", "description", "username")

STEP_TITLES = {
    "target": "Owner",
    "name": "Name and description",
    "scopes": "Scopes",
    "expiry": "Expiry",
    "access": "Access level",
    "review": "Review",
}

#: GitLab field names (``{"message": {"<field>": [...]}}``) -> the step that edits them.
_FIELD_STEPS = {
    "name": "name",
    "description": "name",
    "scopes": "scopes",
    "scope": "scopes",
    "expires_at": "expiry",
    "access_level": "access",
    "user_id": "target",
    "user": "target",
}

#: Phrases of GitLab's message texts (``{"error": "..."}``, ``{"message": "..."}``) -> step.
_TEXT_STEPS: tuple[tuple[str, str], ...] = (
    ("expiration date", "expiry"),
    ("expires_at", "expiry"),
    ("expires at", "expiry"),
    ("access level", "access"),
    ("access_level", "access"),
    ("scope", "scopes"),
    ("user not found", "target"),
    ("description", "name"),
    ("name", "name"),
)


def step_for_error(err: GitLabError, steps: Sequence[str]) -> str:
    """The wizard step an error from GitLab belongs to (``review`` when none fits)."""
    if isinstance(err, ValidationFailed):
        for field_name in err.field_errors:
            step = _FIELD_STEPS.get(field_name.lower())
            if step is not None and step in steps:
                return step
    text = f"{err.message} {getattr(err, 'gitlab_message', '') or ''}".lower()
    for phrase, step in _TEXT_STEPS:
        if phrase in text and step in steps:
            return step
    return "review"


def web_create_url(base_url: str, name: str, scopes: Sequence[str]) -> str:
    """GitLab's prefilled page for a personal token the API cannot create."""
    query = f"name={quote(name, safe='')}"
    if scopes:
        query += f"&scopes={quote(','.join(scopes), safe=',')}"
    return f"{base_url.rstrip('/')}/-/user_settings/personal_access_tokens?{query}"


@dataclass(frozen=True)
class WizardTarget:
    """Where the token will be created."""

    source: TokenSource
    route: CreateRoute


class DiscardDialog(ConfirmDialog):
    """The question before the wizard closes with input in it (esc, Cancel)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,n,escape", "cancel", "Keep editing", id="discard.keep", priority=True),
        Binding(DESTROY_KEY, "confirm", "Discard", id="discard.discard", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__(
            "Discard this new token?",
            "Nothing has been created yet. What you entered in the wizard is lost.",
            confirm_label="Discard",
            cancel_label="Keep editing",
        )


@dataclass(frozen=True)
class WizardPrefill:
    """What the wizard starts with when it recreates a token (``c`` on an expired or revoked
    one): its name, description, scopes and access level; the expiry is the wizard's default."""

    name: str
    description: str | None = None
    scopes: tuple[str, ...] = ()
    access_level: int | None = None
    #: The token recreated, named in the wizard's title (``“ci-deploy” (token 12)``).
    recreates: str = ""


#: Called with the wizard, the chosen source and the request when the user confirms.
SubmitCreate = Callable[
    ["CreateWizard", TokenSource, CreateTokenRequest | CreateDeployTokenRequest], None
]


class CreateWizard(ModalScreen[None]):
    """A step-by-step form for a new token; see the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="wizard.cancel"),
        Binding("ctrl+n", "next", "Next", id="wizard.next", priority=True),
        Binding("ctrl+b", "back", "Back", id="wizard.back", priority=True),
    ]

    def __init__(
        self,
        *,
        source: TokenSource,
        viewer_id: int,
        viewer_is_admin: bool,
        today: date,
        base_url: str,
        on_submit: SubmitCreate,
        ask_user: bool = False,
        describe_user: Callable[[int], str] | None = None,
        prefill: WizardPrefill | None = None,
    ) -> None:
        super().__init__(id="create-wizard")
        self.prefill = prefill
        self.viewer_id = viewer_id
        self.viewer_is_admin = viewer_is_admin
        self.today = today
        self.base_url = base_url
        self.on_submit = on_submit
        self.ask_user = ask_user
        self.describe_user = describe_user or (lambda user_id: f"user {user_id}")
        self.busy = False
        self._source = source
        route = source.create_route(viewer_is_admin=viewer_is_admin)
        if route is None and ask_user:
            route = PersonalTokens(user_id=viewer_id, mine=True).create_route(
                viewer_is_admin=viewer_is_admin
            )
        if route is None:
            raise ValueError(f"cannot create tokens in {source.label}")
        self.target = WizardTarget(source, route)
        #: A deploy token: an optional username instead of a description, "never" as an
        #: expiry, no access level (gitlab-api.md §7.3).
        self.deploy = isinstance(source, DeployTokens)
        self.steps: tuple[str, ...] = tuple(
            s
            for s in ALL_STEPS
            if (s != "target" or ask_user) and (s != "access" or route.access_levels)
        )
        self.step = self.steps[0]

    # -- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        route = self.target.route
        with Vertical(id="wizard-dialog", classes="dialog"):
            yield Static(self._title_text(), id="wizard-title", classes="dialog-title")
            yield Static("", id="wizard-step-title", classes="dialog-subtitle")
            with ContentSwitcher(initial=f"step-{self.step}", id="wizard-steps"):
                with Vertical(id="step-target", classes="step"):
                    yield Label("Create the personal token for user (numeric id):")
                    yield Input(
                        str(self.viewer_id),
                        id="target-user",
                        restrict=r"[0-9]*",
                        max_length=12,
                    )
                    yield Static(
                        f"Your own id is {self.viewer_id}. An administrator may create "
                        "tokens for any user.",
                        classes="step-hint",
                    )
                    yield Static("", id="error-target", classes="step-error")
                with Vertical(id="step-name", classes="step"):
                    yield Label("Name (required)")
                    filled = self.prefill
                    yield Input(
                        filled.name if filled else "",
                        placeholder="e.g. ci-deploy",
                        id="name",
                        max_length=MAX_NAME_LENGTH,
                    )
                    yield Label("Description (optional)", id="description-label")
                    yield Input(
                        (filled.description or "") if filled else "",
                        placeholder="what uses it, who to ask",
                        id="description",
                        max_length=MAX_DESCRIPTION_LENGTH,
                    )
                    yield Label(
                        "Username (optional; GitLab's default: gitlab+deploy-token-<id>)",
                        id="username-label",
                    )
                    yield Input(
                        placeholder="what git and the registry log in as, e.g. ci-pull",
                        id="username",
                        max_length=MAX_DEPLOY_USERNAME_LENGTH,
                    )
                    yield Static("", id="error-name", classes="step-error")
                with Vertical(id="step-scopes", classes="step"):
                    yield Static(
                        "space toggles a scope, enter goes on; pick the fewest that do the job",
                        classes="step-hint",
                    )
                    yield ScopePicker(
                        route.scopes, self.prefill.scopes if self.prefill else (), id="scopes"
                    )
                    yield Static("", id="web-url", classes="step-hint web-url")
                    yield Static("", id="error-scopes", classes="step-error")
                with Vertical(id="step-expiry", classes="step"):
                    yield Static(
                        "The token stops working at 00:00 UTC on this date (at most 365 days)"
                        + (", or never." if self.deploy else "."),
                        classes="step-hint",
                    )
                    yield ExpiryPicker(
                        self.today, default_days=30, allow_never=self.deploy, id="expiry"
                    )
                    yield Static("", id="error-expiry", classes="step-error")
                with Vertical(id="step-access", classes="step"):
                    yield Static(
                        "The role of the token's bot user (you cannot grant more than you have).",
                        classes="step-hint",
                    )
                    levels = route.access_levels or ()
                    yield OptionList(
                        *(
                            Option(f"{ACCESS_LEVELS[lvl]} ({lvl})", id=f"level-{lvl}")
                            for lvl in levels
                        ),
                        id="access",
                    )
                    yield Static("", id="error-access", classes="step-error")
                with Vertical(id="step-review", classes="step"):
                    yield Static("", id="review")
                    yield Static("", id="error-review", classes="step-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Back", id="back", compact=True)
                yield Button("Next", id="next", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
            yield Static("ctrl+n next · ctrl+b back · esc cancel", classes="dialog-keys")
        yield dialog_footer()

    def on_mount(self) -> None:
        for widget_id in ("description-label", "description"):
            self.query_one(f"#{widget_id}").display = not self.deploy
        for widget_id in ("username-label", "username"):
            self.query_one(f"#{widget_id}").display = self.deploy
        levels = self.target.route.access_levels or ()
        if levels:
            default = DEFAULT_ACCESS_LEVEL if DEFAULT_ACCESS_LEVEL in levels else levels[-1]
            if self.prefill is not None and self.prefill.access_level in levels:
                default = self.prefill.access_level
            self.query_one("#access", OptionList).highlighted = levels.index(default)
        self._show_step(self.step)
        self._refresh_web_url()

    def _title_text(self) -> Text:
        route = self.target.route
        if self.ask_user:
            where = "a personal token for a user"
        elif route.self_service:
            where = "a personal token for yourself"
        else:
            where = f"a {self.target.source.kind.label} token in {clean(self.target.source.label)}"
        if self.prefill is not None:
            return Text(f"Recreate {clean(self.prefill.recreates)}: {where}")
        return Text(f"New token: {where}")

    # -- navigation -----------------------------------------------------------------------
    def _show_step(self, step: str) -> None:
        self.step = step
        self.query_one("#wizard-steps", ContentSwitcher).current = f"step-{step}"
        number = self.steps.index(step) + 1
        self.query_one("#wizard-step-title", Static).update(
            f"Step {number} of {len(self.steps)}: {STEP_TITLES[step]}"
        )
        self.query_one("#back", Button).disabled = number == 1
        self.query_one("#next", Button).label = "Create" if step == "review" else "Next"
        if step == "review":
            self.query_one("#review", Static).update(self.review_text())
        self._focus_step(step)

    def _focus_step(self, step: str) -> None:
        focus = {
            "target": "#target-user",
            "name": "#name",
            "scopes": "#scopes",
            "expiry": "#expiry-options",
            "access": "#access",
            "review": "#next",
        }[step]
        self.query_one(focus).focus()

    def action_next(self) -> None:
        """Validate the current step, then go on (or create, from the review)."""
        if self.busy:
            return
        problem = self.validate_step(self.step)
        self.set_error(self.step, problem)
        if problem:
            return
        if self.step == "review":
            self._submit()
            return
        self._show_step(self.steps[self.steps.index(self.step) + 1])

    def action_back(self) -> None:
        """Go to the previous step; nothing typed is lost."""
        if self.busy:
            return
        index = self.steps.index(self.step)
        if index > 0:
            self._show_step(self.steps[index - 1])

    def action_cancel(self) -> None:
        """Close the wizard without creating anything; ask first unless nothing was entered."""
        if self.busy:
            return
        if not self.has_input():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(DiscardDialog(), answered)

    def has_input(self) -> bool:
        """Whether closing would lose something: a step after the first was reached, or
        anything was typed or chosen."""
        if self.step != self.steps[0]:
            return True
        typed = any(self.query_one(f"#{field}", Input).value.strip() for field in FREE_TEXT)
        target = self.query_one("#target-user", Input).value.strip()
        return typed or target != str(self.viewer_id) or bool(self.query_one(ScopePicker).chosen())

    @on(Button.Pressed, "#next")
    def _pressed_next(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#back")
    def _pressed_back(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#cancel")
    def _pressed_cancel(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "name":
            self.query_one("#username" if self.deploy else "#description", Input).focus()
        else:
            self.action_next()

    @on(OptionList.OptionSelected, "#access")
    def _access_selected(self) -> None:
        self.action_next()

    @on(ScopePicker.Confirmed)
    def _scopes_confirmed(self) -> None:
        self.action_next()

    @on(OptionList.OptionSelected, "#expiry-options")
    def _preset_selected(self) -> None:
        self.action_next()

    @on(Input.Changed, "#name")
    @on(ScopePicker.SelectedChanged)
    def _refresh_web_url(self) -> None:
        if not self.target.route.self_service:
            self.query_one("#web-url", Static).display = False
            return
        name = self.query_one("#name", Input).value.strip() or "my-token"
        url = web_create_url(self.base_url, name, self.query_one(ScopePicker).chosen())
        self.query_one("#web-url", Static).update(
            Text.assemble(
                "The API can only create these two scopes for yourself. For a full personal "
                "token (api, read_repository, ...) open GitLab's page, prefilled:\n",
                (url, "underline"),
            )
        )

    # -- values ---------------------------------------------------------------------------
    def target_user_id(self) -> int | None:
        """The user id typed on the target step (None when invalid)."""
        text = self.query_one("#target-user", Input).value.strip()
        return int(text) if text.isdigit() and int(text) > 0 else None

    def chosen_target(self) -> WizardTarget:
        """The source and route the token goes to."""
        if not self.ask_user:
            return self.target
        user_id = self.target_user_id() or self.viewer_id
        source = PersonalTokens(user_id=user_id, mine=user_id == self.viewer_id)
        route = source.create_route(viewer_is_admin=self.viewer_is_admin)
        assert route is not None  # an admin can always create for a user
        return WizardTarget(source, route)

    def chosen_access_level(self) -> int | None:
        """The highlighted access level, for project/group tokens."""
        if "access" not in self.steps:
            return None
        option_list = self.query_one("#access", OptionList)
        if option_list.highlighted is None:
            return DEFAULT_ACCESS_LEVEL
        option_id = option_list.get_option_at_index(option_list.highlighted).id or ""
        return int(option_id.removeprefix("level-"))

    def build_request(self) -> CreateTokenRequest | CreateDeployTokenRequest:
        """The request as typed (call after :meth:`validate_step` passed for every step)."""
        expires_at, _ = self.query_one(ExpiryPicker).chosen()
        if self.deploy:
            return CreateDeployTokenRequest(
                name=self.query_one("#name", Input).value.strip(),
                scopes=self.query_one(ScopePicker).chosen(),
                expires_at=expires_at,
                username=self.query_one("#username", Input).value.strip() or None,
            )
        description = self.query_one("#description", Input).value.strip()
        return CreateTokenRequest(
            name=self.query_one("#name", Input).value.strip(),
            scopes=self.query_one(ScopePicker).chosen(),
            expires_at=expires_at,
            description=description or None,
            access_level=self.chosen_access_level(),
        )

    def validate_step(self, step: str) -> str | None:
        """Why the input of ``step`` cannot be used, or None."""
        if step == "target":
            if self.target_user_id() is None:
                return "type the numeric id of the user who will own the token"
            self.query_one(ScopePicker).set_allowed(self.chosen_target().route.scopes)
            return None
        if step == "name":
            name = self.query_one("#name", Input).value.strip()
            if not name:
                return "a name is required: say what the token is for, e.g. ci-deploy"
            if len(name) > MAX_NAME_LENGTH:
                return f"the name is longer than {MAX_NAME_LENGTH} characters"
            username = self.query_one("#username", Input).value.strip()
            if self.deploy and username:
                try:  # GitLab's username rule, checked where the API layer keeps it
                    create_body(
                        CreateDeployTokenRequest(name, DEPLOY_TOKEN_SCOPES[:1], None, username)
                    )
                except ValueError as err:
                    return str(err)
            return None
        if step == "scopes":
            if not self.query_one(ScopePicker).chosen():
                return "pick at least one scope (space toggles the highlighted one)"
            return None
        if step == "expiry":
            return self.query_one(ExpiryPicker).chosen()[1]
        if step == "review":
            for earlier in self.steps[:-1]:
                problem = self.validate_step(earlier)
                if problem:
                    self.set_error(earlier, problem)
                    self._show_step(earlier)
                    return problem
        return None

    def review_text(self) -> Text:
        """The summary shown on the review step."""
        target = self.chosen_target()
        request = self.build_request()
        where = clean(target.source.label)
        if self.ask_user and isinstance(target.source, PersonalTokens) and target.source.user_id:
            where = f"personal tokens of {self.describe_user(target.source.user_id)}"
        rows: list[tuple[str, str]] = [("Where", where)]
        rows.append(("Name", request.name or "—"))
        if isinstance(request, CreateDeployTokenRequest):
            rows.append(("Username", request.username or "GitLab's default"))
        else:
            rows.append(("Description", request.description or "—"))
        rows.append(("Scopes", ", ".join(request.scopes) or "—"))
        expires = request.expires_at
        if isinstance(expires, date):
            days = (expires - self.today).days
            rows.append(("Expires", f"{expires.isoformat()} (in {days} days)"))
        elif isinstance(request, CreateDeployTokenRequest):
            rows.append(("Expires", "never"))
        if isinstance(request, CreateTokenRequest) and request.access_level is not None:
            level = request.access_level
            rows.append(("Access level", f"{ACCESS_LEVELS.get(level, level)} ({level})"))
        text = Text()
        for label, value in rows:
            text.append(f"{label:<13}", style="bold")
            text.append(f"{value}\n")
        text.append("\nThe new value is shown once, on the next screen.", style="italic")
        return text

    # -- submitting and errors --------------------------------------------------------------
    def _submit(self) -> None:
        target = self.chosen_target()
        request = self.build_request()
        self.set_busy(True)
        self.on_submit(self, target.source, request)

    def set_busy(self, busy: bool) -> None:
        """Show that the request is in flight (and ignore keys meanwhile)."""
        self.busy = busy
        self.query_one("#next", Button).disabled = busy
        self.query_one("#back", Button).disabled = busy or self.steps.index(self.step) == 0
        if busy:
            self.set_error("review", None)
            status = self.query_one("#error-review", Static)
            status.update(Text("Creating…", style="italic"))
            status.add_class("-visible")

    def set_error(self, step: str, message: str | None) -> None:
        """Show (or clear) the error line of a step."""
        widget = self.query_one(f"#error-{step}", Static)
        widget.update(Text(message, style="bold") if message else "")
        widget.set_class(bool(message), "-visible")

    def show_server_error(self, err: GitLabError, *, hint: str = "") -> None:
        """Put GitLab's refusal on the step it belongs to and go there."""
        self.set_busy(False)
        step = step_for_error(err, self.steps)
        message = err.message
        if hint:
            message += f" — {hint}"
        self.set_error(step, message)
        self._show_step(step)
