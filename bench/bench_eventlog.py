"""Benchmark: the event log's cost in the answer path, and ``rebuild`` from 100,000 answers.

1. Append: 300 answers through ``ReviewService.record`` on a copy of the sample notes;
   the time spent inside ``eventlog.log_answer_raw`` (the answer path runs on the
   driver connection: row read-back, event id, JSON line, append, index row) is
   measured per answer.  Target: median <= 0.3 ms.
   Baseline in the same run: ``record`` with ``log_in_notes`` off.
2. Rebuild: a log of 100,000 answers (SM-2-consistent chains over every card of the
   sample notes, one device) is written; then ``--runs`` times (3) the database is
   deleted, the notes imported and :func:`studyapp.services.eventsync.rebuild` timed,
   with its phases.  Target: <= 5 s.  Min and median are reported, with the load
   average before and after (a shared machine), and a floor measured in the same run:
   reading and ``json.loads`` of the same lines alone plus one ``executemany`` of the
   same review-log rows into an empty table; ``rebuild_min_over_floor`` is the ratio.
   ``digest`` hashes every rebuilt row: equal across commits means equal results.

Run: ``PYTHONPATH=. python bench/bench_eventlog.py [--answers 100000] [--appends 0]``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from studyapp.core import events as ev
from studyapp.core.srs import SrsState, review
from studyapp.services import eventlog, eventsync
from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes
from studyapp.services.review import ReviewService, new_session_id

REPO = Path(__file__).resolve().parent.parent
DAY = date(2026, 12, 1)


def clock() -> datetime:
    return datetime(2026, 12, 1, 10, tzinfo=UTC)


def fresh(work: Path) -> Collection:
    notes = work / "notes"
    if notes.exists():
        shutil.rmtree(notes)
    shutil.copytree(REPO / "notes", notes)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work / 'db.sqlite3'}{suffix}").unlink(missing_ok=True)
    coll = Collection.open(work / "db.sqlite3", notes, today_override=DAY, clock=clock)
    coll.acquire_writer()
    import_notes(coll)
    coll.save_settings(replace(coll.settings, new_per_day=10_000, new_per_note=10_000))
    return coll


def answer_loop(coll: Collection, count: int) -> list[float]:
    """Milliseconds per ``record``; fills ``inside`` with the log hook's own time."""
    service = ReviewService(coll)
    items = service.due_items()
    sid = new_session_id()
    times = []
    for i in range(count):
        item = items[i % len(items)]
        t0 = time.perf_counter()
        service.record(item.card_id, 4, session_id=sid, rescheduled=i < len(items))
        times.append((time.perf_counter() - t0) * 1000)
    return times


def bench_append(work: Path, count: int) -> dict[str, float]:
    inside: list[float] = []
    original = eventlog.log_answer_raw

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        original(*args, **kwargs)
        inside.append((time.perf_counter() - t0) * 1000)

    coll = fresh(work)
    eventlog.log_answer_raw = timed  # type: ignore[assignment]
    try:
        with_log = answer_loop(coll, count)
    finally:
        eventlog.log_answer_raw = original  # type: ignore[assignment]
    coll.close()
    coll = fresh(work)
    coll.save_settings(replace(coll.settings, log_in_notes=False))
    without = answer_loop(coll, count)
    coll.close()
    return {
        "append_median_ms": statistics.median(inside),
        "append_p95_ms": sorted(inside)[int(len(inside) * 0.95)],
        "record_median_ms_log_on": statistics.median(with_log),
        "record_median_ms_log_off": statistics.median(without),
    }


