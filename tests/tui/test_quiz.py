"""Cram quiz: setup → questions → score; answers logged with cram=True, nothing else changes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select
from textual.widgets import Checkbox, ContentSwitcher, Input

from studyapp.db.models import Card, ReviewLog
from studyapp.tui.context import AppContext
from studyapp.tui.screens.quiz import QuizScreen
from tests.tui.test_notes_browser import ScreenApp, build_collection, wait_for


@pytest.fixture
def g2_ctx(tmp_path: Path):  # type: ignore[no-untyped-def]
    ctx = build_collection(tmp_path)
    yield ctx
    ctx.coll.close()


def files_digest(root: Path) -> dict[str, str]:
    """Every note's bytes; the event log under ``.studyapp/`` records cram answers (issue 15)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] != ".studyapp"
    }


def schedules(ctx: AppContext) -> dict[int, tuple]:  # type: ignore[type-arg]
    with ctx.coll.session() as session:
        return {
            c.id: (c.due, c.interval, c.ef_milli, c.reps, c.lapses, c.last_review, c.first_seen)
            for c in session.scalars(select(Card))
        }


def cram_logs(ctx: AppContext) -> list[ReviewLog]:
    with ctx.coll.session() as session:
        return list(session.scalars(select(ReviewLog).order_by(ReviewLog.id)))


async def setup_form(pilot, screen: QuizScreen, kinds: set[str], count: int) -> None:  # type: ignore[no-untyped-def]
    for kind in ("note", "table", "calc"):
        screen.query_one(f"#kind-{kind}", Checkbox).value = kind in kinds
    screen.query_one("#count", Input).value = str(count)
    await pilot.pause()


async def test_table_quiz_records_cram_and_changes_nothing(g2_ctx: AppContext) -> None:
    notes_dir = g2_ctx.coll.notes_dir
    before_files = files_digest(notes_dir)
    before_sched = schedules(g2_ctx)
    app = ScreenApp(lambda: QuizScreen(g2_ctx, seed=7))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, QuizScreen)
        await setup_form(pilot, screen, {"table"}, 3)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.phase == "asking")
        assert screen.query_one("#quiz-switch", ContentSwitcher).current == "play"
        for n in range(3):
            await wait_for(pilot, lambda: screen.phase == "asking")
            correct = screen.current.prompt.correct_option  # type: ignore[union-attr]
            # First card right, the others wrong on purpose.
            choice = correct if n == 0 else (correct + 1) % len(screen.current.prompt.options)  # type: ignore[union-attr]
            await pilot.press("abcd"[choice])
            assert screen.phase == "revealed"
            await pilot.press("space")
        await wait_for(pilot, lambda: screen.phase == "done")
        assert screen.query_one("#quiz-switch", ContentSwitcher).current == "results"
        assert (screen.score.answered, screen.score.correct) == (3, 1)
        assert len(screen.score.misses) == 2
        await wait_for(pilot, lambda: len(cram_logs(g2_ctx)) == 3)
    logs = cram_logs(g2_ctx)
    assert all(log.cram and not log.rescheduled for log in logs)
    assert [log.correct for log in logs] == [True, False, False]
    assert schedules(g2_ctx) == before_sched
    assert files_digest(notes_dir) == before_files


async def test_note_cards_self_graded_and_timeout_is_a_miss(g2_ctx: AppContext) -> None:
    before_files = files_digest(g2_ctx.coll.notes_dir)
    before_sched = schedules(g2_ctx)
    app = ScreenApp(lambda: QuizScreen(g2_ctx, seed=3))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, QuizScreen)
        await setup_form(pilot, screen, {"note"}, 2)
        screen.query_one("#timed", Checkbox).value = True
        screen.query_one("#seconds", Input).value = "60"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.phase == "asking")
        assert screen.query_one("#timer").display
        await pilot.press("space")  # reveal
        assert screen.phase == "grading"
        await pilot.press("4")
        assert screen.phase == "revealed"
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.phase == "asking")
        screen.time_out()  # the clock ran out on the second card
        assert screen.phase == "revealed"
        await pilot.press("space")
        await wait_for(pilot, lambda: screen.phase == "done")
        assert (screen.score.answered, screen.score.correct) == (2, 1)
        await wait_for(pilot, lambda: len(cram_logs(g2_ctx)) == 2)
    logs = cram_logs(g2_ctx)
    assert [log.grade for log in logs] == [4, 0]
    assert all(log.cram for log in logs)
    assert schedules(g2_ctx) == before_sched
    assert files_digest(g2_ctx.coll.notes_dir) == before_files


