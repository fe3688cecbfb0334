"""``stats()``' card counts and lists equal a full recount after every kind of change.

``stats()`` derives the active and new card counts from the table's b-tree count and the
small retired / suspended / scheduled index ranges, reads scheduled cards as driver rows
and "hardest" through a partial index (issue 13).  These must give what a plain scan of
every card gives, after answers, undo, suspend, bury, reset, a re-import and an
event-log rebuild.
"""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

from sqlalchemy import text

from studyapp.services import eventsync
from studyapp.services.importer import import_notes
from studyapp.services.queries import stats
from studyapp.services.review import ReviewService, new_session_id

GENERATE = Path(__file__).resolve().parents[2] / "bench" / "generate.py"


def _generate_notes(root: Path, n: int) -> None:
    spec = importlib.util.spec_from_file_location("bench_generate_counts", GENERATE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(root, n, 7)


def _recount(coll) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The figures by full scans (NOT INDEXED: no index is trusted)."""
    with coll.session() as session:
        conn = session.connection()
        cards, new = conn.execute(
            text(
                "SELECT count(*), coalesce(sum(suspended = 0 AND due IS NULL), 0)"
                " FROM cards NOT INDEXED WHERE retired = 0"
            )
        ).one()
        scheduled = conn.execute(
            text(
                "SELECT due, interval FROM cards NOT INDEXED WHERE retired = 0"
                " AND suspended = 0 AND due IS NOT NULL AND (note_id IS NULL OR note_id"
                " NOT IN (SELECT id FROM notes WHERE missing = 1))"
            )
        ).all()
        hardest = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT id FROM cards NOT INDEXED WHERE retired = 0"
                    " AND last_review IS NOT NULL AND (lapses > 0 OR reps = 0)"
                    " ORDER BY lapses DESC, reps = 0 DESC, ef_milli, id LIMIT 10"
                )
            )
        ]
    return {
        "cards": cards,
        "new": new,
        "overdue": sum(1 for d, _i in scheduled if date.fromisoformat(d) < coll.today()),
        "scheduled": len(scheduled),
        "hardest": hardest,
    }


def _check(coll) -> None:  # type: ignore[no-untyped-def]
    s = stats(coll)
    got = {
        "cards": s.cards,
        "new": s.new_available,
        "overdue": s.overdue,
        "scheduled": sum(s.interval_histogram.values()),
        "hardest": [h["card_id"] for h in s.hardest],
    }
    assert got == _recount(coll)


def test_stats_counts_equal_a_full_recount(open_coll, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    notes = tmp_path / "notes"
    _generate_notes(notes, 30)
    coll = open_coll(notes)
    import_notes(coll)
    _check(coll)
    svc = ReviewService(coll)
    session_id = new_session_id()
    queue = svc.due_items()
    assert len(queue) > 12
    for n, item in enumerate(queue[:12]):
        svc.record(item.card_id, 1 if n % 3 == 0 else 4, session_id=session_id)
    _check(coll)
    assert svc.undo_last(session_id) is not None
    _check(coll)
    later = svc.due_items()
    svc.set_suspended(later[0].card_id, True)
    _check(coll)
    svc.bury(later[1].card_id)
    _check(coll)
    noted = next(i for i in later[2:] if i.note_id is not None)
    assert noted.note_id is not None
    svc.bury_note(noted.note_id)
    _check(coll)
    answered = queue[1]
    assert answered.note_id is not None
    svc.reset_note(answered.note_id)
    _check(coll)
    # A note removed and one edited: the importer retires their cards.
    files = sorted(notes.rglob("*.md"))
    files[0].unlink()
    files[1].write_text(files[1].read_text(encoding="utf-8") + "\n\nmore text\n", encoding="utf-8")
    import_notes(coll)
    _check(coll)
    svc.set_suspended(later[0].card_id, False)
    _check(coll)
    eventsync.rebuild(coll)
    _check(coll)
