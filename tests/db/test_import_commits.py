"""A long import commits every ``COMMIT_EVERY`` notes, whole notes only.

What must hold: an import stopped part-way keeps the notes it committed (each a whole
note: its row, tags and every card), the next import stores exactly the rest, and the
result is the collection a single uninterrupted import gives.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from studyapp.services import importer
from studyapp.services.collection import Collection
from tests.conftest import REPO


def _notes(folder: Path, copies: int) -> Path:
    """``copies`` copies of the bundled notes under different folders (8 notes each)."""
    for i in range(copies):
        shutil.copytree(REPO / "notes", folder / f"copy{i}")
    return folder


def _content(db: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], int]:
    with sqlite3.connect(db) as conn:
        notes = conn.execute(
            "SELECT path, content_sha256, tables_json FROM notes ORDER BY path"
        ).fetchall()
        cards = conn.execute(
            "SELECT n.path, c.kind, c.anchor, c.payload_json FROM cards c"
            " LEFT JOIN notes n ON n.id = c.note_id ORDER BY n.path, c.kind, c.anchor"
        ).fetchall()
        tags = conn.execute("SELECT count(*) FROM note_tags").fetchone()[0]
    return notes, cards, int(tags)


def test_an_interrupted_import_keeps_whole_notes_and_the_next_one_finishes(
    open_coll, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    notes = _notes(tmp_path / "notes", 3)  # 24 notes
    monkeypatch.setattr(importer, "COMMIT_EVERY", 5)
    real_store = importer._store
    stored: list[str] = []

    def store(writer, existing, vanished, parsed, item, **kw):  # type: ignore[no-untyped-def]
        if len(stored) == 13:
            raise KeyboardInterrupt  # not one note's failure: the import stops here
        stored.append(parsed.rel_path)
        return real_store(writer, existing, vanished, parsed, item, **kw)

    monkeypatch.setattr(importer, "_store", store)
    coll: Collection = open_coll(notes)
    with pytest.raises(KeyboardInterrupt):
        importer.import_notes(coll, workers=1)
    # Notes 1-10 were committed (after notes 5 and 10); 11-13 were rolled back.
    with sqlite3.connect(coll.db_path) as conn:
        kept = {row[0] for row in conn.execute("SELECT path FROM notes")}
        per_note = dict(
            conn.execute(
                "SELECT n.path, count(c.id) FROM notes n JOIN cards c ON c.note_id = n.id"
                " GROUP BY n.path"
            ).fetchall()
        )
    assert kept == set(stored[:10])
    monkeypatch.setattr(importer, "_store", real_store)
    report = importer.import_notes(coll, workers=1)
    assert report.imported == 24 - 10 and report.unchanged == 10 and not report.rejected
    coll.close()

    whole = tmp_path / "whole"
    whole.mkdir()
    other = Collection.open(whole / "db.sqlite3", notes)
    other.acquire_writer()
    try:
        assert importer.import_notes(other, workers=1).imported == 24
    finally:
        other.close()
    got, want = _content(coll.db_path), _content(whole / "db.sqlite3")
    assert got == want
    # The committed notes were whole: each already had all the cards it has now.
    full = {}
    for path, _kind, _anchor, _payload in want[1]:
        full[path] = full.get(path, 0) + 1
    assert all(per_note[p] == full[p] for p in kept)


def test_commits_happen_every_commit_every_notes(
    open_coll, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    notes = _notes(tmp_path / "notes", 2)  # 16 notes
    monkeypatch.setattr(importer, "COMMIT_EVERY", 4)
    calls: list[int] = []
    real = importer._commit_so_far

    def counting(session):  # type: ignore[no-untyped-def]
        calls.append(1)
        real(session)

    monkeypatch.setattr(importer, "_commit_so_far", counting)
    coll = open_coll(notes)
    assert importer.import_notes(coll, workers=1).imported == 16
    assert len(calls) == 3  # after notes 4, 8 and 12; the import's own commit ends it
