"""Dashboard exam panel (countdown, readiness bar) and the stats screen's evaluation table."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import DataTable, Static

from studyapp.services import exams
from studyapp.tui.context import AppContext
from studyapp.tui.screens.stats import StatsScreen
from studyapp.tui.widgets.exam_panel import ExamPanel, countdown, exam_lines, readiness_bar
from studyapp.tui.widgets.scheduler_eval import SchedulerEvaluation
from tests.sim_log import write_simulated_log
from tests.tui.conftest import TODAY, settle
from tests.tui.test_notes_browser import ScreenApp, build_collection, wait_for


def test_readiness_bar_and_countdown() -> None:
    assert readiness_bar(0.5, 10) == "█████·····"
    assert readiness_bar(1.5, 4) == "████" and readiness_bar(-1, 4) == "····"
    assert countdown(19) == "in 19 days" and countdown(1) == "tomorrow" and countdown(0) == "today"
    line = exam_lines(
        [
            {
                "name": "[bold]x",
                "date": "2026-12-20",
                "days_left": 3,
                "readiness": 0.42,
                "cards": 10,
                "new_cards": 2,
                "scope": "all notes",
            }
        ]
    ).plain
    assert "[bold]x" in line and "in 3 days" in line and "42% ready" in line


async def test_dashboard_hides_the_panel_without_exams_and_shows_it_with_one(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(ExamPanel)
        assert panel.rows == [] and not panel.display
    exams.add_exam(ctx.coll, TODAY + timedelta(days=19), name="字节二面")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(ExamPanel)
        assert panel.display
        text = str(panel.render())
        assert "字节二面" in text and "in 19 days" in text and "0% ready" in text


async def test_stats_screen_shows_the_evaluation_table(tmp_path: Path) -> None:
    ctx: AppContext = build_collection(tmp_path)
    try:
        app = ScreenApp(lambda: StatsScreen(ctx))
        async with app.run_test(size=(120, 50)) as pilot:
            widget = app.screen.query_one(SchedulerEvaluation)
            await wait_for(pilot, lambda: widget.loaded)
            assert widget.report is None  # no history yet: says so instead of a table
            assert "Not enough history" in str(widget.query_one("#eval-note", Static).render())
        write_simulated_log(ctx.coll, TODAY)
        app = ScreenApp(lambda: StatsScreen(ctx))
        async with app.run_test(size=(120, 50)) as pilot:
            widget = app.screen.query_one(SchedulerEvaluation)
            await wait_for(pilot, lambda: widget.loaded, tries=300)
            table = widget.query_one("#eval-table", DataTable)
            models = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
            assert models == ["SM-2", "FSRS default", "FSRS optimized"]
    finally:
        ctx.coll.close()
