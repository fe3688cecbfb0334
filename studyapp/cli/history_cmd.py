"""``studyapp history``: the review log, newest first; cram answers are marked ``(cram)``."""

from __future__ import annotations

import argparse
from typing import Any

from studyapp.cli.common import open_reader, print_json
from studyapp.cli.context import CliContext


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("history", help="show the review log")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--limit", type=int, default=100)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.queries import history

    rows = history(open_reader(ctx), limit=args.limit)
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        flags = (" (cram)" if r["cram"] else "") + (" (undone)" if r["undone"] else "")
        print(
            f"{r['study_day']}  grade {r['grade']}  {r['kind']:<5} {r['title']}  "
            f"→ {r['due_after'] or '-'}{flags}"
        )
    return 0
