"""TokenApp and ``make_app``: the Textual application shared by the CLI, tests and screenshots.

The app owns the client, the store, the clock and the actions controller; it loads the viewer
and the token in use at start, then the token list. Its screens import nothing of it: each is
given the app as its host (a Protocol the screen declares, e.g.
:class:`~tokentui.tui.screens.tokens.MainHost`) when it is created, and the app tells them its
state changed through its signals (``header_changed``, ``rows_changed``, ``facts_changed``,
``associations_changed``), never by reaching into the screen stack. Every worker runs with
its own ``group`` and ``exit_on_error=False``; :meth:`TokenApp.on_worker_state_changed` is the
one place where their errors become a notification (GitLab's message and a next step) or, for
a rejected credential (401), the full unauthorized screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Coroutine, Iterable
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.signal import Signal
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from tokentui.core.config import ConfigError, load_settings
from tokentui.core.everything import resolve_choice
from tokentui.core.expiry import Clock, system_clock
from tokentui.core.hygiene import HygieneConfig, owner_state_of
from tokentui.core.ownership import Ownership
from tokentui.core.resources import styles_dir
from tokentui.core.self_rotation import SaveCredential
from tokentui.core.startup import StartRequests
from tokentui.core.store import TokenStore
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.credential_check import (
    DEAD_CREDENTIAL,
    REFUSED_EXPLANATION,
    dead_credential,
)
from tokentui.gitlab.errors import (
    ConnectionFailed,
    Forbidden,
    GitLabError,
    InsufficientScope,
    NotFound,
    NotGitLab,
    OutcomeUnknown,
    RateLimited,
    RequestTimedOut,
    ServerError,
    TLSFailed,
    TransportError,
    Unauthorized,
    ValidationFailed,
)
from tokentui.gitlab.models import Associations, Token, User
from tokentui.gitlab.sources import TokenSource, resolve_source
from tokentui.tui.actions import TokenActions
from tokentui.tui.screens.profiles import ProfileCommands
from tokentui.tui.typeahead import TypeAhead
from tokentui.tui.widgets.token_table import RowContext

if TYPE_CHECKING:
    from tokentui.tui.screens.tokens import TokensScreen

log = logging.getLogger(__name__)

#: Worker groups (one per kind of job, so exclusive workers never cancel each other).
GROUP_STARTUP = "startup"
GROUP_LOAD = "load"
GROUP_USERS = "users"
GROUP_ASSOCIATIONS = "associations"
GROUP_TRIAGE = "triage-401"
#: At start-up the first page's tokens are painted before the next pages' are indexed, for
#: at most this long (seconds; ``_first_page_shown``).
FIRST_PAINT_WAIT_AT_MOST = 0.5


#: Keys already re-delivered to a text box by :meth:`TokenApp.on_key`.
_REDELIVERED: weakref.WeakSet[events.Key] = weakref.WeakSet()


def _css_paths() -> list[str | PurePath]:
    folder = styles_dir()
    return [path for name in ("app.tcss", "dialogs.tcss") if (path := folder / name).is_file()]


def error_hint(err: BaseException) -> str:
    """The next step to suggest after an error, in the TUI's terms."""
    if isinstance(err, InsufficientScope):
        needed = ", ".join(err.required_scopes) or "a broader scope"
        return f"The token in use needs: {needed}. Log in with a token that has it."
    if isinstance(err, Forbidden):
        return "Your account may not do this here (it needs an administrator or an owner)."
    if isinstance(err, NotFound):
        return "It may have been deleted or be out of your reach: ctrl+r reloads, t picks a source."
    if isinstance(err, ValidationFailed):
        return "Change the input and try again."
    if isinstance(err, RateLimited):
        wait = f" {err.retry_after:.0f} s" if err.retry_after else " a moment"
        return f"GitLab is rate limiting: wait{wait}, then ctrl+r."
    if isinstance(err, ServerError):
        return "GitLab had a problem; try again in a moment (ctrl+r)."
    if isinstance(err, OutcomeUnknown):
        return "The answer was lost: reload (ctrl+r) to see whether it happened before retrying."
    if isinstance(err, TLSFailed):
        return "Check the instance's certificate or the profile's CA bundle."
    if isinstance(err, ConnectionFailed | RequestTimedOut):
        return "Check the URL and your network, then ctrl+r."
    if isinstance(err, NotGitLab):
        return "Check the URL: it should be the GitLab instance's address."
    return "ctrl+r reloads."


