"""The main screen: header, filter bar, token table, detail pane, footer.

Keys call the store (filters, sort, reload) or the host's ``actions`` (create, rotate, revoke,
source, help). The screen imports nothing of the app: everything it needs comes from its
:class:`MainHost` (``TokenApp`` is one), given when it is created, and the host's signals say
when to repaint (``header_changed``, ``rows_changed``, ``facts_changed``,
``associations_changed``). The screen listens to the store and repaints what is visible; during
a long load, page arrivals are coalesced into at most one repaint per ``PAGE_REPAINT_INTERVAL``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import ClassVar, Protocol

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer
from textual.widgets import Static

from tokentui.core.browser import Opener, browser_opener
from tokentui.core.everything import Everything
from tokentui.core.expiry import Band, Clock, band, today
from tokentui.core.horizon import Horizon, horizon
from tokentui.core.hygiene import FINDINGS, Finding
from tokentui.core.marks import Marks
from tokentui.core.store import Change, TokenStore
from tokentui.gitlab.models import Token, User
from tokentui.gitlab.sources import TokenFilters, TokenSource
from tokentui.gitlab.terminal_text import clean
from tokentui.tui.screens.token_detail import ActionsOnToken, DetailHost, TokenDetailScreen
from tokentui.tui.widgets.detail import TokenDetail
from tokentui.tui.widgets.filter_bar import FilterBar
from tokentui.tui.widgets.footer import Footer
from tokentui.tui.widgets.horizon import HorizonChart
from tokentui.tui.widgets.token_table import TokenTable

#: Coalesce repaints while pages stream in (seconds; more when a repaint is costly).
PAGE_REPAINT_INTERVAL = 0.1


def _clock_time(moment: datetime) -> str:
    """``14:05``: a time of day in the local time zone, for "refreshed 14:05"."""
    return moment.astimezone().strftime("%H:%M")


MAX_REPAINT_INTERVAL = 1.0
#: Countdown tick: every second while a visible countdown shows seconds, else every SLOW_TICKS.
SLOW_TICKS = 30
#: Bands whose countdown text shows seconds.
SECOND_BANDS = frozenset(
    {Band.UNDER_1_DAY, Band.UNDER_7_DAYS, Band.UNDER_30_DAYS, Band.UNDER_60_DAYS}
)
#: Narrower than this, the footer drops its "^p palette" hint to fit the main keys.
FOOTER_PALETTE_WIDTH = 100
#: Below this height the detail pane hides (``enter`` opens the full detail instead).
DETAIL_MIN_HEIGHT = 30


class MainActions(ActionsOnToken, Protocol):
    """The actions the main screen's keys start (``TokenActions`` has them)."""

    def new_token(self) -> None:
        """``n``: the create wizard."""

    def pick_source(self) -> None:
        """``t``: the source picker."""

    def identify(self) -> None:
        """``i``: identify a pasted token value (leak response)."""

    def show_help(self) -> None:
        """``?``: every key of the screen."""

    def recreate(self, token: Token | None) -> None:
        """``c``: the create wizard filled in like an expired or revoked ``token``."""

    def rotate_marked(self) -> None:
        """``r`` with marks: preview, confirm and rotate the marked tokens."""

    def revoke_marked(self) -> None:
        """``d`` with marks: preview, confirm and revoke the marked tokens."""


