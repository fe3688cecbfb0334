"""Issue 14 in the TUI: the scheduler screen (switch, retention, optimize, exams) and exam cram.

Every test runs at 80×24 (the smallest supported terminal: the buttons must be reachable
there) and at 120×40.  The study day is the fixture's ``TODAY``; exam dates are relative
to it, so nothing depends on the real date.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from textual.widgets import Button, Input, Select, Static

from studyapp.db.models import Card
from studyapp.services import exams
from studyapp.services.scheduler import set_scheduler, stored_params
from studyapp.tui.screens.notes_browser import ConfirmScreen
from studyapp.tui.screens.quiz import QuizScreen
from studyapp.tui.screens.scheduler import SchedulerScreen, parse_retention
from studyapp.tui.widgets.exam_panel import ExamPanel
from tests.tui.conftest import TODAY, settle
from tests.tui.test_notes_browser import wait_for

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
TAG = "大模型推理与部署"


def fsrs_states(coll) -> dict[int, float | None]:  # type: ignore[no-untyped-def]
    with coll.session() as s:
        return {r.id: r.fsrs_stability for r in s.execute(select(Card.id, Card.fsrs_stability))}


def sm2_states(coll) -> dict[int, tuple[object, ...]]:  # type: ignore[no-untyped-def]
    columns = (Card.ef_milli, Card.interval, Card.reps, Card.lapses, Card.due, Card.last_review)
    with coll.session() as s:
        return {r[0]: tuple(r[1:]) for r in s.execute(select(Card.id, *columns))}


def message(screen: SchedulerScreen, widget_id: str) -> str:
    return str(screen.query_one(widget_id, Static).render())


async def click(pilot, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Click a button of the top screen once its last press has faded (Button ignores clicks
    while it still shows as pressed, 0.2 s)."""
    button = pilot.app.screen.query_one(selector, Button)
    await wait_for(pilot, lambda: not button.has_class("-active"))
    await pilot.click(selector)


async def open_scheduler(app, pilot) -> SchedulerScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("s")
    await wait_for(pilot, lambda: isinstance(app.screen, SchedulerScreen))
    screen = app.screen
    await wait_for(pilot, lambda: screen.state is not None)
    return screen  # type: ignore[no-any-return]


def test_parse_retention_refuses_values_outside_the_range() -> None:
    assert parse_retention(" 0.85 ") == 0.85
    assert "0.70 to 0.97" in str(parse_retention("0.5"))
    assert "0.70 to 0.97" in str(parse_retention("0.98"))
    assert "a number" in str(parse_retention(""))


@SIZES
async def test_switching_asks_first_then_converts_every_card(make_app, ctx, size) -> None:  # type: ignore[no-untyped-def]
    coll = ctx.coll
    with coll.session() as s:
        answered = list(s.scalars(select(Card.id).order_by(Card.id).limit(3)))
    for card_id in answered:  # a log to convert from
        ctx.review.record(card_id, 4, session_id="t")
    before, sm2_before = fsrs_states(coll), sm2_states(coll)
    assert all(v is None for v in before.values())
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await open_scheduler(app, pilot)
        assert "SM-2" in message(screen, "#sched-summary")
        await click(pilot, "#switch")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # no: nothing changes
        await settle(pilot)
        assert app.screen is screen
        assert coll.settings.scheduler == "sm2" and sm2_states(coll) == sm2_before

        await click(pilot, "#switch")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not screen.busy and screen.state.scheduler == "fsrs")  # type: ignore[union-attr]
        assert coll.settings.scheduler == "fsrs"
        after = fsrs_states(coll)
        assert all(after[c] is not None for c in answered)  # replayed from the log
        assert sum(v is not None for v in after.values()) == len(answered)  # new cards stay new
        notes = [n.message for n in app._notifications]
        assert any(
            f"{len(after)} cards rescheduled for fsrs ({len(answered)} from" in n for n in notes
        )
        assert "FSRS" in message(screen, "#sched-summary")
        assert "Switch to SM-2" in str(screen.query_one("#switch").label)  # type: ignore[attr-defined]

        await click(pilot, "#switch")  # and back: the log is the truth
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not screen.busy and screen.state.scheduler == "sm2")  # type: ignore[union-attr]
        assert coll.settings.scheduler == "sm2" and sm2_states(coll) == sm2_before