class TokenCommands(Provider):
    """Command-palette entries for every main-screen action."""

    COMMANDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("New token", "Create a token in the current source (n)", "new_token"),
        ("Rotate token", "Rotate the selected token (r)", "rotate"),
        ("Revoke token", "Revoke the selected token (d)", "revoke"),
        (
            "Switch token source",
            "Everything I manage, mine, all, a user, project, group, service account (t)",
            "pick_source",
        ),
        ("Filter tokens", "Focus the name filter (/); tab reaches the others", "focus_filter"),
        ("Clear filters", "Clear every filter (esc on the list)", "clear_filters"),
        (
            "Cycle sort",
            "Sort by urgency (the default), expiry, name, created, last used, kind, resource (s)",
            "cycle_sort",
        ),
        ("Reverse sort", "Reverse the sort direction (S)", "reverse_sort"),
        ("Reload tokens", "Load the list again from GitLab (ctrl+r)", "reload"),
        ("Copy token name", "Copy the selected token's name (y)", "copy_name"),
        (
            "Identify a token value",
            "Paste a leaked value: what it is, whose, and revoke it (i)",
            "identify",
        ),
        (
            "Filter by finding",
            "Never used, unused, no expiry, broad scopes, cliff, owner blocked, expired (f)",
            "pick_finding",
        ),
        ("Recreate token", "A new token like the expired or revoked one selected (c)", "recreate"),
        ("Show key bindings", "Every binding of this screen (?)", "help"),
        (
            "Stop the scan",
            "Stop the everything scan, keeping what was read (esc, ctrl+c)",
            "stop_scan",
        ),
        (
            "Show scan problems",
            "What the everything scan could not read, and why (P)",
            "show_problems",
        ),
        # Marks: r and d act on the marked tokens when there are any (tokentui/tui/bulk.py).
        ("Mark token", "Mark or unmark the selected token (space)", "toggle_mark"),
        ("Mark all shown", "Mark every token the filters show (a)", "mark_shown"),
        ("Invert marks", "Flip the mark of every token shown (v)", "invert_marks"),
        ("Unmark all", "Clear every mark (u)", "clear_marks"),
        ("Open settings page", "The selected token's GitLab page, or its URL (o)", "open_settings"),
        (
            "Toggle horizon",
            "Tokens expiring per week, 13 weeks, cliffs marked (H)",
            "toggle_horizon",
        ),
        ("Next week", "List the tokens expiring in the next horizon week (])", "week(1)"),
        ("Previous week", "List the tokens expiring in the previous horizon week ([)", "week(-1)"),
    )

    def _available(self) -> Iterable[tuple[str, str, str]]:
        from tokentui.tui.screens.tokens import TokensScreen

        if isinstance(self.screen, TokensScreen):
            yield from self.COMMANDS

    def _runner(self, action: str):
        screen = self.screen

        async def run() -> None:
            await screen.run_action(action)

        return run

    def _explained(self, help_text: str, action: str) -> tuple[str, bool]:
        """The entry's help, or why it cannot apply now (shown dimmed; running it still
        refuses with that reason)."""
        app = self.app
        if not isinstance(app, TokenApp):
            return help_text, True
        reason = app.actions.refusal(action, app.selected_token())
        return (f"not now: {reason}", False) if reason else (help_text, True)

    async def discover(self) -> Hits:
        for name, help_text, action in self._available():
            help_text, possible = self._explained(help_text, action)
            display = Content(name) if possible else Content.styled(name, "dim")
            yield DiscoveryHit(display, self._runner(action), text=name, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, action in self._available():
            if (score := matcher.match(name)) > 0:
                help_text, possible = self._explained(help_text, action)
                display = matcher.highlight(name)
                if not possible:
                    display = display.stylize_before("dim")
                yield Hit(score, display, self._runner(action), text=name, help=help_text)


class TokenApp(App[int]):
    """The tokentui application."""

    TITLE = "tokentui"
    CSS_PATH: ClassVar[list[str | PurePath]] = _css_paths()
    COMMANDS: ClassVar = App.COMMANDS | {TokenCommands, ProfileCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit"),
    ]

    def __init__(
        self,
        client: GitLabClient | None,
        *,
        clock: Clock | None = None,
        source_choice: tuple[str, str | None] | None = None,
        demo: bool = False,
        save_credential: SaveCredential | None = None,
        profile_name: str | None = None,
        insecure: bool = False,
        login_url: str | None = None,
        start: StartRequests | None = None,
        credential_origin: str | None = None,
        hygiene: HygieneConfig | None = None,
        refresh_every: float | None = None,
    ) -> None:
        super().__init__()
        #: Seconds between automatic reloads of the list (None: off; ``--refresh-every``).
        self.refresh_every = refresh_every
        #: None only until the login screen (nothing configured) gives a connection.
        self.client: GitLabClient = client  # type: ignore[assignment]
        self.login_url = login_url
        #: Why the app gave up at start (printed on stderr by the CLI after exit).
        self.exit_message: str | None = None
        self.clock: Clock = clock or system_clock
        self.source_choice = source_choice
        self.demo = demo
        self.save_credential = save_credential
        #: Where the credential came from: "keyring", "file", "GITLAB_TOKEN" (None: unknown).
        self.credential_origin = credential_origin
        self.profile_name = profile_name
        self.insecure = insecure
        self.store = TokenStore(self.client, self.clock, runner=self._run_load)
        self.store.first_page_shown = self._first_page_shown
        #: What the client is retrying, for the header ("retrying (attempt 2): ..."); cleared
        #: by the next change of the list or a successful start.
        self.retry_status: str | None = None
        self._retrying = 0
        self._watch_retries()
        self.viewer: User | None = None
        self._self_token: Token | None = None
        self.associations: Associations | None = None
        self.associations_error: str | None = None
        self.startup_error: BaseException | None = None
        #: Kinds, owners' names and bots' resources (tokentui/core/ownership.py), looked up lazily.
        self.ownership = Ownership()
        self.user_names: dict[int, str] = self.ownership.usernames
        self._users_pending: set[object] = set()
        self._users_disabled = False
        #: Why the config file's [hygiene] thresholds were not used (said once mounted).
        self._hygiene_problem: str | None = None
        self.store.hygiene.set_config(hygiene or self._configured_hygiene())
        self.store.hygiene.owner_state = owner_state_of(self.ownership)
        self.row_context = RowContext(
            self.clock, ownership=self.ownership, hygiene=self.store.hygiene
        )
        self.row_context.web_base = lambda: self.client.base_url if self.client else ""
        # The everything scan places its rows (kind, resource, write source) here.
        self.store.ownership = self.ownership
        self.actions = TokenActions(self)
        self._unauthorized_shown = False
        self._started_once = False
        #: The first requests, when the CLI sent them before the app existed.
        self._start_requests = start
        #: Keys of a burst handled one after another (see tokentui/tui/typeahead.py).
        self.typeahead = TypeAhead(self)
        #: The main screen, once pushed (for :meth:`selected_token`).
        self._main: TokensScreen | None = None
        # What the screens follow (each subscribes when mounted; see MainHost).
        #: The header's own state changed (the retry status).
        self.header_changed: Signal[None] = Signal(self, "header-changed")
        #: Show the rows and header again (a start failed or is retried, an error reported).
        self.rows_changed: Signal[None] = Signal(self, "rows-changed")
        #: What visible rows and dialogs show changed (owners looked up, the token in use).
        self.facts_changed: Signal[None] = Signal(self, "facts-changed")
        #: The token in use's associations arrived (or failed).
        self.associations_changed: Signal[None] = Signal(self, "associations-changed")

    @property
    def self_token(self) -> Token | None:
        """The token tokentui is using (``GET /personal_access_tokens/self``), if known."""
        return self._self_token

    @self_token.setter
    def self_token(self, token: Token | None) -> None:
        # After a self-rotation the "in use" mark moves to the new token.
        self._self_token = token
        self.row_context.self_token_id = token.id if token is not None else None
        self.associations = None
        self.associations_error = None
        self._refresh_visible()

    @property
    def instance_label(self) -> str:
        """The instance host (and port) for the header."""
        if self.demo:
            return "simulator"
        parts = urlsplit(self.client.base_url)
        return parts.netloc or self.client.base_url

    def _configured_hygiene(self) -> HygieneConfig:
        """The config file's [hygiene] thresholds; the defaults when it has none or a bad one
        (said in a notification; the CLI refuses such a file before the app starts)."""
        try:
            return load_settings().hygiene
        except ConfigError as err:
            self._hygiene_problem = f"{err}. Using the default thresholds."
            return HygieneConfig()

    # -- start ---------------------------------------------------------------------------------
    def on_mount(self) -> None:
        if self._hygiene_problem:
            self.notify(self._hygiene_problem, severity="warning", markup=False, timeout=10)
        if self.client is None:
            from tokentui.tui.screens.login import LoginScreen

            self.push_screen(LoginScreen(url=self.login_url), callback=self._logged_in)
            return
        self._open_main()

    async def _first_page_shown(self) -> None:
        """The store's pace at start-up (``TokenStore.first_page_shown``): the next pages
        are indexed, or a scan's projects and groups walked, once the screen has painted (or
        after FIRST_PAINT_WAIT_AT_MOST); later loads are not held."""
        self.store.first_page_shown = None
        painted = asyncio.Event()
        self.screen.call_after_refresh(painted.set)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(painted.wait(), FIRST_PAINT_WAIT_AT_MOST)

    def _open_main(self) -> None:
        # Imported here: the login screen, when it comes first, paints without it.
        from tokentui.tui.screens.tokens import TokensScreen

        self._main = TokensScreen(self)
        self.push_screen(self._main)
        self.run_worker(self._start(), group=GROUP_STARTUP, name="connect", exit_on_error=False)

    def _logged_in(self, connection: Any) -> None:
        """The login screen closed with a connection (or None: the user gave up)."""
        if connection is None:
            self.exit_message = "not logged in: run 'tokentui auth login' or set GITLAB_TOKEN"
            self.exit(return_code=2)
            return
        self.client = connection.client()
        self._watch_retries()
        self.store.client = self.client
        self.profile_name = connection.profile
        self.insecure = connection.insecure
        self.credential_origin = connection.token_origin
        if connection.token_origin in ("keyring", "file"):
            self.save_credential = connection.save_token
        self._open_main()

    def switch_connection(self, connection: Any) -> None:
        """Use another profile's connection (the palette's profile switch, a second login):
        everything known about the old instance and credential is dropped and the list loads
        again for the new one."""
        old = self.client
        self.store.cancel()
        for group in (GROUP_STARTUP, GROUP_USERS, GROUP_ASSOCIATIONS):
            self.workers.cancel_group(self, group)
        self.client = connection.client()
        self._watch_retries()
        self.store.client = self.client
        self.profile_name = connection.profile
        self.insecure = connection.insecure
        self.save_credential = (
            connection.save_token if connection.token_origin in ("keyring", "file") else None
        )
        self.credential_origin = connection.token_origin
        self.viewer = None
        self.self_token = None
        self.associations = None
        self.associations_error = None
        self.startup_error = None
        self.ownership.clear()
        self._users_pending.clear()
        self._users_disabled = False
        self._unauthorized_shown = False
        self.row_context.self_token_id = None
        self.source_choice = None
        self.store.source = None
        self.store.reload()  # clears the old instance's rows
        self.reload()  # no viewer yet: connects again, then loads the default source
        if old is not None and old is not self.client:
            self.run_worker(old.aclose(), group="close client", exit_on_error=False)

    def _leave(self, message: str) -> None:
        """Stop the app with ``message`` for stderr and exit code 2."""
        self.exit_message = message
        self.exit(return_code=2)

    async def _start(self) -> None:
        first = not self._started_once
        self._started_once = True
        requests, self._start_requests = self._start_requests, None
        if requests is None:
            requests = StartRequests.send(
                self.client,
                self.source_choice,
                filters=self.store.server_filters,
                per_page=self.store.per_page,
            )
        try:
            self.viewer = await requests.viewer
        except (TransportError, NotGitLab) as err:
            requests.cancel()
            if first:
                # Nothing useful can be shown: leave, and let the CLI say why on stderr. Once
                # the screen has mounted: a refused connection fails before it has.
                self.call_after_refresh(self._leave, str(err))
                return
            self.startup_error = err
            self._refresh_main()
            raise
        except BaseException as err:
            requests.cancel()
            self.startup_error = err
            self._refresh_main()
            raise
        self.ownership.set_viewer(self.viewer)
        source = self._initial_source()
        self.store.set_source(source)  # takes page 1 from the client when it was sent for it
        try:
            self.self_token = await requests.self_token
        except Unauthorized:
            raise
        except GitLabError as err:
            # Not fatal: an old GitLab or an OAuth token has no "self" endpoint.
            log.info("no self token: %s", err)

    def _initial_source(self) -> TokenSource:
        """The source asked for (``--all``, ``--project``...), else the default; one the
        viewer cannot list falls back to their own tokens, with a warning."""
        assert self.viewer is not None
        choice, value = self.source_choice or (None, None)
        try:
            source = resolve_choice(
                choice, value, viewer_id=self.viewer.id, viewer_is_admin=self.viewer.is_admin
            )
        except ValueError as err:
            self.notify(
                f"{err}. Showing your own tokens instead.",
                severity="warning",
                markup=False,
                timeout=8,
            )
            source = resolve_source(
                "mine", None, viewer_id=self.viewer.id, viewer_is_admin=self.viewer.is_admin
            )
        return source

    def _run_load(self, coro: Coroutine[Any, Any, None]) -> Worker[None]:
        """The store's runner: loads run in one exclusive worker group."""
        return self.run_worker(
            coro, group=GROUP_LOAD, name="load tokens", exclusive=True, exit_on_error=False
        )

    def reload(self) -> None:
        """Reload the token list (ctrl+r); also retries a failed start."""
        if self.viewer is None:
            self.startup_error = None
            self._refresh_main()
            self.run_worker(
                self._start(),
                group=GROUP_STARTUP,
                name="connect",
                exit_on_error=False,
                exclusive=True,
            )
            return
        self.associations = None
        self.associations_error = None
        self.store.reload()

    def action_help_quit(self) -> None:
        """``ctrl+c`` (when no text is selected to copy): stop the everything scan while it
        runs, keeping what was read; otherwise Textual's own answer, which says how to quit."""
        if self._main is not None and self.screen is self._main and self._main.action_stop_scan():
            return
        super().action_help_quit()

    def selected_token(self) -> Token | None:
        """The token under the cursor of the main screen."""
        return self._main.selected_token if self._main is not None else None

    def is_self_token(self, token: Token) -> bool:
        """Whether ``token`` is the one tokentui is using."""
        return self.self_token is not None and token.key == self.self_token.key

    # -- lazy extras -----------------------------------------------------------------------------
    def want_user_names(self, tokens: Iterable[Token]) -> None:
        """Look up what is not known yet about the owners of ``tokens`` (visible rows): their
        names, the kind of their tokens, a bot's project or group (tokentui/core/ownership.py).
        One lookup per user, concurrent; until it answers the Kind cell shows a pending mark."""
        if self._users_disabled:
            return
        source = self.store.source
        tokens = [t for t in tokens if t.user_id not in self._users_pending]
        wanted = set(self.ownership.needs_lookup(tokens, source))
        source_key = ("source", source)
        want_source = self.ownership.needs_source_lookup(source) and (
            source_key not in self._users_pending
        )
        if not wanted and not want_source:
            return
        tokens = [t for t in tokens if t.user_id in wanted]
        self._users_pending |= wanted
        if want_source:
            self._users_pending.add(source_key)
        self.run_worker(
            self._fetch_users(tokens, source, wanted | ({source_key} if want_source else set())),
            group=GROUP_USERS,
            name="user names",
            exit_on_error=False,
        )

    async def _fetch_users(
        self, tokens: list[Token], source: TokenSource | None, pending: set[Any]
    ) -> None:
        try:
            await self.ownership.resolve(self.client, tokens, source)
        except Unauthorized:
            # Non-admins may not look users up on some instances: stop asking.
            self._users_disabled = True
        except GitLabError as err:
            # Names are a nicety: never an error popup for them (the next tick asks again).
            log.info("token owners unavailable: %s", err)
        finally:
            self._users_pending -= pending
        self._refresh_visible()

    def want_associations(self) -> None:
        """Fetch ``self/associations`` for the detail of the token in use (once)."""
        if self.associations is not None or self.associations_error is not None:
            return
        # The function, not a coroutine: an exclusive worker cancelled before it runs would
        # leave a coroutine that was never awaited.
        worker: Worker[None] = self.run_worker(
            self._fetch_associations,
            group=GROUP_ASSOCIATIONS,
            name="associations",
            exclusive=True,
            exit_on_error=False,
        )
        del worker  # typed only so that mypy infers the worker's result type

    async def _fetch_associations(self) -> None:
        try:
            self.associations = await self.client.self_associations()
        except Unauthorized:
            raise
        except GitLabError as err:
            self.associations_error = f"not available: {err}"
        self.associations_changed.publish(None)

    # -- retries (the client's on_retry hook) ----------------------------------------------------
    def _watch_retries(self) -> None:
        self._retrying = 0
        self.retry_status = None
        if self.client is not None:
            self.client.on_retry = self._on_retry
            self.client.on_retry_end = self._on_retry_end

    def _on_retry(self, attempt: int, delay: float, reason: str) -> None:
        """The client waits before retrying a read, or holds a request until GitLab's rate
        limit resets (attempt 1): say so in the header (not frozen), until every such wait is
        over (the start-up's requests run side by side)."""
        if attempt <= 2:  # a hold, or this request's first retry: one on_retry_end each
            self._retrying += 1
        self.retry_status = reason if attempt == 1 else f"retrying (attempt {attempt}): {reason}"
        self._refresh_header()

    def _on_retry_end(self) -> None:
        self._retrying = max(0, self._retrying - 1)
        if not self._retrying and self.retry_status is not None:
            self.retry_status = None
            self._refresh_header()

    def _refresh_header(self) -> None:
        self.header_changed.publish(None)

    def _refresh_main(self) -> None:
        self.rows_changed.publish(None)

    def _refresh_visible(self) -> None:
        self.facts_changed.publish(None)

    async def on_event(self, event: events.Event) -> None:
        # Keys of a burst are handled one by one, each after the previous one's effects (a
        # focus change, a new step): see tokentui/tui/typeahead.py.
        if self.typeahead.hold(event):
            return
        await super().on_event(event)

    def on_key(self, event: events.Key) -> None:
        """A printable key that reaches the app while a text box has focus was sent before
        that focus moved (typed right after ``/``, pasted, tmux send-keys): every key of a
        burst is routed to the widget focused when it arrived, so the box never saw it.
        Deliver it there, in order, as the user meant."""
        focused = self.focused
        if isinstance(focused, Input) and event.is_printable and event not in _REDELIVERED:
            event.stop()
            again = events.Key(event.key, event.character)
            _REDELIVERED.add(again)  # never bounced twice, whatever the box does with it
            focused.post_message(again)

    # -- errors: the one place -------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        self.show_error(event.worker.error, action=event.worker.name)

    def show_error(self, err: BaseException | None, *, action: str = "") -> None:
        """Tell the user about ``err``: GitLab's message and a next step, or the 401 screen."""
        if err is None:
            return
        if isinstance(err, Unauthorized):
            if err.reason in DEAD_CREDENTIAL:
                self.show_unauthorized(err)
            else:
                # A bare 401 is also GitLab's answer to "no permission" on several token
                # endpoints: ask whether the credential still works before saying it is dead.
                self.run_worker(
                    self._triage_unauthorized(err, action),
                    group=GROUP_TRIAGE,
                    name="credential check",
                    exit_on_error=False,
                )
            return
        if isinstance(err, GitLabError):
            message = f"{err}\n{error_hint(err)}"
        else:
            log.exception("unexpected error in %s", action, exc_info=err)
            message = f"Unexpected {type(err).__name__}: {err}"
        title = f"{action} failed" if action else "Error"
        self.notify(message, title=title, severity="error", timeout=12, markup=False)
        self._refresh_main()

    async def _triage_unauthorized(self, err: Unauthorized, action: str) -> None:
        """Tell a rejected credential from a refused permission (both are 401 in GitLab)."""
        dead = await dead_credential(self.client, err)
        if dead is not None:
            self.show_unauthorized(dead)
            return
        title = f"{action} refused" if action else "Refused"
        self.notify(
            f"{REFUSED_EXPLANATION}\nPress t to pick another source.",
            title=title,
            severity="error",
            timeout=12,
            markup=False,
        )
        self._refresh_main()

    def show_unauthorized(self, err: Unauthorized) -> None:
        """The credential was rejected: a full screen saying so and what to do."""
        if self._unauthorized_shown:
            return
        self._unauthorized_shown = True
        from tokentui.tui.screens.unauthorized import UnauthorizedScreen

        self.store.cancel()
        instance = self.client.base_url if not self.demo else "the demo"
        self.push_screen(UnauthorizedScreen(err, instance=instance, profile=self.profile_name))


def make_app(
    client: GitLabClient | None,
    *,
    clock: Clock | None = None,
    source_choice: tuple[str, str | None] | None = None,
    demo: bool = False,
    save_credential: SaveCredential | None = None,
    profile_name: str | None = None,
    insecure: bool = False,
    login_url: str | None = None,
    start: StartRequests | None = None,
    credential_origin: str | None = None,
    hygiene: HygieneConfig | None = None,
    refresh_every: float | None = None,
) -> TokenApp:
    """Build the app (CLI, tests and screenshots all go through here). ``client`` None opens
    the login screen first (nothing configured). ``start``: the first requests, already sent
    with ``client`` (:class:`~tokentui.core.startup.StartRequests`). ``hygiene``: the findings'
    thresholds (None: the config file's)."""
    return TokenApp(
        client,
        login_url=login_url,
        start=start,
        clock=clock,
        source_choice=source_choice,
        demo=demo,
        save_credential=save_credential,
        profile_name=profile_name,
        insecure=insecure,
        credential_origin=credential_origin,
        hygiene=hygiene,
        refresh_every=refresh_every,
    )
