"""Study more today: extra new cards, review ahead, one tag/folder; limits stay honest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import Input, RadioSet

from studyapp.services.custom_study import (
    CustomStudy,
    add_new_today,
    custom_queue,
    extra_new_today,
)
from studyapp.tui.screens.custom_study import CustomStudyScreen
from studyapp.tui.screens.dashboard import DashboardScreen
from studyapp.tui.screens.review import ReviewScreen
from tests.tui.conftest import TODAY, settle


def test_extra_new_cards_are_for_today_only(ctx) -> None:  # type: ignore[no-untyped-def]
    coll = ctx.coll
    before = ctx.review.due_items()
    new_before = [i for i in before if i.due is None]
    assert len(new_before) == coll.settings.new_per_day
    assert add_new_today(coll, 5) == 5 and add_new_today(coll, 2) == 7
    after = ctx.review.due_items()
    assert len([i for i in after if i.due is None]) == len(new_before) + 7
    assert {i.card_id for i in before} <= {i.card_id for i in after}
    tomorrow = TODAY + timedelta(days=1)
    assert extra_new_today(coll, tomorrow) == 0
    assert len([i for i in ctx.review.due_items(today=tomorrow) if i.due is None]) == len(
        new_before
    )


def test_review_ahead_and_scope(ctx) -> None:  # type: ignore[no-untyped-def]
    queue = ctx.review.due_items(kind="note")
    for item in queue[:3]:
        ctx.review.record(item.card_id, 5, session_id="s")  # due tomorrow
    ahead = custom_queue(ctx.coll, CustomStudy("ahead", 1))
    assert {i.card_id for i in ahead} == {i.card_id for i in queue[:3]}
    assert custom_queue(ctx.coll, CustomStudy("ahead", 1), today=TODAY - timedelta(days=5)) == []
    scoped = custom_queue(ctx.coll, CustomStudy("scope", 4, folder="压缩"))
    assert scoped and len([i for i in scoped if i.due is None]) <= 4
    note_ids = {i.note_id for i in scoped}
    assert note_ids and all(
        ctx.review.card(i.card_id).note_path.startswith("压缩/") for i in scoped
    )  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        CustomStudy("scope", 3)
    with pytest.raises(ValueError):
        CustomStudy("ahead", 0)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_study_more_from_the_dashboard(make_app, ctx, size) -> None:  # type: ignore[no-untyped-def]
    for item in ctx.review.due_items(kind="note")[:2]:
        ctx.review.record(item.card_id, 5, session_id="s")
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomStudyScreen)
        box = form.query_one("#custom-box")
        assert box.region.right <= size[0] and box.region.bottom <= size[1]
        dots = [b.render().plain for b in form.query("RadioButton")]  # type: ignore[attr-defined]
        assert "●" in dots[0] and "●" not in dots[1] + dots[2]  # chosen one only, by shape
        form.query_one("#custom-kind", RadioSet).query("RadioButton")[1].value = True  # ahead
        form.query_one("#custom-n", Input).value = "2"
        await pilot.click("#custom-go")
        await settle(pilot)
        review = app.screen
        assert isinstance(review, ReviewScreen) and review.custom == CustomStudy("ahead", 2)
        assert review.session is not None and review.session.progress == (0, 2)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)

        await pilot.press("m")
        await settle(pilot)
        form = app.screen
        form.query_one("#custom-n", Input).value = "0"
        await pilot.click("#custom-go")
        await settle(pilot)
        assert app.screen is form and "N must be" in str(form.query_one("#custom-error").render())
        form.query_one("#custom-n", Input).value = "3"
        await pilot.press("ctrl+s")  # the keyboard way to start
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert extra_new_today(ctx.coll) == 3
