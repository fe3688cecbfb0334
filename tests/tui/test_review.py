"""Review sessions driven with Pilot: note, table and calc cards, undo, skip.

The note-card test checks the file on disk the way the plain CLI would leave it:
only the four schedule lines of the frontmatter may change, and the bytes equal
those of a plain-mode review of the same card.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from rich.text import Text
from textual.widgets import Markdown, Static

from studyapp.cli.context import CliContext
from studyapp.cli.plain import Io
from studyapp.cli.review_cmd import run_plain
from studyapp.core.model import SCHEDULE_KEYS
from studyapp.services.queries import history
from studyapp.services.review import interval_label
from studyapp.tui.screens.dashboard import DashboardScreen
from studyapp.tui.screens.review import ReviewScreen
from studyapp.tui.widgets.card_view import CardPanel
from studyapp.tui.widgets.grade_bar import GradeBar
from studyapp.tui.widgets.table_context import TableContext
from tests.tui.conftest import SEED, TODAY, FixedClock, build_notes, settle


def review_screen(ctx, **filters) -> ReviewScreen:  # type: ignore[no-untyped-def]
    return ReviewScreen(ctx, seed_source=lambda: SEED, clock=FixedClock(), **filters)


def changed_lines(before: bytes, after: bytes) -> list[tuple[bytes, bytes]]:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(a) == len(b), "review write-back must not add or remove lines here"
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def plain_review_bytes(tmp_path: Path, rel_path: str, grade: int) -> bytes:
    """The same first card reviewed with ``studyapp review --plain`` in a fresh copy."""
    notes = build_notes(tmp_path / "plain-notes")
    cli = CliContext(
        notes_option=str(notes), db_option=str(tmp_path / "plain.db"), today_override=TODAY
    )
    from studyapp.services.importer import import_notes

    import_notes(cli.collection())
    args = argparse.Namespace(tag=None, kind="note", limit=1)
    out = io.StringIO()
    run_plain(args, cli, Io(inp=io.StringIO(f"\n{grade}\n"), out=out))
    cli.close()
    assert "1 card answered" in out.getvalue()
    return (notes / rel_path).read_bytes()


async def test_note_card_grade_writes_only_schedule_lines(make_app, ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        assert screen.view is not None and screen.view.kind == "note"
        path = ctx.coll.notes_dir / screen.view.note_path
        rel_path = screen.view.note_path
        before = path.read_bytes()
        question = str(screen.query_one("#question", Static).content)
        assert question == screen.view.payload["question"]
        await pilot.press("space")
        await settle(pilot)
        answer = screen.query_one("#answer-markdown", Markdown)
        assert answer.source == screen.view.payload["answer_markdown"]
        assert "详细讲解" not in answer.source  # only the standard-answer section
        await pilot.press("4")
        await settle(pilot)
        after = path.read_bytes()
        assert screen.session is not None and screen.session.progress[0] == 1
    diffs = changed_lines(before, after)
    keys = {line.split(b":")[0].decode() for _old, line in diffs}
    assert keys and keys <= set(SCHEDULE_KEYS)
    assert after == plain_review_bytes(tmp_path, rel_path, 4)
    log = history(ctx.coll, limit=1)[0]
    assert log["grade"] == 4 and log["kind"] == "note" and log["seed"] == SEED


async def test_table_card_answered_by_letter_highlights_the_cell(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = review_screen(ctx, kind="table")
        await app.push_screen(screen)
        await settle(pilot)
        prompt = screen.prompt
        assert prompt is not None and prompt.answer_mode == "choice"
        letter = "abcd"[prompt.correct_option]
        await pilot.press(letter)
        await settle(pilot)
        assert screen.state == "revealed" and screen.result is not None and screen.result.correct
        option = screen.query_one(f"#option-{prompt.correct_option}", Static)
        assert option.has_class("-correct")
        context = screen.query_one(TableContext)
        table = context.render()
        grid = prompt.data["grid"]
        row = prompt.data["row"] - grid["first_row"]
        col = prompt.data["col"]
        lo = max(0, row - 3)
        offset = 1 if lo > 0 or grid["first_row"] > 0 else 0  # a "⋮" row above
        cell = table.columns[col]._cells[row - lo + offset]
        assert cell.plain == grid["rows"][row][col]
        assert cell.style == context.get_component_rich_style("table-context--answer")
        await pilot.press("enter")  # accept the proposed grade
        await settle(pilot)
    log = history(ctx.coll, limit=1)[0]
    assert log["kind"] == "table" and log["grade"] == 5 and log["seed"] == SEED


async def test_table_card_wrong_letter_marks_both_options(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = review_screen(ctx, kind="table")
        await app.push_screen(screen)
        await settle(pilot)
        prompt = screen.prompt
        assert prompt is not None
        wrong = (prompt.correct_option + 1) % len(prompt.options)
        await pilot.press(str(wrong + 1))  # digits 1-4 choose too
        await settle(pilot)
        assert screen.result is not None and not screen.result.correct
        assert screen.query_one(f"#option-{wrong}").has_class("-wrong")
        assert screen.query_one(f"#option-{prompt.correct_option}").has_class("-correct")
        await pilot.press("0")  # override the proposed grade
        await settle(pilot)
        assert screen.requeued  # comes back later in this session
    assert history(ctx.coll, limit=1)[0]["grade"] == 0


async def test_calc_card_answered_with_a_number(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = review_screen(ctx, kind="calc")
        await app.push_screen(screen)
        await settle(pilot)
        prompt = screen.prompt
        assert prompt is not None and prompt.kind == "calc"
        if prompt.answer_mode == "choice":
            await pilot.press("abcd"[prompt.correct_option])
        else:
            answer = prompt.expected.split(" (")[0]
            await pilot.click("#answer")
            await pilot.press(*answer)
            await pilot.press("enter")
        await settle(pilot)
        assert screen.result is not None and screen.result.correct, screen.result
        worked = str(screen.query_one("#worked", Static).content)
        assert prompt.worked[0] in worked
        await pilot.press("enter")
        await settle(pilot)
    log = history(ctx.coll, limit=1)[0]
    assert log["kind"] == "calc" and log["grade"] == 5


async def test_undo_restores_the_note_bytes_and_the_card(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = review_screen(ctx, kind="note")
        await app.push_screen(screen)
        await settle(pilot)
        assert screen.view is not None
        first = screen.view.id
        path = ctx.coll.notes_dir / screen.view.note_path
        before = path.read_bytes()
        await pilot.press("space", "5")
        await settle(pilot)
        assert path.read_bytes() != before
        assert screen.view.id != first
        await pilot.press("u")
        await settle(pilot)
        assert path.read_bytes() == before
        assert screen.view.id == first and screen.state == "asking"
        assert screen.session is not None and screen.session.progress[0] == 0
    assert history(ctx.coll, limit=1)[0]["undone"] is True


async def test_skip_buries_and_undo_brings_back(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = review_screen(ctx, kind="note")
        await app.push_screen(screen)
        await settle(pilot)
        first = screen.view.id  # type: ignore[union-attr]
        await pilot.press("s")
        await settle(pilot)
        assert screen.view is not None and screen.view.id != first
        assert first not in [i.card_id for i in ctx.review.due_items(kind="note")]
        await pilot.press("u")
        await settle(pilot)
        assert screen.view.id == first
        assert first in [i.card_id for i in ctx.review.due_items(kind="note")]


async def test_full_note_opens_at_the_cards_section_for_note_and_table_cards(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    """``d``: a note card before or after its answer, a table card after; escape returns."""
    from studyapp.tui.screens.note_view import NoteViewScreen

    for size in ((80, 24), (120, 40)):
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            screen = review_screen(ctx, kind="note")
            await app.push_screen(screen)
            await settle(pilot)
            await pilot.press("d")  # before the answer: the note is a note card's answer
            await settle(pilot)
            view = app.screen
            assert isinstance(view, NoteViewScreen)
            md = view.query_one("#note-view-md", Markdown)
            assert "面试标准答案" in md.source and not md.source.startswith("---")
            # one scroll container: the title line is outside it and stays put
            assert not view.query("#note-view-body VerticalScroll")
            title = view.query_one("#note-view-title")
            assert title.region.y == 0 and title.region.height >= 1
            view.query_one("#note-view-body").scroll_end(animate=False)
            await settle(pilot)
            assert title.region.y == 0
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is screen and screen.state == "asking"

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = review_screen(ctx, kind="table")
        await app.push_screen(screen)
        await settle(pilot)
        assert screen.view is not None
        heading_path = screen.view.payload["heading_path"]
        await pilot.press("a")  # answer the choice first; d then means the note
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, NoteViewScreen)
        md = view.query_one("#note-view-md", Markdown)
        assert heading_path[1] in md.source  # the section that holds the card's table
        await pilot.press("d")
        await settle(pilot)
        assert app.screen is screen


async def test_session_summary_after_the_last_card(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = review_screen(ctx, kind="note", limit=2)
        await app.push_screen(screen)
        await settle(pilot)
        for grade in ("5", "3", "4"):  # the 3 comes back once and is then answered with 4
            await pilot.press("space", grade)
            await settle(pilot)
        assert screen.state == "finished"
        text = str(screen.query_one("#summary", Static).content)
        assert "cards graded     2 cards" in text
        assert "grades given     3 (1 relearning repeat)" in text
        assert "came back        1 card (graded below 4)" in text
        assert "first grade of each card" in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "reviewed today" in str(app.screen.query_one("#today", Static).content)


async def test_edit_without_editor_says_so(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = review_screen(ctx, kind="note")
        await app.push_screen(screen)
        await settle(pilot)
        await pilot.press("e")
        assert any("EDITOR" in str(n.message) for n in app._notifications)
        assert isinstance(CardPanel, type)


async def test_grade_bar_previews_each_grades_interval(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    """Anki's answer-button preview: each grade shows what it would schedule, at 80 and 120."""
    for size in ((80, 24), (120, 40)):
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            screen = review_screen(ctx, kind="note")
            await app.push_screen(screen)
            await settle(pilot)
            await pilot.press("space")
            await settle(pilot)
            assert screen.view is not None
            expected = ctx.review.preview(screen.view.id)
            bar = screen.query_one("#grade-bar", GradeBar)
            text = str(bar.content)
            lines = text.splitlines()
            assert all(Text(line).cell_len <= size[0] - 2 for line in lines), lines
            for grade in range(6):
                assert f" {grade} " in text
            assert f"犹豫后答对 · {interval_label(expected[4].interval)}" in text
            assert "…" not in text  # nothing cut at 80 columns
            await pilot.press("4")
            await settle(pilot)
            messages = [str(n.message) for n in app._notifications]
            assert any(
                m.startswith("next review ") and expected[4].due.isoformat() in m  # type: ignore[union-attr]
                for m in messages
            ), messages


