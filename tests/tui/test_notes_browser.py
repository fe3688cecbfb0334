"""Notes browser: tree by folder and tag, incremental search (CJK), note view, card actions.

Also home of :func:`build_collection`, the temp collection the G2 screen tests share
(sample notes + the user's seed notes + a hostile note), imported by the other G2 tests.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import DataTable, Input, Markdown, Static, Tree

from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes
from studyapp.services.search import search_note_ids, split_sections
from studyapp.tui.context import AppContext
from studyapp.tui.screens.notes_browser import ConfirmScreen, NotesScreen
from tests.tui.conftest import TUI_NOTES

REPO = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)

HOSTILE_TITLE = "[bold]x[/bold] 敌意 [/] 笔记"
HOSTILE_NOTE = f"""---
created: '2026-01-01'
tags:
- hostile
- 安全/markup
---
# {HOSTILE_TITLE}

## 答案

正文 [@click=app.quit]boom[/] 和 $(rm -rf ~) 以及 [bold]x[/bold]。

| 项目 | 边缘 | 云端 |
| --- | --- | --- |
| [bold]x[/bold] | [/] | $(rm -rf ~) |
| [@click=app.quit]boom[/] | 低 | 高 |
| 内存 | 8GB | 80GB |
"""


def build_collection(tmp_path: Path) -> AppContext:
    """The fixture notes (never the seed) + a hostile note, imported into a fresh DB."""
    notes = tmp_path / "notes"
    shutil.copytree(TUI_NOTES, notes)
    (notes / "hostile").mkdir()
    (notes / "hostile" / "hostile.md").write_text(HOSTILE_NOTE, encoding="utf-8")
    coll = Collection.open(tmp_path / "db.sqlite3", notes, today_override=TODAY)
    coll.acquire_writer()
    import_notes(coll)
    return AppContext.from_collection(coll)


@pytest.fixture
def g2_ctx(tmp_path: Path):  # type: ignore[no-untyped-def]
    ctx = build_collection(tmp_path)
    yield ctx
    ctx.coll.close()


class ScreenApp(App[None]):
    """The smallest host for one screen (the real StudyApp routes the same way)."""

    def __init__(self, screen_factory) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.screen_factory = screen_factory

    def on_mount(self) -> None:
        self.push_screen(self.screen_factory())


async def wait_for(pilot, condition, tries: int = 100) -> None:  # type: ignore[no-untyped-def]
    """Let workers finish: pause until ``condition()`` holds."""
    for _ in range(tries):
        await pilot.pause(0.02)
        if condition():
            return
    raise AssertionError("condition never held")


def leaves(tree: Tree) -> list:  # type: ignore[type-arg]
    out = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        for child in node.children:
            if child.data is not None:
                out.append(child)
            walk(child)

    walk(tree.root)
    return out


def test_search_helper_cjk_and_literal_percent(g2_ctx: AppContext) -> None:
    coll = g2_ctx.coll
    assert search_note_ids(coll, "量化")  # CJK substring over title + body
    assert search_note_ids(coll, "") == set()
    assert search_note_ids(coll, "%") == set() or all(
        isinstance(i, int) for i in search_note_ids(coll, "%")
    )
    assert search_note_ids(coll, "no-such-text-xyz") == set()


def test_split_sections_never_cuts_inside_a_fence() -> None:
    body = (
        "# T\n\n"
        + "a" * 500
        + "\n\n## One\n\n```\n## not a heading\n```\n\n"
        + "b" * 500
        + "\n\n## Two\n\nc\n"
    )
    chunks = split_sections(body)
    assert len(chunks) == 3  # T, One (with its fence), Two
    assert "## not a heading" in chunks[1]
    assert "".join(chunks).count("## Two") == 1


async def test_tree_search_open_note_and_cards(g2_ctx: AppContext) -> None:
    app = ScreenApp(lambda: NotesScreen(g2_ctx))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, NotesScreen)
        tree = screen.query_one("#note-tree", Tree)
        await wait_for(pilot, lambda: len(leaves(tree)) > 0)
        top = [str(n.label) for n in tree.root.children]
        assert top[0].startswith("Folders") and top[1] == "Tags"
        total = len({n.data for n in leaves(tree)})
        # Incremental search (CJK): the tree narrows after the debounce.
        await pilot.press("slash")
        assert screen.focused is screen.query_one("#search", Input)
        screen.query_one("#search", Input).insert_text_at_cursor("蒸馏")  # what an IME commit does
        await wait_for(
            pilot,
            lambda: screen.matches is not None and len({n.data for n in leaves(tree)}) < total,
        )
        found = leaves(tree)
        assert screen.query_one("#search", Input).value == "蒸馏"
        assert found and all("蒸馏" in str(n.label) or n.data in screen.matches for n in found)
        # Open the first match: header, Markdown and card table fill in.
        tree.focus()
        tree.select_node(found[0])
        await wait_for(pilot, lambda: screen.current is not None)
        await wait_for(pilot, lambda: screen.query_one("#cards", DataTable).row_count > 0)
        assert screen.current is not None and screen.current.id == found[0].data


async def test_suspend_and_reset_with_confirmation(g2_ctx: AppContext) -> None:
    app = ScreenApp(lambda: NotesScreen(g2_ctx))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, NotesScreen)
        tree = screen.query_one("#note-tree", Tree)
        await wait_for(pilot, lambda: len(leaves(tree)) > 0)
        note = next(n for n in leaves(tree) if "kv-cache" not in str(n.label))
        tree.select_node(note)
        table = screen.query_one("#cards", DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        table.focus()
        card_id, suspended = screen._selected_card()  # type: ignore[misc]
        assert not suspended
        await pilot.press("space")
        await wait_for(pilot, lambda: g2_ctx.review.card(card_id).suspended)
        await wait_for(pilot, lambda: screen._selected_card() == (card_id, True))
        await pilot.press("space")
        await wait_for(pilot, lambda: not g2_ctx.review.card(card_id).suspended)

        # Give the card some progress, then reset the note: "n" keeps it, "y" resets.
        g2_ctx.review.record(card_id, 5, session_id="t")
        assert g2_ctx.review.card(card_id).state.reps == 1
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen)
        assert g2_ctx.review.card(card_id).state.reps == 1
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        path = g2_ctx.coll.notes_dir / screen.current.path  # type: ignore[union-attr]
        file_before = path.read_bytes()
        await pilot.press("y")
        await wait_for(pilot, lambda: g2_ctx.review.card(card_id).state.reps == 0)
        # The list shows the reset at once, and the app says the file keeps its lines.
        await wait_for(pilot, lambda: str(table.get_cell(str(card_id), "due")) == "new")
        assert str(table.get_cell(str(card_id), "reps")) == "0"
        messages = [str(n.message) for n in app._notifications]
        assert any(
            m.startswith("Reset ") and "note file keeps its schedule lines" in m for m in messages
        ), messages
        assert "file:" in str(screen.query_one("#note-head", Static).content)
        assert path.read_bytes() == file_before


async def test_hostile_note_text_is_literal(g2_ctx: AppContext) -> None:
    app = ScreenApp(lambda: NotesScreen(g2_ctx))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, NotesScreen)
        tree = screen.query_one("#note-tree", Tree)
        await wait_for(pilot, lambda: len(leaves(tree)) > 0)
        hostile = next(n for n in leaves(tree) if HOSTILE_TITLE in str(n.label))
        assert "[bold]x[/bold]" in str(hostile.label)
        tree.select_node(hostile)
        table = screen.query_one("#cards", DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        head = str(screen.query_one("#note-head", Static).render())
        assert HOSTILE_TITLE in head
        md = screen.query_one("#note-md", Markdown)
        assert "[@click=app.quit]boom[/]" in md.source or "[@click=app.quit]boom[/]" in md._markdown
        titles = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert any("[bold]x[/bold]" in t or "[/]" in t or "$(rm -rf ~)" in t for t in titles)
        # Clicking around the rendered note must not run the hidden action.
        await pilot.click("#note-md")
        await pilot.pause()
        assert app.is_running
        svg = app.export_screenshot()
        assert "boom" in svg and "[/bold]" in svg.replace("&#91;", "[").replace("&#93;", "]")


async def test_space_acts_only_on_the_highlighted_card_and_the_tree_widens(
    g2_ctx: AppContext,
) -> None:
    """At 80x24: space from the tree suspends nothing (it moves to the list); w widens the tree."""
    app = ScreenApp(lambda: NotesScreen(g2_ctx))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        tree = screen.query_one("#note-tree", Tree)
        await wait_for(pilot, lambda: len(leaves(tree)) > 0)
        tree.select_node(next(n for n in leaves(tree) if "kv-cache" not in str(n.label)))
        table = screen.query_one("#cards", DataTable)
        await wait_for(pilot, lambda: table.row_count > 1)
        screen.query_one("#search", Input).focus()
        await pilot.pause()
        screen.action_toggle_suspend()  # from elsewhere: focus moves, nothing changes
        await pilot.pause()
        assert screen.focused is table
        assert not any(g2_ctx.review.card(int(str(k.value))).suspended for k in table.rows)
        await pilot.press("down")
        second, _ = screen._selected_card()  # type: ignore[misc]
        full = g2_ctx.review.card(second).title
        await pilot.pause()
        title = str(screen.query_one("#cards-title", Static).content)
        assert title.endswith(f": {full}"), title  # the whole title, not the cut column
        await pilot.press("space")
        await wait_for(pilot, lambda: g2_ctx.review.card(second).suspended)
        suspended = [
            int(str(k.value)) for k in table.rows if g2_ctx.review.card(int(str(k.value))).suspended
        ]
        assert suspended == [second]

        side = screen.query_one("#nb-side")
        narrow = side.size.width
        await pilot.press("w")
        await pilot.pause()
        assert side.size.width > narrow + 10
