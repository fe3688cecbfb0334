"""Benchmark: the review loop, answer -> next card ready, with the note write-back.

500 note cards are answered through ``ReviewService.record`` (each answer logs,
reschedules and rewrites the note's frontmatter atomically, fsync included) and the
next card is loaded with ``ReviewService.card`` - what the review screen does
between two key presses.  Median and p95 per answer; target p95 <= 10 ms.

Baseline: an fsync'd atomic rewrite of a 10 KB file alone (mkstemp, write, fsync,
os.replace, directory fsync), the floor of any crash-safe write-back.
The same loop through Anki's own library is in ``bench_anki.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import imported_copy, open_collection
from generate import percentile, result, work_dir

ANSWERS = 500
WARMUP = 10
TARGET_P95_MS = 10.0
GRADES = (4, 5, 3, 4, 5, 4)


def fsync_rewrite_baseline(folder: Path, count: int = ANSWERS) -> list[float]:
    """Milliseconds per atomic, fsync'd rewrite of a 10 KB file."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "baseline.md"
    payload = ("边缘设备与云端部署 " * 400).encode("utf-8")[:10_240]
    target.write_bytes(payload)
    times = []
    for i in range(count + WARMUP):
        data = payload[:-8] + f"{i:08d}".encode()
        start = time.perf_counter()
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".bench-", suffix=".tmp")
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        if i >= WARMUP:
            times.append(1000 * (time.perf_counter() - start))
    return times


def review_loop(n: int, answers: int = ANSWERS) -> dict[str, Any]:
    """Answer ``answers`` note cards of an imported copy of the ``n``-note corpus."""
    from studyapp.services.review import ReviewService, new_session_id

    db, notes = imported_copy(n, work_dir() / f"review-{n}")
    coll = open_collection(db, notes)
    try:
        settings = coll.settings
        settings.new_per_day = 100_000  # every note card of the corpus may be asked today
        coll.save_settings(settings)
        svc = ReviewService(coll)
        queue = [i.card_id for i in svc.due_items(kind="note")]
        need = answers + WARMUP + 1
        assert len(queue) >= need, f"only {len(queue)} note cards in the queue"
        session_id = new_session_id()
        times: list[float] = []
        statuses: dict[str, int] = {}
        svc.card(queue[0])
        for i in range(answers + WARMUP):
            start = time.perf_counter()
            outcome = svc.record(queue[i], GRADES[i % len(GRADES)], session_id=session_id)
            svc.card(queue[i + 1])  # the next card, ready to show
            elapsed = 1000 * (time.perf_counter() - start)
            statuses[outcome.writeback] = statuses.get(outcome.writeback, 0) + 1
            if i >= WARMUP:
                times.append(elapsed)
        assert statuses.get("done", 0) == answers + WARMUP, statuses
    finally:
        coll.close()
    return {"times": times, "statuses": statuses}


def run(quick: bool) -> list[dict[str, Any]]:
    n = 1000 if quick else 10_000
    base = fsync_rewrite_baseline(work_dir() / "fsync-baseline")
    got = review_loop(n)
    times = got["times"]
    med, p95 = statistics.median(times), percentile(times, 95)
    base_med, base_p95 = statistics.median(base), percentile(base, 95)
    return [
        result(
            f"review answer -> next card, p95 ({ANSWERS} note answers, {n} notes)",
            p95,
            "ms",
            "fsync'd atomic rewrite of a 10 KB file, p95",
            base_p95,
            TARGET_P95_MS,
            median_ms=med,
            baseline_median_ms=base_med,
            max_ms=max(times),
        ),
        result(
            "review answer -> next card, median",
            med,
            "ms",
            "fsync'd atomic rewrite of a 10 KB file, median",
            base_med,
            None,
        ),
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
