"""TokenTable: a Line-API token list that renders only the rows on screen.

The built-in DataTable stalls near 10,000 rows; this widget is a ``ScrollView`` whose
``render_line`` builds one row on demand from the store's view (a plain sequence of tokens),
so 100,000 rows cost nothing until they scroll into sight. Cell text is data, never markup:
rows are made of ``Segment`` objects holding plain text cleaned by
:func:`tokentui.gitlab.terminal_text.clean`.

The interface the screen uses (so the widget stays swappable): ``set_rows(tokens)``,
``context`` (clock and naming), ``cursor_token``, ``select_token(id)``, ``refresh_visible()``,
``visible_tokens()``, and the messages ``CursorMoved`` and ``Chosen``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive, reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tokentui.core.expiry import Band, Clock, band, format_ago, format_countdown, token_state
from tokentui.core.hygiene import Assessor, Finding, flags
from tokentui.core.locations import Location, token_location
from tokentui.core.marks import Marks
from tokentui.core.ownership import Ownership
from tokentui.gitlab.models import Token, TokenKind
from tokentui.gitlab.scopes import abbreviate_scopes
from tokentui.gitlab.sources import TokenSource
from tokentui.gitlab.terminal_text import clean
from tokentui.tui import textual_internals

KIND_SHORT: Mapping[TokenKind, str] = {
    TokenKind.PERSONAL: "personal",
    TokenKind.IMPERSONATION: "imperson",
    TokenKind.PROJECT: "project",
    TokenKind.GROUP: "group",
    TokenKind.SERVICE_ACCOUNT: "svc acct",
    TokenKind.DEPLOY: "deploy",
}

#: Marks the token tokentui itself is using.
IN_USE_MARK = "●"
#: Before the name of a marked token (``space``; bulk actions act on the marks), whose row
#: is also styled ``token-table--marked``.
MARKED = "✓"


def fit(text: str, width: int, *, right: bool = False) -> str:
    """Pad or cut ``text`` to exactly ``width`` cells (a cut ends with ``…``)."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    if right:
        return " " * (width - cell_len(text)) + text
    return set_cell_size(text, width)


#: The Kind cell while the owner is being looked up (never a guessed kind).
PENDING_KIND = "…"
#: The Kind cell when the owner could not be read.
UNKNOWN_KIND = "?"


@dataclass
class RowContext:
    """What a row needs besides its token: the time, the source, who owns what."""

    clock: Clock
    source: TokenSource | None = None
    self_token_id: int | None = None
    ownership: Ownership = field(default_factory=Ownership)
    #: The marked tokens (by :attr:`Token.key`): a check before the name, a marked row style.
    marks: Marks = field(default_factory=Marks)
    user_names: InitVar[Mapping[int, str] | None] = None
    #: The hygiene findings of the list (the store's); None: no findings shown.
    hygiene: Assessor | None = None

    #: The instance's web URL (the app's client's), for the tokens' settings pages.
    web_base: Callable[[], str] = field(default=lambda: "")

    def __post_init__(self, user_names: Mapping[int, str] | None) -> None:
        if user_names:
            self.ownership.usernames.update(user_names)

    def location(self, token: Token) -> Location:
        """Where ``token`` lives and its settings page (:mod:`tokentui.core.locations`)."""
        return token_location(self.ownership, token, self.source, self.web_base())

    def kind(self, token: Token) -> TokenKind | None:
        """The token's kind in this source; None while its owner is not known
        (:mod:`tokentui.core.ownership`)."""
        return self.ownership.kind(token, self.source)

    def facts(self, token: Token) -> tuple[TokenKind | None, str | None]:
        """Kind and resource of ``token`` (the store's index sorts and filters by them)."""
        return self.ownership.facts(token, self.source)

    def kind_label(self, token: Token, *, short: bool = False) -> str:
        """The kind in words; ``…`` (``looking up…``) while pending, ``?`` when unknown."""
        kind = self.kind(token)
        if kind is not None:
            return KIND_SHORT[kind] if short else kind.label
        info = self.ownership.owner(token.user_id)
        if info is not None and info.failed:
            return UNKNOWN_KIND if short else "unknown (owner not readable)"
        return PENDING_KIND if short else "looking up…"

    def owner(self, token: Token) -> str:
        """Who or what the token belongs to: ``@alice``, ``platform/api (project)``."""
        return clean(self.ownership.owner_text(token, self.source))

    def findings(self, token: Token, now: datetime | None = None) -> tuple[Finding, ...]:
        """The token's hygiene findings (computed when the list changed, not per paint)."""
        if self.hygiene is None:
            return ()
        return self.hygiene.of(token, now or self.clock())


