"""Fixtures for the TUI tests: a temporary collection over the project's own fixture notes.

The notes folder holds ``tests/data/tui_notes`` (a frozen copy of the sample notes, so
that editing ``notes/`` does not change a snapshot), one hostile note whose text is
full of Textual markup and shell syntax, and one note with broken frontmatter (an
import problem).  Never the user's seed note from ``../shared``: a fresh clone has
none, and the snapshots must be the same with and without it.  The study day is
fixed and seeds and clocks are injected, so snapshots are stable.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes
from studyapp.tui.app import StudyApp
from studyapp.tui.context import AppContext
from tests.conftest import DATA

TODAY = date(2026, 11, 25)
SEED = 7

HOSTILE_TITLE = "[bold]x[/bold] 危险 [@click=app.quit]boom[/] $(rm -rf ~)"
HOSTILE_NOTE = f"""---
created: '2025-10-01'
last_reviewed: null
next_review: '2025-09-01'
review_count: 0
difficulty: medium
mastery_level: 0.0
tags:
- hostile
related_outlines: []
---
# {HOSTILE_TITLE}

## 面试标准答案

Literal text: [/] and [@click=app.quit]boom[/] and $(rm -rf ~) and [bold]x[/bold] end.

## 对比

| 项 | 边缘 | 云端 |
| --- | --- | --- |
| [bold]x[/bold] | [@click=app.quit]boom[/] | $(rm -rf ~) |
| [/] | 小内存 | 大显存 |
| 普通 | 低功耗 | 高吞吐 |
"""

BROKEN_NOTE = """---
tags: [unclosed
---
# broken
"""


class FixedClock:
    """A monotonic clock that only moves when told to (answers take 0 ms)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


async def settle(pilot, rounds: int = 3) -> None:  # type: ignore[no-untyped-def]
    """Wait until no worker of the app runs (thread workers included), then a refresh."""
    import asyncio

    app = pilot.app
    for _ in range(rounds):
        for _ in range(500):
            if not any(w.is_running or w.state.name == "PENDING" for w in app.workers):
                break
            await asyncio.sleep(0.01)
        await pilot.pause()


TUI_NOTES = DATA / "tui_notes"


def build_notes(target: Path) -> Path:
    shutil.copytree(TUI_NOTES, target)
    (target / "hostile.md").write_text(HOSTILE_NOTE, encoding="utf-8")
    (target / "broken.md").write_text(BROKEN_NOTE, encoding="utf-8")
    for path in target.rglob("*"):  # a read-only checkout must still give writable copies
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


@pytest.fixture
def notes_dir(tmp_path: Path) -> Path:
    return build_notes(tmp_path / "notes")


@pytest.fixture
def coll(tmp_path: Path, notes_dir: Path) -> Iterator[Collection]:
    collection = Collection.open(tmp_path / "db.sqlite3", notes_dir, today_override=TODAY)
    collection.acquire_writer()
    import_notes(collection)
    yield collection
    collection.close()


@pytest.fixture
def ctx(coll: Collection) -> AppContext:
    context = AppContext.from_collection(coll)
    context.editor = None
    return context


@pytest.fixture
def make_app(ctx: AppContext):  # type: ignore[no-untyped-def]
    """``make_app(startup_import=False)``: the app over the fixture collection, deterministic."""

    def factory(*, startup_import: bool = False) -> StudyApp:
        return StudyApp(
            ctx, startup_import=startup_import, seed_source=lambda: SEED, clock=FixedClock()
        )

    return factory
