"""Importing a notes folder into the database, incrementally.

Each note is parsed once per change of its content and what is derived from it
(title, sections, cards) is stored, so opening the review queue never re-parses the
vault.  Unchanged files are recognised by ``(mtime_ns, size)`` without being read; a
file whose stat changed is hashed and only re-parsed when its sha256 changed.
Deleted notes are marked missing (history kept); a note that moved keeps its id, and
so its history, when a new path has the content hash of a vanished one.

Bad notes never stop the import and are never written: each gives one
``path: problem`` line in the report.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, text, update

from studyapp.core.atomic import NotRegularFileError, read_regular
from studyapp.core.frontmatter_io import MAX_NOTE_BYTES, sha256_hex
from studyapp.core.printable import printable
from studyapp.core.table_store import CARD_GENERATOR_VERSION
from studyapp.db.models import Card, ImportProblem, Note
from studyapp.services import eventlog
from studyapp.services.collection import Collection
from studyapp.services.import_parse import (
    Parsed,
    ParseStream,
    parse_file,
)
from studyapp.services.import_writer import NoteWriter
from studyapp.services.scan import FoundNote, scan_notes

Progress = Callable[[int, int], None]

#: After an import that changed this many notes, refresh SQLite's planner statistics.
ANALYZE_AFTER = 50
#: Every note the database has (not missing): path, mtime, size and whether it parsed
#: with the current card generator (an older one means: re-derive its cards).
_WARM_SQL = (
    "SELECT path, mtime_ns, size, parse_error IS NULL AND parsed_version >= ? FROM notes"
    " INDEXED BY ix_notes_import_scan WHERE missing = 0"
)


@dataclass(frozen=True)
class Problem:
    """One note's problem; ``path`` is already escaped (see :func:`printable`)."""

    path: str
    error: str
    severity: str = "error"  # "error": rejected; "warning": imported with defaults
    exception: str | None = None  # the exception class, for ``--json``

    def line(self) -> str:
        return f"{self.path}: {printable(self.error)}"


def _problem(
    rel_path: str, error: str, severity: str = "error", exception: str | None = None
) -> Problem:
    return Problem(printable(rel_path), error, severity, exception)


def _storable(rel_path: str) -> bool:
    """SQLite (and ``print``) reject the lone surrogates ``os.fsdecode`` makes of bad UTF-8."""
    try:
        rel_path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    moved: int = 0
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "moved": self.moved,
            "rejected": [
                {"path": p.path, "error": p.error, "exception": p.exception} for p in self.rejected
            ],
            "warnings": [{"path": p.path, "error": p.error} for p in self.warnings],
        }

    def summary(self) -> str:
        return (
            f"{self.imported} imported, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.missing} missing, {self.moved} moved, {len(self.rejected)} rejected"
        )


