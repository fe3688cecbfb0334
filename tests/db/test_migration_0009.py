"""Migration 0009 (tables stored once): a 0007 database with full payloads converts.

The test builds the 0007 schema with Alembic and fills it the way the importer before
0009 did: every card of the bundled notes with its full payload, the notes' stat and
hash (so the files look unchanged), some reviewed cards with log rows and a retired
card.  After the upgrade, the next import re-derives every note (its
``parsed_version`` is older) although no file changed: every card keeps its id and
schedule, no log row is lost, and the table cards end with compact payloads that
expand to the same views.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import text

from studyapp.core.cards import cards_for_note
from studyapp.core.frontmatter_io import sha256_hex
from studyapp.core.notefile import parse_note
from studyapp.core.table_store import CARD_GENERATOR_VERSION, is_compact, view_payload
from studyapp.db.engine import SCHEMA_HEAD, make_engine, upgrade_schema
from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes
from studyapp.services.queries import card_rows
from studyapp.services.review import ReviewService
from tests.conftest import REPO
from tests.db.old_schema import engine_at

RETIRED = {"mode": "cell", "answer": "old", "presentations": ["recall"], "sibling_key": "x|y"}


def _make_0007(db: Path, notes: Path) -> None:
    engine = engine_at(db, "0007")
    with engine.begin() as conn:
        for n, path in enumerate(sorted(notes.rglob("*.md")), 1):
            rel = path.relative_to(notes).as_posix()
            data = path.read_bytes()
            st = path.stat()
            parsed = parse_note(rel, data)
            conn.execute(
                text(
                    "INSERT INTO notes (id, path, title, folder, review_count, difficulty, "
                    "mastery_level, has_frontmatter, extra_json, warnings_json, body, "
                    "body_line_offset, answer_markdown, content_sha256, mtime_ns, size, "
                    "missing) VALUES (:id, :path, :title, :folder, 0, 'medium', 0, 1, '{}', "
                    "'[]', :body, 0, '', :sha, :mtime, :size, 0)"
                ),
                {
                    "id": n,
                    "path": rel,
                    "title": parsed.title,
                    "folder": rel.rsplit("/", 1)[0] if "/" in rel else "",
                    "body": parsed.body,
                    "sha": sha256_hex(data),
                    "mtime": st.st_mtime_ns,
                    "size": st.st_size,
                },
            )
            for spec in cards_for_note(parsed):  # full payloads, as before 0009
                conn.execute(
                    text(
                        "INSERT INTO cards (note_id, kind, anchor, title, payload_json, "
                        "sibling_key, ef_milli, interval, reps, lapses, suspended, retired) "
                        "VALUES (:n, :k, :a, :t, :p, :s, 2500, 0, 0, 0, 0, 0)"
                    ),
                    {
                        "n": n,
                        "k": spec.kind,
                        "a": spec.anchor,
                        "t": spec.title,
                        "p": json.dumps(spec.payload, ensure_ascii=False),
                        "s": str(spec.payload.get("sibling_key", "")),
                    },
                )
            if n == 1:
                conn.execute(
                    text(
                        "INSERT INTO cards (note_id, kind, anchor, title, payload_json, "
                        "sibling_key, ef_milli, interval, reps, lapses, suspended, retired) "
                        "VALUES (1, 'table', 'table|gone|a,b|x|b', 'x', :p, 'x|y', 2500, 3, 2, "
                        "0, 0, 1)"
                    ),
                    {"p": json.dumps(RETIRED)},
                )
        # Every third table card reviewed, with two log rows each.
        reviewed = conn.execute(
            text(
                "SELECT id, note_id FROM cards WHERE kind = 'table' AND retired = 0 AND id % 3 = 0"
            )
        ).all()
        for cid, note_id in reviewed:
            conn.execute(
                text(
                    "UPDATE cards SET reps = 2, interval = 6, ef_milli = 2360, lapses = 1, "
                    "last_review = '2026-11-20', due = '2026-11-26', first_seen = '2026-11-14' "
                    "WHERE id = :id"
                ),
                {"id": cid},
            )
            for k in range(2):
                conn.execute(
                    text(
                        "INSERT INTO review_log (card_id, note_id, session_id, reviewed_at, "
                        "study_day, grade, kind, cram, rescheduled, duration_ms, ef_before, "
                        "ef_after, interval_before, interval_after, reps_before, reps_after, "
                        "lapses_before, lapses_after, writeback, undone) VALUES (:c, :n, 's', "
                        "'2026-11-20 10:00:00', '2026-11-20', 4, 'table', 0, 1, 0, 2500, 2360, "
                        ":k, 6, :k, :k1, 0, 1, 'none', 0)"
                    ),
                    {"c": cid, "n": note_id, "k": k, "k1": k + 1},
                )
    engine.dispose()


def _cards(conn) -> list[tuple]:  # type: ignore[no-untyped-def, type-arg]
    return conn.execute(
        text(
            "SELECT id, note_id, kind, anchor, title, sibling_key, ef_milli, interval, reps, "
            "lapses, due, last_review, first_seen, suspended, retired FROM cards ORDER BY id"
        )
    ).all()


def test_0009_reimport_makes_payloads_compact_and_keeps_ids_schedules_and_logs(
    tmp_path: Path,
) -> None:
    notes = tmp_path / "notes"
    shutil.copytree(REPO / "notes", notes)
    db = tmp_path / "old.sqlite3"
    _make_0007(db, notes)
    engine = make_engine(db)
    with engine.connect() as conn:
        logs_before = conn.execute(text("SELECT * FROM review_log ORDER BY id")).all()
        cards_before = _cards(conn)
        full_before = dict(
            conn.execute(text("SELECT id, payload_json FROM cards ORDER BY id")).all()
        )
    assert len(logs_before) > 50
    upgrade_schema(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
        assert set(conn.execute(text("SELECT parsed_version FROM notes")).scalars()) == {1}
        assert conn.execute(text("SELECT * FROM review_log ORDER BY id")).all() == logs_before
        # Before the re-import, the old payloads are read as they are.
    engine.dispose()

    coll = Collection.open(
        db, notes, today_override=date(2026, 12, 1), clock=lambda: datetime(2026, 12, 1, tzinfo=UTC)
    )
    coll.acquire_writer()
    try:
        view = ReviewService(coll).card(next(c[0] for c in cards_before if c[2] == "table"))
        assert view.payload == json.loads(full_before[view.id])
        report = import_notes(coll)
        assert not report.rejected
        # No file changed, yet every note was re-derived by the newer card generator.
        assert report.updated == len(list(notes.rglob("*.md"))) and report.unchanged == 0
        with coll.engine.connect() as conn:
            assert conn.execute(text("SELECT * FROM review_log ORDER BY id")).all() == logs_before
            # Same ids, anchors, schedules, retired flags (the calc deck is added after them).
            assert [c for c in _cards(conn) if c[1] is not None] == cards_before
            assert set(conn.execute(text("SELECT parsed_version FROM notes")).scalars()) == {
                CARD_GENERATOR_VERSION
            }
            stored = conn.execute(
                text(
                    "SELECT c.id, c.kind, c.retired, c.payload_json, n.tables_json FROM cards c "
                    "JOIN notes n ON n.id = c.note_id ORDER BY c.id"  # not the calc deck
                )
            ).all()
        for cid, kind, retired, payload_json, tables_json in stored:
            old = json.loads(full_before[cid])
            if kind == "table" and not retired:
                assert is_compact(json.loads(payload_json))
                assert len(payload_json) < len(full_before[cid]) / 3
            assert view_payload(payload_json, tables_json) == old, cid
        service = ReviewService(coll)
        for cid in list(full_before)[::7]:
            assert service.card(cid).payload == json.loads(full_before[cid])
        rows = {r["card_id"]: r["payload"] for r in card_rows(coll) if r["kind"] != "calc"}
        assert rows and all(rows[cid] == json.loads(full_before[cid]) for cid in rows)
        # The next import finds nothing to do.
        again = import_notes(coll)
        assert again.updated == again.imported == 0
    finally:
        coll.close()


def test_a_retired_compact_card_keeps_what_it_showed(tmp_path: Path) -> None:
    """A card retired by an edit of its table gets its full payload (its table is gone)."""
    notes = tmp_path / "notes"
    notes.mkdir()
    note = notes / "n.md"
    note.write_text(
        "# 标题\n\n## 表\n\n| 项目 | A | B |\n|---|---|---|\n| 甲 | 1 GB | 2% |\n| 乙 | 3 GB | 4% |\n"
        "| 丙 | 5 GB | 6% |\n",
        encoding="utf-8",
    )
    coll = Collection.open(
        tmp_path / "db.sqlite3",
        notes,
        today_override=date(2026, 12, 1),
        clock=lambda: datetime(2026, 12, 1, tzinfo=UTC),
    )
    coll.acquire_writer()
    try:
        import_notes(coll)
        before = {r["anchor"]: (r["card_id"], r["payload"]) for r in card_rows(coll)}
        note.write_text(
            "# 标题\n\n## 表\n\n| 项目 | A | C |\n|---|---|---|\n| 丁 | 7 GB | 8% |\n"
            "| 乙 | 9 GB | 10% |\n",
            encoding="utf-8",
        )
        import_notes(coll)
        service = ReviewService(coll)
        with coll.engine.connect() as conn:
            retired = dict(
                conn.execute(text("SELECT id, payload_json FROM cards WHERE retired = 1")).all()
            )
        assert retired
        for _anchor, (cid, payload) in before.items():
            if cid in retired:
                assert not is_compact(json.loads(retired[cid]))
                assert service.card(cid).payload == payload
    finally:
        coll.close()
