"""Typing right after clearing a field keeps every character (quiz count, context, search).

The report was of characters lost at fast typing just after a field was cleared;
here each field is cleared and typed into with no pause between keys, and the value
and what the screen computed from it are checked.
"""

from __future__ import annotations

from textual.widgets import Input

from studyapp.tui.screens.calculator import CalculatorScreen
from studyapp.tui.screens.notes_browser import NotesScreen
from studyapp.tui.screens.quiz import QuizScreen
from tests.tui.test_notes_browser import ScreenApp, wait_for

KEYS = ("end", "ctrl+u")


async def test_fast_typing_after_clearing_keeps_every_key(ctx) -> None:  # type: ignore[no-untyped-def]
    app = ScreenApp(lambda: QuizScreen(ctx))
    async with app.run_test(size=(80, 24)) as pilot:
        count = app.screen.query_one("#count", Input)
        count.focus()
        for _ in range(5):
            await pilot.press(*KEYS, "1", "2", "3")
            assert count.value == "123"

    app = ScreenApp(lambda: CalculatorScreen(None))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        context = screen.query_one("#context", Input)
        context.focus()
        for text in ("8192", "32k", "16384"):
            await pilot.press(*KEYS, *text)
            assert context.value == text
        await pilot.pause()
        assert screen.report is not None and screen.report.context == 16384  # type: ignore[attr-defined]

    app = ScreenApp(lambda: NotesScreen(ctx))
    async with app.run_test(size=(80, 24)) as pilot:
        search = app.screen.query_one("#search", Input)
        search.focus()
        await pilot.press(*KEYS, *"kv", *KEYS, *"cache")
        assert search.value == "cache"
        screen = app.screen
        await wait_for(pilot, lambda: screen.matches is not None)  # type: ignore[attr-defined]
        assert screen.matches  # type: ignore[attr-defined]