def import_notes(
    coll: Collection,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    only: Iterable[str] | None = None,
    force: bool = False,
    adopt_next_review: bool = True,
) -> ImportReport:
    """Bring the database in line with the notes folder.

    ``only`` restricts the import to some relative paths (used to re-import one note
    before a write-back); deletions are then not detected.  ``force`` reads files even
    when their stat is unchanged (sync tools keep mtime and size across an edit).
    ``adopt_next_review`` takes a hand-edited ``next_review`` as the note card's due
    date; the re-import before a write-back turns it off, because the answer being
    written is newer than the edit.
    """
    root = coll.notes_dir
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: notes folder not found")
    report = ImportReport()
    irregular: list[str] = []
    found = scan_notes(root, remove_stale_temps=coll.is_writer, irregular=irregular)
    if only is not None:
        wanted = set(only)
        found = [f for f in found if f.rel_path in wanted]
        irregular = [p for p in irregular if p in wanted]
    for rel in irregular:
        report.rejected.append(_problem(rel, "not a regular file", exception="NotRegularFileError"))
    bad_names = [f for f in found if not _storable(f.rel_path)]
    for item in bad_names:
        report.rejected.append(
            _problem(
                item.rel_path,
                "file name is not valid UTF-8; rename the file",
                exception="UnicodeEncodeError",
            )
        )
    if bad_names:
        found = [f for f in found if _storable(f.rel_path)]
    today = coll.today()
    with contextlib.ExitStack() as stack:
        session = stack.enter_context(coll.session())
        stack.enter_context(session.begin())
        # The warm scan: a compact (path -> mtime, size) read of the covering index
        # (~10 ms at 10,000 notes; the planner scanned the table with its bodies,
        # ~60 ms); the full rows are read only when something changed or vanished.
        raw = session.connection().connection.driver_connection
        assert raw is not None
        live = {
            path: (mtime, size, ok)
            for path, mtime, size, ok in raw.execute(_WARM_SQL, (CARD_GENERATOR_VERSION,))
        }
        to_read: list[FoundNote] = []
        for item in found:
            if not force and live.get(item.rel_path) == (item.mtime_ns, item.size, 1):
                report.unchanged += 1
            else:
                to_read.append(item)
        gone_paths = (
            only is None
            and len(live) > report.unchanged
            and bool(live.keys() - {f.rel_path for f in found})
        )
        existing = (
            {
                row.path: row
                for row in session.execute(
                    select(
                        Note.id,
                        Note.path,
                        Note.mtime_ns,
                        Note.size,
                        Note.content_sha256,
                        Note.missing,
                        Note.parse_error,
                        Note.parsed_version,
                    )
                )
            }
            if to_read or gone_paths
            else {}
        )

        # Files go to the parse workers as they are read (ParseStream), so parsing starts
        # while the rest are still being read.
        stream = stack.enter_context(ParseStream(len(to_read), workers))
        total = 0
        stat_of: dict[str, FoundNote] = {}
        for item in to_read:
            try:
                data = read_regular(item.abs_path, limit=MAX_NOTE_BYTES)
            except NotRegularFileError:
                report.rejected.append(
                    _problem(item.rel_path, "not a regular file", exception="NotRegularFileError")
                )
                continue
            except OSError as exc:
                report.rejected.append(
                    _problem(
                        item.rel_path, f"cannot read ({exc.strerror})", exception=type(exc).__name__
                    )
                )
                continue
            row = existing.get(item.rel_path)
            stat_of[item.rel_path] = item
            if (
                row is not None
                and not row.missing
                and row.parse_error is None
                and row.parsed_version >= CARD_GENERATOR_VERSION
                and row.content_sha256 == sha256_hex(data)
            ):
                # touched, not changed: remember the new stat only
                session.execute(
                    update(Note)
                    .where(Note.id == row.id)
                    .values(mtime_ns=item.mtime_ns, size=item.size)
                )
                report.unchanged += 1
                continue
            stream.add(item.rel_path, data)
            total += 1

        if progress:
            progress(0, total)
        results = stream.results()

        present = {f.rel_path for f in found}
        vanished = {
            row.content_sha256: row
            for path, row in existing.items()
            if path not in present and not row.missing and only is None
        }
        writer = NoteWriter(session, today, adopt_next_review=adopt_next_review, now=coll.now())
        if only is None:
            writer.sync_calc_cards()  # before notes, so new notes can link to them
        _open_real_transaction(session)  # before the first per-note savepoint
        for done, parsed in enumerate(results, 1):
            if done > 1 and (done - 1) % COMMIT_EVERY == 0:
                _commit_so_far(session)  # the previous COMMIT_EVERY notes
            item = stat_of[parsed.rel_path]
            if parsed.note is None:
                report.rejected.append(
                    _problem(
                        parsed.rel_path, parsed.error or "unreadable", exception=parsed.exception
                    )
                )
                row = existing.get(parsed.rel_path)
                if row is not None:  # keep the last good version, remember the problem
                    session.execute(
                        update(Note).where(Note.id == row.id).values(parse_error=parsed.error)
                    )
                continue
            try:
                # A savepoint per note: a value the database refuses (it slipped past
                # validation) rejects this note only, not the whole import.
                with session.begin_nested():
                    outcome = _store(
                        writer,
                        existing,
                        vanished,
                        parsed,
                        item,
                        on_move=lambda old, new: eventlog.log_move(coll, session, old, new),
                    )
            except Exception as exc:  # isolate one note's failure
                writer.reload_tags()
                name = type(exc).__name__
                detail = str(exc).splitlines()[0][:120] if str(exc) else name
                report.rejected.append(
                    _problem(
                        parsed.rel_path, f"cannot be stored ({name}: {detail})", exception=name
                    )
                )
                continue
            for warning in parsed.note.warnings:
                report.warnings.append(_problem(parsed.rel_path, warning, "warning"))
            setattr(report, outcome, getattr(report, outcome) + 1)
            if progress and (done % 50 == 0 or done == total):
                progress(done, total)
        stream.close()  # the workers are done: stop them before the commit

        if only is None:
            gone = [row.id for row in vanished.values()]
            if gone:
                session.execute(update(Note).where(Note.id.in_(gone)).values(missing=True))
                session.execute(update(Card).where(Card.note_id.in_(gone)).values(retired=True))
            report.missing = len(gone)
            if report.imported + report.updated + report.moved >= ANALYZE_AFTER:
                # Fresh statistics let SQLite pick the right index for the queue and the
                # dashboard (a few ms with a bounded analysis).
                session.execute(text("PRAGMA analysis_limit = 1000"))
                session.execute(text("ANALYZE"))
            session.execute(delete(ImportProblem))
            now = coll.now().replace(tzinfo=None)
            problems = [*report.rejected, *report.warnings]
            if problems:
                session.execute(
                    insert(ImportProblem),
                    [
                        {"path": p.path, "error": p.error, "severity": p.severity, "seen_at": now}
                        for p in problems
                    ],
                )
    return report


