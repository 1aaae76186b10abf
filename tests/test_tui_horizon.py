"""The horizon chart (issue 13): ``H`` shows it, ``[``/``]`` filter the list to a week, ``esc``
clears; it is computed when the tokens change, not per repaint. Pilot on the served simulator."""

from __future__ import annotations

from tui_helpers import sim_app, wait_for, wait_loaded

import tokentui.tui.screens.tokens as tokens_screen
from tokentui.core.expiry import today
from tokentui.core.horizon import horizon
from tokentui.tui.widgets.horizon import HorizonChart


def _chart_text(app) -> str:
    chart = app.screen.query_one(HorizonChart)
    return "\n".join(strip.text for strip in chart.render_lines(chart.region.reset_offset))


async def test_h_shows_the_weeks_and_brackets_filter_the_list_to_one(sim) -> None:
    app = sim_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        chart = app.screen.query_one(HorizonChart)
        assert not chart.display
        await pilot.press("H")
        await wait_for(pilot, lambda: chart.display and chart.horizon is not None)
        expected = horizon(app.store.index.tokens, today(app.clock))
        assert chart.horizon == expected and expected.total > 0
        shown = _chart_text(app)
        assert "Expiring per week, next 13 weeks" in shown
        assert expected.weeks[0].start.strftime("%m-%d") in shown
        everything = len(app.store.view_sequence())
        await pilot.press("right_square_bracket")
        week = expected.weeks[0]
        await wait_for(pilot, lambda: len(app.store.view_sequence()) == week.count)
        assert chart.selected == 0
        assert all(week.start <= t.expires_at <= week.end for t in app.store.view_sequence())
        busiest = max(range(len(expected.weeks)), key=lambda i: expected.weeks[i].count)
        for _ in range(busiest):
            await pilot.press("right_square_bracket")
        count = expected.weeks[busiest].count
        await wait_for(pilot, lambda: len(app.store.view_sequence()) == count)
        assert chart.selected == busiest and count > 0
        assert "(esc clears)" in str(app.screen.query_one("#header").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.store.view_sequence()) == everything)
        assert chart.selected is None and app.store.client_filters.expiry_week is None


async def test_the_horizon_is_computed_when_the_tokens_change_only(sim, monkeypatch) -> None:
    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return horizon(*args, **kwargs)

    monkeypatch.setattr(tokens_screen, "horizon", counted)
    app = sim_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        await pilot.press("H")
        await wait_for(pilot, lambda: len(calls) == 1)
        screen = app.screen
        for key in ("down", "down", "s", "up", "slash", "x", "escape", "escape"):
            await pilot.press(key)
        screen.tick()
        screen.refresh_rows()
        assert len(calls) == 1  # cursor, sort, filters, ticks: the same tokens
        token = app.store.view_sequence()[0]
        app.store.apply_revoked(token.key)  # the tokens changed
        await wait_for(pilot, lambda: len(calls) == 2)


async def test_the_horizon_is_one_line_on_a_small_terminal(sim) -> None:
    app = sim_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot)
        await pilot.press("H")
        chart = app.screen.query_one(HorizonChart)
        await wait_for(pilot, lambda: chart.display and chart.horizon is not None)
        await wait_for(pilot, lambda: chart.region.height == 1)
        assert "in 13 weeks" in _chart_text(app)
