"""``studyapp stats``: due, overdue, streak, retention, 14-day forecast."""

from __future__ import annotations

import argparse
from typing import Any

from studyapp.cli.common import open_reader, print_json
from studyapp.cli.context import CliContext
from studyapp.core.wording import plural


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("stats", help="review statistics")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.queries import stats

    s = stats(open_reader(ctx))
    if args.json:
        print_json(s.to_json())
        return 0
    retention = f"{s.retention_30d * 100:.0f}%" if s.retention_30d is not None else "-"
    print(
        f"Study day {s.today.isoformat()}: {s.due_today} due ({s.overdue} overdue), "
        f"{s.new_available} new available, {s.reviewed_today} reviewed today"
    )
    print(
        f"Streak {plural(s.streak, 'day')} · retention (30 d) {retention} · {plural(s.notes, 'note')}, {plural(s.cards, 'card')}"
    )
    print("Forecast (14 d): " + " ".join(str(n) for n in s.forecast_14d))
    return 0
