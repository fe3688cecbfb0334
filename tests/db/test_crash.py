"""Crash consistency: SIGKILL injected at each step of an answer.

A child process imports a one-note collection and answers the note card; a patched
function kills it (SIGKILL, no cleanup) at one step of the answer.  After a restart
(finish owed write-backs, re-import) the answer must be applied in both the
database and the note, or in neither; the note is never torn and no temp file stays.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from studyapp.core.frontmatter_io import load_meta
from studyapp.db.models import Card, ReviewLog
from studyapp.services.collection import Collection
from studyapp.services.eventsync import merge
from studyapp.services.importer import import_notes
from studyapp.services.writeback import finish_pending
from tests.conftest import REPO

NOTE = (
    "---\ncreated: '2025-10-01'\nlast_reviewed: null\nnext_review: '2025-10-01'\n"
    "review_count: 0\ndifficulty: medium\nmastery_level: 0.0\ntags:\n- 量化\n"
    "related_outlines: []\n---\n# INT4 量化为什么要分组？\n\n## 面试标准答案\n\n"
    "每组一个 scale，g128 约 4.125 bit/权重。\n" + "正文 [x] " * 2000 + "\n"
)

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import date
    from pathlib import Path
    from sqlalchemy import select
    from studyapp.db.models import Card
    from studyapp.services import review as review_mod, writeback
    from studyapp.services.collection import Collection
    from studyapp.services.importer import import_notes
    from studyapp.services.review import ReviewService

    db, notes, step = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    coll = Collection.open(db, notes, today_override=date(2026, 11, 25))
    coll.acquire_writer()
    import_notes(coll)

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if step == "in_transaction":
        review_mod.store_schedule = die  # the schedule update inside the transaction
    elif step == "after_log_commit":
        writeback.perform = die
    elif step == "during_temp_write":
        os.fsync = die
    elif step == "before_replace":
        os.replace = die
    elif step == "after_replace":
        writeback._store_file_state = die
    with coll.session() as s:
        card_id = s.scalar(select(Card.id).where(Card.kind == "note"))
    ReviewService(coll).record(card_id, 5, session_id="crash")
    if step == "after_done":
        die()  # the note is written, its "done" mark still owed to the next answer
    if step == "in_next_answer":
        # issue 13: the owed mark runs inside the next answer's transaction; dying
        # there loses both (that answer and the mark), never half of either
        review_mod.store_schedule = die
        ReviewService(coll).record(card_id, 4, session_id="crash")
    """
)

STEPS = [
    "in_transaction",
    "after_log_commit",
    "during_temp_write",
    "before_replace",
    "after_replace",
    "after_done",
    "in_next_answer",
]


@pytest.mark.parametrize("step", STEPS)
def test_kill_at_each_step_leaves_a_consistent_state(tmp_path: Path, step: str) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    note = notes / "int4.md"
    note.write_text(NOTE, encoding="utf-8")
    db = tmp_path / "db.sqlite3"
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), str(notes), step],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr  # it really was killed

    from datetime import date

    coll = Collection.open(db, notes, today_override=date(2026, 11, 25))
    try:
        coll.acquire_writer()
        finish_pending(coll)
        import_notes(coll)
        merge(coll)  # a start merges the event log too: an appended answer is kept
        with coll.session() as s:
            answered = s.scalar(
                select(func.count()).select_from(ReviewLog).where(ReviewLog.rescheduled)
            )
            card = s.scalar(select(Card).where(Card.kind == "note"))
            assert card is not None
            owed = s.scalar(
                select(func.count())
                .select_from(ReviewLog)
                .where(ReviewLog.writeback.in_(["pending", "deferred"]))
            )
        data = note.read_bytes()
        meta, _warnings, _parts = load_meta("int4.md", data)
        assert answered in (0, 1)
        assert card.reps == answered == meta.review_count
        assert owed == 0
        if answered:
            assert meta.next_review == card.due and meta.last_reviewed == date(2026, 11, 25)
        assert data.endswith(NOTE[NOTE.index("\n# INT4") :].encode())
        assert not list(notes.glob(".studyapp-*"))
        if step in ("in_transaction",):
            assert answered == 0
        if step in (
            "after_log_commit",
            "during_temp_write",
            "before_replace",
            "after_replace",
            "after_done",
            "in_next_answer",
        ):
            assert answered == 1
    finally:
        coll.close()
