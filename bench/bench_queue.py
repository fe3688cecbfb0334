"""Benchmark: building today's due queue on a big collection.

A fresh database (schema by the real migrations) is filled directly with
``executemany`` (cached per size in the work dir): 10,000 notes, 100,000 cards (10 per note: 1 note card, 9 table
cards; 60 % reviewed with due dates spread over -30..+120 days, the rest new) and
1,000,000 review-log rows over the last two years.  Timed:
``ReviewService.due_items()`` (best and median of 7, after one warm-up call): the queue
ready to serve (its length and first window); reading all of it is ``read_all_ms``.
Scaling rows: 30k cards / 300k log rows, 100k / 1M and 300k / 3M (the target's
size).  Target <= 50 ms at 300k cards.  Baseline: ``SELECT count(*) FROM cards`` through the same engine.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import TODAY, drop_cache, fixed_clock, result, work_dir

NOTES = 10_000
CARDS_PER_NOTE = 10
LOG_ROWS = 1_000_000
TARGET_MS = 50.0
RUNS = 7
BUILD_VERSION = 1  # bump when build() changes, so cached databases are rebuilt


def build(db: Path, seed: int = 11, notes: int = NOTES, log_rows: int = LOG_ROWS) -> dict[str, int]:
    import sqlite3

    from studyapp.db.engine import open_engine

    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    open_engine(db).dispose()  # the real schema
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode = OFF")  # bulk load; WAL again below
    con.execute("PRAGMA synchronous = OFF")
    now = datetime(2026, 11, 25, 12, 0)
    with con:
        con.executemany(
            "INSERT INTO notes (id, path, title, folder, created, review_count, difficulty,"
            " mastery_level, has_frontmatter, extra_json, warnings_json, body, body_line_offset,"
            " answer_markdown, content_sha256, mtime_ns, size, missing, imported_at)"
            " VALUES (?, ?, ?, ?, ?, 0, 'medium', 0.0, 1, '{}', '[]', '', 12, '', ?, 0, 0, 0, ?)",
            (
                (
                    i,
                    f"f{i % 50}/n{i}.md",
                    f"question {i}",
                    f"f{i % 50}",
                    "2026-01-01",
                    f"{i:064x}",
                    now,
                )
                for i in range(1, notes + 1)
            ),
        )
        cards = []
        card_id = 0
        for note_id in range(1, notes + 1):
            for k in range(CARDS_PER_NOTE):
                card_id += 1
                kind = "note" if k == 0 else "table"
                if rng.random() < 0.6:
                    due = (TODAY + timedelta(days=rng.randint(-30, 120))).isoformat()
                    last = (TODAY - timedelta(days=rng.randint(1, 60))).isoformat()
                    reps, interval = rng.randint(1, 8), rng.randint(1, 90)
                else:
                    due = last = None
                    reps = interval = 0
                cards.append(
                    (
                        card_id,
                        note_id,
                        kind,
                        "note" if k == 0 else f"table|t|h|r{k}|c|cell",
                        f"card {card_id}",
                        "{}",
                        "" if k == 0 else f"n{note_id}|r{k // 3}",
                        2500,
                        interval,
                        reps,
                        0,
                        due,
                        last,
                        last,
                        0,
                        None,
                        0,
                    )
                )
        con.executemany(
            "INSERT INTO cards (id, note_id, kind, anchor, title, payload_json, sibling_key,"
            " ef_milli, interval, reps, lapses, due, last_review, first_seen, suspended,"
            " buried_until, retired) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            cards,
        )
        total_cards = card_id

        def logs() -> Any:
            for i in range(1, log_rows + 1):
                cid = rng.randint(1, total_cards)
                day = TODAY - timedelta(days=rng.randint(0, 730))
                yield (
                    i,
                    cid,
                    (cid - 1) // CARDS_PER_NOTE + 1,
                    f"s{i // 50}",
                    datetime(day.year, day.month, day.day, 9, 0).isoformat(sep=" "),
                    day.isoformat(),
                    rng.randint(0, 5),
                    "table",
                    0,
                    1,
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
                    0,
                )

        con.executemany(
            "INSERT INTO review_log (id, card_id, note_id, session_id, reviewed_at, study_day,"
            " grade, kind, cram, rescheduled, duration_ms, ef_before, ef_after, interval_before,"
            " interval_after, reps_before, reps_after, lapses_before, lapses_after, writeback,"
            " undone) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            logs(),
        )
    con.execute("PRAGMA journal_mode = WAL")
    con.close()
    return {"notes": notes, "cards": total_cards, "log_rows": log_rows}


#: (notes, log rows) per scaling row: 30k / 100k / 300k cards at 10 cards per note.
SCALES = ((3_000, 300_000), (10_000, 1_000_000), (30_000, 3_000_000))


def cached(notes: int, log_rows: int) -> tuple[Path, dict[str, int], float]:
    """The synthetic database of this size, built once and kept in the work dir."""
    db = work_dir() / f"queue-{notes}-{log_rows}-v{BUILD_VERSION}.sqlite3"
    stamp = Path(str(db) + ".done")
    sizes = {"notes": notes, "cards": notes * CARDS_PER_NOTE, "log_rows": log_rows}
    if stamp.is_file() and db.is_file():
        return db, sizes, 0.0
    start = time.perf_counter()
    sizes = build(db, notes=notes, log_rows=log_rows)
    stamp.write_text("ok\n")
    return db, sizes, time.perf_counter() - start


def run(quick: bool) -> list[dict[str, Any]]:
    """The scaling rows (30k / 100k / 300k cards); the 300k row is the target's figure."""
    rows = []
    for notes, log_rows in SCALES:
        rows.extend(measure(notes, log_rows))
    return rows


def measure(notes: int, log_rows: int) -> list[dict[str, Any]]:
    from sqlalchemy import func, select

    from studyapp.db.models import Card
    from studyapp.services.collection import Collection
    from studyapp.services.review import ReviewService

    db, sizes, build_s = cached(notes, log_rows)
    drop_cache(db)
    coll = Collection.open(db, work_dir(), today_override=TODAY, clock=fixed_clock)
    try:
        svc = ReviewService(coll)
        queue = svc.due_items()  # warm-up: page cache, settings, statement cache
        times: list[float] = []
        while len(times) < RUNS and not (len(times) >= 3 and sum(times) > 5000):
            t0 = time.perf_counter()
            queue = svc.due_items()
            times.append(1000 * (time.perf_counter() - t0))
        # The queue is read window by window as a session reaches its cards: reading all
        # of it (e.g. ``studyapp due --json``) is timed apart.
        full: list[float] = []
        for _ in range(3):
            t0 = time.perf_counter()
            length = len(list(svc.due_items()))
            full.append(1000 * (time.perf_counter() - t0))
        base = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            with coll.session() as session:
                session.scalar(select(func.count()).select_from(Card))
            base.append(1000 * (time.perf_counter() - t0))
    finally:
        coll.close()
    med = statistics.median(times)
    return [
        result(
            f"due queue, due_items() ({sizes['cards']:,} cards, {sizes['log_rows']:,} log rows)",
            med,
            "ms",
            "SELECT count(*) FROM cards",
            statistics.median(base),
            TARGET_MS,
            key=f"due queue, {sizes['cards'] // 1000}k cards",
            cards=sizes["cards"],
            best_ms=min(times),
            baseline_best_ms=min(base),
            runs=len(times),
            queue_length=len(queue),
            build_s=build_s,
            read_all_ms=statistics.median(full),
            read_all_length=length,
        )
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
