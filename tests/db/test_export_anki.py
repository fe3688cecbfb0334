"""``studyapp export anki``: the package is checked by importing it with Anki's own library.

What a phone user relies on: every note and table card arrives once, with its fields
and hierarchical tags, note text stays text, and exporting again after editing a note
updates the Anki notes instead of duplicating them (stable GUIDs from card anchors).
Skipped where the ``anki`` package (test extra) is not installed.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from studyapp.cli.main import main
from studyapp.core.table_store import view_payload
from studyapp.services.collection import Collection
from studyapp.services.export_anki import anki_tag, export_anki, guid_source
from studyapp.services.importer import import_notes

anki_collection = pytest.importorskip("anki.collection")
genanki = pytest.importorskip("genanki")

HOSTILE = """---
tags:
- 测试/子 标签
---
# <script>alert(1)</script> [bold]x[/bold]

## 面试标准答案

Keep <b>this</b> literal and [@click=app.quit]boom[/].

| 项 | 边缘 | 云端 |
| --- | --- | --- |
| 内存 | 小 | 大 |
| 功耗 | 低 | 高 |
"""


T0 = 1_790_000_000.0  # export times are injected: Anki updates a note only if newer


def anki_import(apkg: Path, target: Path) -> anki_collection.Collection:
    """Import with Anki's default options (update notes "if newer"), as a user would."""
    target.parent.mkdir(parents=True, exist_ok=True)
    col = anki_collection.Collection(str(target))
    from anki.import_export_pb2 import ImportAnkiPackageOptions

    col.import_anki_package(
        anki_collection.ImportAnkiPackageRequest(
            package_path=str(apkg), options=ImportAnkiPackageOptions()
        )
    )
    return col


def studyapp_cards(coll: Collection) -> list[tuple[str, str, str, dict]]:  # type: ignore[type-arg]
    from sqlalchemy import select

    from studyapp.db.models import Card, Note

    with coll.session() as session:
        rows = session.execute(
            select(Card.kind, Card.anchor, Note.path, Card.payload_json, Note.tables_json)
            .join(Note)
            .where(Card.kind.in_(("note", "table")), Card.retired.is_(False))
        ).all()
    # The full payload a card shows (a table card's stored one is compact).
    return [(k, a, p, view_payload(j, t)) for k, a, p, j, t in rows]


def test_tags_keep_their_hierarchy_as_anki_wants() -> None:
    assert anki_tag("精通大模型压缩技术/子 主题") == "精通大模型压缩技术::子_主题"
    assert anki_tag("a//b/") == "a::b"


def test_export_imports_into_anki_once_and_updates_on_reexport(
    coll: Collection, notes_dir: Path, tmp_path: Path
) -> None:
    (notes_dir / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    import_notes(coll)
    cards = studyapp_cards(coll)
    n_note = sum(1 for c in cards if c[0] == "note")
    n_table = len(cards) - n_note
    assert n_note >= 9 and n_table > n_note

    report = export_anki(coll, tmp_path / "one.apkg", timestamp=T0)
    assert (report.note_cards, report.table_cards) == (n_note, n_table)
    col = anki_import(tmp_path / "one.apkg", tmp_path / "anki" / "collection.anki2")
    try:
        assert col.note_count() == len(cards)
        assert col.card_count() == len(cards)

        def by_guid(path: str, anchor: str):  # type: ignore[no-untyped-def]
            guid = genanki.guid_for(guid_source(path, anchor))
            ids = col.db.list("select id from notes where guid = ?", guid)
            assert len(ids) == 1, (path, anchor)
            return col.get_note(ids[0])

        hostile = by_guid("hostile.md", "note")
        assert hostile.note_type()["name"] == "studyapp note card"  # type: ignore[index]
        question = next(c[3]["question"] for c in cards if c[2] == "hostile.md" and c[0] == "note")
        assert hostile["Question"] == html.escape(question)
        assert "[bold]x[/bold]" in question and "<script>" not in hostile["Question"]
        assert "&lt;b&gt;this&lt;/b&gt;" in hostile["Answer"]  # raw HTML stays text
        assert "[@click=app.quit]boom[/]" in hostile["Answer"]
        assert "<script>" not in hostile["Answer"]
        assert hostile.tags == ["测试::子_标签"]

        _kind, anchor, path, payload = next(
            c for c in cards if c[0] == "table" and c[2] == "hostile.md"
        )
        table = by_guid(path, anchor)
        assert table.note_type()["name"] == "studyapp table card"  # type: ignore[index]
        assert html.escape(str(payload["answer_display"])) in table["Back"]
        assert '<td class="answer">' in table["Context"] and "<table>" in table["Context"]

        gguf = next(c for c in cards if c[0] == "note" and "gguf" in c[2])
        note = by_guid(gguf[2], "note")
        assert "精通大模型压缩技术" in note.tags
        assert any(t.startswith("精通大模型压缩技术::GGUF_是什么") for t in note.tags)
        assert "<p>" in note["Answer"] and "4.5 bpw" in note["Answer"]
    finally:
        col.close()

    # Edit the answer, re-import, export again: the same Anki notes change, none is added.
    text = (notes_dir / "hostile.md").read_text(encoding="utf-8")
    (notes_dir / "hostile.md").write_text(text.replace("Keep", "Now keep"), encoding="utf-8")
    import_notes(coll)
    export_anki(coll, tmp_path / "two.apkg", timestamp=T0 + 60)
    col = anki_import(tmp_path / "two.apkg", tmp_path / "anki" / "collection.anki2")
    try:
        assert col.note_count() == len(cards)
        assert col.card_count() == len(cards)
        guid = genanki.guid_for(guid_source("hostile.md", "note"))
        ids = col.db.list("select id from notes where guid = ?", guid)
        assert len(ids) == 1
        assert "Now keep" in col.get_note(ids[0])["Answer"]
    finally:
        col.close()


def test_export_by_tag_and_the_command(
    coll: Collection, notes_dir: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    (notes_dir / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    import_notes(coll)
    only = export_anki(coll, tmp_path / "tag.apkg", tag="测试")
    hostile = [c for c in studyapp_cards(coll) if c[2] == "hostile.md"]
    n_table = sum(1 for c in hostile if c[0] == "table")
    assert n_table >= 4 and (only.note_cards, only.table_cards) == (1, n_table)
    coll.close()
    db = tmp_path / "db.sqlite3"
    args = ["--db", str(db), "--notes", str(notes_dir), "export", "anki"]
    assert main([*args, str(tmp_path / "cli.apkg"), "--tag", "测试"]) == 0
    assert f"Wrote {1 + n_table} Anki notes" in capsys.readouterr().out
    assert main([*args, str(tmp_path / "cli.txt")]) == 2
    assert "must end in .apkg" in capsys.readouterr().err
    assert main([*args, str(tmp_path / "none.apkg"), "--tag", "no-such-tag"]) == 1
