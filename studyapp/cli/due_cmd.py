"""``studyapp due``: the cards due on the study day, in review order."""

from __future__ import annotations

import argparse
from typing import Any

from studyapp.cli.common import open_reader, print_json
from studyapp.cli.context import CliContext
from studyapp.core.printable import printable
from studyapp.core.wording import plural


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("due", help="list the cards due today")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--tag")
    parser.add_argument("--kind", choices=["note", "table", "calc"])
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.queries import due_cards

    coll = open_reader(ctx)
    cards = due_cards(coll, tag=args.tag, kind=args.kind)
    if args.json:
        print_json([c.to_json() for c in cards])
        return 0
    if not cards:
        print(f"Nothing due on {coll.today().isoformat()}.")
        return 0
    print(f"{plural(len(cards), 'card')} due on {coll.today().isoformat()}:")
    for c in cards:
        due = c.due.isoformat() if c.due else "new"
        print(
            f"  #{c.card_id:<5} {c.kind:<5} {due:<10} {c.title}  ({printable(c.note or 'calc deck')})"
        )
    return 0
