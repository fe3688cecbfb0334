"""Benchmark: cold import and warm (nothing changed) re-import of a synthetic collection.

* cold import: ``services.importer.import_notes`` into a fresh database (schema
  already migrated, timed separately), against parsing the same files with
  markdown-it-py alone (commonmark + table + front_matter_plugin, read + decode +
  ``parse``), in 1 process (target <= 1.0x) and in a 2-process pool (the importer's
  own configuration; aim <= 1.5x).  3 runs of each, interleaved; min and median.
* database size per note after the cold import (target <= 60 KB/note).
* warm re-import: the same call again with nothing changed, against an
  ``os.scandir``/``stat`` walk of the same tree.  Target: <= 1 s.

The imported database is kept (``imported_copy``) for the review and TUI benchmarks.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import TODAY, corpus, drop_cache, fixed_clock, result, spread, work_dir

COLD_TARGET_RATIO = 1.0
PARALLEL_AIM_RATIO = 1.5
DB_KB_PER_NOTE_TARGET = 60.0
WARM_TARGET_S = 1.0
RUNS = 3


def open_collection(db: Path, notes: Path) -> Any:
    from studyapp.services.collection import Collection

    coll = Collection.open(db, notes, today_override=TODAY, clock=fixed_clock)
    coll.acquire_writer()
    return coll


def markdown_only(root: Path) -> tuple[float, int]:
    """Seconds to read and parse every note with bare markdown-it-py, single process."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = MarkdownIt("commonmark").enable("table").use(front_matter_plugin)
    files = sorted(root.rglob("*.md"))
    start = time.perf_counter()
    for path in files:
        md.parse(path.read_bytes().decode("utf-8"))
    return time.perf_counter() - start, len(files)


def _parse_files(paths: list[str]) -> int:
    """Worker side of the parallel floor: read and parse, send back only a count."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = MarkdownIt("commonmark").enable("table").use(front_matter_plugin)
    for path in paths:
        with open(path, "rb") as f:
            md.parse(f.read().decode("utf-8"))
    return len(paths)


def markdown_parallel(root: Path, workers: int = 2) -> tuple[float, int]:
    """The same parse in ``workers`` processes, pool start-up included.

    The importer parses in a process pool, so its figure is also set beside a floor of
    the same shape: spawn the workers, hand each a share of the files (in chunks, as the
    importer streams), parse, return a tiny result.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    files = [str(p) for p in sorted(root.rglob("*.md"))]
    chunk = 50
    chunks = [files[i : i + chunk] for i in range(0, len(files), chunk)]
    start = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        count = sum(pool.map(_parse_files, chunks))
    return time.perf_counter() - start, count


def scandir_walk(root: Path) -> tuple[float, int]:
    """Seconds for an os.scandir + stat walk of the tree (the floor of any change check)."""
    start = time.perf_counter()
    count = 0
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    stack.append(entry.path)
                elif entry.name.endswith(".md"):
                    entry.stat()
                    count += 1
    return time.perf_counter() - start, count


def _db_path(n: int) -> Path:
    return work_dir() / f"imported-{n}.sqlite3"


def _remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def cold_import(n: int) -> dict[str, Any]:
    from studyapp.services.importer import import_notes

    notes = corpus(n)
    db = _db_path(n)
    _remove_db(db)
    start = time.perf_counter()
    coll = open_collection(db, notes)
    open_s = time.perf_counter() - start
    try:
        start = time.perf_counter()
        report = import_notes(coll)
        cold_s = time.perf_counter() - start
        assert report.imported == n and not report.rejected, report.summary()
        start = time.perf_counter()
        warm = import_notes(coll)
        warm_s = time.perf_counter() - start
        assert warm.unchanged == n and warm.imported == warm.updated == 0, warm.summary()
        with coll.engine.connect() as conn:
            cards = conn.exec_driver_sql("SELECT count(*) FROM cards").scalar_one()
    finally:
        coll.close()
    return {"open_s": open_s, "cold_s": cold_s, "warm_s": warm_s, "cards": int(cards)}


