"""Benchmark: cold import and warm (nothing changed) re-import of a synthetic collection.

* cold import: ``services.importer.import_notes`` into a fresh database (schema
  already migrated, timed separately), against parsing the same files with
  markdown-it-py alone (commonmark + table + front_matter_plugin, single process,
  read + decode + ``parse``).  Target: <= 1.2x the bare parse.
* warm re-import: the same call again with nothing changed, against an
  ``os.scandir``/``stat`` walk of the same tree.  Target: <= 1 s.

The imported database is kept (``imported_copy``) for the review and TUI benchmarks.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import TODAY, corpus, fixed_clock, result, work_dir

COLD_TARGET_RATIO = 1.2
WARM_TARGET_S = 1.0


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
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    notes = dest / "notes"
    shutil.copytree(corpus(n), notes)  # copy2 keeps mtimes: the copy imports as unchanged
    shutil.copy2(db, dest / "db.sqlite3")
    return dest / "db.sqlite3", notes


def run(quick: bool) -> list[dict[str, Any]]:
    n = 1000 if quick else 10_000
    notes = corpus(n)
    scandir_walk(notes)  # warm the dentry cache for both sides
    md_s, files = markdown_only(notes)
    assert files == n
    got = cold_import(n)
    walk_s = min(scandir_walk(notes)[0] for _ in range(3))
    cpus = os.cpu_count() or 1
    return [
        result(
            f"cold import ({n} notes, {got['cards']} cards, {cpus} cores)",
            got["cold_s"],
            "s",
            "markdown-it-py parse of the same files, 1 process",
            md_s,
            COLD_TARGET_RATIO * md_s,
            per_note_ms=1000 * got["cold_s"] / n,
            baseline_per_note_ms=1000 * md_s / n,
            target_ratio=COLD_TARGET_RATIO,
            schema_open_s=got["open_s"],
        ),
        result(
            f"warm re-import, nothing changed ({n} notes)",
            got["warm_s"],
            "s",
            "os.scandir + stat walk of the tree",
            walk_s,
            WARM_TARGET_S,
        ),
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
