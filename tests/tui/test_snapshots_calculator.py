"""Snapshots of the sizing calculator (llama-3-8b, int4, iPhone 15 Pro vs H100, ctx 4096, batch 1).

The calculator reads no clock and no database, so the default scenario renders the same
every time.
"""

from __future__ import annotations

from studyapp.tui.screens.calculator import CalculatorScreen
from tests.tui.test_notes_browser import ScreenApp


def calc_app() -> ScreenApp:
    return ScreenApp(lambda: CalculatorScreen(None))


def test_calculator_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(calc_app(), terminal_size=(80, 24))


def test_calculator_120x40(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(calc_app(), terminal_size=(120, 40))


def test_calculator_80x24_scrolled_to_steps(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def scroll(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.screen.query_one("#calc-body").scroll_end(animate=False)
        await pilot.pause()

    assert snap_compare(calc_app(), terminal_size=(80, 24), run_before=scroll)
