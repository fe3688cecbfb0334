"""``studyapp rebuild``: recompute every schedule and the review history from the event log.

The notes folder's ``.studyapp/log`` is the truth once the log is on; the database is
an index of it.  Rebuilding drops the scheduling state the log knows and replays every
device's events in time order.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studyapp.cli.common import CliError, open_writer, print_json
from studyapp.cli.context import CliContext


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "rebuild", help="recompute schedules and history from the notes folder's event log"
    )
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.eventsync import RebuildError, rebuild
    from studyapp.services.importer import import_notes

    coll = open_writer(ctx, sync=False)
    if coll.notes_dir.is_dir():
        import_notes(coll)  # every card the log names must exist first
    try:
        report = rebuild(coll)
    except RebuildError as exc:
        raise CliError(str(exc)) from None
    for line in [*report.problems, *report.messages]:
        print(line, file=sys.stderr)
    if args.json:
        print_json(
            {
                "answers": report.answers_from_others,
                "devices": sorted(report.other_devices),
                "unresolved": report.unresolved,
                "problems": report.problems,
            }
        )
    else:
        print(report.line())
    return 0
