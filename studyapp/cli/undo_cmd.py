"""``studyapp undo``: revert the last review answer (database and note bytes), repeatable.

``--cram`` reverts the last cram-quiz answer instead; a cram answer never hides the
last real review from a plain ``undo``.
"""

from __future__ import annotations

import argparse
from typing import Any

from studyapp.cli.common import open_writer
from studyapp.cli.context import CliContext


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("undo", help="undo the last answer of the latest review session")
    parser.add_argument(
        "--cram", action="store_true", help="undo the last cram-quiz answer instead"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.review import ReviewService

    coll = open_writer(ctx, sync=False)
    result = ReviewService(coll).undo_last(cram=args.cram)
    if result is None:
        which = "cram quiz" if args.cram else "review session"
        print(f"Nothing to undo in the latest {which}.")
        return 1
    where = "note restored" if result.restored_file else "database only"
    print(f"Undid answer #{result.log_id} (card {result.card_id}, grade {result.grade}); {where}.")
    if result.message:
        print(result.message)
    return 0