@dataclass(frozen=True, slots=True)
class Column:
    """A table column. ``drop`` ranks which go first when narrow (0 = never dropped).
    ``shrink``: no wider than its widest cell on screen (or its title), below ``width``."""

    key: str
    title: str
    width: int
    drop: int
    right: bool = False
    shrink: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", 16, 0),
    Column("owner", "Owner", 14, 4),
    Column("kind", "Kind", 8, 2),
    Column("scopes", "Scopes", 14, 7, shrink=True),
    Column("created", "Created", 10, 8),
    Column("last_used", "Last used", 9, 5),
    Column("expires", "Expires", 10, 3),
    Column("countdown", "Countdown", 16, 1, right=True),
    Column("state", "State", 7, 0),
    # The hygiene findings' flags (core/hygiene.py): fits at 120 columns, gives way at 80.
    Column("findings", "Flags", 5, 6),
)

#: How the spare width is shared: each step grows a column up to a width (and no wider than
#: its widest visible cell), in this order; what is left goes to the name. The owner column
#: holds resource paths such as ``platform/api-gateway (project)``.
GROWTH: tuple[tuple[str, int], ...] = (
    ("name", 24),
    ("owner", 32),
    ("scopes", 22),
    ("name", 44),
    ("owner", 64),
)
#: Kept for callers: most cells the name column takes before the owner grows further.
NAME_MAX = 44
#: An owner up to this wide is worth more than the columns of :data:`GIVE_WAY_TO_OWNER`:
#: at 120 columns ``platform/api-gateway (project)`` is shown whole, without the Created
#: date (in the detail pane), which comes back where there is room for both.
OWNER_WHOLE = 32
GIVE_WAY_TO_OWNER: tuple[str, ...] = ("created",)
#: A name up to this wide is worth more than the Created date too: with the Flags column, the
#: name kept its 24 cells at 120 columns only without Created.
NAME_WHOLE = 24
#: Given up, after Created, for an owner that would be cut (up to OWNER_WHOLE cells): with the
#: Flags column (whose ``B`` says "broad scopes") the Scopes column is what makes room for
#: ``platform/api-gateway (project)`` at 120 columns; the detail pane lists every scope.
GIVE_WAY_TO_A_CUT_OWNER: tuple[str, ...] = ("scopes",)


def _min_width(column: Column, wants: Mapping[str, int] | None) -> int:
    if column.shrink and wants is not None and column.key in wants:
        return min(column.width, max(cell_len(column.title), wants[column.key]))
    return column.width


def _widths(columns: list[Column], width: int, wants: Mapping[str, int] | None) -> dict[str, int]:
    """Each column's width in ``width`` cells: its minimum, then the spare per :data:`GROWTH`."""
    widths = {c.key: _min_width(c, wants) for c in columns}
    needed = sum(widths.values()) + len(columns) - 1
    spare = max(0, width - needed)
    for key, upto in GROWTH:
        if key in widths and spare > 0:
            if wants is not None and key in wants:
                upto = min(upto, max(wants[key], widths[key]))
            grow = max(0, min(spare, upto - widths[key]))
            widths[key] += grow
            spare -= grow
    widths["name"] += spare
    if needed > width:  # narrower than the minimum: shrink the name
        widths["name"] = max(4, widths["name"] - (needed - width))
    return widths