async def test_grade_bar_on_a_relearning_repeat_shows_no_intervals(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = review_screen(ctx, kind="note", limit=1)
        await app.push_screen(screen)
        await settle(pilot)
        await pilot.press("space", "2")  # fails: comes straight back (only card)
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        text = str(screen.query_one("#grade-bar", GradeBar).content)
        assert "relearning: already scheduled for" in text
        assert " · 1d" not in text


def test_plain_review_previews_intervals_and_counts_honestly(tmp_path: Path) -> None:
    """Plain mode: the preview line, a counter that says "done", relearned only when it was."""
    notes = build_notes(tmp_path / "plain-notes")
    cli = CliContext(
        notes_option=str(notes), db_option=str(tmp_path / "plain.db"), today_override=TODAY
    )
    from studyapp.services.importer import import_notes

    import_notes(cli.collection())
    args = argparse.Namespace(tag=None, kind="note", limit=2)
    out = io.StringIO()
    # Fail the first card, pass the second, then end input at the relearning repeat.
    run_plain(args, cli, Io(inp=io.StringIO("\n1\n\n4\n"), out=out))
    cli.close()
    text = out.getvalue()
    assert "next interval: 5 perfect · 1d" in text
    # Nothing is finished until a card gets 4+; the failed card returns marked as relearning.
    assert text.count("── 0/2 done · note") == 2 and "── 1/2 done · relearning" in text
    assert "Session over: 2 cards answered, 0 relearned, 1 still to relearn." in text


async def test_leaving_a_session_keeps_it_or_asks_first(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    """q/c/n open on top of a running review (escape comes back); escape asks once."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        review = app.screen
        assert isinstance(review, ReviewScreen) and review.view is not None
        await pilot.press("space", "4")
        await settle(pilot)
        card = review.view.id
        await pilot.press("q")
        await settle(pilot)
        assert app.screen is not review and review in app.screen_stack
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is review and review.view is not None and review.view.id == card
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("r")  # r returns to the running session, it does not start one
        await settle(pilot)
        assert app.screen is review and review.view.id == card
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is review
        assert any("escape again" in str(n.message) for n in app._notifications)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)


async def test_skipping_the_last_card_ends_the_session_unambiguously(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = review_screen(ctx, kind="note", limit=1)
        await app.push_screen(screen)
        await settle(pilot)
        skipped = screen.view.id  # type: ignore[union-attr]
        await pilot.press("s")
        await settle(pilot)
        assert screen.state == "finished"
        summary = str(screen.query_one("#summary", Static).content)
        assert "set aside        1 card" in summary
        after = screen.query_one("#after-session", Static)
        left = str(after.content)
        assert left.startswith("1 more card can be reviewed today") and "r starts them" in left
        assert after.region.bottom <= 24 - 1  # in sight at 80x24, above the summary
        await pilot.press("r")
        await settle(pilot)
        fresh = app.screen
        assert isinstance(fresh, ReviewScreen) and fresh is not screen
        assert fresh.view is not None and fresh.view.id != skipped


async def test_suspend_and_bury_note_from_the_review_with_undo(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = review_screen(ctx, kind="table")
        await app.push_screen(screen)
        await settle(pilot)
        assert screen.view is not None and screen.session is not None
        first = screen.view.id
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert ctx.review.card(first).suspended
        assert screen.view.id != first
        await pilot.press("u")
        await settle(pilot)
        assert not ctx.review.card(first).suspended and screen.view.id == first

        note_id = screen.view.note_id
        same_note = [i.card_id for i in screen.session.upcoming if i.note_id == note_id]
        assert len(same_note) >= 2
        await pilot.press("equals_sign")
        await settle(pilot)
        assert all(i.note_id != note_id for i in screen.session.upcoming)
        assert first not in [i.card_id for i in ctx.review.due_items(kind="table")]
        assert any("note buried until tomorrow" in str(n.message) for n in app._notifications)
        await pilot.press("u")
        await settle(pilot)
        assert screen.view.id == first
        assert [i.card_id for i in screen.session.upcoming if i.note_id == note_id] == same_note
        assert first in [i.card_id for i in ctx.review.due_items(kind="table")]


async def test_full_note_of_a_calc_card_is_its_linked_note(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    from studyapp.services.search import linked_note_id
    from studyapp.tui.screens.note_view import NoteViewScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = review_screen(ctx, kind="calc")
        await app.push_screen(screen)
        await settle(pilot)
        assert screen.view is not None and screen.view.note_id is None
        linked = linked_note_id(ctx.coll, screen.view.id)
        assert linked is not None  # the sample notes link every calc template
        prompt = screen.prompt
        assert prompt is not None
        if prompt.answer_mode == "choice":
            await pilot.press("abcd"[prompt.correct_option])  # type: ignore[index]
        else:
            await pilot.click("#answer")
            await pilot.press(*prompt.expected.split(" (")[0], "enter")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, NoteViewScreen) and view.note_id == linked
