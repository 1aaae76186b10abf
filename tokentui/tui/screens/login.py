"""The login screen: shown when nothing is configured (``connect()`` raised ``NotConfigured``).

Same steps as ``tokentui auth login`` (:mod:`tokentui.core.login`): URL and token (hidden), optional
CA bundle or no verification, check with ``GET /personal_access_tokens/self`` and
``GET /user``, store the token (keyring, or the 0600 file only when the box is ticked), save
the profile. Dismisses with a :class:`~tokentui.core.session.Connection` for the new profile,
or ``None`` when the user gives up (escape).

Usage from the app::

    self.push_screen(LoginScreen(url=args.url), callback=self.on_logged_in)

The token is read from the input inside the worker, never passed to it, and the input is
cleared once it is stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input, Label, Static

from tokentui.core import config, credentials
from tokentui.core.login import LoginRequest, check_login, check_storage, save_login
from tokentui.core.session import Connection, env_url, error_message
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.errors import GitLabError


class LoginScreen(Screen[Connection | None]):
    """Log in to a GitLab instance and save the profile."""

    DEFAULT_CSS = """
    LoginScreen {
        align: center middle;
    }
    LoginScreen #login-box {
        width: 84;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        padding: 0 1;
    }
    LoginScreen #login-title {
        text-style: bold;
    }
    LoginScreen .row {
        height: auto;
        margin-top: 1;
    }
    LoginScreen .row Label {
        width: 14;
        color: $text-muted;
    }
    LoginScreen .row Input {
        width: 1fr;
    }
    LoginScreen Checkbox {
        margin-top: 1;
    }
    LoginScreen #keyring-notice {
        margin-top: 1;
        color: $warning;
    }
    LoginScreen #login-error {
        color: $error;
    }
    LoginScreen #login-status {
        color: $text-muted;
    }
    LoginScreen .message {
        margin-top: 1;
        display: none;
    }
    LoginScreen .message.shown {
        display: block;
    }
    LoginScreen #login-buttons {
        margin-top: 1;
        height: auto;
    }
    LoginScreen #login-buttons Button {
        margin-right: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="login.cancel"),
    ]

    def __init__(
        self, *, url: str | None = None, profile: str | None = None, make_default: bool = True
    ) -> None:
        super().__init__()
        self._initial_url = url or env_url() or ""
        self._initial_profile = profile or config.DEFAULT_PROFILE
        self._make_default = make_default
        self._keyring = credentials.keyring_status()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="login-box"):
            yield Static("Log in to GitLab", id="login-title")
            where = "in the system keyring" if self._keyring.usable else "as you choose below"
            yield Static(
                f"The token is checked with GitLab, then stored {where}; the profile (never "
                f"the token) goes to {config.config_path()}."
            )
            yield from self._row(
                "GitLab URL",
                Input(
                    self._initial_url,
                    placeholder="https://gitlab.example.com",
                    id="url",
                    compact=True,
                ),
            )
            yield from self._row(
                "Token",
                Input(placeholder="glpat-... (hidden)", password=True, id="token", compact=True),
            )
            yield from self._row(
                "Profile", Input(self._initial_profile, id="profile", compact=True)
            )
            yield from self._row(
                "CA bundle",
                Input(
                    placeholder="optional: PEM file of a private CA", id="ca-bundle", compact=True
                ),
            )
            yield Checkbox(
                "Do not verify the TLS certificate (dangerous)", id="no-verify", compact=True
            )
            if not self._keyring.usable:
                yield Static(
                    f"No system keyring here: {self._keyring.reason} (usual over SSH). Either "
                    "quit and set GITLAB_HOST and GITLAB_TOKEN, or tick the box below to keep "
                    f"the token in {credentials.credentials_path()} (plaintext, mode 0600).",
                    id="keyring-notice",
                )
                yield Checkbox("Store the token in that file", id="insecure-storage", compact=True)
            yield Static("", id="login-error", classes="message")
            yield Static("", id="login-status", classes="message")
            with Horizontal(id="login-buttons"):
                yield Button("Log in", variant="primary", id="login", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    @staticmethod
    def _row(label: str, field: Input) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(label)
            yield field

    def on_mount(self) -> None:
        self.query_one("#token" if self._initial_url else "#url", Input).focus()

    # -- input ------------------------------------------------------------------------------
    @on(Input.Submitted)
    def _next_or_submit(self, event: Input.Submitted) -> None:
        """Enter in the URL moves to an empty token; anywhere else it logs in."""
        token = self.query_one("#token", Input)
        if event.input.id == "url" and not token.value:
            token.focus()
            return
        self.action_login()

    @on(Button.Pressed, "#login")
    def _login_pressed(self) -> None:
        self.action_login()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        """Give up: the app decides what that means (usually quit)."""
        self.query_one("#token", Input).value = ""
        self.dismiss(None)

    def _request(self) -> LoginRequest:
        ca = self.query_one("#ca-bundle", Input).value.strip()
        insecure = self.query(Checkbox).filter("#insecure-storage")
        return LoginRequest(
            profile=self.query_one("#profile", Input).value.strip() or config.DEFAULT_PROFILE,
            url=self.query_one("#url", Input).value,
            storage="file" if insecure and insecure.first().value else "keyring",
            verify=not self.query_one("#no-verify", Checkbox).value,
            ca_bundle=Path(ca).expanduser().resolve() if ca else None,
            make_default=self._make_default,
        ).normalized()

    def _show_error(self, text: str) -> None:
        self._message("#login-error", text)
        self._message("#login-status", "")

    def _message(self, selector: str, text: str) -> None:
        widget = self.query_one(selector, Static)
        widget.update(text)
        widget.set_class(bool(text), "shown")

    def action_login(self) -> None:
        """Check the form, then check the token with GitLab in a worker."""
        try:
            request = self._request()
            check_storage(request.storage)
            request.tls_options()
        except credentials.NoKeyring:
            self._show_error(
                "There is no system keyring to keep the token in: tick “Store the token in "
                "that file”, or cancel and set GITLAB_HOST and GITLAB_TOKEN."
            )
            self.query_one("#insecure-storage", Checkbox).focus()
            return
        except (config.ConfigError, credentials.CredentialError) as err:
            self._show_error(str(err))
            return
        if not self.query_one("#token", Input).value.strip():
            self._show_error("Paste your access token (it is not shown).")
            self.query_one("#token", Input).focus()
            return
        self._show_error("")
        self._message("#login-status", f"Checking with {request.url} ...")
        self.query_one("#login", Button).disabled = True
        self._check(request)

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _check(self, request: LoginRequest) -> None:
        """Verify and store. Reads the token from its input here: never a worker argument."""
        from pydantic import SecretStr

        token = SecretStr(self.query_one("#token", Input).value.strip())
        try:
            tls = request.tls_options()
            async with GitLabClient(request.url, token, tls=tls) as client:
                identity = await check_login(client)
            profile = save_login(request, token, identity)
        except (GitLabError, ValueError, config.ConfigError, credentials.CredentialError) as err:
            self._show_error(error_message(err))
            self.query_one("#login", Button).disabled = False
            self.query_one("#token", Input).focus()
            return
        self.query_one("#token", Input).value = ""
        self.dismiss(
            Connection(
                profile.url,
                token,
                tls=profile.tls_options(),
                profile=profile.name,
                token_origin=profile.storage,
            )
        )
