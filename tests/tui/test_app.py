"""The app shell: start-up import, routing keys, help, theme, lazily imported screens."""

from __future__ import annotations

from textual.widgets import Static

from studyapp.tui.screens.dashboard import DashboardScreen
from studyapp.tui.screens.help import HelpScreen
from studyapp.tui.screens.import_screen import ImportScreen, ProblemsScreen
from studyapp.tui.screens.review import ReviewScreen
from tests.tui.conftest import settle


async def test_starts_on_dashboard_with_startup_import(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(startup_import=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.sub_title == "study day 2026-11-25"
        cta = str(app.screen.query_one("#cta", Static).content)
        assert cta.startswith("r — review ") and "due card" in cta
        problems = str(app.screen.query_one("#problems-line", Static).content)
        assert problems == "⚠ 1 import problem — p to list"
        # the broken note is reported once by the start-up import
        assert any("could not be imported" in str(n.message) for n in app._notifications)


async def test_problems_modal_lists_path_and_error(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ProblemsScreen)
        table = app.screen.query_one("#problems-table")
        assert table.row_count == 1
        assert str(table.get_cell_at((0, 0))) == "broken.md"
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_review_key_help_and_back(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).content)
        assert "perfect / 完美" in text and "undo" in text and "cram quiz" in text
        await pilot.press("escape")
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_import_screen_from_any_screen(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, ImportScreen)
        # the review session (cards left) stays underneath, one level: escape returns to it
        assert [type(s).__name__ for s in app.screen_stack] == [
            "DashboardScreen",
            "ReviewScreen",
            "ImportScreen",
        ]
        summary = str(app.screen.query_one("#import-summary", Static).content)
        assert "unchanged" in summary and "1 rejected" in summary
        table = app.screen.query_one("#import-problems")
        assert table.display and table.row_count >= 1


async def test_missing_screen_module_notifies_instead_of_crashing(make_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from studyapp.tui import app as app_module

    monkeypatch.setitem(
        app_module.SCREENS_BY_NAME,
        "stats",
        ("studyapp.tui.screens.no_such_screen", "X", "Statistics", ""),
    )
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert any("Statistics is not available" in str(n.message) for n in app._notifications)


async def test_theme_toggle_and_palette_commands(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in (
            "Review due cards",
            "Cram quiz",
            "Sizing calculator",
            "Notes browser",
            "Statistics",
            "Import notes",
            "Help",
        ):
            assert title in titles


async def test_theme_is_kept_across_restarts(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    from studyapp.services.settings import Settings

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.theme == "textual-light"
    with ctx.coll.session() as session:
        assert Settings.load(session).theme == "textual-light"  # stored, not only cached
    again = make_app()
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert again.theme == "textual-light"


async def test_empty_problems_dialog_says_so(make_app, ctx, notes_dir) -> None:  # type: ignore[no-untyped-def]
    (notes_dir / "broken.md").unlink()
    from studyapp.services.importer import import_notes

    import_notes(ctx.coll)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ProblemsScreen(ctx))
        await settle(pilot)
        hint = str(app.screen.query_one("#problems-hint", Static).content)
        assert hint.startswith("No import problems")
        assert not app.screen.query_one("#problems-table").display
        assert app.screen.query_one("#problems-box").border_subtitle == "0 problems"