class MainHost(DetailHost, Protocol):
    """What the main screen needs from the app (``TokenApp`` is one): its state, read when
    a signal says it changed, and its services."""

    @property
    def actions(self) -> MainActions:
        """Create, rotate, revoke, source, help (with their dialogs)."""

    @property
    def store(self) -> TokenStore:
        """The token list: source, filters, sort, pages."""

    @property
    def clock(self) -> Clock:
        """Now, for the countdowns."""

    @property
    def demo(self) -> bool:
        """Whether the simulator is what runs (``--demo``)."""

    @property
    def insecure(self) -> bool:
        """Whether TLS certificates are not verified."""

    @property
    def retry_status(self) -> str | None:
        """What the client is retrying, for the header."""

    @property
    def refresh_every(self) -> float | None:
        """Seconds between automatic reloads (None: off); the header then says when."""

    @property
    def viewer(self) -> User | None:
        """Who is logged in, once known."""

    @property
    def startup_error(self) -> BaseException | None:
        """Why the start failed (until ``ctrl+r`` retries it)."""

    @property
    def instance_label(self) -> str:
        """The instance host (and port) for the header."""

    @property
    def profile_name(self) -> str | None:
        """The profile in use, if one is."""

    @property
    def header_changed(self) -> Signal[None]:
        """Published when something only the header shows changed (the retry status)."""

    @property
    def rows_changed(self) -> Signal[None]:
        """Published when the rows and header should be shown again (a start failed or was
        retried, an error was reported)."""

    @property
    def facts_changed(self) -> Signal[None]:
        """Published when what the visible rows show changed (owners looked up, the token in
        use known)."""

    def reload(self) -> None:
        """Load the list again (``ctrl+r``); also retries a failed start."""

    def want_user_names(self, tokens: Iterable[Token]) -> None:
        """Look up the owners of ``tokens`` (what is not known yet); ``facts_changed`` follows."""


