"""Benchmark: TUI start-up to an interactive dashboard, and its peak memory.

A fresh Python process opens an imported copy of the corpus and runs
``StudyApp(ctx).run_test()`` headless until the dashboard accepts keys with its stats
loaded **and** the start-up re-import (``studyapp --notes`` does one) has finished and
the dashboard reloaded after it.  Timed from the process spawn (interpreter start and
imports included) to that moment; the moments the app's imports end and the first stats
show are saved too.  3 runs, interleaved with the baseline.  Also ``queries.stats()`` in
process (the dashboard's data; target <= 50 ms), 3 calls after a warm-up.  Peak RSS is the
process's ``ru_maxrss``, read with ``resource.getrusage(RUSAGE_CHILDREN)`` in a
wrapper process that has no other children.  Targets: <= 1 s, <= 150 MB.

When ``studyapp.tui.app`` is not importable, the dashboard's data load
(``queries.stats`` + ``ReviewService.due_items``) is timed instead and labelled so.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import imported_copy, open_collection
from generate import result, spread, work_dir

TARGET_S = 1.0
TARGET_RSS_MB = 150.0
RUNS = 3

CHILD = r"""
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[3])
db, notes = sys.argv[1], sys.argv[2]
from generate import TODAY, fixed_clock
from studyapp.services.collection import Collection
coll = Collection.open(db, notes, today_override=TODAY, clock=fixed_clock)
coll.acquire_writer()
out = {}
try:
    from studyapp.tui.app import StudyApp
    from studyapp.tui.context import AppContext
except Exception as exc:
    out["mode"] = "data load only (tui.app not importable: %s)" % exc
    from studyapp.services.queries import stats
    from studyapp.services.review import ReviewService
    stats(coll)
    ReviewService(coll).due_items()
else:
    out["mode"] = "StudyApp.run_test"
    out["imports_epoch"] = time.time()
    finished = {}
    real_done, real_failed = StudyApp.startup_done, StudyApp.startup_failed
    def done(self, report):
        real_done(self, report)
        finished["at"] = time.time()
    def failed(self, message):
        real_failed(self, message)
        finished["at"] = time.time()
        finished["error"] = message
    StudyApp.startup_done, StudyApp.startup_failed = done, failed
    async def main():
        app = StudyApp(AppContext.from_collection(coll))
        async with app.run_test(size=(120, 40)) as pilot:
            while app.dashboard is None or app.dashboard.stats is None:
                await pilot.pause(0.002)
            out["stats_epoch"] = time.time()
            while "at" not in finished:
                await pilot.pause(0.002)
            await pilot.pause(0)
            while app.dashboard.stats is None:
                await pilot.pause(0.002)
            out["ready_epoch"] = time.time()
            out["import_error"] = finished.get("error")
            out["due_today"] = app.dashboard.stats.due_today
    asyncio.run(main())
out.setdefault("ready_epoch", time.time())
coll.close()
print(json.dumps(out))
"""

WRAPPER = r"""
import json, resource, subprocess, sys, time
spawn = time.time()
proc = subprocess.run([sys.executable, "-c", sys.argv[1], *sys.argv[2:]], capture_output=True, text=True)
if proc.returncode:
    print(json.dumps({"error": proc.stderr[-2000:]}))
    sys.exit(0)
out = json.loads(proc.stdout.strip().splitlines()[-1])
out["startup_s"] = out["ready_epoch"] - spawn
out["imports_s"] = out.get("imports_epoch", spawn) - spawn
out["stats_s"] = out.get("stats_epoch", out["ready_epoch"]) - spawn
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(out))
"""


def measure(n: int) -> dict[str, Any]:
    db, notes = imported_copy(n, work_dir() / f"tui-{n}")
    bench_dir = str(Path(__file__).resolve().parent)
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, CHILD, str(db), str(notes), bench_dir],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


STATS_TARGET_MS = 50.0


def stats_call(n: int, runs: int = RUNS) -> dict[str, Any]:
    """``queries.stats`` (what the dashboard loads), in process, ``runs`` calls after a warm-up.

    Baseline: ``SELECT count(*) FROM cards`` through the same collection, as often.
    """
    from sqlalchemy import func, select

    from studyapp.db.models import Card
    from studyapp.services.queries import stats

    db, notes = imported_copy(n, work_dir() / f"stats-{n}")
    coll = open_collection(db, notes)
    try:
        stats(coll)
        times, base = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            stats(coll)
            times.append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            with coll.session() as session:
                session.scalar(select(func.count()).select_from(Card))
            base.append(1000 * (time.perf_counter() - t0))
    finally:
        coll.close()
    return {"times": times, "base": base}


def run(quick: bool) -> list[dict[str, Any]]:
    n = 1000 if quick else 10_000
    st = stats_call(n)
    stats_row = result(
        f"dashboard stats() ({n} notes), median of {RUNS}",
        spread(st["times"])["median"],
        "ms",
        "SELECT count(*) FROM cards, median",
        spread(st["base"])["median"],
        STATS_TARGET_MS,
        key="dashboard stats()",
        runs_ms=spread(st["times"]),
        baseline_runs_ms=spread(st["base"]),
        n=n,
    )
    # Interpreter start + imports alone, the floor of any start-up; sampled as often as
    # the figure, interleaved with it.
    floors: list[float] = []
    runs: list[dict[str, Any]] = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import textual.app, sqlalchemy.orm"], check=True)
        floors.append(time.perf_counter() - start)
        runs.append(measure(n))
    floor_s = min(floors)
    if any("error" in r for r in runs):
        error = next(r["error"] for r in runs if "error" in r)
        return [
            stats_row,
            result(
                f"TUI start-up ({n} notes)",
                None,
                "s",
                "python -c 'import textual, sqlalchemy'",
                floor_s,
                TARGET_S,
                status="not measured",
                error=error,
            ),
        ]
    best = min(runs, key=lambda r: r["startup_s"])
    label = (
        "TUI start-up to dashboard ready and start-up re-import done"
        if best["mode"] == "StudyApp.run_test"
        else ("dashboard data load (stats + due_items), TUI not importable")
    )
    return [
        stats_row,
        result(
            f"{label} ({n} notes, process spawn to ready)",
            best["startup_s"],
            "s",
            "python -c 'import textual.app, sqlalchemy.orm'",
            floor_s,
            TARGET_S,
            key="TUI start-up",
            mode=best["mode"],
            runs=[r["startup_s"] for r in runs],
            runs_spread=spread([r["startup_s"] for r in runs]),
            baseline_runs=spread(floors),
            app_imports_s=best.get("imports_s"),
            first_stats_s=best.get("stats_s"),
            n=n,
        ),
        result(
            f"TUI peak RSS ({n} notes)",
            max(r["peak_rss_mb"] for r in runs),
            "MB",
            "none",
            None,
            TARGET_RSS_MB,
            key="TUI peak RSS",
            n=n,
        ),
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
