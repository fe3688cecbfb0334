"""``studyapp import [DIR]``: index a notes folder (incremental)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from studyapp.cli.common import CliError, merge_log, open_writer, print_json
from studyapp.cli.context import CliContext
from studyapp.core.printable import printable


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("import", help="import (or re-import) a notes folder")
    parser.add_argument(
        "dir", nargs="?", help="notes folder (default: --notes or the sample notes)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=run)


class _Bar:
    """A one-line progress bar on stderr, only on a terminal and only for long imports."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < 200:
            return
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\rparsing [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.importer import import_notes

    if args.dir:
        ctx.notes_option = str(Path(args.dir).expanduser())
    notes_dir = ctx.notes_dir
    if not notes_dir.is_dir():
        raise CliError(f"notes folder not found: {printable(str(notes_dir))}")
    coll = open_writer(ctx, sync=False)
    report = import_notes(coll, progress=_Bar())
    merge_log(coll)  # issue 15: other devices' answers in .studyapp/log
    for problem in [*report.rejected, *report.warnings]:
        print(problem.line(), file=sys.stderr)
    if args.json:
        print_json(report.to_json())
    else:
        print(f"{printable(str(notes_dir))}: {report.summary()}")
    return 1 if report.rejected else 0