def write_log(coll: Collection, answers: int) -> int:
    """``answers`` SM-2-consistent answer events over every card, one device."""
    with coll.session() as s:
        cards = (
            s.connection()
            .exec_driver_sql(
                "SELECT notes.path, cards.kind, cards.anchor, cards.ef_milli FROM cards "
                "LEFT JOIN notes ON notes.id = cards.note_id WHERE cards.retired = 0 ORDER BY cards.id"
            )
            .all()
        )
    rng = random.Random(15)
    device = "bench0device"
    state = {i: SrsState(ef_milli=c[3]) for i, c in enumerate(cards)}
    first: dict[int, date | None] = {}
    nv: dict[str, dict[str, object]] = {}
    ts = datetime(2025, 1, 1, 8)
    lines = []
    per_day = max(1, answers // 400)
    for n in range(1, answers + 1):
        i = rng.randrange(len(cards))
        path, kind, anchor, _ef = cards[i]
        day = (ts - timedelta(hours=4)).date()
        before = state[i]
        grade = 1 if before.interval > 365 else rng.choice((1, 3, 4, 4, 5))
        body = {
            "id": ev.event_id(device, n),
            "dev": device,
            "n": n,
            "ts": ts.isoformat(timespec="microseconds"),
            "type": "answer",
            "note": path,
            "kind": kind,
            "anchor": anchor,
            "day": day.isoformat(),
            "grade": grade,
            "cram": False,
            "resched": True,
            "session": f"s{day.isoformat()}",
            "dur": rng.randrange(1000, 20000),
            "seed": None,
            "resp": None,
            "ok": None,
            "before": ev.state_to_json(before, first.get(i)),
        }
        if kind == "note" and path not in nv:
            nv[path] = {
                "last_reviewed": None,
                "next_review": None,
                "review_count": 0,
                "mastery_level": 0.0,
            }
            body["nv"] = nv[path]
        lines.append(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
        state[i] = review(before, grade, day)
        first.setdefault(i, day)
        ts += timedelta(seconds=86400 // per_day)
    folder = eventlog.log_dir(coll)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{device}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(cards)


def _open_imported(work: Path) -> Collection:
    """A deleted database, the notes imported again: what ``rebuild`` starts from.

    The notes folder is put back as the log was written first: a rebuild writes the
    notes' schedule lines, and the next run must start from the same files.
    """
    shutil.rmtree(work / "notes")
    shutil.copytree(work / "notes.pristine", work / "notes")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work / 'db.sqlite3'}{suffix}").unlink(missing_ok=True)
    coll = Collection.open(work / "db.sqlite3", work / "notes", today_override=DAY, clock=clock)
    coll.acquire_writer()
    import_notes(coll)
    return coll


def digest(coll: Collection) -> str:
    """SHA-256 of every row of cards, notes' schedule, review_log and events, in key order.

    Compared across commits: a faster rebuild must give back the same bytes.
    """
    h = hashlib.sha256()
    queries = (
        "SELECT * FROM cards ORDER BY id",
        "SELECT id, path, last_reviewed, next_review, review_count, mastery_level FROM notes "
        "ORDER BY id",
        "SELECT * FROM review_log ORDER BY id",
        # the import's own device (random id) logs the bench's settings: left out
        "SELECT * FROM events WHERE device = 'bench0device' ORDER BY event_id",
        "SELECT * FROM notes_owed ORDER BY note_id",
    )
    with coll.session() as s:
        for sql in queries:
            for row in s.connection().exec_driver_sql(sql):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def floor_baseline(work: Path, logs: list[Path], answers: int) -> dict[str, float]:
    """What no rebuild can beat, measured in the same run on the same data.

    ``read_loads_s``: read the log files and ``json.loads`` each line, nothing else
    (garbage collection paused, as during the rebuild).
    ``insert_s``: one ``executemany`` of the rebuilt review_log rows (every column) into
    an empty copy of the table (its indexes included) in a new database with the app's
    pragmas, committed.
    """
    gc.disable()  # as rebuild does (eventsync._gc_paused): the floor at its fastest
    t0 = time.perf_counter()
    decoded = []
    for log in logs:
        with open(log, "rb") as handle:
            decoded.extend(json.loads(line) for line in handle.read().splitlines())
    read_loads = time.perf_counter() - t0
    gc.enable()
    assert len(decoded) >= answers
    with sqlite3.connect(work / "db.sqlite3") as src:
        ddl = [
            r[0]
            for r in src.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'review_log' AND sql IS NOT NULL"
            )
        ]
        rows = src.execute("SELECT * FROM review_log ORDER BY id").fetchall()
    floor_db = work / "floor.sqlite3"
    floor_db.unlink(missing_ok=True)
    conn = sqlite3.connect(floor_db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    for sql in ddl:  # the foreign keys are not enforced: no cards table here
        conn.execute(sql)
    conn.commit()
    marks = ", ".join("?" * len(rows[0]))
    t0 = time.perf_counter()
    with conn:
        conn.executemany(f"INSERT INTO review_log VALUES ({marks})", rows)
    insert = time.perf_counter() - t0
    conn.close()
    return {"floor_read_loads_s": read_loads, "floor_insert_s": insert}


def bench_rebuild(work: Path, answers: int, runs: int) -> dict[str, object]:
    """``runs`` rebuilds of one log (a deleted database each time), min and median."""
    coll = fresh(work)
    n_cards = write_log(coll, answers)
    logs = sorted(eventlog.log_dir(coll).glob("*.jsonl"))
    coll.close()
    shutil.rmtree(work / "notes.pristine", ignore_errors=True)
    shutil.copytree(work / "notes", work / "notes.pristine")
    seconds: list[float] = []
    phases: list[dict[str, float]] = []
    sums: set[str] = set()
    for _ in range(runs):
        coll = _open_imported(work)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        report = eventsync.rebuild(coll, timings=timings)
        seconds.append(time.perf_counter() - t0)
        phases.append(timings)
        with coll.session() as s:
            rows = s.connection().exec_driver_sql("SELECT count(*) FROM review_log").scalar_one()
        assert rows == answers, (rows, answers)
        assert report.unresolved == 0
        sums.add(digest(coll))
        coll.close()
    assert len(sums) == 1, "rebuilds of one log differ"
    floor = floor_baseline(work, logs, answers)
    best = seconds.index(min(seconds))
    floor_s = floor["floor_read_loads_s"] + floor["floor_insert_s"]
    return {
        "rebuild_min_s": min(seconds),
        "rebuild_median_s": statistics.median(seconds),
        "rebuild_runs_s": seconds,
        "phases_of_fastest_s": {k: round(v, 3) for k, v in phases[best].items()},
        **floor,
        "rebuild_min_over_floor": min(seconds) / floor_s,
        "answers": answers,
        "cards": n_cards,
        "digest": sums.pop(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--appends", type=int, default=300, help="0 skips the append benchmark")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        out: dict[str, object] = {}
        if args.appends:
            out.update(bench_append(Path(tmp), args.appends))
        out.update(bench_rebuild(Path(tmp), args.answers, args.runs))
    out["loadavg_before"] = load_before
    out["loadavg_after"] = os.getloadavg()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
