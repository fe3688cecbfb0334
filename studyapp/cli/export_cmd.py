"""``studyapp export anki PATH.apkg [--tag T]``: note and table cards as an Anki deck.

Thin over :mod:`studyapp.services.export_anki`.  It reads the database as last
imported (no writer lock, so it works while the TUI is open); run ``studyapp
import`` first to include edits made since.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from studyapp.cli.common import CliError, open_reader
from studyapp.cli.context import CliContext
from studyapp.core.wording import plural


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("export", help="export cards to another app")
    formats = parser.add_subparsers(dest="format", metavar="FORMAT", required=True)
    anki = formats.add_parser(
        "anki",
        help="an Anki package (.apkg); exporting again updates the same Anki notes",
    )
    anki.add_argument("path", metavar="PATH.apkg", type=Path)
    anki.add_argument("--tag", help="only notes with this tag (or a sub-tag)")
    anki.set_defaults(func=run_anki)


def run_anki(args: argparse.Namespace, ctx: CliContext) -> int:
    from studyapp.services.export_anki import export_anki

    path: Path = args.path
    if path.suffix.lower() != ".apkg":
        raise CliError(f"{path}: the file name must end in .apkg (Anki imports it by that)")
    if not path.parent.is_dir():
        raise CliError(f"{path.parent}: no such folder")
    report = export_anki(open_reader(ctx), path, tag=args.tag)
    if report.notes == 0:
        what = f" with tag {args.tag!r}" if args.tag else ""
        print(f"No cards to export{what}; wrote an empty deck to {path}.")
        return 1
    print(
        f"Wrote {plural(report.notes, 'Anki note')} to {path}: "
        f"{plural(report.note_cards, 'note card')}, {plural(report.table_cards, 'table card')}."
    )
    return 0
