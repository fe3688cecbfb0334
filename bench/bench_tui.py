"""Benchmark: TUI start-up to an interactive dashboard, and its peak memory.

A fresh Python process opens an imported copy of the corpus and runs
``StudyApp(ctx).run_test()`` headless (start-up import included, as ``studyapp
--notes`` does) until the dashboard's stats are loaded.  Timed from the process
spawn (interpreter start and imports included) to that moment.  Peak RSS is the
process's ``ru_maxrss``, read with ``resource.getrusage(RUSAGE_CHILDREN)`` in a
wrapper process that has no other children.  Targets: <= 1 s, <= 300 MB.

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

from bench_import import imported_copy
from generate import result, work_dir

TARGET_S = 1.0
TARGET_RSS_MB = 300.0

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
    async def main():
        app = StudyApp(AppContext.from_collection(coll))
        async with app.run_test(size=(120, 40)) as pilot:
            while app.dashboard is None or app.dashboard.stats is None:
                await pilot.pause(0.005)
            out["ready_epoch"] = time.time()
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


def run(quick: bool) -> list[dict[str, Any]]:
    n = 1000 if quick else 10_000
    # Interpreter start + imports alone, the floor of any start-up.
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import textual.app, sqlalchemy.orm"], check=True)
    floor_s = time.perf_counter() - start
    runs = [measure(n) for _ in range(2)]
    if any("error" in r for r in runs):
        error = next(r["error"] for r in runs if "error" in r)
        return [
            result(
                f"TUI start-up ({n} notes)",
                None,
                "s",
                "python -c 'import textual, sqlalchemy'",
                floor_s,
                TARGET_S,
                status="not measured",
                error=error,
            )
        ]
    best = min(runs, key=lambda r: r["startup_s"])
    label = (
        "TUI start-up to dashboard stats"
        if best["mode"] == "StudyApp.run_test"
        else ("dashboard data load (stats + due_items), TUI not importable")
    )
    return [
        result(
            f"{label} ({n} notes, process spawn to ready)",
            best["startup_s"],
            "s",
            "python -c 'import textual.app, sqlalchemy.orm'",
            floor_s,
            TARGET_S,
            mode=best["mode"],
            runs=[r["startup_s"] for r in runs],
        ),
        result(
            f"TUI peak RSS ({n} notes)",
            max(r["peak_rss_mb"] for r in runs),
            "MB",
            "none",
            None,
            TARGET_RSS_MB,
        ),
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
