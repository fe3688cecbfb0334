"""Run every benchmark, print a table and write ``bench/results.json``.

    python bench/run.py            # full: 10,000 notes (long; optional)
    python bench/run.py --quick    # 1,000 notes
    python bench/run.py --quick --only import,review

Work files (generated corpora, databases) go to ``bench/.work/`` (gitignored) or
``$STUDYAPP_BENCH_WORK``.  Each figure is measured against a baseline in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_anki  # noqa: E402
import bench_import  # noqa: E402
import bench_queue  # noqa: E402
import bench_review  # noqa: E402
import bench_tui  # noqa: E402
from generate import loadavg, result  # noqa: E402

ORDER = ["import", "review", "anki", "tui", "queue", "sizing"]


def _sizing(quick: bool) -> list[dict[str, Any]]:
    import bench_sizing

    rows = []
    for row in bench_sizing.run(quick):
        row = dict(row)
        if "baseline_value" not in row:  # bench_sizing reports the loop's figure as "baseline"
            row["baseline_value"] = row.get("baseline")
            row["baseline"] = "plain-Python loop of the same formulas"
        rows.append(row)
    return rows


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def print_table(rows: list[dict[str, Any]]) -> None:
    header = ("figure", "value", "unit", "baseline", "ratio", "target", "met", "load 1m")
    lines = [header] + [
        (
            r["name"],
            _fmt(r.get("value")) if r.get("status") != "not measured" else "not measured",
            r.get("unit", ""),
            _fmt(r.get("baseline_value")),
            _fmt(r.get("ratio")),
            _fmt(r.get("target")),
            _fmt(r.get("met")),
            _load(r),
        )
        for r in rows
    ]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for r in rows:
        if r.get("error"):
            print(f"! {r['name']}: {r['error'].strip().splitlines()[-1]}")


def _load(row: dict[str, Any]) -> str:
    before, after = row.get("load_before"), row.get("load_after")
    if not before or not after:
        return "-"
    return f"{before[0]:.2f}->{after[0]:.2f}"


def scaling_table(folder: Path) -> str:
    """Each figure at 1k and 10k notes side by side, plus the queue's card-count rows."""
    by_mode: dict[str, dict[str, dict[str, Any]]] = {}
    queue_rows: list[dict[str, Any]] = []
    for mode in ("quick", "full"):
        path = folder / f"results-{mode}.json"
        if not path.is_file():
            continue
        for row in json.loads(path.read_text())["results"]:
            if row.get("status") == "not measured":
                continue
            if row.get("group") == "queue":
                queue_rows.append(row)
                continue
            key = f"{row.get('group')}:{row.get('key', row['name'].split(' (')[0])}"
            by_mode.setdefault(key, {})[mode] = row
    lines = [f"{'figure':<58} {'1k notes':>12} {'10k notes':>12} unit"]
    for key, modes in by_mode.items():
        name = key.split(":", 1)[1][:58]
        unit = next(iter(modes.values())).get("unit", "")
        cells = [_fmt(modes[m]["value"]) if m in modes else "-" for m in ("quick", "full")]
        lines.append(f"{name:<58} {cells[0]:>12} {cells[1]:>12} {unit}")
    seen: set[str] = set()
    for row in sorted(queue_rows, key=lambda r: r.get("cards", 0)):
        if row["name"] in seen:
            continue
        seen.add(row["name"])
        lines.append(f"{row['name'][:58]:<58} {_fmt(row['value']):>12} {'':>12} {row['unit']}")
    return "\n".join(lines) if len(lines) > 1 else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="studyapp benchmarks")
    parser.add_argument("--quick", action="store_true", help="1,000 notes instead of 10,000")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(ORDER)}")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args(argv)
    wanted = [w for w in (args.only.split(",") if args.only else ORDER) if w]
    ours: dict[str, float] = {}

    def review(quick: bool) -> list[dict[str, Any]]:
        rows = bench_review.run(quick)
        ours["p95"], ours["median"] = rows[0]["value"], rows[0]["median_ms"]
        return rows

    runners: dict[str, Callable[[bool], list[dict[str, Any]]]] = {
        "import": bench_import.run,
        "review": review,
        "anki": lambda q: bench_anki.run(q, ours.get("p95"), ours.get("median")),
        "tui": bench_tui.run,
        "queue": bench_queue.run,
        "sizing": _sizing,
    }
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for key in ORDER:
        if key not in wanted:
            continue
        t0 = time.perf_counter()
        load_before = loadavg()
        print(f"[bench] {key} ... (load {load_before})", file=sys.stderr, flush=True)
        try:
            got = runners[key](args.quick)
        except Exception as exc:
            got = [
                result(
                    key,
                    None,
                    "",
                    "",
                    None,
                    None,
                    status="not measured",
                    error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}",
                )
            ]
        load_after = loadavg()
        for row in got:
            row.setdefault("group", key)
            row["load_before"], row["load_after"] = load_before, load_after
        rows.extend(got)
        print(
            f"[bench] {key} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True
        )
    total = time.perf_counter() - started
    doc = {
        "mode": "quick" if args.quick else "full",
        "notes": 1000 if args.quick else 10_000,
        "total_s": total,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "results": rows,
    }
    text = json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"
    args.out.write_text(text)
    # One file per size as well, so the scaling table can set 1k beside 10k.
    (args.out.parent / f"results-{doc['mode']}.json").write_text(text)
    print_table(rows)
    scaling = scaling_table(args.out.parent)
    if scaling:
        print("\nscaling (from results-quick.json / results-full.json / queue rows)")
        print(scaling)
        (args.out.parent / "scaling.txt").write_text(scaling + "\n")
    print(f"\n{len(rows)} figures in {total:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