def imported_copy(n: int, dest: Path) -> tuple[Path, Path]:
    """A private copy (notes folder + database) of the imported collection of ``n`` notes."""
    db = _db_path(n)
    if not db.is_file():
        cold_import(n)
    else:
        from studyapp.db.engine import open_engine

        open_engine(db).dispose()  # a cached database of an older schema: migrate it once
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    notes = dest / "notes"
    shutil.copytree(corpus(n), notes)  # copy2 keeps mtimes: the copy imports as unchanged
    shutil.copy2(db, dest / "db.sqlite3")
    drop_cache(dest / "db.sqlite3")  # the copy's write-back must not land in a timed loop
    return dest / "db.sqlite3", notes


def _db_size(db: Path) -> int:
    return sum(
        Path(str(db) + suffix).stat().st_size
        for suffix in ("", "-wal")
        if Path(str(db) + suffix).is_file()
    )


def run(quick: bool, runs: int = RUNS) -> list[dict[str, Any]]:
    """Cold import, the 1- and 2-process parse floors, ``runs`` times each, interleaved.

    Interleaving (floor, floor x2, import, floor, ...) spreads any change of machine
    load over all three the same way; every figure is min and median of ``runs``.
    """
    n = 1000 if quick else 10_000
    notes = corpus(n)
    scandir_walk(notes)  # warm the dentry cache for all sides
    md1: list[float] = []
    md2: list[float] = []
    cold: list[dict[str, Any]] = []
    workers = min(2, os.cpu_count() or 1)
    for _ in range(runs):
        md_s, files = markdown_only(notes)
        assert files == n
        md1.append(md_s)
        md2.append(markdown_parallel(notes, workers)[0])
        cold.append(cold_import(n))
    walks = [scandir_walk(notes)[0] for _ in range(runs)]
    cold_s = [c["cold_s"] for c in cold]
    warm_s = [c["warm_s"] for c in cold]
    got = cold[-1]
    size = _db_size(_db_path(n))
    cpus = os.cpu_count() or 1
    value, base1, base2 = min(cold_s), min(md1), min(md2)
    return [
        result(
            f"cold import ({n} notes, {got['cards']} cards, {cpus} cores), min of {runs}",
            value,
            "s",
            "markdown-it-py parse of the same files, 1 process, min",
            base1,
            COLD_TARGET_RATIO * base1,
            per_note_ms=1000 * value / n,
            baseline_per_note_ms=1000 * base1 / n,
            target_ratio=COLD_TARGET_RATIO,
            runs_s=spread(cold_s),
            floor_1proc_s=spread(md1),
            floor_2proc_s=spread(md2),
            ratio_median=statistics.median(cold_s) / statistics.median(md1),
            schema_open_s=got["open_s"],
            n=n,
        ),
        result(
            f"cold import vs the {workers}-process parse floor ({n} notes)",
            value,
            "s",
            f"markdown-it-py parse, {workers} processes (pool start included), min",
            base2,
            PARALLEL_AIM_RATIO * base2,
            ratio_median=statistics.median(cold_s) / statistics.median(md2),
            target_ratio=PARALLEL_AIM_RATIO,
            n=n,
        ),
        result(
            f"database size per note ({n} notes)",
            size / n / 1024,
            "KB",
            "none",
            None,
            DB_KB_PER_NOTE_TARGET,
            db_bytes=size,
            n=n,
        ),
        result(
            f"warm re-import, nothing changed ({n} notes), min of {runs}",
            min(warm_s),
            "s",
            "os.scandir + stat walk of the tree, min",
            min(walks),
            WARM_TARGET_S,
            runs_s=spread(warm_s),
            baseline_runs_s=spread(walks),
            n=n,
        ),
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
