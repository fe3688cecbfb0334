"""The dashboard: numbers from the stats service, charts, call to action, problems."""

from __future__ import annotations

from datetime import date

from textual.widgets import Static

from studyapp.services.queries import stats
from studyapp.tui.screens.dashboard import DashboardScreen, call_to_action, mastery_rows
from studyapp.tui.widgets.forecast_chart import ForecastChart
from studyapp.tui.widgets.heatmap import ReviewHeatmap, shade
from studyapp.tui.widgets.text_cells import fit, pad_left, pad_right
from tests.tui.conftest import settle


async def test_dashboard_shows_todays_numbers(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    expected = stats(ctx.coll)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        today = str(screen.query_one("#today", Static).content)
        assert f"{expected.due_today:>4} due" in today
        assert "reviewed today" in today and "day streak" in today
        assert (
            str(screen.query_one("#cta", Static).content)
            == f"r — review {expected.due_today} due cards"
        )
        chart = screen.query_one(ForecastChart)
        assert list(chart.counts) == [expected.due_today, *expected.forecast_14d[1:14]]
        lines = chart.render().plain.splitlines()
        assert lines[-2].split()[0] == "25" and lines[-1].split()[0] == "今"
        assert screen.has_class("-wide")


async def test_dashboard_stacks_panels_at_80_columns(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.has_class("-narrow")
        assert app.screen.query_one("#forecast-panel").region.x < 5


def test_call_to_action() -> None:
    from studyapp.services.queries import Stats

    empty = Stats(date(2026, 1, 1), 0, {}, 0, 0, 0, 0, None, [0] * 14)
    assert call_to_action(empty) == "Nothing due — m to study more · q to cram"
    one = Stats(date(2026, 1, 1), 1, {"note": 1}, 0, 0, 0, 0, None, [1] + [0] * 13)
    assert call_to_action(one) == "r — review 1 due card"


def test_mastery_rows_prefer_top_level_tags() -> None:
    rows = mastery_rows({"a": 0.5, "a/x.md": 0.1, "b": 0.2}, top_level_first=True)
    assert rows == [("b", 0.2), ("a", 0.5)]
    assert mastery_rows({"a/x.md": 0.1}, top_level_first=True) == [("a/x.md", 0.1)]


def test_cjk_padding_counts_cells() -> None:
    assert pad_right("量化", 6) == "量化  "
    assert pad_left("量化", 5) == " 量化"
    assert fit("边缘设备部署", 7) == "边缘设…"
    assert shade(0, 10) == 0 and shade(10, 10) == 4 and shade(1, 2) == 1


async def test_heatmap_renders_reviews_of_today(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        heatmap = app.screen.query_one(ReviewHeatmap)
        heatmap.set_data({"2026-11-25": 3, "2026-11-20": 1}, date(2026, 11, 25))
        await pilot.pause()
        text = heatmap.render().plain
        assert "4 reviews in" in text and "◂" in text and "Nov" in text