class TokensScreen(Screen[None]):
    """The token inventory."""

    #: The list has the focus from the start (Textual's default, the first focusable widget,
    #: is the filter box: the focus then moved, and the footer's keys were rebuilt twice).
    AUTO_FOCUS = "#table"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_token", "New", id="tokens.new"),
        Binding("r", "rotate", "Rotate", id="tokens.rotate"),
        Binding("d,delete", "revoke", "Revoke", id="tokens.revoke"),
        Binding("t", "pick_source", "Source", id="tokens.source"),
        Binding("slash", "focus_filter", "Filter", id="tokens.filter"),
        # Not in the footer (no room at 80 columns): the header says "esc clears" instead.
        Binding("escape", "clear_filters", "Clear filters", show=False, id="tokens.clear_filters"),
        # While the everything scan runs, esc (and ctrl+c: TokenApp.action_help_quit) stop it.
        # Not in help (no room at 120x40): the header says "3 problems (P)", the palette has it.
        Binding("P", "show_problems", "", show=False, id="tokens.problems"),
        Binding("s", "cycle_sort", "Sort", id="tokens.sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, id="tokens.reverse_sort"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="tokens.reload"),
        Binding("y", "copy_name", "Copy name", show=False, id="tokens.copy_name"),
        Binding("i", "identify", "Identify a value", show=False, id="tokens.identify"),
        Binding("o", "open_settings", "Open page", show=False, id="tokens.open_settings"),
        Binding("H", "toggle_horizon", "Horizon", show=False, id="tokens.horizon"),
        Binding(
            "left_square_bracket", "week(-1)", "Previous week", show=False, id="tokens.week_back"
        ),
        Binding("right_square_bracket", "week(1)", "Next week", show=False, id="tokens.week_on"),
        # Not in the footer (no room at 80 columns): help and the palette list them.
        Binding("f", "pick_finding", "Filter by finding", show=False, id="tokens.finding"),
        Binding("c", "recreate", "Recreate", show=False, id="tokens.recreate"),
        # Marks (bulk rotate and revoke act on them): docs/tui.md, "Marks and bulk actions".
        # No description: help explains the four in one row (HELP_KEYS), so the help screen
        # still fits 120x40; not in the footer (at 80 columns it would push out ? and q); the
        # header counts the marks and says how to clear them; the palette has each.
        Binding("space", "toggle_mark", "", show=False, id="tokens.mark"),
        Binding("a", "mark_shown", "", show=False, id="tokens.mark_shown"),
        Binding("v", "invert_marks", "", show=False, id="tokens.invert_marks"),
        Binding("u", "clear_marks", "", show=False, id="tokens.clear_marks"),
        Binding("question_mark", "help", "Help", id="tokens.help"),
        Binding("q", "quit", "Quit", id="tokens.quit"),
    ]

    #: Keys help (``?``) explains beside the bindings.
    HELP_KEYS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("tab, shift+tab", "Next / previous: the list, then each filter"),
        ("enter, space, →, ←", "On a filter choice: next / previous value"),
        ("esc", "List: stop a scan, else clear the filters; a filter: clear it, back"),
        ("[, ]", "Horizon shown (H): the tokens of the previous / next week"),
        ("^p", "Command palette: every action, sorts, profiles"),
        ("space, a, v, u", "Mark and go down, mark shown, invert, unmark; r/d act on marks"),
    )

    def __init__(self, host: MainHost) -> None:
        super().__init__(id="tokens")
        self.host = host
        self._repaint_timer: Timer | None = None
        self._header_timer: Timer | None = None
        self._repaint_interval = PAGE_REPAINT_INTERVAL
        self._header_text: Text | None = None
        self._last_bands: set[Band] = set()
        self._typing = False
        self._shown_source: TokenSource | None = None
        self._detail_band: Band | None = None
        self._ticks = 0
        self._unsubscribe: Callable[[], None] | None = None
        #: Tokens of each source in its last load without server filters (for the count).
        self._source_totals: dict[object, int] = {}
        #: The horizon (``H``): computed when the tokens or the day change, not per repaint.
        self._horizon: Horizon | None = None
        self._horizon_key: tuple[int, date] | None = None
        #: The horizon week the list is filtered to (its first expiry date).
        self._week: date | None = None
        #: Finds the browser ``o`` opens a page in (None: show and copy the URL). Tests
        #: replace it; no real browser is started in a test.
        self.find_browser: Callable[[], Opener | None] = browser_opener

    def compose(self) -> ComposeResult:
        host = self.host
        yield Static(id="header")
        yield FilterBar(host.clock, id="filters")
        yield HorizonChart(id="horizon")
        yield TokenTable(host.row_context, empty_text=self._empty_text, id="table")
        yield TokenDetail(host.row_context, id="detail")
        yield Footer()

    def on_mount(self) -> None:
        host = self.host
        self._unsubscribe = host.store.subscribe(self._store_changed)
        self._shown_source = host.store.source
        # Immediate: the repaint happens when the host's state changes, as a direct call would.
        host.header_changed.subscribe(self, lambda _: self._header_changed(), immediate=True)
        host.rows_changed.subscribe(self, lambda _: self._rows_changed(), immediate=True)
        host.facts_changed.subscribe(self, lambda _: self._facts_changed(), immediate=True)
        host.associations_changed.subscribe(
            self, lambda _: self._associations_changed(), immediate=True
        )
        ownership = host.row_context.ownership
        host.store.set_facts(lambda token: ownership.facts(token, host.store.source))
        self.set_interval(1.0, self.tick, name="countdown")
        if host.refresh_every:
            self.set_interval(host.refresh_every, self._auto_reload, name="auto-refresh")
        self.table.focus()
        self.refresh_rows()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        for signal in (
            self.host.header_changed,
            self.host.rows_changed,
            self.host.facts_changed,
            self.host.associations_changed,
        ):
            signal.unsubscribe(self)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.height < DETAIL_MIN_HEIGHT, "-compact")
        # At 80 columns the main keys need the whole footer (ctrl+p still opens the palette).
        self.query_one(Footer).show_command_palette = event.size.width >= FOOTER_PALETTE_WIDTH

    # -- parts ---------------------------------------------------------------------------------
    @property
    def table(self) -> TokenTable:
        """The token table."""
        return self.query_one("#table", TokenTable)

    @property
    def detail(self) -> TokenDetail:
        """The detail pane."""
        return self.query_one("#detail", TokenDetail)

    @property
    def horizon_chart(self) -> HorizonChart:
        """The horizon chart (hidden until ``H``)."""
        return self.query_one("#horizon", HorizonChart)

    @property
    def filter_bar(self) -> FilterBar:
        """The filter bar."""
        return self.query_one("#filters", FilterBar)

    @property
    def selected_token(self) -> Token | None:
        """The token under the list's cursor (None while the screen is taken down)."""
        return self.table.cursor_token if self.is_alive() else None

    # -- host -> screen (its signals) ----------------------------------------------------------
    def _header_changed(self) -> None:
        if self.is_alive():
            self.refresh_header()

    def _rows_changed(self) -> None:
        if self.is_alive():
            self.refresh_rows()

    def _facts_changed(self) -> None:
        if self.is_alive():
            # A kind filter or a kind/resource sort re-derives the view (no request).
            self.host.store.facts_changed()
            store = self.host.store
            if store.client_filters.finding is Finding.OWNER_BLOCKED:
                store.refilter()  # owners looked up: who is blocked is better known
            self.table.refresh_visible()
            self.detail.refresh_time()

    def _associations_changed(self) -> None:
        if self.is_alive():
            detail = self.detail
            detail.associations = self.host.associations
            detail.associations_error = self.host.associations_error
            detail.refresh_time(layout=True)

    # -- store -> screen -----------------------------------------------------------------------
    def _store_changed(self, change: Change) -> None:
        if not self.is_alive():
            return
        store = self.host.store
        if change is Change.RESET and store.source != self._shown_source:
            # Another source: start from its top (a reload keeps the cursor's token), with
            # no marks (a bulk action acts on the source shown).
            self._shown_source = store.source
            self.table.reset_cursor()
            self.marks.clear()
        if change is Change.DONE and store.complete and store.server_filters == TokenFilters():
            # A whole load: marks of tokens gone from the server go too (a filtered load
            # leaves tokens out, so it cannot tell).
            self.marks.retain(lambda key: store.get(key) is not None)
        if change is Change.PROGRESS:
            # A scan's count or problems (the rows are the same): a scan of 2,000 projects
            # reports ~4,000 times, so the header follows at most every PAGE_REPAINT_INTERVAL.
            if self._header_timer is None:
                self._header_timer = self.set_timer(PAGE_REPAINT_INTERVAL, self._timed_header)
            return
        if change is Change.PAGE and self.table.rows:
            # More rows streaming in: repaint the rows at most every _repaint_interval (which
            # grows with the cost of a repaint, so keys stay answered during a long load).
            if self._repaint_timer is None:
                self._repaint_timer = self.set_timer(self._repaint_interval, self._timed_repaint)
            return
        self.refresh_rows()

    def _auto_reload(self) -> None:
        """The auto-refresh interval: load the list again (a scan scans again), unless a load
        is still running or the start has not succeeded."""
        host = self.host
        if host.viewer is not None and not host.store.loading:
            host.reload()

    def _timed_header(self) -> None:
        self._header_timer = None
        if self.is_alive():
            self.refresh_header()

    def _timed_repaint(self) -> None:
        self._repaint_timer = None
        if self.is_alive():
            self.refresh_rows()

    def is_alive(self) -> bool:
        """False while the screen is being taken down (the app is exiting)."""
        # query_one by id is cached by Textual; a DOM query walked the screen on every store
        # change, ~4,000 times during a scan of 2,000 projects (docs/performance.md, P8).
        if not self.is_mounted:
            return False
        table = self.query_one_optional("#table")
        return table is not None and table.is_attached

    def refresh_rows(self, *, names: bool = True) -> None:
        """Show the store's current view and header (``names``: also fetch the owners' names
        of the visible rows now; otherwise the next clock tick does)."""
        started = time.perf_counter()
        host = self.host
        host.row_context.source = host.store.source
        self.table.set_rows(host.store.view_sequence())
        self.refresh_header()
        self._update_horizon()
        self.detail.show(self.table.cursor_token)
        if names and not self._typing:
            self._want_owners()
        cost = time.perf_counter() - started
        self._repaint_interval = min(MAX_REPAINT_INTERVAL, max(PAGE_REPAINT_INTERVAL, 8 * cost))

    # -- horizon -------------------------------------------------------------------------------
    def _update_horizon(self) -> None:
        """Recompute the horizon when the loaded tokens (or the day) changed, if it is shown."""
        chart = self.horizon_chart
        if not chart.has_class("-shown"):
            return
        index = self.host.store.index
        day = today(self.host.clock)
        key = (index.version, day)
        if key != self._horizon_key:
            self._horizon_key = key
            self._horizon = horizon(index.tokens, day)
        selected = self._horizon.week_of(self._week) if self._horizon is not None else None
        chart.show(self._horizon, selected)

    def action_toggle_horizon(self) -> None:
        """``H``: show or hide the horizon chart (a chosen week stays a filter)."""
        chart = self.horizon_chart
        chart.toggle_class("-shown")
        self._update_horizon()
        self.refresh_bindings()

    def action_week(self, step: int) -> None:
        """``[``/``]``: filter the list to the previous / next week of the horizon."""
        found = self._horizon
        if found is None or not found.weeks:
            return
        current = found.week_of(self._week)
        if current is None:
            index = 0 if step > 0 else len(found.weeks) - 1
        else:
            index = max(0, min(len(found.weeks) - 1, current + step))
        self.set_week(found.weeks[index].start)

    def set_week(self, start: date | None) -> None:
        """Filter the list to the active tokens expiring in the week from ``start`` (None:
        no week)."""
        self._week = start
        store = self.host.store
        store.set_client_filters(replace(store.client_filters, expiry_week=start))
        self._update_horizon()
        self.refresh_bindings()
        if start is not None:
            end = start + timedelta(days=6)
            self.notify(
                f"Tokens expiring {start.isoformat()} to {end.isoformat()} (esc clears).",
                timeout=3,
            )

    def _want_owners(self) -> None:
        """Look up the owners of the visible rows, or of every loaded row when the view is
        sorted or filtered by kind or resource (their order depends on each one's kind)."""
        store = self.host.store
        wanted = store.index.tokens if store.uses_facts else self.table.visible_tokens()
        self.host.want_user_names(wanted)

    def refresh_header(self) -> None:
        """Instance, viewer, source, marker, load progress, sort."""
        host = self.host
        store = host.store
        header = Text(no_wrap=True, overflow="ellipsis")
        if host.demo:
            header.append(" DEMO ", style="bold black on yellow")
            header.append(" ")
        else:
            header.append(" tokentui ", style="bold reverse")
        if host.insecure:
            header.append(" TLS NOT VERIFIED ", style="bold white on red")
        if store.source is not None:
            header.append(f" {clean(store.source.label)}", style="bold cyan")
        if self._filtered():
            header.append(f" │ {self.count_text()}", style="bold")
            header.append(" (esc clears)", style="dim")
        else:
            header.append(f" │ {self.count_text()}")
        if marked := len(self.marks):
            header.append(f" │ {marked:,} marked", style="bold yellow")
            header.append(" (u clears)", style="dim")
        if store.scan_progress is not None or store.stopped:
            self._scan_header(header)
        elif store.refreshed_at is not None and host.refresh_every:
            header.append(f" │ refreshed {_clock_time(store.refreshed_at)}", style="dim")
        if host.retry_status:
            header.append(f" │ {host.retry_status}", style="bold yellow")
        arrow = "↓" if store.descending else "↑"
        header.append(f" │ sort {store.sort_key.value} {arrow}", style="dim")
        header.append(" │ ")
        if host.viewer is not None:
            header.append(clean(host.viewer.username), style="bold")
            header.append("@")
        elif host.startup_error is None:
            header.append("connecting to ", style="dim")
        header.append(clean(host.instance_label))
        if host.viewer is not None and host.viewer.is_admin:
            header.append(" (admin)")
        if host.profile_name:
            header.append(f" (profile {clean(host.profile_name)})", style="dim")
        if header != self._header_text:
            # A fixed one-line header: no layout pass (it changes with every page of a load).
            self._header_text = header
            self.query_one("#header", Static).update(header, layout=False)

    def _scan_header(self, header: Text) -> None:
        """The everything scan's part of the header: its progress while it runs, "stopped"
        after esc, the refresh time once done, and the problems (``P`` lists them)."""
        store = self.host.store
        progress = store.scan_progress
        if store.loading and progress is not None:
            header.append(f" │ scanning {progress.text()}", style="bold")
            header.append(" (esc stops)", style="dim")
        elif store.stopped:
            header.append(" │ scan stopped: incomplete", style="bold yellow")
        elif store.refreshed_at is not None:
            header.append(f" │ refreshed {_clock_time(store.refreshed_at)}", style="dim")
        if store.problems:
            count = len(store.problems)
            header.append(f" │ {count} problem{'s' if count != 1 else ''}", style="bold red")
            header.append(" (P)", style="dim")

    def _filtered(self) -> bool:
        store = self.host.store
        return not store.client_filters.is_empty or store.server_filters != TokenFilters()

    def count_text(self) -> str:
        """``10 of 142 shown``: rows shown of the source's tokens, with or without filters
        (``1,200 of 10,000 loading…`` while pages arrive).

        A filter GitLab applies (state, revoked, dates) loads fewer tokens: the source's count
        is the one of its last load without them; a source only ever loaded with them counts
        what was loaded.
        """
        store = self.host.store
        shown = len(self.table.rows)
        if store.loading:
            if store.total is not None:
                return f"{store.loaded:,} of {store.total:,} loading…"
            return f"{store.loaded:,} loaded…"
        if store.server_filters == TokenFilters():
            self._source_totals[store.source] = store.loaded
        total = self._source_totals.get(store.source, store.loaded)
        return f"{shown:,} of {total:,} shown"

    def _empty_text(self) -> str:
        host = self.host
        store = host.store
        if host.startup_error is not None:
            return f"could not start: {host.startup_error}"
        if store.error is not None:
            return f"loading failed: {store.error}  (ctrl+r to retry)"
        if store.loading or store.source is None:
            return "loading…"
        if store.loaded:
            return "no token matches the filters (esc clears them)"
        return "no tokens in this source (n creates one, t picks another source)"

    # -- countdown -----------------------------------------------------------------------------
    def tick(self) -> None:
        """Clock tick: repaint visible countdowns (every second only when they show seconds)."""
        self._ticks += 1
        # Rows scrolled or resized into view get their owners' names (cheap when known).
        self._want_owners()
        slow_tick = self._ticks % SLOW_TICKS == 0
        bands = self.table.visible_bands()
        # Repaint when a countdown shows seconds, when a row changed band (it expired), or
        # on the slow beat; each repaint recomputes from the clock, never from tick counts.
        if slow_tick or bands != self._last_bands or not SECOND_BANDS.isdisjoint(bands):
            crossed = Band.EXPIRED in bands and Band.EXPIRED not in self._last_bands
            self._last_bands = bands
            if crossed and self._filters_depend_on_time():
                # A visible token just expired: a state or expiry filter may drop it now.
                self.host.store.refilter()
            self.table.refresh_visible()
        token = self.detail.token
        if self.detail.display and token is not None:
            detail_band = band(token, self.host.clock())
            if slow_tick or detail_band in SECOND_BANDS or detail_band != self._detail_band:
                self._detail_band = detail_band
                self.detail.refresh_time()

    def _filters_depend_on_time(self) -> bool:
        store = self.host.store
        server = store.server_filters
        return (
            server.state is not None
            or server.expires_after is not None
            or store.client_filters.expiring_within_days is not None
        )

    # -- table -> screen -----------------------------------------------------------------------
    @on(TokenTable.CursorMoved)
    def _cursor_moved(self, event: TokenTable.CursorMoved) -> None:
        self.detail.show(event.token)
        host = self.host
        if event.token is not None:
            # The detail names the token's kind and owner: look them up now, not at the tick.
            host.want_user_names([event.token])
            if host.is_self_token(event.token):
                host.want_associations()

    @on(TokenTable.Chosen)
    def _chosen(self, event: TokenTable.Chosen) -> None:
        self.app.push_screen(TokenDetailScreen(event.token, self.host))

    @on(FilterBar.Changed)
    def _filters_changed(self, event: FilterBar.Changed) -> None:
        store = self.host.store
        # Keystrokes repaint only; the owners' names of the new rows follow on the next tick.
        self._typing = True
        try:
            store.set_client_filters(replace(event.client, expiry_week=self._week))
        finally:
            self._typing = False
        store.set_server_filters(event.server)
        if store.uses_facts:
            self._want_owners()  # a kind filter: every row's kind, not only the visible ones'
        self.refresh_bindings()  # esc clears filters only when one is set

    @on(FilterBar.Leave)
    def _leave_filters(self) -> None:
        self.set_focus(self.table)
        self.refresh_bindings()

    # -- actions -------------------------------------------------------------------------------
    def _selected(self) -> Token | None:
        token = self.table.cursor_token
        if token is None:
            self.notify("No token selected.", severity="warning")
        return token

    def action_new_token(self) -> None:
        self.host.actions.new_token()

    def action_rotate(self) -> None:
        if self.marks:
            self.host.actions.rotate_marked()
        elif (token := self._selected()) is not None:
            self.host.actions.rotate(token)

    def action_revoke(self) -> None:
        if self.marks:
            self.host.actions.revoke_marked()
        elif (token := self._selected()) is not None:
            self.host.actions.revoke(token)

    def action_identify(self) -> None:
        self.host.actions.identify()

    # -- marks ---------------------------------------------------------------------------------
    @property
    def marks(self) -> Marks:
        """The marked tokens (kept by the row context, so the table paints them)."""
        return self.host.row_context.marks

    def _marks_changed(self) -> None:
        self.table.refresh_visible()
        self.refresh_header()

    def action_toggle_mark(self) -> None:
        """``space``: mark or unmark the token under the cursor, then go to the next one."""
        if (token := self._selected()) is None:
            return
        self.marks.toggle(token.key)
        self.table.action_cursor_down()
        self._marks_changed()

    def _shown_keys(self) -> list[int]:
        # One slice of the lazy view (a list comprehension over its positions), not 100,000
        # indexing calls.
        return [token.key for token in self.table.rows[:]]

    def action_mark_shown(self) -> None:
        """``a``: mark every token shown (after the filters)."""
        self.marks.mark(self._shown_keys())
        self._marks_changed()

    def action_invert_marks(self) -> None:
        """``v``: flip the mark of every token shown (hidden tokens keep theirs)."""
        self.marks.invert(self._shown_keys())
        self._marks_changed()

    def action_clear_marks(self) -> None:
        """``u``: unmark every token (shown or not)."""
        if self.marks.clear():
            self.notify("Marks cleared.", timeout=3)
        self._marks_changed()

    def action_pick_source(self) -> None:
        self.host.actions.pick_source()

    def action_pick_finding(self) -> None:
        """``f``: filter by one hygiene finding (a picker with each one's count)."""
        store = self.host.store
        tokens, now = store.index.tokens, self.host.clock()
        store.hygiene.refresh(tokens, now, version=store.index.version)
        everything = range(len(tokens))
        counts = {f: len(store.hygiene.keep(tokens, everything, f, now)) for f in FINDINGS}

        # Imported when first used: the first paint waits for what this module imports.
        from tokentui.tui.screens.finding_picker import ALL, FindingPicker, PickedFinding

        def picked(choice: PickedFinding) -> None:
            if choice is not None and self.is_alive():
                self.filter_bar.set_finding(None if choice == ALL else choice)
                self.set_focus(self.table)

        self.app.push_screen(FindingPicker(counts, self.filter_bar.finding), picked)

    def action_recreate(self) -> None:
        self.host.actions.recreate(self._selected())

    def action_help(self) -> None:
        self.host.actions.show_help()

    def action_focus_filter(self) -> None:
        self.filter_bar.focus_text()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filters":
            # esc means something only when a filter is set (the header says so then), or
            # while a scan runs (it stops it).
            if not self.is_alive():
                return False
            return self.filter_bar.is_set or self._week is not None or self._scanning()
        if action == "week":
            return self.is_alive() and self.horizon_chart.has_class("-shown")
        return True

    def _scanning(self) -> bool:
        store = self.host.store
        return store.loading and isinstance(store.source, Everything)

    def action_clear_filters(self) -> None:
        """``esc`` on the list: stop a running scan; else clear every filter (the cursor
        stays in the list)."""
        if self._scanning():
            self.action_stop_scan()
            return
        self.filter_bar.clear_all()
        if self._week is not None:
            self.set_week(None)
        self.set_focus(self.table)

    def action_stop_scan(self) -> bool:
        """``esc``, ``ctrl+c`` (and the palette): stop the everything scan, keeping what was
        read. False when no scan was running."""
        store = self.host.store
        if not (self._scanning() and store.stop()):
            return False
        self.notify(
            f"Scan stopped: {store.loaded:,} tokens read, the list is incomplete "
            "(ctrl+r scans again).",
            title="Everything I manage",
            markup=False,
        )
        return True

    def action_show_problems(self) -> None:
        """``P``: what the everything scan could not read, and why."""
        from tokentui.tui.screens.problems import ProblemsScreen

        problems = self.host.store.problems
        if not problems:
            self.notify("No problems: everything scanned could be read.", markup=False)
            return
        self.app.push_screen(ProblemsScreen(problems))

    def action_cycle_sort(self) -> None:
        # The header says the sort; no notification to stack up while cycling.
        self.host.store.cycle_sort()
        if self.host.store.uses_facts:
            self._want_owners()

    def action_reverse_sort(self) -> None:
        self.host.store.reverse_sort()

    def action_reload(self) -> None:
        self.host.reload()

    def action_open_settings(self) -> None:
        """``o``: the token's settings page in a browser; where there is none (over SSH), the
        URL in a small dialog, copied to the terminal's clipboard (OSC 52)."""
        token = self._selected()
        if token is None:
            return
        location = self.host.row_context.location(token)
        url = location.url
        if url is None:
            self.notify(
                "The page of this token is not known yet (its owner is being looked up).",
                severity="warning",
                timeout=4,
            )
            return
        opener = self.find_browser()
        if opener is not None and opener(url):
            self.notify(f"Opened {clean(url)} in the browser.", markup=False, timeout=4)
            return
        from tokentui.tui.screens.url_dialog import UrlDialog

        self.app.copy_to_clipboard(url)
        reason = "No browser here (an SSH session, or no display)."
        if opener is not None:
            reason = "The browser did not open."
        self.app.push_screen(UrlDialog(location.where, url, reason=reason))

    def action_copy_name(self) -> None:
        if (token := self._selected()) is not None:
            self.app.copy_to_clipboard(token.name)
            self.notify(f"Copied the name {clean(token.name)!r}.", markup=False, timeout=3)

    def action_quit(self) -> None:
        self.app.exit()
