"""Note text full of Textual markup and shell syntax is shown literally and never acted on."""

from __future__ import annotations

from textual.widgets import Markdown, Static

from studyapp.tui.screens.review import ReviewScreen
from studyapp.tui.widgets.table_context import TableContext
from tests.tui.conftest import HOSTILE_TITLE, SEED, FixedClock, settle


def screen_for(ctx, **filters) -> ReviewScreen:  # type: ignore[no-untyped-def]
    return ReviewScreen(ctx, tag="hostile", seed_source=lambda: SEED, clock=FixedClock(), **filters)


def markdown_text(markdown: Markdown) -> str:
    return "\n".join(str(block.content) for block in markdown.query("MarkdownParagraph"))


async def test_hostile_note_card_shows_text_literally(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = screen_for(ctx, kind="note")
        await app.push_screen(screen)
        await settle(pilot)
        question = screen.query_one("#question", Static)
        assert str(question.content) == HOSTILE_TITLE
        await pilot.click(question)  # a live [@click=app.quit] would end the app here
        await pilot.press("space")
        await settle(pilot)
        text = markdown_text(screen.query_one("#answer-markdown", Markdown))
        assert "[/] and [@click=app.quit]boom[/] and $(rm -rf ~) and [bold]x[/bold] end." in text
        for block in screen.query_one("#answer-markdown").query("MarkdownParagraph"):
            await pilot.click(block)
        await pilot.press("d")
        await settle(pilot)
        full = app.screen.query_one("#note-view-md", Markdown)
        assert "[@click=app.quit]boom[/]" in full.source
        title = str(app.screen.query_one("#note-view-title", Static).content)
        assert "[@click=app.quit]boom[/]" in title  # the note's title, literally
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        header = str(screen.query_one("#progress").render())
        assert "hostile.md" in header
        await pilot.press("4")
        await settle(pilot)
        assert app.is_running and app.return_code is None


async def test_hostile_table_cells_render_as_text(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = screen_for(ctx, kind="table")
        await app.push_screen(screen)
        await settle(pilot)
        prompt = screen.prompt
        assert prompt is not None
        for i, option in enumerate(prompt.options):
            assert str(screen.query_one(f"#option-{i}", Static).content).endswith(option)
        await pilot.press("a")
        await settle(pilot)
        table = screen.query_one(TableContext).render()
        cells = [cell.plain for column in table.columns for cell in column._cells]
        assert "[bold]x[/bold]" in cells and "[@click=app.quit]boom[/]" in cells and "[/]" in cells
        assert "$(rm -rf ~)" in cells
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running


async def test_hostile_notifications_do_not_crash(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.notify("[/] [@click=app.quit]boom[/]", markup=False)
        await pilot.pause()
        assert app.is_running
