"""Snapshots of the dashboard and of one review card of each kind at 80x24 and 120x40.

Deterministic: fixed study day, fixed seed, a clock that does not move, no
start-up import (the fixture already imported) and no toasts.
"""

from __future__ import annotations

import pytest

from studyapp.tui.screens.review import ReviewScreen
from tests.tui.conftest import SEED, FixedClock, settle

SIZES = [(80, 24), (120, 40)]
#: The note and table snapshots show a sample note (the hostile one has its own snapshot).
SAMPLE_TAG = "精通大模型压缩技术"


async def _quiet(pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


def _review(kind: str, *keys: str, tag: str | None = None):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        app = pilot.app
        await app.push_screen(
            ReviewScreen(app.ctx, kind=kind, tag=tag, seed_source=lambda: SEED, clock=FixedClock())
        )
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
        await _quiet(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_dashboard(snap_compare, make_app, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size, run_before=_quiet)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_note_card_question(snap_compare, make_app, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size, run_before=_review("note", tag=SAMPLE_TAG))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_note_card_answer(snap_compare, make_app, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        make_app(), terminal_size=size, run_before=_review("note", "space", tag=SAMPLE_TAG)
    )


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_table_card_question(snap_compare, make_app, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size, run_before=_review("table", tag=SAMPLE_TAG))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_table_card_answered(snap_compare, make_app, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        make_app(), terminal_size=size, run_before=_review("table", "b", tag=SAMPLE_TAG)
    )


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_calc_card_question(snap_compare, make_app, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size, run_before=_review("calc"))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_calc_card_answered(snap_compare, make_app, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=size, run_before=_review("calc", "8", "enter"))


def test_hostile_note_card(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        make_app(), terminal_size=(80, 24), run_before=_review("note", "space", tag="hostile")
    )


async def _light(pilot) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    pilot.app.theme = "textual-light"
    await _quiet(pilot)


def test_dashboard_light_theme_80x24(snap_compare, make_app) -> None:  # type: ignore[no-untyped-def]
    """The banner's border is visible on the light theme (it was white on white)."""
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_light)
