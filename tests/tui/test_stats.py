"""Statistics screen: tiles, reviews per day, intervals, hardest cards, from queries.stats."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from studyapp.tui.context import AppContext
from studyapp.tui.screens.stats import StatsScreen, daily_series
from studyapp.tui.widgets.bars import ColumnChart, HBars
from tests.tui.test_notes_browser import ScreenApp, build_collection, wait_for


@pytest.fixture
def g2_ctx(tmp_path: Path):  # type: ignore[no-untyped-def]
    ctx = build_collection(tmp_path)
    yield ctx
    ctx.coll.close()


def test_daily_series_zero_fills_and_ends_today() -> None:
    series = daily_series({"2026-11-24": 3}, date(2026, 11, 25), days=3)
    assert series == [(date(2026, 11, 23), 0), (date(2026, 11, 24), 3), (date(2026, 11, 25), 0)]


async def test_stats_screen_shows_reviews_and_hardest(g2_ctx: AppContext) -> None:
    review = g2_ctx.review
    ids = [i.card_id for i in review.due_items()][:4]
    for n, card_id in enumerate(ids):
        review.record(card_id, 1 if n < 2 else 5, session_id="s")
    app = ScreenApp(lambda: StatsScreen(g2_ctx))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        await wait_for(pilot, lambda: screen.stats is not None)
        await pilot.pause()
        assert "4" in str(screen.query_one("#tile-reviewed", Static).render())
        chart = screen.query_one("#per-day", ColumnChart)
        assert chart.values[-1] == 4 and len(chart.values) == 60
        assert sum(b.value for b in screen.query_one("#intervals", HBars).bars) == 4
        table = screen.query_one("#hardest", DataTable)
        hardest = screen.stats.hardest  # type: ignore[union-attr]
        # Only the two failed cards, whatever the ease of the cards answered well.
        assert table.row_count == len(hardest) == 2
        assert {h["card_id"] for h in hardest} == set(ids[:2])
        assert all(h["failing"] for h in hardest)
        assert [str(c.label) for c in table.columns.values()] == [
            "card",
            "kind",
            "lapses",
            "last",
            "ease",
        ]
        titles = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert titles == [str(h["title"]) for h in hardest]
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, StatsScreen)


async def test_stats_at_80x24_with_no_reviews(g2_ctx: AppContext) -> None:
    app = ScreenApp(lambda: StatsScreen(g2_ctx))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.stats is not None)  # type: ignore[attr-defined]
        assert screen.has_class("-narrow")
        table = screen.query_one("#hardest", DataTable)
        assert "no failed cards yet" in str(table.get_row_at(0)[0])