def layout_columns(width: int, wants: Mapping[str, int] | None = None) -> list[tuple[Column, int]]:
    """Columns that fit in ``width`` cells, with their widths (one-cell gaps between).
    ``wants``: the widest cell on screen per column (a column grows no wider)."""
    columns = list(COLUMNS)

    def needed(cols: list[Column]) -> int:
        # Which columns are shown does not depend on what is on screen, only their widths.
        return sum(c.width for c in cols) + len(cols) - 1

    while needed(columns) > width and any(c.drop for c in columns):
        columns.remove(max(columns, key=lambda c: c.drop))
    widths = _widths(columns, width, wants)

    def owner_cut() -> bool:
        if wants is None or "owner" not in widths:
            return False
        return widths["owner"] < min(wants.get("owner", 0), OWNER_WHOLE)

    def name_cut() -> bool:
        if wants is None:
            return False
        return widths["name"] < min(wants.get("name", 0), NAME_WHOLE)

    for key in GIVE_WAY_TO_OWNER:
        if (owner_cut() or name_cut()) and key in widths:
            columns = [c for c in columns if c.key != key]
            widths = _widths(columns, width, wants)
    for key in GIVE_WAY_TO_A_CUT_OWNER:
        if owner_cut() and key in widths:
            columns = [c for c in columns if c.key != key]
            widths = _widths(columns, width, wants)
    return [(c, widths[c.key]) for c in columns]


def cell_text(token: Token, key: str, ctx: RowContext, now: datetime) -> str:
    """The plain text of one cell."""
    if key == "name":
        mark = f"{IN_USE_MARK} " if token.key == ctx.self_token_id else ""
        if token.key in ctx.marks:  # an int in a set: nothing allocated per paint
            mark = f"{MARKED} {mark}"
        return mark + clean(token.name)
    if key == "owner":
        return ctx.owner(token)
    if key == "kind":
        return ctx.kind_label(token, short=True)
    if key == "scopes":
        return clean(abbreviate_scopes(token.scopes))
    if key == "created":
        return token.created_at.date().isoformat() if token.created_at else ""
    if key == "last_used":
        return format_ago(token.last_used_at, now)
    if key == "expires":
        return token.expires_at.isoformat() if token.expires_at else "never"
    if key == "countdown":
        return format_countdown(token, now)
    if key == "state":
        return token_state(token, now)
    if key == "findings":
        return flags(ctx.findings(token, now))
    raise KeyError(key)


