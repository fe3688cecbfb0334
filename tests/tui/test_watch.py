"""Optional notes watcher: a note edited while the app is open is re-imported, with a notice."""

from __future__ import annotations

import threading
from pathlib import Path

from studyapp.services.watch import changed_notes
from tests.tui.conftest import settle


def test_only_markdown_inside_the_folder_counts(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    (root / "a").mkdir(parents=True)
    changes = {
        (1, str(root / "a" / "x.md")),
        (2, str(root / "b.MD")),
        (1, str(root / "a" / "x.md.swp")),
        (1, str(tmp_path / "outside.md")),
    }
    assert changed_notes(changes, root) == ["a/x.md", "b.MD"]


async def test_edit_on_disk_is_reimported_and_notified(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    note = next(
        p
        for p in sorted(ctx.coll.notes_dir.rglob("*.md"))
        if "/" in p.relative_to(ctx.coll.notes_dir).as_posix()
    )
    rel = note.relative_to(ctx.coll.notes_dir).as_posix()
    edited = threading.Event()

    def fake_watcher(path: Path, *, stop_event: threading.Event):  # type: ignore[no-untyped-def]
        assert path == ctx.coll.notes_dir
        text = note.read_text(encoding="utf-8")
        note.write_text(text.replace("\n# ", "\n# 改过的 ", 1), encoding="utf-8")
        edited.set()
        yield {(2, str(note))}
        yield {(2, str(note) + ".swp")}  # not a note: nothing happens

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.watch_notes_folder(watcher=fake_watcher)
        await settle(pilot)
        assert edited.is_set()
        messages = [str(n.message) for n in app._notifications]
        assert f"re-imported {rel} (changed on disk)" in messages
        assert sum("re-imported" in m for m in messages) == 1
    from studyapp.services.queries import notes

    titles = {row.path: row.title for row in notes(ctx.coll)}
    assert titles[rel].startswith("改过的 ")
