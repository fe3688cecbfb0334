"""Sizing calculator: live recompute, invalid fields, edge vs cloud, quiz from the scenario."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select, Static

from studyapp.core.sizing.report import size_report
from studyapp.tui.screens.calculator import (
    DEFAULT_SCENARIO,
    CalculatorScreen,
    ScenarioQuizScreen,
    scenario_prompt,
)
from tests.tui.test_notes_browser import ScreenApp, wait_for


def calc_app() -> ScreenApp:
    return ScreenApp(lambda: CalculatorScreen(None))


async def test_default_scenario_and_live_updates() -> None:
    app = calc_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CalculatorScreen)
        await pilot.pause()
        r = screen.report
        assert r is not None
        assert (r.model.id, r.fmt.id, r.device.id, r.context, r.batch) == (
            "llama-3-8b",
            "int4",
            "iphone-15-pro",
            4096,
            1,
        )
        assert not r.fits  # 5.0 GB needed vs 4.0 GB usable on an 8 GB phone
        assert "DOES NOT FIT" in str(screen.query_one("#verdict", Static).render())
        assert screen.compare_report is not None and screen.compare_report.device.id == "h100-sxm"
        table = screen.query_one("#compare-table", DataTable)
        assert table.row_count == 10
        # A smaller context and a smaller model: recomputed at once.
        screen.query_one("#model", Select).value = "tinyllama-1.1b"
        await pilot.pause()
        assert screen.report.model.id == "tinyllama-1.1b" and screen.report.fits
        assert "FITS" in str(screen.query_one("#verdict", Static).render())
        context = screen.query_one("#context", Input)
        context.value = "2048"
        await pilot.pause()
        assert screen.report.context == 2048


async def test_invalid_field_keeps_last_result_and_gpus() -> None:
    app = calc_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, CalculatorScreen)
        await pilot.pause()
        last = screen.report
        screen.query_one("#batch", Input).value = "0"
        await pilot.pause()
        assert screen.query_one("#batch", Input).has_class("-invalid")
        assert screen.report is last
        assert "Fix" in str(screen.query_one("#verdict", Static).render())
        screen.query_one("#batch", Input).value = "1"
        screen.query_one("#model", Select).value = "llama-3-70b"
        screen.query_one("#fmt", Select).value = "fp16"
        screen.query_one("#device", Select).value = "a100-80gb"
        await pilot.pause()
        expected = size_report("llama-3-70b", "fp16", "a100-80gb", context=4096, batch=1)
        assert screen.report.gpus_min == expected.gpus_min > 1  # tensor parallel needed
        assert screen.report.gpus == expected.gpus_min and screen.report.fits
        screen.query_one("#gpus", Input).value = "1"
        await pilot.pause()
        assert screen.report.gpus == 1 and not screen.report.fits


async def test_quiz_from_scenario_weights_then_fits() -> None:
    app = calc_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, CalculatorScreen)
        await pilot.pause()
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioQuizScreen))
        quiz = app.screen
        assert quiz.prompt.answer_mode == "numeric"
        await pilot.press(*"4.17 GB", "enter")
        await pilot.pause()
        assert quiz.result is True
        assert quiz.query_one("#quiz-worked").display
        assert "4.17" in str(quiz.query_one("#quiz-steps", Static).render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("x")  # second time: does it fit?
        await wait_for(pilot, lambda: isinstance(app.screen, ScenarioQuizScreen))
        quiz = app.screen
        assert quiz.prompt.answer_mode == "yesno"
        await pilot.press("y", "e", "s", "enter")
        await pilot.pause()
        assert quiz.result is False  # it does not fit on the phone
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)


def test_scenario_prompt_grades_like_calc_cards() -> None:
    from studyapp.core.sizing.calc_grade import grade_calc

    r = size_report("llama-3-8b", "int4", "iphone-15-pro", context=4096, batch=1)
    weights = scenario_prompt(r, "weights")
    assert grade_calc(weights, "4.2 GB", 1000).correct  # within 5%
    assert not grade_calc(weights, "8 GB", 1000).correct
    fits = scenario_prompt(r, "fits")
    assert grade_calc(fits, "否", 1000).correct
    assert DEFAULT_SCENARIO.device == "iphone-15-pro"


async def test_g2_screens_open_from_studyapp(make_app) -> None:  # type: ignore[no-untyped-def]
    """StudyApp opens each G2 screen with its key; escape goes back to the dashboard."""
    from studyapp.tui.screens.notes_browser import NotesScreen
    from studyapp.tui.screens.quiz import QuizScreen
    from studyapp.tui.screens.stats import StatsScreen
    from tests.tui.conftest import settle

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        home = app.screen
        for key, cls in (
            ("c", CalculatorScreen),
            ("n", NotesScreen),
            ("t", StatsScreen),
            ("q", QuizScreen),
        ):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, cls), key
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is home, key


async def test_context_accepts_32k_and_warns_above_the_window() -> None:
    """Typed key by key at 80x24: ``32k`` is 32,768 tokens, and a context past the
    model's window says so under the verdict, as ``studyapp size`` does."""
    from studyapp.core.token_count import parse_token_count

    assert parse_token_count("32k") == 32768 and parse_token_count("128K") == 131072
    assert parse_token_count("1.5k") == 1536 and parse_token_count("8192") == 8192
    for bad in ("32x", "", "1.5", "k"):
        try:
            parse_token_count(bad)
        except ValueError:
            continue
        raise AssertionError(bad)

    app = calc_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, CalculatorScreen)
        await pilot.pause()
        context = screen.query_one("#context", Input)
        context.focus()
        await pilot.press("end", "ctrl+u", "3", "2", "k")  # clear, then type at once
        await pilot.pause()
        assert context.value == "32k"
        assert screen.report is not None and screen.report.context == 32768
        verdict = str(screen.query_one("#verdict", Static).render())
        assert "exceeds" in verdict and "window" in verdict  # llama-3-8b: 8,192 tokens
        await pilot.press("end", "ctrl+u", "4", "k")
        await pilot.pause()
        assert screen.report.context == 4096
        assert "exceeds" not in str(screen.query_one("#verdict", Static).render())


def test_cli_size_accepts_the_same_32k(capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from studyapp.cli.main import main

    assert main(["size", "llama-3-8b", "--context", "32k", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["context"] == 32768


async def test_device_choice_readable_at_80x24() -> None:
    from studyapp.core.sizing.catalog import load_catalog
    from studyapp.tui.widgets.sizing_text import device_label

    labels = {d.id: device_label(d).plain for d in load_catalog().devices.values()}
    assert labels["iphone-15-pro"] == "edge  iPhone 15 Pro 8 GiB"
    app = calc_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.pause()
        device = screen.query_one("#device", Select)
        shown = device.query_one("SelectCurrent").query_one("#label", Static)
        assert "iPhone 15 Pro 8 GiB" in str(shown.render())
        assert shown.content_region.width >= len(labels["iphone-15-pro"])