class TokenTable(ScrollView, can_focus=True):
    """The scrolling token list with a cursor row and a sticky header line."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("home", "first", "First", show=False, id="table.first"),
        Binding("end", "last", "Last", show=False, id="table.last"),
        Binding("enter", "choose", "Detail", id="table.detail"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "token-table--header",
        "token-table--cursor",
        "token-table--dim",
        "token-table--in-use",
        "token-table--marked",
        "token-table--band-revoked",
        "token-table--band-expired",
        "token-table--band-under-1-day",
        "token-table--band-under-7-days",
        "token-table--band-under-30-days",
        "token-table--band-under-60-days",
        "token-table--band-later",
        "token-table--band-never",
        "token-table--state-active",
        "token-table--state-expired",
        "token-table--state-revoked",
        "token-table--findings",
    }

    cursor = reactive(0, always_update=True, repaint=False)
    #: The row count changes with every filter keystroke; a layout pass each time cost
    #: ~10 ms with 100,000 rows (issue 6), so the scrollbar is updated directly instead.
    virtual_size = Reactive(Size(0, 0), layout=False)

    class CursorMoved(Message):
        """The cursor is on another token (or none)."""

        def __init__(self, token: Token | None) -> None:
            super().__init__()
            self.token = token

    class Chosen(Message):
        """``enter`` on a token."""

        def __init__(self, token: Token) -> None:
            super().__init__()
            self.token = token

    def __init__(
        self,
        context: RowContext,
        *,
        empty_text: Callable[[], str] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.context = context
        self.rows: Sequence[Token] = ()
        self._empty_text = empty_text or (lambda: "no tokens")
        self._last_cursor_key: int | None = None
        #: True until the user moves the cursor off the first row.
        self._at_top = True
        #: The token the user put the cursor on (kept while it is out of the view).
        self._wanted_key: int | None = None
        self._layout_width = -1
        self._layout: list[tuple[Column, int]] = []
        self._wants: dict[str, int] | None = None
        self._base_style: Style | None = None
        self._part_styles: dict[str, Style] = {}

    # -- data --------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[Token], *, keep_id: bool = True) -> None:
        """Show ``rows``; the cursor stays on the token the user chose when it is there.

        Until the user moves the cursor it stays on the first row, so a list that streams in
        (rows arriving above the cursor's token) shows its top, not a drifting middle. The
        chosen token is remembered across an empty view (a reload) until it comes back.
        """
        wanted = self._wanted_key if keep_id and not self._at_top else None
        self.rows = rows
        index = 0
        if wanted is not None:
            # Cheap when the token did not move; a lookup otherwise (only on data changes).
            if self.cursor < len(rows) and rows[self.cursor].key == wanted:
                index = self.cursor
            else:
                found = self._row_of(rows, wanted)
                index = found if found is not None else min(self.cursor, max(len(rows) - 1, 0))
        self._set_virtual_height(len(rows) + 1)
        self._set_cursor(index)
        self.refresh()

    def _set_virtual_height(self, height: int) -> None:
        size = Size(self.size.width, height)
        if size != self.virtual_size:
            self.virtual_size = size
            # Scrollbar thumb and visibility (a visibility change still lays out).
            textual_internals.update_scrollbars(self, size)

    @staticmethod
    def _row_of(rows: Sequence[Token], key: int) -> int | None:
        finder = getattr(rows, "row_of", None)
        if finder is not None:
            return finder(key)
        return next((i for i, t in enumerate(rows) if t.key == key), None)

    @property
    def cursor_token(self) -> Token | None:
        """The token under the cursor."""
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    def select_token(self, key: int) -> bool:
        """Move the cursor to the token with :attr:`Token.key` ``key``; False when it is not
        shown."""
        index = self._row_of(self.rows, key)
        if index is None:
            return False
        self._move(index)
        return True

    def visible_range(self) -> range:
        """Row indexes currently on screen."""
        top = round(self.scroll_offset.y)
        height = max(self.size.height - 1, 0)
        return range(top, min(top + height, len(self.rows)))

    def visible_tokens(self) -> list[Token]:
        """Tokens currently on screen."""
        return [self.rows[i] for i in self.visible_range()]

    def refresh_visible(self) -> None:
        """Repaint only the rows on screen (countdown ticks)."""
        self.refresh()

    # -- cursor ------------------------------------------------------------------------------
    def reset_cursor(self) -> None:
        """Back to the first row, following the top again (another source was chosen)."""
        self._at_top = True
        self._wanted_key = None
        self._set_cursor(0)
        self.scroll_to(y=0, animate=False, immediate=True)

    def _move(self, index: int) -> None:
        """A cursor move asked by the user."""
        self._set_cursor(index)
        self._at_top = self.cursor == 0
        token = self.cursor_token
        self._wanted_key = token.key if token is not None else None

    def _set_cursor(self, index: int) -> None:
        count = len(self.rows)
        index = max(0, min(index, count - 1)) if count else 0
        self.cursor = index

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        token = self.cursor_token
        key = token.key if token is not None else None
        if key != self._last_cursor_key or token is not None:
            self._last_cursor_key = key
            self.post_message(self.CursorMoved(token))

    def _scroll_to_cursor(self) -> None:
        body = max(self.size.height - 1, 1)
        top = round(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, immediate=True)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.rows) + 1)
        self._scroll_to_cursor()

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_page_up(self) -> None:
        self._move(self.cursor - max(self.size.height - 2, 1))

    def action_page_down(self) -> None:
        self._move(self.cursor + max(self.size.height - 2, 1))

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self.rows) - 1)

    def action_choose(self) -> None:
        token = self.cursor_token
        if token is not None:
            self.post_message(self.Chosen(token))

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            index = round(self.scroll_offset.y) + event.y - 1
            if index < len(self.rows):
                self._move(index)
                if event.chain == 2:
                    self.action_choose()

    # -- rendering ---------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles_cache_clear()
        self.refresh()

    def _styles_cache_clear(self) -> None:
        self._base_style = None
        self._part_styles.clear()

    def on_focus(self) -> None:
        self._styles_cache_clear()

    def on_blur(self) -> None:
        self._styles_cache_clear()

    def _columns(self, width: int) -> list[tuple[Column, int]]:
        if width != self._layout_width:
            self._layout_width = width
            self._layout = layout_columns(width, self._wants)
        return self._layout

    def _measure(self) -> None:
        """The widest name, owner and scopes on screen: those columns take the room they need."""
        ctx = self.context
        now = ctx.clock()
        wants = {"name": 0, "owner": 0, "scopes": 0}
        for token in self.visible_tokens():
            for key in wants:
                wants[key] = max(wants[key], cell_len(cell_text(token, key, ctx, now)))
        if wants != self._wants:
            self._wants = wants
            self._layout_width = -1  # lay out again

    def _style(self, name: str) -> Style:
        style = self._part_styles.get(name)
        if style is None:
            style = self.get_component_rich_style(
                f"token-table--{name}", partial=True, default=Style()
            )
            self._part_styles[name] = style
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        base = self._base_style
        if base is None:
            # The widget's style, resolved once (not per line): a third of a row's cost.
            base = self._base_style = self.rich_style
        if y == 0:
            # The header line is drawn first on every repaint: measure what is on screen now.
            self._measure()
            return self._header_strip(width, base)
        index = round(self.scroll_offset.y) + y - 1
        if index >= len(self.rows):
            if index == 0:
                text = fit(f"  {self._empty_text()}", width)
                return Strip([Segment(text, base + self._style("dim"))], width)
            return Strip.blank(width, base)
        return self._row_strip(index, width, base)

    def _header_strip(self, width: int, base: Style) -> Strip:
        style = base + self._style("header")
        segments = []
        for i, (column, w) in enumerate(self._columns(width)):
            if i:
                segments.append(Segment(" ", style))
            segments.append(Segment(fit(column.title, w, right=column.right), style))
        return Strip(segments).adjust_cell_length(width, style)

    def _row_strip(self, index: int, width: int, base: Style) -> Strip:
        token = self.rows[index]
        ctx = self.context
        now = ctx.clock()
        row_style = base
        state = token_state(token, now)
        if state != "active":
            row_style += self._style("dim")
        if token.key == ctx.self_token_id:
            row_style += self._style("in-use")
        if token.key in ctx.marks:  # an int in a set: nothing allocated per paint
            row_style += self._style("marked")
        cursor = index == self.cursor
        cursor_style = self._style("cursor") if cursor else None
        segments = []
        for i, (column, w) in enumerate(self._columns(width)):
            style = row_style
            band_style = None
            if column.key == "countdown":
                band_style = self._style(f"band-{band(token, now).value}")
                style += band_style
            elif column.key == "state":
                style += self._style(f"state-{state}")
            elif column.key == "findings":
                style += self._style("findings")
            if cursor_style is not None:
                style += cursor_style
                if band_style is not None and band_style.bgcolor is not None:
                    # A band with its own background (under a day) stays loud under the cursor.
                    style += band_style
            if i:
                gap = row_style + cursor_style if cursor_style is not None else row_style
                segments.append(Segment(" ", gap))
            text = cell_text(token, column.key, ctx, now)
            segments.append(Segment(fit(text, w, right=column.right), style))
        fill = row_style + cursor_style if cursor_style is not None else row_style
        return Strip(segments).adjust_cell_length(width, fill)

    # -- countdown -----------------------------------------------------------------------------
    def visible_bands(self) -> set[Band]:
        """The expiry bands of the rows on screen (decides how often the countdown ticks)."""
        now = self.context.clock()
        return {band(token, now) for token in self.visible_tokens()}
