"""The horizon chart above the list: active tokens expiring per week, cliffs marked.

It draws a :class:`~tokentui.core.horizon.Horizon` the screen computed (when the tokens change,
never per repaint) and the week the list is filtered to. Five lines where there is room (a
title, two lines of bars, the counts, each week's first date); one line on a small terminal
(:data:`FULL_MIN_WIDTH`, or the screen's compact height). Plain text in ``Segment`` styles from
the stylesheet, no markup.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tokentui.core.horizon import Horizon

#: Eighths of a cell, for the bars.
BLOCKS = " ▁▂▃▄▅▆▇█"
#: Marks a week holding a cliff (many tokens expiring the same day).
CLIFF_MARK = "▲"
#: Narrower than this (13 weeks of 6 cells), the chart is one line.
FULL_MIN_WIDTH = 79
#: Lines of the full chart.
FULL_HEIGHT = 5


def bar_cells(count: int, peak: int, rows: int) -> list[str]:
    """The cells of one bar, top row first: ``rows`` cells of eighths, at least one eighth
    for any token (a week with one token never looks empty)."""
    if peak <= 0 or count <= 0:
        return [" "] * rows
    units = max(1, round(count / peak * rows * 8))
    cells = []
    for row in range(rows - 1, -1, -1):
        cells.append(BLOCKS[max(0, min(8, units - row * 8))])
    return cells


class HorizonChart(Widget, can_focus=False):
    """Active tokens expiring per week over the horizon; ``selected`` is the filtered week."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "horizon--bar",
        "horizon--cliff",
        "horizon--selected",
        "horizon--dim",
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.horizon: Horizon | None = None
        self.selected: int | None = None

    def show(self, horizon: Horizon | None, selected: int | None) -> None:
        """Draw ``horizon`` with week ``selected`` highlighted (None: no week chosen)."""
        if horizon is self.horizon and selected == self.selected:
            return
        self.horizon = horizon
        self.selected = selected
        self.refresh()

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"horizon--{name}", partial=True)

    def render(self) -> Text:
        horizon = self.horizon
        if horizon is None:
            return Text("horizon: loading…", style=self._style("dim"))
        width = self.size.width
        if width < FULL_MIN_WIDTH or self.size.height < FULL_HEIGHT:
            return self._one_line(horizon)
        return self._full(horizon, width)

    def _week_style(self, i: int) -> Style:
        horizon = self.horizon
        assert horizon is not None
        style = self._style("cliff" if horizon.weeks[i].cliffs else "bar")
        if i == self.selected:
            style += self._style("selected")
        return style

    def _title(self, horizon: Horizon) -> Text:
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f"Expiring per week, next {len(horizon.weeks)} weeks: ", style="bold")
        title.append(f"{horizon.total:,}")
        title.append(
            f" · later {horizon.later:,} · never {horizon.never:,}", style=self._style("dim")
        )
        cliffs = [day for week in horizon.weeks for day, _ in week.cliffs]
        if cliffs:
            title.append(f"  {CLIFF_MARK} cliff", style=self._style("cliff"))
        title.append("   [ ] pick a week · esc clears · H hides", style=self._style("dim"))
        return title

    def _full(self, horizon: Horizon, width: int) -> Text:
        weeks = horizon.weeks
        cell = max(6, min(9, (width - 1) // max(len(weeks), 1)))
        peak = horizon.peak
        bars = [bar_cells(w.count, peak, 2) for w in weeks]
        lines = [self._title(horizon)]
        for row in range(2):
            line = Text(no_wrap=True)
            for i, cells in enumerate(bars):
                block = cells[row] * (cell - 2)
                line.append(f" {block} ", style=self._week_style(i))
            lines.append(line)
        counts = Text(no_wrap=True)
        dates = Text(no_wrap=True)
        for i, week in enumerate(weeks):
            mark = CLIFF_MARK if week.cliffs else ""
            counts.append(f"{week.count}{mark}".center(cell), style=self._week_style(i))
            dates.append(week.start.strftime("%m-%d").center(cell), style=self._week_style(i))
        lines.extend((counts, dates))
        return Text("\n", no_wrap=True).join(lines)

    def _one_line(self, horizon: Horizon) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("horizon ", style=self._style("dim"))
        peak = horizon.peak
        for i, week in enumerate(horizon.weeks):
            line.append(bar_cells(week.count, peak, 1)[0], style=self._week_style(i))
        line.append(f" {horizon.total:,} in {len(horizon.weeks)} weeks")
        if self.selected is not None:
            week = horizon.weeks[self.selected]
            line.append(f" · week {week.start:%m-%d}: {week.count}", style="bold")
        cliffs = [(day, n) for week in horizon.weeks for day, n in week.cliffs]
        if cliffs:
            day, n = max(cliffs, key=lambda c: c[1])
            line.append(f" · {CLIFF_MARK} {day:%m-%d} ({n})", style=self._style("cliff"))
        return line