#: Notes written per commit of a long import.  One transaction for 10,000 notes grew a
#: 520 MB WAL that the final commit fsynced and the checkpoint then copied and fsynced
#: again: 1.2 s at the end with both workers done.  Committing every 500 notes lets that
#: I/O happen while the workers parse the next ones (the WAL restarts after each
#: automatic checkpoint, so it also never holds more than ~26 MB).
COMMIT_EVERY = 500


def _commit_so_far(session: Any) -> None:
    """Commit what the import has written and go on in a new transaction.

    Each note is written inside its own savepoint, so every commit holds whole notes;
    an import stopped later (an error, a crash) keeps them, and the next import reads
    only the files it has not stored yet (their stat is not in the database).  The
    notes marked missing and the import problems are written at the end, as before.
    """
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    if raw is not None and raw.in_transaction:
        raw.commit()
    _open_real_transaction(session)


def _open_real_transaction(session: Any) -> None:
    """Make sure SQLite is inside the import's one transaction before any SAVEPOINT.

    Python's sqlite3 issues ``BEGIN`` only before DML: a ``SAVEPOINT`` sent first starts
    a transaction of its own, and its ``RELEASE`` then *commits* it, one note at a
    time.  An explicit ``BEGIN`` keeps the whole import one transaction.
    """
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN")


def _store(
    writer: NoteWriter,
    existing: dict[str, Any],
    vanished: dict[str, Any],
    parsed: Parsed,
    item: FoundNote,
    *,
    on_move: Callable[[str, str], None] | None = None,
) -> str:
    """Write one parsed note; returns which report counter it adds to.

    ``on_move(old_path, new_path)`` is told of a detected rename (the event log records
    it so other machines' replays follow the note, issue 15).
    """
    row = existing.get(parsed.rel_path)
    if row is not None:
        writer.update_note(row.id, parsed, item, revived=row.missing)
        return "updated"
    moved_from = vanished.get(parsed.sha256)
    if moved_from is not None:
        writer.update_note(moved_from.id, parsed, item, revived=False)
        del vanished[parsed.sha256]
        if on_move is not None:
            on_move(moved_from.path, parsed.rel_path)
        return "moved"
    writer.insert_note(parsed, item)
    return "imported"


def reimport_one(coll: Collection, rel_path: str) -> ImportReport:
    """Re-import a single note (before writing into a note the user edited).

    Forced (the file's stat may not show the edit) and without adopting a hand-edited
    ``next_review``: the answer about to be written is newer than the edit.
    """
    return import_notes(coll, only=[rel_path], force=True, adopt_next_review=False)


__all__ = [
    "COMMIT_EVERY",
    "ImportReport",
    "Parsed",
    "Problem",
    "import_notes",
    "parse_file",
    "reimport_one",
]