@SIZES
async def test_invalid_retention_is_refused_with_a_message(make_app, ctx, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await open_scheduler(app, pilot)
        field = screen.query_one("#retention", Input)
        assert field.value == "0.90"
        field.value = "0.5"
        await click(pilot, "#set-retention")
        await settle(pilot)
        assert "0.70 to 0.97" in message(screen, "#sched-message")
        assert not isinstance(app.screen, ConfirmScreen)
        assert ctx.coll.settings.desired_retention == 0.9

        field.value = "0.85"  # valid; under SM-2 no card changes, so no question
        await click(pilot, "#set-retention")
        await wait_for(pilot, lambda: ctx.coll.settings.desired_retention == 0.85)
        await settle(pilot)
        assert "Retention 0.85" in message(screen, "#sched-message")


@SIZES
async def test_retention_under_fsrs_asks_before_rescheduling(make_app, ctx, size) -> None:  # type: ignore[no-untyped-def]
    set_scheduler(ctx.coll, "fsrs")
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await open_scheduler(app, pilot)
        screen.query_one("#retention", Input).value = "0.8"
        await click(pilot, "#set-retention")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await settle(pilot)
        assert ctx.coll.settings.desired_retention == 0.9
        await click(pilot, "#set-retention")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: ctx.coll.settings.desired_retention == 0.8)
        await settle(pilot)
        assert any("cards rescheduled for fsrs" in n.message for n in app._notifications)


@SIZES
async def test_optimize_without_enough_history_says_why_the_defaults_stay(
    make_app, ctx, size
) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await open_scheduler(app, pilot)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: "keeping" in message(screen, "#sched-message"))
        assert stored_params(ctx.coll) is None
        assert "default parameters" in message(screen, "#sched-summary")
        assert any("keeping the current parameters" in n.message for n in app._notifications)


@SIZES
async def test_an_exam_added_in_the_tui_shows_on_the_dashboard(make_app, ctx, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await open_scheduler(app, pilot)
        date_field = screen.query_one("#exam-date", Input)
        date_field.value = "20-12-2026"  # not ISO: refused, nothing stored
        date_field.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "YYYY-MM-DD" in message(screen, "#exam-message")
        assert exams.list_exams(ctx.coll) == []

        day = TODAY + timedelta(days=19)
        date_field.value = day.isoformat()
        screen.query_one("#exam-name", Input).value = "[bold]字节二面"  # markup-like: literal
        screen.query_one("#exam-tag", Input).value = TAG
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(screen.state and screen.state.exams))
        [exam] = exams.list_exams(ctx.coll)
        assert (exam.name, exam.exam_date, exam.tag, exam.folder) == (
            "[bold]字节二面",
            day,
            TAG,
            None,
        )
        assert date_field.value == ""  # the form is cleared for the next one

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.dashboard)
        panel = app.screen.query_one(ExamPanel)
        await wait_for(pilot, lambda: panel.display and bool(panel.rows))
        text = str(panel.render())
        assert "[bold]字节二面" in text and "in 19 days" in text and f"tag {TAG}" in text


@SIZES
async def test_an_exam_is_removed_after_confirmation(make_app, ctx, size) -> None:  # type: ignore[no-untyped-def]
    exams.add_exam(ctx.coll, TODAY + timedelta(days=10), name="one", tag=TAG)
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await open_scheduler(app, pilot)
        assert [r["name"] for r in screen.state.exams] == ["one"]  # type: ignore[union-attr]
        await click(pilot, "#exam-remove")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.state is not None and not screen.state.exams)
        assert exams.list_exams(ctx.coll) == []


async def test_the_palette_opens_the_scheduler_screen(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        [command] = [
            c for c in app.get_system_commands(app.screen) if c.title == "Scheduler and exams"
        ]
        command.callback()
        await wait_for(pilot, lambda: isinstance(app.screen, SchedulerScreen))


@SIZES
async def test_cram_with_an_exam_drills_only_its_scope(make_app, ctx, size) -> None:  # type: ignore[no-untyped-def]
    exams.add_exam(ctx.coll, TODAY + timedelta(days=5), name="字节二面", tag=TAG)
    [view] = exams.list_exams(ctx.coll)
    with ctx.coll.session() as s:
        scope = set(s.scalars(exams.scope_query(view)))
        every = set(s.scalars(select(Card.id)))
    assert scope and scope < every  # a real restriction
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuizScreen))
        quiz = app.screen
        await settle(pilot)
        assert quiz.query_one("#exam-row").display
        quiz.query_one("#exam", Select).value = "字节二面"
        await pilot.pause()
        assert quiz.query_one("#filters").disabled  # the exam replaces the filters
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: quiz.phase == "asking")
        assert quiz.config is not None and quiz.config.exam == "字节二面"
        assert quiz.ids and set(quiz.ids) <= scope
        assert quiz.ids == exams.exam_cram_ids(ctx.coll, "字节二面", count=20)  # weakest first


async def test_cram_setup_hides_the_exam_choice_without_exams(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuizScreen))
        await settle(pilot)
        assert not app.screen.query_one("#exam-row").display
        config = app.screen.read_config()  # type: ignore[attr-defined]
        assert config.exam is None
