"""The filter bar: name text, state, revoked, kind, expiring within, scope, created and
last-used ranges, and the hygiene finding picked with ``f`` (shown only while it filters).

The bar wraps to the terminal: on a wide one the name box and the choices share a line; on a
narrower one the name box gets a line of its own, then the choices and the date ranges split
over two lines each (:meth:`FilterBar.arrange_for`), so every field stays on screen.

It turns what is typed into a :class:`~tokentui.gitlab.sources.TokenFilters` (sent to GitLab
and re-applied locally) and a :class:`~tokentui.core.query.ClientFilters` (local only), and posts
:class:`FilterBar.Changed` when they change. A typed date is checked on its field: a bad one
shows a message there and changes nothing (so no request is sent).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive, reactive
from textual.widget import Widget
from textual.widgets import Input, Label

from tokentui.core.expiry import Clock, expiry_instant, parse_date, today
from tokentui.core.hygiene import Finding
from tokentui.core.query import ClientFilters, expiring_filters
from tokentui.gitlab.models import TokenKind
from tokentui.gitlab.scopes import PERSONAL_SCOPES, SCOPE_ABBREVIATIONS
from tokentui.gitlab.sources import TokenFilters
from tokentui.tui.widgets.token_table import KIND_SHORT

#: Longest custom "expiring within" window, in days.
MAX_WINDOW_DAYS = 3650
#: The name box keeps at least this many cells beside the choices (else it gets a line).
NAME_MIN_WIDTH = 32


class CycleField(Widget, can_focus=True):
    """A one-line choice ``label: value ▸``: enter/space/right for the next, left for the last.

    Its width fits the longest value, so every value shows in full and the bar never shifts
    when the value changes.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space,right", "next", "Next", show=False),
        Binding("left", "previous", "Previous", show=False),
    ]

    index = reactive(0)

    class Changed(Message):
        """The choice changed."""

        def __init__(self, field: CycleField) -> None:
            super().__init__()
            self.field = field

        @property
        def control(self) -> CycleField:
            return self.field

    def __init__(
        self, label: str, options: Sequence[tuple[str, Any]], *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.label = label
        self.options = list(options)
        self.styles.width = self.text_width + 2  # + the padding of the stylesheet

    @property
    def text_width(self) -> int:
        """Cells the text needs with its longest value."""
        longest = max(Text(text).cell_len for text, _ in self.options)
        return len(self.label) + 2 + longest + 2

    @property
    def value(self) -> Any:
        """The chosen option's value."""
        return self.options[self.index][1]

    def set_value(self, value: Any) -> None:
        """Choose the option holding ``value``."""
        for i, (_, v) in enumerate(self.options):
            if v == value:
                self.index = i
                return

    def render(self) -> Text:
        text = Text.assemble((f"{self.label}:", "dim"), " ", self.options[self.index][0], " ▸")
        text.no_wrap = True
        return text

    def watch_index(self) -> None:
        self.post_message(self.Changed(self))

    def action_next(self) -> None:
        self.index = (self.index + 1) % len(self.options)

    def action_previous(self) -> None:
        self.index = (self.index - 1) % len(self.options)

    def on_click(self) -> None:
        self.action_next()


class FilterInput(Input):
    """The name filter: a fixed-size input whose typing never triggers a layout pass.

    Textual's Input grows its virtual size with the text, and a virtual size change lays the
    whole screen out again (~10 ms a key with 100,000 rows, issue 6). This input's size is
    fixed by the stylesheet, so the virtual size only drives its own horizontal scrolling.
    """

    virtual_size = Reactive(Size(0, 0), layout=False)


class DateField(Input):
    """A ``YYYY-MM-DD`` input that is checked when left or submitted."""

    def __init__(self, placeholder: str, *, id: str) -> None:
        super().__init__(placeholder=placeholder, id=id, max_length=10, restrict=r"[0-9-]*")


class FilterBar(Vertical):
    """Filters for the token list (two lines)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_or_leave", "Clear / back", show=False)
    ]

    class Changed(Message):
        """The valid filters changed."""

        def __init__(self, server: TokenFilters, client: ClientFilters) -> None:
            super().__init__()
            self.server = server
            self.client = client

    class Leave(Message):
        """``esc`` on an empty field: go back to the list."""

    def __init__(self, clock: Clock, **kwargs) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.errors: dict[str, str] = {}
        self._server = TokenFilters()
        self._client = ClientFilters()
        self._shown_error = ""
        #: The hygiene finding the list is filtered by (``f``), if any.
        self._finding: Finding | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="filter-top"):
            with Horizontal(id="filter-name-row"):
                yield Label("/", id="filter-slash")
                yield FilterInput(placeholder="filter by name", id="filter-text")
            with Horizontal(id="filter-choices"):
                with Horizontal(id="filter-choices-a", classes="filter-group"):
                    yield CycleField(
                        "state",
                        [("all", None), ("active", "active"), ("inactive", "inactive")],
                        id="filter-state",
                    )
                    yield CycleField(
                        "revoked",
                        [("any", None), ("no", False), ("yes", True)],
                        id="filter-revoked",
                    )
                    yield CycleField(
                        "kind",
                        [("any", None), *((KIND_SHORT[k], k) for k in TokenKind)],
                        id="filter-kind",
                    )
                with Horizontal(id="filter-choices-b", classes="filter-group"):
                    yield CycleField(
                        "expiring",
                        [
                            ("any", None),
                            ("1d", 1),
                            ("7d", 7),
                            ("30d", 30),
                            ("60d", 60),
                            ("custom", "c"),
                        ],
                        id="filter-expiring",
                    )
                    yield Input(
                        placeholder="days", id="filter-days", max_length=4, restrict=r"[0-9]*"
                    )
                    yield CycleField(
                        "scope",
                        [("any", None), *((SCOPE_ABBREVIATIONS[s], s) for s in PERSONAL_SCOPES)],
                        id="filter-scope",
                    )
        with Horizontal(id="filter-dates"):
            with Horizontal(id="filter-created", classes="filter-group"):
                yield Label("created", classes="filter-label")
                yield DateField("from", id="created-from")
                yield DateField("to", id="created-to")
            with Horizontal(id="filter-used", classes="filter-group"):
                yield Label("used", classes="filter-label")
                yield DateField("from", id="used-from")
                yield DateField("to", id="used-to")
            # Shown only while a finding filters (``f``): beside the dates when it fits, else
            # on a line of its own (below); the bar's lines are unchanged without one.
            yield Label("", id="filter-finding", classes="filter-finding")
        yield Label("", id="filter-finding-line", classes="filter-finding")
        yield Label("", id="filter-message")

    def on_mount(self) -> None:
        self.query_one("#filter-days").display = False
        self.query_one("#filter-message").display = False
        self.query_one("#filter-finding").display = False
        self.query_one("#filter-finding-line").display = False

    # -- wrapping to the terminal ----------------------------------------------------------
    def on_resize(self) -> None:
        self.arrange_for(self.content_size.width)

    def arrange_for(self, width: int) -> None:
        """Wrap the bar for ``width`` cells: the name box beside the choices when both fit
        (it keeps at least :data:`NAME_MIN_WIDTH` cells), else on its own line; the choices
        and the date ranges each on one line when they fit, else on two."""
        if width <= 0:
            return
        choices_a = _row_width(self.query_one("#filter-choices-a"))
        choices_b = _row_width(self.query_one("#filter-choices-b"))
        created = _row_width(self.query_one("#filter-created"))
        used = _row_width(self.query_one("#filter-used"))
        inline = self.query_one("#filter-finding")
        line = self.query_one("#filter-finding-line")
        fits = created + used + _cells(inline) <= width
        inline.display = self._finding is not None and fits
        line.display = self._finding is not None and not fits
        name = NAME_MIN_WIDTH + _row_width(self.query_one("#filter-name-row"), skip="filter-text")
        choices = choices_a + choices_b
        # One restyle of the bar for the three (each class change restyles all its fields).
        self.update_classes(
            {
                "-stacked": name + choices > width,
                "-split-choices": choices > width,
                "-split-dates": created + used > width,
            }
        )

    # -- reading the fields --------------------------------------------------------------------
    @property
    def server_filters(self) -> TokenFilters:
        """The last valid server filters."""
        return self._server

    @property
    def client_filters(self) -> ClientFilters:
        """The last valid client filters."""
        return self._client

    def _date(self, field_id: str, label: str) -> date | None:
        field = self.query_one(f"#{field_id}", Input)
        text = field.value.strip()
        if not text:
            field.remove_class("-invalid")
            self.errors.pop(field_id, None)
            return None
        try:
            value = parse_date(text)
        except ValueError as err:
            field.add_class("-invalid")
            self.errors[field_id] = f"{label}: {err}"
            return None
        field.remove_class("-invalid")
        self.errors.pop(field_id, None)
        return value

    def _days(self) -> int | None:
        field = self.query_one("#filter-days", Input)
        text = field.value.strip()
        self.errors.pop("filter-days", None)
        field.remove_class("-invalid")
        if not text:
            return None
        days = int(text)
        if not 1 <= days <= MAX_WINDOW_DAYS:
            field.add_class("-invalid")
            self.errors["filter-days"] = f"expiring within: give 1 to {MAX_WINDOW_DAYS} days"
            return None
        return days

    def _collect(self, *, dates: bool) -> None:
        """Rebuild the filters from the fields and post ``Changed`` when they changed.

        A field with an error keeps its previous (valid) part of the query, so a bad date
        or window never reaches GitLab.
        """
        text = self.query_one("#filter-text", Input).value
        state = self.query_one("#filter-state", CycleField).value
        revoked = self.query_one("#filter-revoked", CycleField).value
        expiring = self.query_one("#filter-expiring", CycleField).value
        days_field = self.query_one("#filter-days", Input)
        if days_field.display != (expiring == "c"):
            days_field.display = expiring == "c"
            self.arrange_for(self.content_size.width)  # the days box needs room
        window_part = _part(self._server, _EXPIRY_FIELDS)
        # GitLab's expires_* filters keep revoked tokens; the client filter leaves them out.
        window_days = self._client.expiring_within_days
        if expiring == "c":
            days = self._days()
            if "filter-days" not in self.errors:
                window_part = expiring_filters(days, today(self.clock)) if days else TokenFilters()
                window_days = days or None
        else:
            self.errors.pop("filter-days", None)
            window_part = (
                expiring_filters(expiring, today(self.clock)) if expiring else TokenFilters()
            )
            window_days = expiring or None
        date_part = _part(self._server, _DATE_FIELDS)
        if dates:
            date_part = self._read_dates() or date_part
        server = _merge(_merge(TokenFilters(state=state, revoked=revoked), window_part), date_part)
        self._show_errors()
        scope = self.query_one("#filter-scope", CycleField).value
        kind = self.query_one("#filter-kind", CycleField).value
        client = ClientFilters(
            text=text,
            expiring_within_days=window_days,
            scope=scope,
            kind=kind,
            finding=self._finding,
        )
        if server != self._server or client != self._client:
            self._server, self._client = server, client
            self.post_message(self.Changed(server, client))

    def _read_dates(self) -> TokenFilters | None:
        """The date-range part of the query, or None when a date field has an error."""
        ranges: dict[str, datetime] = {}
        ok = True
        for prefix, key, label in (
            ("created", "created", "created"),
            ("used", "last_used", "last used"),
        ):
            start = self._date(f"{prefix}-from", f"{label} from")
            end = self._date(f"{prefix}-to", f"{label} to")
            if f"{prefix}-from" in self.errors or f"{prefix}-to" in self.errors:
                ok = False
                continue
            if start and end and start > end:
                self.errors[f"{prefix}-to"] = f"{label}: 'from' {start} is after 'to' {end}"
                self.query_one(f"#{prefix}-to").add_class("-invalid")
                ok = False
                continue
            if start:
                ranges[f"{key}_after"] = expiry_instant(start)
            if end:
                ranges[f"{key}_before"] = _end_of_day(end)
        if not ok:
            return None
        return TokenFilters(
            created_after=ranges.get("created_after"),
            created_before=ranges.get("created_before"),
            last_used_after=ranges.get("last_used_after"),
            last_used_before=ranges.get("last_used_before"),
        )

    def _show_errors(self) -> None:
        text = next(iter(self.errors.values()), "")
        if text == self._shown_error:
            return  # the common case while typing a name: no update, no layout pass
        self._shown_error = text
        message = self.query_one("#filter-message", Label)
        message.update(Text(text, style="bold red"))
        message.display = bool(text)

    # -- events --------------------------------------------------------------------------------
    @on(Input.Changed, "#filter-text")
    def _text_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._collect(dates=False)

    @on(CycleField.Changed)
    def _cycle_changed(self, event: CycleField.Changed) -> None:
        event.stop()
        self._collect(dates=False)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._collect(dates=True)
        if event.input.id == "filter-text" and not self.errors:
            self.post_message(self.Leave())

    @on(Input.Blurred)
    def _blurred(self, event: Input.Blurred) -> None:
        if event.input.id != "filter-text":
            self._collect(dates=True)

    @on(Input.Changed)
    def _typing(self, event: Input.Changed) -> None:
        # While a date is typed, a stale error is cleared; it is checked on enter or leaving.
        if event.input.id and event.input.id.endswith(("-from", "-to")):
            event.input.remove_class("-invalid")

    def action_clear_or_leave(self) -> None:
        focused = self.screen.focused
        if isinstance(focused, Input) and focused.value:
            focused.value = ""
            if focused.id != "filter-text":
                self._collect(dates=True)
        else:
            self.post_message(self.Leave())

    @property
    def is_set(self) -> bool:
        """Whether any field filters (a typed value, a choice other than the first)."""
        if any(field.value for field in self.query(Input)) or self._finding is not None:
            return True
        return any(field.index for field in self.query(CycleField))

    def clear_all(self) -> None:
        """Clear every field (``esc`` on the list): the whole list comes back."""
        with self.prevent(Input.Changed, CycleField.Changed):
            for field in self.query(Input):
                field.value = ""
                field.remove_class("-invalid")
            for cycle in self.query(CycleField):
                cycle.index = 0
        self.errors.clear()
        self._show_finding(None)
        self._collect(dates=True)

    @property
    def finding(self) -> Finding | None:
        """The hygiene finding the list is filtered by, if any."""
        return self._finding

    def set_finding(self, finding: Finding | None) -> None:
        """Filter by ``finding`` (None: by none); the bar shows it until cleared."""
        self._show_finding(finding)
        self._collect(dates=False)

    def _show_finding(self, finding: Finding | None) -> None:
        self._finding = finding
        if finding is not None:
            text = Text.assemble(("finding ", "dim"), f"{finding.flag} {finding.label}")
            for label in self.query(".filter-finding").results(Label):
                label.update(text)
                label.styles.width = text.cell_len + 2  # + the padding of the stylesheet
        self.arrange_for(self.content_size.width)

    def focus_text(self) -> None:
        """Focus the name filter (``/``) at once: keys typed right after ``/`` (a paste, a
        fast typist, tmux send-keys) must land in the box, not on the list's bindings."""
        self.screen.set_focus(self.query_one("#filter-text", Input))


def _row_width(row: Widget, *, skip: str = "") -> int:
    """Cells the visible children of ``row`` need side by side (fixed widths, margins)."""
    total = 0
    for child in row.children:
        if not child.display or child.id == skip:
            continue
        styles = child.styles
        width = styles.width
        cells = int(width.value) if width is not None and width.is_cells else 0
        total += cells + styles.margin.width
    return total


def _cells(widget: Widget) -> int:
    """Cells a widget with a fixed width takes, margins included."""
    width = widget.styles.width
    cells = int(width.value) if width is not None and width.is_cells else 0
    return cells + widget.styles.margin.width


def _end_of_day(day: date) -> datetime:
    return expiry_instant(day) + timedelta(days=1, microseconds=-1)


_DATE_FIELDS = ("created_before", "created_after", "last_used_before", "last_used_after")
_EXPIRY_FIELDS = ("expires_before", "expires_after")


def _part(filters: TokenFilters, names: Sequence[str]) -> TokenFilters:
    """Only the fields ``names`` of ``filters``."""
    return TokenFilters(**{name: getattr(filters, name) for name in names})


def _merge(base: TokenFilters, extra: TokenFilters) -> TokenFilters:
    """``base`` with every field ``extra`` sets."""
    values = {name: getattr(base, name) for name in TokenFilters.__dataclass_fields__}
    for name in TokenFilters.__dataclass_fields__:
        value = getattr(extra, name)
        if value is not None:
            values[name] = value
    return TokenFilters(**values)
