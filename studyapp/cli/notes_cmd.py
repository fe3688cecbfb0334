"""``studyapp notes``: the imported notes with their schedule."""

from __future__ import annotations

import argparse
from typing import Any

from studyapp.cli.common import open_reader, print_json
from studyapp.cli.context import CliContext
from studyapp.core.printable import printable
from studyapp.core.wording import plural


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("notes", help="list imported notes")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--missing", action="store_true", help="include notes no longer on disk")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.queries import notes

    rows = notes(open_reader(ctx), include_missing=args.missing)
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    for r in rows:
        nxt = r.next_review.isoformat() if r.next_review else "-"
        flag = " (missing)" if r.missing else ""
        print(
            f"{printable(r.path)}{flag}\n    {r.title} · next {nxt} · reviews {r.review_count} · "
            f"mastery {r.mastery_level:.2f} · {plural(r.cards, 'card')}"
        )
    return 0
