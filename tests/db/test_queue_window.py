"""The windowed due queue serves the cards of the full queue, in the same order.

``DueQueue.due_items`` used to read every due card, bury siblings and spread the whole
list (137 ms at 300k cards); now it counts the queue over the index and reads the due
cards window by window (services/queue.py, core.session.LazySpread).  On seeded random
collections (siblings, buried, suspended, retired, missing notes, calc cards, new cards,
heavy notes, today's answers, cram and undone answers) with every bury mode, filters,
daily limits and tiny windows, the windowed queue must equal the full one built the old
way, card for card, and its length and kind counts must match a full recount.
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import String, type_coerce

from studyapp.core.session import QueueItem, ReviewSession, build_queue, bury_siblings, note_key
from studyapp.db.models import Card
from studyapp.services import queue as queue_mod
from studyapp.services.collection import Collection
from studyapp.services.review import ReviewService

from .conftest import TODAY


def _fill(db: Path, rng: random.Random) -> None:
    """A random collection straight into the tables (as bench/bench_queue.py does)."""
    con = sqlite3.connect(db)
    notes = rng.randint(5, 60)
    now = datetime(2026, 11, 25, 12, 0)
    with con:
        con.executemany(
            "INSERT INTO notes (id, path, title, folder, created, review_count, difficulty,"
            " mastery_level, has_frontmatter, extra_json, warnings_json, body, body_line_offset,"
            " answer_markdown, content_sha256, mtime_ns, size, missing, imported_at)"
            " VALUES (?, ?, ?, ?, ?, 0, 'medium', 0.0, 1, '{}', '[]', '', 12, '', ?, 0, 0, ?, ?)",
            [
                (
                    i,
                    f"f{i % 3}/n{i}.md",
                    f"q{i}",
                    f"f{i % 3}",
                    "2026-01-01",
                    f"{i:064x}",
                    int(rng.random() < 0.05),
                    now,
                )
                for i in range(1, notes + 1)
            ],
        )
        cards: list[tuple[Any, ...]] = []
        heavy = rng.randint(1, notes) if rng.random() < 0.5 else None

        def add(note_id: int | None, kind: str, anchor: str, sibling: str) -> None:
            cid = len(cards) + 1
            r = rng.random()
            if r < 0.4:
                due: str | None = None  # new
            else:
                due = (
                    TODAY + timedelta(days=rng.choice((-9, -3, -1, -1, 0, 0, 0, 1, 4)))
                ).isoformat()
            buried = rng.choice(
                (None,) * 8 + (TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1))
            )
            cards.append(
                (
                    cid,
                    note_id,
                    kind,
                    anchor,
                    f"card {cid}",
                    "{}",
                    sibling,
                    2500,
                    3,
                    1 if due else 0,
                    0,
                    due,
                    due,
                    due,
                    int(rng.random() < 0.05),
                    buried.isoformat() if buried else None,
                    int(rng.random() < 0.03),
                )
            )

        for note_id in range(1, notes + 1):
            add(note_id, "note", "note", "")
            n_cards = 60 if note_id == heavy else rng.randint(0, 12)
            rows = rng.randint(1, 4)
            for k in range(n_cards):
                add(note_id, "table", f"t|r{k}", f"t|r{k % rows}" if rng.random() < 0.9 else "")
        for k in range(rng.randint(0, 15)):
            add(None, "calc", f"calc{k}", "calc")
        con.executemany(
            "INSERT INTO cards (id, note_id, kind, anchor, title, payload_json, sibling_key,"
            " ef_milli, interval, reps, lapses, due, last_review, first_seen, suspended,"
            " buried_until, retired) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            cards,
        )
        logs = []
        for i in range(1, rng.randint(0, 80) + 1):
            cid = rng.randint(1, len(cards))
            note_id = cards[cid - 1][1]
            day = TODAY - timedelta(days=rng.choice((0, 0, 0, 1, 5)))
            logs.append(
                (
                    i,
                    cid,
                    note_id,
                    "s1",
                    f"{day.isoformat()} 09:00:00",
                    day.isoformat(),
                    rng.randint(0, 5),
                    cards[cid - 1][2],
                    int(rng.random() < 0.1),
                    int(rng.random() < 0.8),
                    4000,
                    2500,
                    2500,
                    1,
                    6,
                    1,
                    2,
                    0,
                    0,
                    "none",
                    int(rng.random() < 0.1),
                    None if rng.random() < 0.5 else "2026-01-01",
                )
            )
        con.executemany(
            "INSERT INTO review_log (id, card_id, note_id, session_id, reviewed_at, study_day,"
            " grade, kind, cram, rescheduled, duration_ms, ef_before, ef_after, interval_before,"
            " interval_after, reps_before, reps_after, lapses_before, lapses_after, writeback,"
            " undone, first_seen_before) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            logs,
        )
    con.close()


def full_queue(svc: ReviewService, kind: str | None, folder: str | None) -> list[QueueItem]:
    """The queue the old way: every due card read, buried and spread as one list."""
    settings = svc.coll.settings
    mode = settings.bury_siblings
    with svc.coll.session() as session:
        base = svc._queue_base(TODAY, kind, None, folder)
        rows = session.execute(
            base.with_only_columns(
                Card.id, Card.note_id, Card.kind, type_coerce(Card.due, String), Card.sibling_key
            )
            .where(Card.due.is_not(None), Card.due <= TODAY)
            .order_by(Card.due, Card.id)
        ).all()
        due_all = [QueueItem(c, n, k, date.fromisoformat(d), s) for c, n, k, d, s in rows]
        log = svc._answered_today(session, TODAY)
        wanted = max(0, settings.new_per_day - len(log.new_cards))
        due, seen = bury_siblings(due_all, mode, log.bury_keys(mode))
        new = svc._new_items(session, base, kind, wanted, log, lambda _ids: seen) if wanted else []
    return build_queue(due, new, len(new), 0, key=note_key)


def _grades(rng: random.Random, session: ReviewSession) -> list[int]:
    seen = []
    while (item := session.current()) is not None and len(seen) < 400:
        seen.append(item.card_id)
        action = rng.random()
        if action < 0.1:
            session.skip()
        elif action < 0.15 and session.can_undo:
            session.undo()
        else:
            session.answer(rng.choice((2, 4, 5, 5)))
    return seen


@pytest.mark.parametrize("seed", range(40))
def test_windowed_queue_is_the_full_queue(
    open_coll, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    notes = tmp_path / "notes"
    notes.mkdir()
    coll: Collection = open_coll(notes)
    _fill(tmp_path / "db.sqlite3", rng)
    settings = coll.settings
    settings.bury_siblings = rng.choice(("row", "row", "note", "off"))
    settings.new_per_day = rng.choice((0, 3, 20))
    settings.new_per_note = rng.choice((1, 2, 6))
    settings.calc_in_review = rng.random() < 0.7
    coll.save_settings(settings)
    svc = ReviewService(coll)
    for kind, folder in ((None, None), (rng.choice(("table", "calc", "note")), None), (None, "f1")):
        expected = full_queue(svc, kind, folder)
        for window, small in ((2, -1), (5, -1), (64, -1), (512, 4096)):
            # small -1: every day is counted and read in windows; 4096: these are read whole
            monkeypatch.setattr(queue_mod, "_WINDOW", window)
            monkeypatch.setattr(queue_mod, "_SMALL", small)
            view = svc.due_items(kind=kind, folder=folder, today=TODAY)
            assert len(view) == len(expected)  # counted, before anything is read
            k = rng.randint(0, len(expected) + 2)
            assert view[:k] == expected[:k]
            assert list(view) == expected and len(view) == len(expected)
            for counts_only in (False, True):
                counted = svc.due_queue(
                    kind=kind, folder=folder, today=TODAY, counts_only=counts_only
                )
                assert counted.kind_counts() == Counter(i.kind for i in expected)
                assert len(counted) == len(expected)
                assert list(counted) == expected
            assert svc.due_items(kind=kind, folder=folder, limit=7, today=TODAY) == expected[:7]
            # A session over the lazy queue shows the cards a session over the list shows.
            lazy = ReviewSession(svc.due_items(kind=kind, folder=folder, today=TODAY))
            assert lazy.progress == (0, len(expected))
            whole = ReviewSession(expected)
            assert _grades(random.Random(seed), lazy) == _grades(random.Random(seed), whole)
            assert lazy.progress == whole.progress and lazy.summary() == whole.summary()


def test_skip_note_on_a_lazy_queue_drops_the_whole_note(
    open_coll, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    notes = tmp_path / "notes"
    notes.mkdir()
    coll: Collection = open_coll(notes)
    _fill(tmp_path / "db.sqlite3", random.Random(3))
    settings = coll.settings
    settings.bury_siblings = "off"
    coll.save_settings(settings)
    monkeypatch.setattr(queue_mod, "_WINDOW", 2)
    monkeypatch.setattr(queue_mod, "_SMALL", -1)
    svc = ReviewService(coll)
    expected = full_queue(svc, None, None)
    note_id = next(i.note_id for i in expected if i.note_id is not None)
    lazy, whole = ReviewSession(svc.due_items(today=TODAY)), ReviewSession(expected)
    for session in (lazy, whole):
        while (item := session.current()) is not None and item.note_id != note_id:
            session.answer(5)
    assert lazy.skip_note(note_id) == whole.skip_note(note_id)
    assert lazy.upcoming == whole.upcoming and lazy.progress == whole.progress
    lazy.undo()
    whole.undo()
    assert lazy.upcoming == whole.upcoming
