"""``studyapp scheduler optimize|evaluate``: fit FSRS to your log, compare schedulers on it."""

from __future__ import annotations

import argparse
from typing import Any

from studyapp.cli.common import open_reader, open_writer, print_json
from studyapp.cli.context import CliContext


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scheduler", help="FSRS: optimize parameters, evaluate schedulers"
    )
    sub = parser.add_subparsers(dest="scheduler_command", metavar="ACTION", required=True)
    opt = sub.add_parser("optimize", help="fit FSRS parameters to your review log")
    opt.add_argument("--json", action="store_true")
    opt.set_defaults(func=run_optimize)
    ev = sub.add_parser("evaluate", help="log loss, RMSE(bins), AUC: SM-2 vs FSRS on your log")
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=run_evaluate)


def run_optimize(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.scheduler import optimize

    result = optimize(open_writer(ctx, sync=False))
    if args.json:
        print_json(
            {
                "ok": result.ok,
                "review_count": result.review_count,
                "message": result.message,
                "params": result.params,
            }
        )
    else:
        print(result.message)
    return 0 if result.ok else 1


def run_evaluate(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.scheduler import evaluate

    report = evaluate(open_reader(ctx))
    if report is None:
        message = "Not enough history to evaluate (reviews on at least two days are needed)."
        if args.json:
            print_json({"error": message})
        else:
            print(message)
        return 1
    if args.json:
        print_json(report)
        return 0
    print(
        f"Time-series split at {report['split_day']}: trained on {report['train_reviews']} "
        f"reviews, tested on {report['test_reviews']}."
    )
    print(f"{'model':<16}{'log loss':>10}{'RMSE(bins)':>12}{'AUC':>8}")
    for m in report["models"]:
        auc = "-" if m["auc"] is None else f"{m['auc']:.3f}"
        print(f"{m['model']:<16}{m['log_loss']:>10.4f}{m['rmse_bins']:>12.4f}{auc:>8}")
    if report["note"]:
        print(f"FSRS optimized: {report['note']}")
    print(f"SM-2 probability: {report['sm2_probability']}.")
    return 0
