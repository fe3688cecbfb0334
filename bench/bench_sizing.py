"""Benchmark: the vectorised sizing sweep against a plain-Python loop of the same formulas.

The sweep is every catalog model x format x device x context (x batch), each scenario
evaluated for memory, fit, minimum GPUs, decode speed, TTFT, cost and energy.  Both
paths must agree on every figure (asserted) before their timings mean anything.
Target: the vectorised sweep well under a second.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.engine import evaluate, min_tp
from studyapp.core.sizing.scalar import evaluate_one, min_tp_one
from studyapp.core.sizing.scenarios import one, sweep

CONTEXTS = (512, 2048, 8192, 32768)
TARGET_S = 0.25


def _vectorised(batches: tuple[int, ...]) -> tuple[float, Any, dict[str, Any], Any]:
    start = time.perf_counter()
    grid = sweep(contexts=CONTEXTS, batches=batches)
    figures = evaluate(grid.scenario)
    tps = min_tp(grid.scenario)
    return time.perf_counter() - start, grid, figures, tps


def _loop(batches: tuple[int, ...]) -> tuple[float, list[dict[str, float]], list[int]]:
    cat = load_catalog()
    start = time.perf_counter()
    rows: list[dict[str, float]] = []
    tps: list[int] = []
    # Same order as numpy.meshgrid(..., indexing="ij").ravel(): model, format, device, context, batch.
    for model in cat.models.values():
        for fmt in cat.formats.values():
            for device in cat.devices.values():
                for context in CONTEXTS:
                    for batch in batches:
                        s = one(model, fmt, device, context=context, batch=batch, tp=1)
                        rows.append(evaluate_one(s))
                        tps.append(min_tp_one(s))
    return time.perf_counter() - start, rows, tps


def _assert_same(
    figures: dict[str, Any], tps: Any, rows: list[dict[str, float]], loop_tps: list[int]
) -> None:
    assert len(rows) == len(tps)
    for key, column in figures.items():
        expected = np.array([row[key] for row in rows])
        assert np.allclose(column, expected, rtol=1e-12, atol=0.0, equal_nan=True), key
    assert np.array_equal(tps, np.array(loop_tps, dtype=np.float64))


def run(quick: bool) -> list[dict[str, Any]]:
    batches = (1,) if quick else (1, 8, 32)
    best_vec = math.inf
    for _ in range(3 if quick else 5):
        elapsed, grid, figures, tps = _vectorised(batches)
        best_vec = min(best_vec, elapsed)
    loop_s, rows, loop_tps = _loop(batches)
    _assert_same(figures, tps, rows, loop_tps)
    n = len(grid)
    return [
        {
            "name": f"sizing sweep ({n} scenarios, vectorised)",
            "value": best_vec,
            "unit": "s",
            "baseline": loop_s,
            "ratio": loop_s / best_vec,
            "target": TARGET_S,
            "met": best_vec < TARGET_S,
        },
        {
            "name": "sizing sweep throughput",
            "value": n / best_vec,
            "unit": "scenarios/s",
            "baseline": n / loop_s,
            "ratio": loop_s / best_vec,
            "target": n / TARGET_S,
            "met": best_vec < TARGET_S,
        },
    ]


if __name__ == "__main__":
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(
            f"{row['name']}: {row['value']:.4g} {row['unit']} (plain loop {row['baseline']:.4g},"
            f" x{row['ratio']:.0f}; target {row['target']:.4g}: {'met' if row['met'] else 'MISSED'})"
        )
