"""Benchmark: SM-2 vs FSRS on the simulated learner (issue 14), side by side.

The learner of ``studyapp.core.simulate`` (per-card difficulty, FSRS-6 memory with
parameters unlike the defaults) studies for 120 days, doing every review it is shown
and 10 new cards a day.  Printed per scheduler: reviews per day (mean, max), measured
retention (all reviews of seen cards, and those >= 2 days after the previous one);
then log loss / RMSE(bins) / AUC on a time-series split of the FSRS run's log, and the
exam mode's coverage of the last 3 days before a date with the daily cap.

    python bench/bench_fsrs.py [--cards 500] [--seed 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studyapp.core import exam, fsrs_fit, simulate
from studyapp.core.scheduler import FsrsScheduler, Sm2Scheduler

DAYS = 120


def workload(run: simulate.SimResult) -> dict[str, float]:
    per_day = run.reviews_per_day()
    return {
        "reviews": len(run.reviews),
        "reviews_per_day": round(sum(per_day) / len(per_day), 1),
        "max_per_day": max(per_day),
        "retention": round(run.retention(), 3),
        "retention_gap_ge_2d": round(run.retention(min_elapsed=2), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    def learner() -> simulate.Learner:
        return simulate.Learner(args.cards, seed=args.seed)

    runs = {
        "SM-2": simulate.run(Sm2Scheduler(), learner(), days=DAYS),
        "FSRS default": simulate.run(FsrsScheduler(), learner(), days=DAYS),
    }
    # FSRS optimized: 60 days on the defaults, fit on that log, 60 more days with the fit.
    first_learner = learner()
    first = simulate.run(FsrsScheduler(), first_learner, days=DAYS // 2)
    params, _used = fsrs_fit.fit(first.histories())
    second = simulate.run(
        FsrsScheduler(params=tuple(params)),
        first_learner,
        days=DAYS // 2,
        start=first.start + timedelta(days=DAYS // 2),
        cards=first.cards,
    )
    combined = simulate.SimResult(first.reviews + second.reviews, second.cards, first.start, DAYS)
    runs["FSRS optimized (day 60)"] = combined
    report: dict[str, object] = {name: workload(run) for name, run in runs.items()}
    report["FSRS optimized, days 60-119 only"] = workload(second)
    # The ceiling: FSRS told the learner's true parameters (what a perfect fit would give).
    truth = FsrsScheduler(params=simulate.TRUE_PARAMS)
    report["FSRS, learner's true parameters"] = workload(simulate.run(truth, learner(), days=DAYS))

    evaluation = fsrs_fit.evaluate(runs["FSRS default"].histories())
    assert evaluation is not None
    report["evaluation"] = {
        "split_day": evaluation.split_day.isoformat(),
        "test_reviews": evaluation.test_reviews,
        "models": {
            s.name: {
                "log_loss": round(s.log_loss, 4),
                "rmse_bins": round(s.rmse_bins, 4),
                "auc": None if s.auc is None else round(s.auc, 3),
            }
            for s in evaluation.scores
        },
    }
    exam_report = {}
    for name, scheduler in (("SM-2", Sm2Scheduler()), ("FSRS default", FsrsScheduler())):
        exam_date = first.start + timedelta(days=60)
        cap = 200
        run = simulate.run(scheduler, learner(), days=DAYS, exam_date=exam_date, daily_cap=cap)
        lo, hi = exam.window(exam_date)
        covered = len({r.card for r in run.reviews if lo <= r.day <= hi}) / args.cards
        per_day = run.reviews_per_day()
        exam_report[name] = {
            "covered_last_3_days": round(covered, 3),
            "daily_cap": cap,
            "max_per_day_before_exam": max(per_day[:60]),
            "window_loads": per_day[(lo - first.start).days : (hi - first.start).days + 1],
        }
    report["exam"] = exam_report

    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0
    print(f"Simulated learner: {args.cards} cards, {DAYS} days, seed {args.seed}")
    print(f"{'scheduler':<34}{'reviews/day':>12}{'max/day':>9}{'retention':>11}{'ret (>=2d)':>12}")
    for name, row in report.items():
        if name in ("evaluation", "exam"):
            continue
        assert isinstance(row, dict)
        print(
            f"{name:<34}{row['reviews_per_day']:>12}{row['max_per_day']:>9}"
            f"{row['retention']:>11}{row['retention_gap_ge_2d']:>12}"
        )
    ev = report["evaluation"]
    assert isinstance(ev, dict)
    print(
        f"\nEvaluation on the FSRS-default log, split at {ev['split_day']} "
        f"({ev['test_reviews']} test reviews):"
    )
    print(f"{'model':<16}{'log loss':>10}{'RMSE(bins)':>12}{'AUC':>8}")
    for name, m in ev["models"].items():
        print(f"{name:<16}{m['log_loss']:>10}{m['rmse_bins']:>12}{m['auc']!s:>8}")
    print("\nExam mode (exam on day 60, daily cap 200):")
    for name, row in exam_report.items():
        print(
            f"  {name}: {row['covered_last_3_days']:.1%} of cards reviewed in the last 3 days; "
            f"loads {row['window_loads']}; max/day before the exam {row['max_per_day_before_exam']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
