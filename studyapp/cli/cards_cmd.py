"""``studyapp cards``: the generated cards with prompt, options and answer, to check them."""

from __future__ import annotations

import argparse
from typing import Any

from studyapp.cli.common import open_reader, print_json
from studyapp.cli.context import CliContext
from studyapp.core.printable import printable


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("cards", help="list generated cards")
    parser.add_argument("--note", help="path of a note, relative to the notes folder")
    parser.add_argument("--kind", choices=["note", "table", "calc"])
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.core.quiz import make_prompt
    from studyapp.services.queries import card_rows

    rows = card_rows(open_reader(ctx), note=args.note, kind=args.kind)
    out = []
    for row in rows:
        prompt = make_prompt(row["kind"], row["payload"], seed=0)
        out.append(
            {
                "card_id": row["card_id"],
                "note": row["note"],
                "kind": row["kind"],
                "anchor": row["anchor"],
                "prompt": prompt.question,
                "options": list(prompt.options),
                "answer": prompt.expected,
                "due": row["due"],
                "interval": row["interval"],
                "ease": row["ease"],
                "reps": row["reps"],
                "suspended": row["suspended"],
            }
        )
    if args.json:
        print_json(out)
        return 0
    for c in out:
        print(f"#{c['card_id']} [{c['kind']}] {printable(c['note'] or 'calc deck')}")
        print(f"   Q: {c['prompt']}")
        for i, option in enumerate(c["options"], 1):
            print(f"      {i}) {option}")
        answer = c["answer"] if len(c["answer"]) < 200 else c["answer"][:197] + "..."
        print(f"   A: {answer}")
    return 0
