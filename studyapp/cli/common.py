"""Helpers shared by the subcommands: opening the collection for writing, JSON output, errors."""

from __future__ import annotations

import json
import sys
from typing import Any

from studyapp.cli.context import CliContext, NotesFolderMissing
from studyapp.db.engine import DatabaseError
from studyapp.services.collection import Collection
from studyapp.services.lock import CollectionLocked


class CliError(Exception):
    """An error shown as one line on stderr, exit status 2."""


def open_writer(ctx: CliContext, *, sync: bool = True) -> Collection:
    """Open the collection as its single writer, finish owed write-backs, re-import.

    ``sync`` re-imports the notes folder first (incremental: unchanged files are not
    read), so a review always sees the notes as they are on disk.
    """
    from studyapp.services.importer import import_notes
    from studyapp.services.writeback import finish_pending

    coll = open_reader(ctx)
    try:
        coll.acquire_writer()
    except CollectionLocked as exc:
        raise CliError(str(exc)) from None
    for message in finish_pending(coll):
        print(message, file=sys.stderr)
    if sync and coll.notes_dir.is_dir():
        report = import_notes(coll)
        for problem in report.rejected:
            print(problem.line(), file=sys.stderr)
        merge_log(coll)
    return coll


def merge_log(coll: Collection) -> None:
    """Merge other devices' events from the notes folder's log (issue 15); one line if any."""
    from studyapp.services.eventsync import merge

    report = merge(coll)
    for line in [*report.problems, *report.messages]:
        print(line, file=sys.stderr)
    if report.line():
        print(report.line(), file=sys.stderr)


def open_reader(ctx: CliContext) -> Collection:
    try:
        return ctx.collection()
    except (DatabaseError, CollectionLocked, NotesFolderMissing) as exc:
        raise CliError(str(exc)) from None


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