async def test_calc_card_typed_answer_and_escape_ends_early(g2_ctx: AppContext) -> None:
    app = ScreenApp(lambda: QuizScreen(g2_ctx, seed=11))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, QuizScreen)
        await setup_form(pilot, screen, {"calc"}, 3)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.phase == "asking")
        prompt = screen.current.prompt  # type: ignore[union-attr]
        if prompt.answer_mode == "choice":
            await pilot.press("a")
        else:
            answer = screen.query_one("#answer", Input)
            assert screen.focused is answer
            await pilot.press(*"12345", "enter")
        await wait_for(pilot, lambda: screen.phase == "revealed")
        await pilot.press("escape")  # ends the quiz with the score so far
        assert screen.phase == "done"
        assert screen.score.answered == 1
        await pilot.press("enter")  # a new quiz: back to the form
        assert screen.query_one("#quiz-switch", ContentSwitcher).current == "setup"


async def test_setup_validation_and_no_match(g2_ctx: AppContext) -> None:
    app = ScreenApp(lambda: QuizScreen(g2_ctx))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, QuizScreen)
        await setup_form(pilot, screen, set(), 5)
        await pilot.press("ctrl+s")
        assert screen.phase == "setup"
        assert "kind" in str(screen.query_one("#setup-message").render())
        await setup_form(pilot, screen, {"note"}, 0)
        await pilot.press("ctrl+s")
        assert screen.phase == "setup"


async def test_app_screen_keys_do_not_drop_a_running_quiz(g2_ctx: AppContext) -> None:
    app = ScreenApp(lambda: QuizScreen(g2_ctx, seed=5))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, QuizScreen)
        await setup_form(pilot, screen, {"note"}, 2)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.phase == "asking")
        await pilot.press("n", "t", "r")
        assert app.screen is screen and screen.phase == "asking"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_unchecked_boxes_look_unchecked(g2_ctx: AppContext, size) -> None:  # type: ignore[no-untyped-def]
    """Checked and unchecked differ in shape (X or blank), not in colour only."""
    app = ScreenApp(lambda: QuizScreen(g2_ctx))
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        await pilot.pause()
        timed = screen.query_one("#timed", Checkbox)
        note = screen.query_one("#kind-note", Checkbox)
        assert not timed.value and note.value
        assert "X" not in timed.render().plain and "timed" in timed.render().plain  # type: ignore[union-attr]
        assert "X" in note.render().plain  # type: ignore[union-attr]
        timed.value = True
        note.value = False
        await pilot.pause()
        assert "X" in timed.render().plain and "X" not in note.render().plain  # type: ignore[union-attr]
        # The tag and folder lists: nothing selected draws no X; a selected row does.
        folders = screen.query_one("#folders")
        await wait_for(pilot, lambda: folders.option_count > 0)  # type: ignore[attr-defined]
        assert "X" not in folders.render_line(0).text  # type: ignore[attr-defined]
        folders.select(folders.get_option_at_index(0))  # type: ignore[attr-defined]
        await pilot.pause()
        assert "X" in folders.render_line(0).text  # type: ignore[attr-defined]


async def test_setup_labels_fit_80_columns(g2_ctx: AppContext) -> None:
    app = ScreenApp(lambda: QuizScreen(g2_ctx))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.pause()
        for widget in screen.query("#options Label, #options Checkbox, #options Input"):
            if widget.display:
                assert widget.region.right <= 80, widget
        assert screen.query_one("#seconds").tooltip == "seconds per card"
