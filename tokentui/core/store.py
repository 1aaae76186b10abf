"""TokenStore: the token list the UI shows, and the query that produced it. No Textual here.

The store holds the source, the server filters (sent to GitLab, and re-applied locally), the
client filters and sort, the tokens loaded so far (a :class:`~tokentui.core.query.TokenIndex`), the
total when GitLab says it, loading and error state, and the derived :attr:`TokenStore.view`.

Loading streams pages (``client.iter_token_pages``): the first page is in the view as soon as it
arrives. A new query (another source or server filter) bumps a generation number and cancels the
load in flight; pages of an older generation are dropped even if they arrive late. How a load
runs is injected (``runner``): the TUI runs it in a Textual worker, other callers in a task.
Listeners (``subscribe``) hear what changed and re-render what is visible.

The "everything I manage" source (:class:`~tokentui.core.everything.Everything`) is loaded the
same way, by a scan instead of one list: its rows stream in as each project, group or list is
read (``PAGE``), its progress and problems come as ``PROGRESS``, and :meth:`TokenStore.stop`
ends it keeping what was read (``complete`` False, ``stopped`` True).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, overload

from tokentui.core.everything import Everything, Problem, Progress, Scan, apply_max_rate
from tokentui.core.expiry import Clock, system_clock
from tokentui.core.hygiene import Assessor
from tokentui.core.ownership import Ownership
from tokentui.core.query import ClientFilters, Facts, SortKey, TokenIndex
from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.models import Token
from tokentui.gitlab.sources import TokenFilters, TokenSource

log = logging.getLogger(__name__)

#: Runs a load coroutine; returns a handle with ``cancel()`` (a Textual Worker, an asyncio Task).
Runner = Callable[[Coroutine[Any, Any, None]], Any]


class Change(Enum):
    """What changed in the store (passed to listeners)."""

    #: A new query started: the rows are gone until its first page arrives.
    RESET = "reset"
    #: A page arrived (more rows, maybe a total).
    PAGE = "page"
    #: The load finished, failed or was cancelled (see ``loading`` and ``error``).
    DONE = "done"
    #: Filters or sort changed, or a token was created, rotated or revoked.
    VIEW = "view"
    #: A scan's progress or problems changed (no new rows): the header only.
    PROGRESS = "progress"


Listener = Callable[[Change], None]


class TokenStore:
    """The query, the tokens loaded so far and the derived view."""

    def __init__(
        self,
        client: GitLabClient,
        clock: Clock | None = None,
        *,
        source: TokenSource | None = None,
        runner: Runner | None = None,
        per_page: int = 100,
        ownership: Ownership | None = None,
    ) -> None:
        self.client = client
        #: Where a scan places its rows (the app's, so the table shows their kinds).
        self.ownership = ownership
        self.clock: Clock = clock or system_clock
        self.source: TokenSource | None = source
        self.server_filters = TokenFilters()
        self.client_filters = ClientFilters()
        self.sort_key = SortKey.URGENCY
        self.descending = False
        self.per_page = per_page
        #: Total rows GitLab announced for the current query (None: not said, or not yet).
        self.total: int | None = None
        self.loading = False
        #: The error that ended the last load, if any (the UI shows it; a retry clears it).
        self.error: BaseException | None = None
        #: Whether every page of the current query has arrived.
        self.complete = False
        #: The load was stopped by the user (:meth:`stop`): the rows are what arrived so far.
        self.stopped = False
        #: The running or last scan's progress and problems (the everything source only).
        self.scan_progress: Progress | None = None
        self.problems: list[Problem] = []
        #: When the last load completed (the clock's time), None before one has.
        self.refreshed_at: datetime | None = None
        self.index = TokenIndex()
        self._runner: Runner = runner or self._task_runner
        self._handle: Any = None
        self._generation = 0
        self._listeners: list[Listener] = []
        self._view: list[Token] | None = None
        self._view_rows: list[int] | None = None
        #: The hygiene findings of the loaded tokens (thresholds and owners' states are the
        #: app's to set: ``hygiene.set_config``, ``hygiene.owner_state``).
        self.hygiene = Assessor(position_of=self.index.position)
        #: Awaited after a load's first page, before the next ones are indexed: a UI returns
        #: once that page is on screen, so that indexing them does not delay its first paint
        #: (P1). Pages requested together with the first (the start-up's) travel meanwhile.
        #: A scan awaits it before walking the projects and groups (``Scan.hold``, P8).
        self.first_page_shown: Callable[[], Awaitable[None]] | None = None

    # -- listening ---------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(change)`` on every change; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    # -- the query ---------------------------------------------------------------------------
    def set_source(self, source: TokenSource) -> None:
        """Switch to another token source and load it (cancels the load in flight)."""
        self.source = source
        self.reload()

    def set_server_filters(self, filters: TokenFilters) -> None:
        """Change the server-side filters; reloads only when they differ."""
        if filters == self.server_filters:
            return
        self.server_filters = filters
        self.reload()

    def set_client_filters(self, filters: ClientFilters) -> None:
        """Change the client-side filters: the view is re-derived, no request is made."""
        if filters == self.client_filters:
            return
        self.client_filters = filters
        self._invalidate()
        self._emit(Change.VIEW)

    def set_sort(self, key: SortKey, descending: bool | None = None) -> None:
        """Sort the view by ``key`` (and direction); no request."""
        self.sort_key = key
        if descending is not None:
            self.descending = descending
        self._invalidate()
        self._emit(Change.VIEW)

    # -- facts: kind and resource ---------------------------------------------------------------
    def set_facts(self, facts: Facts) -> None:
        """How a row's kind and resource are known (the app's owner lookups)."""
        self.index.facts = facts
        self.facts_changed()

    @property
    def uses_facts(self) -> bool:
        """Whether the view depends on kinds or resources (a kind filter, a kind/resource sort):
        then every loaded row's owner is worth looking up, not only the visible ones'."""
        return (
            self.sort_key in (SortKey.KIND, SortKey.RESOURCE)
            or self.client_filters.kind is not None
        )

    def facts_changed(self) -> None:
        """Owners were looked up: a view that depends on kinds or resources is derived again
        (no request); any other is left alone."""
        uses = self.uses_facts
        self.index.refresh_facts(affects_view=uses)
        if uses:
            self._invalidate()
            self._emit(Change.VIEW)

    def cycle_sort(self) -> SortKey:
        """``s``: the next sort key (ascending)."""
        self.set_sort(self.sort_key.next(), descending=False)
        return self.sort_key

    def reverse_sort(self) -> bool:
        """``S``: reverse the sort direction."""
        self.set_sort(self.sort_key, descending=not self.descending)
        return self.descending

    # -- loading -----------------------------------------------------------------------------
    def reload(self) -> None:
        """Start the current query afresh: cancel the load in flight, clear the rows, load."""
        self.cancel()
        self._generation += 1
        self._fresh()
        self.loading = self.source is not None
        self._invalidate()
        self._emit(Change.RESET)
        if self.source is not None:
            self._handle = self._runner(self._load(self._generation))

    def cancel(self) -> None:
        """Cancel the load in flight (its late pages are dropped)."""
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.cancel()
        if self.loading:
            self._generation += 1
            self.loading = False

    def _fresh(self) -> None:
        """Forget the rows and the state of the previous load."""
        self.index.clear()
        self.total = None
        self.error = None
        self.complete = False
        self.stopped = False
        self.scan_progress = None
        self.problems = []

    def stop(self) -> bool:
        """Stop the load in flight and keep the rows that arrived (``esc``/``ctrl+c`` during
        a scan): ``complete`` stays False, ``stopped`` is True. False when nothing was loading."""
        if not self.loading:
            return False
        self.cancel()
        self.stopped = True
        self._invalidate()
        self._emit(Change.DONE)
        return True

    async def load(self) -> None:
        """Load the current query to the end in the caller's task (tests, scripts)."""
        self.cancel()
        self._generation += 1
        self._fresh()
        self.loading = True
        self._invalidate()
        self._emit(Change.RESET)
        await self._load(self._generation)

    async def _load(self, generation: int) -> None:
        source = self.source
        assert source is not None
        try:
            if isinstance(source, Everything):
                await self._scan(generation, source)
            else:
                pages = self.client.iter_token_pages(
                    source, self.server_filters, per_page=self.per_page
                )
                first = True
                async for page in pages:
                    if generation != self._generation:
                        return
                    if page.total is not None:
                        self.total = page.total
                    self.index.extend(page.items)
                    self._invalidate()
                    self._emit(Change.PAGE)
                    if first and self.first_page_shown is not None:
                        await self.first_page_shown()
                    first = False
            if generation == self._generation:
                self.complete = True
                self.refreshed_at = self.clock()
        except asyncio.CancelledError:
            raise
        except Exception as err:
            if generation == self._generation:
                self.error = err
            raise
        finally:
            if generation == self._generation:
                self.loading = False
                self._handle = None
                self._emit(Change.DONE)

    async def _scan(self, generation: int, source: Everything) -> None:
        """Load the everything source: a :class:`~tokentui.core.everything.Scan` whose rows,
        progress and problems land here as they come (nothing of an older generation)."""
        if self.ownership is None:
            self.ownership = Ownership()
        ownership = self.ownership

        def current() -> bool:
            return generation == self._generation

        def rows(new: list[Token]) -> None:
            if current():
                self.index.extend(new)
                self._invalidate()
                self._emit(Change.PAGE)

        def progress(state: Progress) -> None:
            if current():
                self.scan_progress = state
                self._emit(Change.PROGRESS)

        def problem(found: Problem) -> None:
            if current():
                self.problems.append(found)

        def placed() -> None:
            if current():
                self._invalidate()
                self._emit(Change.VIEW)

        apply_max_rate(self.client, source.max_rate)
        scan = Scan(
            self.client,
            ownership,
            concurrency=source.concurrency,
            on_rows=rows,
            on_progress=progress,
            on_problem=problem,
            on_placed=placed,
            hold=self.first_page_shown,
        )
        await scan.run(ownership.viewer)

    @staticmethod
    def _task_runner(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        # A task's failure is kept in ``store.error``; retrieve it so asyncio does not warn.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return task

    # -- results -----------------------------------------------------------------------------
    @property
    def loaded(self) -> int:
        """How many tokens have been loaded for the current query."""
        return len(self.index)

    def progress_text(self) -> str:
        """``1,200 of 10,000`` while loading with a known total, ``1,200 loaded`` without,
        ``10,000 tokens`` when complete."""
        if self.loading:
            if self.scan_progress is not None:
                return f"{self.loaded:,} loaded, {self.scan_progress.text()}"
            if self.total is not None:
                return f"{self.loaded:,} of {self.total:,}"
            return f"{self.loaded:,} loaded"
        noun = "token" if self.loaded == 1 else "tokens"
        return f"{self.loaded:,} {noun}"

    @property
    def view(self) -> list[Token]:
        """The tokens the table shows: filtered (server and client filters) and sorted."""
        if self._view is None:
            self._view = [self.index.tokens[i] for i in self.view_rows]
        return self._view

    def view_sequence(self) -> ViewRows:
        """The view as a lazy sequence (no list of 100,000 tokens built per keystroke)."""
        return ViewRows(self.index.tokens, self.view_rows, self.index)

    @property
    def view_rows(self) -> list[int]:
        """Positions in ``index`` of the view's tokens, in view order."""
        if self._view_rows is None:
            now = self.clock()
            rows = self.index.select(
                self.server_filters, self.client_filters, now, self.sort_key, self.descending
            )
            # The findings follow the list (once per change of it, not per paint or key).
            tokens = self.index.tokens
            self.hygiene.refresh(tokens, now, version=self.index.version)
            if self.client_filters.finding is not None:
                rows = self.hygiene.keep(tokens, rows, self.client_filters.finding, now)
            self._view_rows = rows
        return self._view_rows

    def refilter(self) -> None:
        """Re-derive the view at the clock's current time (a state may have changed)."""
        self._invalidate()
        self._emit(Change.VIEW)

    def _invalidate(self) -> None:
        self._view = None
        self._view_rows = None

    def get(self, key: int) -> Token | None:
        """A loaded token by :attr:`Token.key` (its id, for an access token)."""
        return self.index.get(key)

    # -- updates from the server's answers (no reload) -----------------------------------------
    def apply_created(self, token: Token) -> None:
        """A token was created: add it."""
        self.index.put(_public(token))
        self._invalidate()
        self._emit(Change.VIEW)

    def apply_rotated(self, old_key: int, new: Token) -> None:
        """A token was rotated: the old one (by :attr:`Token.key`) shows as revoked, the new
        one appears."""
        old = self.index.get(old_key)
        if old is not None:
            self.index.put(old.model_copy(update={"revoked": True, "active": False}))
        self.index.put(_public(new))
        self._invalidate()
        self._emit(Change.VIEW)

    def apply_revoked(self, key: int) -> None:
        """A token (by :attr:`Token.key`) was revoked: it shows as revoked (or leaves a view
        that hides revoked)."""
        old = self.index.get(key)
        if old is None:
            return
        self.index.put(old.model_copy(update={"revoked": True, "active": False}))
        self._invalidate()
        self._emit(Change.VIEW)


class ViewRows(Sequence[Token]):
    """The view's tokens, read through the index positions on demand."""

    __slots__ = ("_index", "_positions", "_tokens")

    def __init__(self, tokens: list[Token], positions: list[int], index: TokenIndex) -> None:
        self._tokens = tokens
        self._positions = positions
        self._index = index

    def __len__(self) -> int:
        return len(self._positions)

    @overload
    def __getitem__(self, item: int) -> Token: ...
    @overload
    def __getitem__(self, item: slice) -> list[Token]: ...
    def __getitem__(self, item: int | slice) -> Token | list[Token]:
        if isinstance(item, slice):
            return [self._tokens[i] for i in self._positions[item]]
        return self._tokens[self._positions[item]]

    def row_of(self, key: int) -> int | None:
        """The row showing the token with :attr:`Token.key` ``key``, or None (fast: compares
        ints)."""
        position = self._index.position(key)
        if position is None:
            return None
        try:
            return self._positions.index(position)
        except ValueError:
            return None


def _public(token: Token) -> Token:
    """Never keep a secret in the store: a ``NewToken`` is stored without its value."""
    public = getattr(token, "public", None)
    return public() if callable(public) else token
