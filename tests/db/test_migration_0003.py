"""Migration 0003 on a database shaped by today's main: old anchors mapped, no log row lost.

The old cards come from ``tests/data/main_0002_anchors.json``: every card main
(bbacbcc, the card model before issue 11) generated for the bundled notes.  The test
builds the 0002 schema with Alembic, inserts those cards with some reviews and their
log rows, upgrades, then imports the notes with today's code.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import text

from studyapp.core.cards import cards_for_note
from studyapp.core.notefile import parse_note
from studyapp.db.engine import SCHEMA_HEAD, make_engine, upgrade_schema
from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes
from tests.conftest import DATA
from tests.db.old_schema import engine_at

OLD = json.loads((DATA / "main_0002_anchors.json").read_text(encoding="utf-8"))["notes"]
INT8 = "压缩/int8-vs-int4-量化.md"
ROW = "table|详细讲解/1. 核心对比|维度,INT8,INT4|有效位宽"
GROUP = (
    "table|详细讲解/2. 有效位宽（bpw）怎么算|"
    "group size,对称（仅 scale）,非对称（scale + 4-bit zero）,特点|g128"
)


def _old(rel: str, suffix: str) -> str:
    return next(a for k, a, _s in OLD[rel] if k == "table" and a.endswith(suffix))


def _make_0002(db: Path) -> dict[str, int]:
    """The 0002 schema with main's cards for every bundled note; returns anchor -> id of INT8's."""
    engine = engine_at(db, "0002")
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        for n, (rel, cards) in enumerate(sorted(OLD.items()), 1):
            conn.execute(
                text(
                    "INSERT INTO notes (id, path, title, folder, review_count, difficulty, "
                    "mastery_level, has_frontmatter, extra_json, warnings_json, body, "
                    "body_line_offset, answer_markdown, content_sha256, mtime_ns, size, missing) "
                    "VALUES (:id, :path, 't', :folder, 0, 'medium', 0, 1, '{}', '[]', '', 0, '', "
                    "'', 0, 0, 0)"
                ),
                {"id": n, "path": rel, "folder": rel.split("/")[0]},
            )
            for kind, anchor, sibling in cards:
                cid = conn.execute(
                    text(
                        "INSERT INTO cards (note_id, kind, anchor, title, payload_json, "
                        "sibling_key, ef_milli, interval, reps, lapses, suspended, retired) "
                        "VALUES (:n, :k, :a, 'x', '{}', :s, 2500, 0, 0, 0, 0, 0) RETURNING id"
                    ),
                    {"n": n, "k": kind, "a": anchor, "s": sibling},
                ).scalar_one()
                if rel == INT8:
                    ids[anchor] = cid
    reviewed = {
        # anchor: (reps, interval, last_review, answers)
        _old(INT8, "|有效位宽|INT8|cell"): (2, 6, "2026-11-20", 2),
        _old(INT8, "|有效位宽|INT8|side"): (1, 1, "2026-11-19", 1),
        _old(INT8, "|有效位宽|INT4|side"): (1, 1, "2026-11-14", 1),
        _old(INT8, "|g128|对称（仅 scale）|side"): (1, 1, "2026-11-19", 1),
        "note": (1, 1, "2026-11-19", 1),
    }
    with engine.begin() as conn:
        for anchor, (reps, interval, last, answers) in reviewed.items():
            cid = ids[anchor]
            conn.execute(
                text(
                    "UPDATE cards SET reps = :r, interval = :i, last_review = :l, due = :l, "
                    "first_seen = :l WHERE id = :id"
                ),
                {"r": reps, "i": interval, "l": last, "id": cid},
            )
            for k in range(answers):
                conn.execute(
                    text(
                        "INSERT INTO review_log (card_id, note_id, session_id, reviewed_at, "
                        "study_day, grade, kind, cram, rescheduled, duration_ms, ef_before, "
                        "ef_after, interval_before, interval_after, reps_before, reps_after, "
                        "lapses_before, lapses_after, writeback, undone) VALUES (:c, 2, 's', "
                        "'2026-11-19 10:00:00', :l, 4, 'table', :cram, 1, 0, 2500, 2500, 0, 1, "
                        ":k, :k1, 0, 0, 'none', 0)"
                    ),
                    {"c": cid, "l": last, "k": k, "k1": k + 1, "cram": int(k == 1)},
                )
    engine.dispose()
    return ids


def test_0003_maps_old_anchors_retires_the_rest_and_keeps_every_log_row(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    ids = _make_0002(db)
    engine = make_engine(db)
    with engine.connect() as conn:
        logs_before = conn.execute(text("SELECT * FROM review_log ORDER BY id")).all()
    assert len(logs_before) == 6
    upgrade_schema(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
        # Later revisions (0004 onwards) append columns: the old columns are unchanged.
        logs_after = conn.execute(text("SELECT * FROM review_log ORDER BY id")).all()
        assert [tuple(row[: len(logs_before[0])]) for row in logs_after] == logs_before
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        row = conn.execute(
            text("SELECT id, reps, interval, retired FROM cards WHERE anchor = :a"), {"a": ROW}
        ).one()
        # The row's four old cards are one now: the most recently reviewed one keeps its id.
        assert row == (ids[_old(INT8, "|有效位宽|INT8|cell")], 2, 6, 0)
        for suffix in ("|有效位宽|INT8|side", "|有效位宽|INT4|cell", "|有效位宽|INT4|side"):
            retired = conn.execute(
                text("SELECT retired FROM cards WHERE id = :id"), {"id": ids[_old(INT8, suffix)]}
            ).scalar()
            assert retired == 1, suffix
        # A three-column table keeps one card per cell: its side card's schedule survives.
        cell = conn.execute(
            text("SELECT id, reps FROM cards WHERE anchor = :a"), {"a": GROUP + "|对称（仅 scale）"}
        ).one()
        assert cell == (ids[_old(INT8, "|g128|对称（仅 scale）|side")], 1)
        live = conn.execute(
            text("SELECT count(*) FROM cards WHERE kind = 'table' AND retired = 0")
        ).scalar()
        old_table = sum(1 for cards in OLD.values() for k, _a, _s in cards if k == "table")
        assert old_table == 366
    engine.dispose()
    assert live is not None and live < old_table

    # The next start imports the notes: every new anchor with an old card keeps it.
    # The notes as they were when the fixture's anchors were made (bbacbcc): the bundled
    # notes have been edited since, and a fact added later has no old card to map.
    notes = tmp_path / "notes"
    shutil.copytree(DATA / "notes_0002", notes)
    coll = Collection.open(
        db, notes, today_override=date(2026, 12, 1), clock=lambda: datetime(2026, 12, 1, tzinfo=UTC)
    )
    coll.acquire_writer()
    try:
        import_notes(coll)
        with coll.session() as session:
            live_cards = session.execute(
                text(
                    "SELECT notes.path, cards.anchor, cards.id, cards.reps, cards.payload_json "
                    "FROM cards JOIN notes ON notes.id = cards.note_id "
                    "WHERE cards.retired = 0 AND cards.kind = 'table'"
                )
            ).all()
            logs_after = session.execute(text("SELECT count(*) FROM review_log")).scalar()
    finally:
        coll.close()
    assert logs_after == 6
    expected = set()
    for path in sorted(notes.rglob("*.md")):
        rel = path.relative_to(notes).as_posix()
        expected |= {
            (rel, c.anchor)
            for c in cards_for_note(parse_note(rel, path.read_bytes()))
            if c.kind == "table"
        }
    assert {(p, a) for p, a, _i, _r, _j in live_cards} == expected
    by_anchor = {a: (i, r, json.loads(j)) for _p, a, i, r, j in live_cards}
    assert by_anchor[ROW][:2] == (ids[_old(INT8, "|有效位宽|INT8|cell")], 2)
    assert by_anchor[ROW][2]["mode"] == "row"  # payload regenerated by the import
    # Every new card whose fact existed before reuses an old card (no fresh duplicate).
    old_ids = set(range(1, 1 + sum(len(c) for c in OLD.values())))
    mapped = [i for _p, _a, i, _r, _j in live_cards if i in old_ids]
    assert len(mapped) == len(live_cards)
