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

import json
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from studyapp.core.cards import cards_for_note
from studyapp.core.frontmatter_io import sha256_hex
from studyapp.core.model import CardSpec, NoteError, ParsedNote
from studyapp.core.notefile import parse_note
from studyapp.core.sizing.calc_cards import calc_card_specs, calc_note_link
from studyapp.core.srs import SrsState, initial_ef, state_from_frontmatter
from studyapp.db.models import Card, CardLink, ImportProblem, Note, NoteTag, Tag
from studyapp.services.collection import Collection
from studyapp.services.scan import FoundNote, scan_notes

Progress = Callable[[int, int], None]

#: After an import that changed this many notes, refresh SQLite's planner statistics.
ANALYZE_AFTER = 50

#: Below this many files to parse, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 64


@dataclass(frozen=True)
class Problem:
    path: str
    error: str
    severity: str = "error"  # "error": rejected; "warning": imported with defaults

    def line(self) -> str:
        return f"{self.path}: {self.error}"


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
            "rejected": [{"path": p.path, "error": p.error} for p in self.rejected],
            "warnings": [{"path": p.path, "error": p.error} for p in self.warnings],
        }

    def summary(self) -> str:
        return (
            f"{self.imported} imported, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.missing} missing, {self.moved} moved, {len(self.rejected)} rejected"
        )


@dataclass(frozen=True)
class Parsed:
    """What a worker returns for one file."""

    rel_path: str
    sha256: str
    note: ParsedNote | None
    error: str | None
    cards: tuple[EncodedCard, ...] = ()
    about_deployment: bool = False


class EncodedCard(NamedTuple):
    """A card spec with its payload already JSON-encoded.

    Encoding happens in the worker: a string crosses the process boundary far
    cheaper than a nested dict, and the main process only has to insert it.
    """

    kind: str
    anchor: str
    title: str
    payload_json: str
    sibling_key: str


def _encode(spec: CardSpec) -> EncodedCard:
    return EncodedCard(
        spec.kind,
        spec.anchor,
        spec.title,
        json.dumps(spec.payload, ensure_ascii=False),
        str(spec.payload.get("sibling_key", "")),
    )


def parse_file(rel_path: str, data: bytes) -> Parsed:
    """Parse one note and derive its cards (runs in a worker process).

    The returned note drops its sections and tables (already turned into cards), so
    what is sent back to the importing process stays small.
    """
    digest = sha256_hex(data)
    try:
        note = parse_note(rel_path, data)
    except NoteError as exc:
        return Parsed(rel_path, digest, None, exc.problem)
    cards = tuple(_encode(spec) for spec in cards_for_note(note))
    slim = replace(note, sections=(), tables=())
    return Parsed(rel_path, digest, slim, None, cards, calc_note_link(note))


def _parse_batch(items: list[tuple[str, bytes]]) -> list[Parsed]:
    return [parse_file(rel, data) for rel, data in items]


def parse_many(items: list[tuple[str, bytes]], workers: int | None = None) -> Iterator[Parsed]:
    """Parse files, on every core when there are many of them.

    A generator, in input order: the caller writes the first results into the
    database while the workers are still parsing the rest.
    """
    cpus = workers if workers is not None else (os.cpu_count() or 1)
    if len(items) < PARALLEL_THRESHOLD or cpus <= 1:
        for rel, data in items:
            yield parse_file(rel, data)
        return
    chunk = max(8, min(64, len(items) // (cpus * 8)))
    batches = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    import multiprocessing

    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(max_workers=cpus, mp_context=context) as pool:
        for batch in pool.map(_parse_batch, batches):
            yield from batch


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
    found = scan_notes(root, remove_stale_temps=coll.is_writer)
    if only is not None:
        wanted = set(only)
        found = [f for f in found if f.rel_path in wanted]
    today = coll.today()
    with coll.session() as session, session.begin():
        existing = {
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
                )
            )
        }
        to_read: list[FoundNote] = []
        for item in found:
            row = existing.get(item.rel_path)
            if (
                not force
                and row is not None
                and not row.missing
                and row.parse_error is None
                and row.mtime_ns == item.mtime_ns
                and row.size == item.size
            ):
                report.unchanged += 1
            else:
                to_read.append(item)

        to_parse: list[tuple[str, bytes]] = []
        stat_of: dict[str, FoundNote] = {}
        for item in to_read:
            try:
                with open(item.abs_path, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                report.rejected.append(Problem(item.rel_path, f"cannot read ({exc.strerror})"))
                continue
            row = existing.get(item.rel_path)
            stat_of[item.rel_path] = item
            if (
                row is not None
                and not row.missing
                and row.parse_error is None
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
            to_parse.append((item.rel_path, data))

        total = len(to_parse)
        if progress:
            progress(0, total)
        results = parse_many(to_parse, workers)

        present = {f.rel_path for f in found}
        vanished = {
            row.content_sha256: row
            for path, row in existing.items()
            if path not in present and not row.missing and only is None
        }
        writer = _Writer(session, today, adopt_next_review=adopt_next_review)
        if only is None:
            writer.sync_calc_cards()  # before notes, so new notes can link to them
        for done, parsed in enumerate(results, 1):
            item = stat_of[parsed.rel_path]
            if parsed.note is None:
                report.rejected.append(Problem(parsed.rel_path, parsed.error or "unreadable"))
                row = existing.get(parsed.rel_path)
                if row is not None:  # keep the last good version, remember the problem
                    session.execute(
                        update(Note).where(Note.id == row.id).values(parse_error=parsed.error)
                    )
                continue
            for warning in parsed.note.warnings:
                report.warnings.append(Problem(parsed.rel_path, warning, "warning"))
            row = existing.get(parsed.rel_path)
            moved_from = None
            if row is None and parsed.sha256 in vanished:
                moved_from = vanished.pop(parsed.sha256)
            if row is not None:
                writer.update_note(row.id, parsed, item, revived=row.missing)
                report.updated += 1
            elif moved_from is not None:
                writer.update_note(moved_from.id, parsed, item, revived=False)
                report.moved += 1
            else:
                writer.insert_note(parsed, item)
                report.imported += 1
            if progress and (done % 50 == 0 or done == total):
                progress(done, total)

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


class _Writer:
    """Writes parse results into one session with bulk statements where it matters."""

    def __init__(self, session: Session, today: date, *, adopt_next_review: bool = True) -> None:
        self.session = session
        self.today = today
        self.adopt_next_review = adopt_next_review
        self._calc_ids: list[int] | None = None
        self.tag_ids: dict[str, int] = {
            name: tag_id for tag_id, name in session.execute(select(Tag.id, Tag.name))
        }

    def _note_values(self, parsed: Parsed, item: FoundNote) -> dict[str, Any]:
        note = parsed.note
        assert note is not None
        meta = note.meta
        return {
            "path": parsed.rel_path,
            "title": note.title,
            "folder": _folder_of(parsed.rel_path),
            "created": meta.created,
            "last_reviewed": meta.last_reviewed,
            "next_review": meta.next_review,
            "review_count": meta.review_count,
            "difficulty": meta.difficulty,
            "mastery_level": meta.mastery_level,
            "has_frontmatter": meta.has_frontmatter,
            "extra_json": json.dumps(meta.extra, ensure_ascii=False, default=str),
            "warnings_json": json.dumps(list(note.warnings), ensure_ascii=False),
            "parse_error": None,
            "body": note.body,
            "body_line_offset": note.body_line_offset,
            "answer_markdown": note.answer.markdown if note.answer else "",
            "content_sha256": parsed.sha256,
            "mtime_ns": item.mtime_ns,
            "size": item.size,
            "missing": False,
            "imported_at": datetime.now().replace(microsecond=0),
        }

    def insert_note(self, parsed: Parsed, item: FoundNote) -> int:
        values = self._note_values(parsed, item)
        note_id = int(self.session.execute(insert(Note).values(**values)).inserted_primary_key[0])
        self._set_tags(note_id, parsed)
        self._sync_cards(note_id, parsed, fresh=True)
        return note_id

    def update_note(self, note_id: int, parsed: Parsed, item: FoundNote, *, revived: bool) -> None:
        values = self._note_values(parsed, item)
        before = self.session.execute(
            select(Note.next_review, Note.review_count, Note.last_reviewed).where(
                Note.id == note_id
            )
        ).one()
        self.session.execute(update(Note).where(Note.id == note_id).values(**values))
        self._set_tags(note_id, parsed)
        self._sync_cards(note_id, parsed, fresh=False)
        meta = parsed.note.meta if parsed.note else None
        if (
            self.adopt_next_review
            and meta is not None
            and meta.next_review != before.next_review
            and meta.next_review
        ):
            # The user rescheduled the note by editing next_review: adopt it, like
            # Obsidian SR users expect from editing sr-due.
            self.session.execute(
                update(Card)
                .where(Card.note_id == note_id, Card.kind == "note", Card.due.is_not(None))
                .values(due=meta.next_review)
            )

    def _set_tags(self, note_id: int, parsed: Parsed) -> None:
        assert parsed.note is not None
        self.session.execute(delete(NoteTag).where(NoteTag.note_id == note_id))
        rows = []
        for name in dict.fromkeys(parsed.note.meta.tags):
            tag_id = self.tag_ids.get(name)
            if tag_id is None:
                tag_id = int(
                    self.session.execute(insert(Tag).values(name=name)).inserted_primary_key[0]
                )
                self.tag_ids[name] = tag_id
            rows.append({"note_id": note_id, "tag_id": tag_id})
        if rows:
            self.session.execute(insert(NoteTag), rows)
        if parsed.about_deployment:
            # The calc deck is a handful of cards: link them by id (INSERT OR IGNORE keeps
            # existing links) instead of searching the cards table once per note.
            links = [(card_id, note_id) for card_id in self.calc_card_ids()]
            if links:
                self.session.connection().exec_driver_sql(
                    "INSERT OR IGNORE INTO card_links (card_id, note_id) VALUES (?, ?)", links
                )
        else:
            self.session.execute(delete(CardLink).where(CardLink.note_id == note_id))

    def _initial_state(self, spec: EncodedCard, parsed: Parsed) -> SrsState:
        assert parsed.note is not None
        meta = parsed.note.meta
        if spec.kind == "note" and meta.review_count > 0:
            # The database was deleted (or this is a new machine): the note's own
            # frontmatter carries its schedule.
            return state_from_frontmatter(
                meta.review_count, meta.last_reviewed, meta.next_review, meta.difficulty
            )
        return SrsState(ef_milli=initial_ef(meta.difficulty))

    def _sync_cards(self, note_id: int, parsed: Parsed, *, fresh: bool) -> None:
        existing: dict[tuple[str, str], tuple[int, bool]] = {}
        if not fresh:
            existing = {
                (kind, anchor): (card_id, retired)
                for card_id, kind, anchor, retired in self.session.execute(
                    select(Card.id, Card.kind, Card.anchor, Card.retired).where(
                        Card.note_id == note_id
                    )
                )
            }
        new_rows: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for spec in parsed.cards:
            key = (spec.kind, spec.anchor)
            if key in seen:
                continue
            seen.add(key)
            payload, sibling = spec.payload_json, spec.sibling_key
            if key in existing:
                card_id, _retired = existing[key]
                self.session.execute(
                    update(Card)
                    .where(Card.id == card_id)
                    .values(
                        title=spec.title, payload_json=payload, sibling_key=sibling, retired=False
                    )
                )
                continue
            state = self._initial_state(spec, parsed)
            new_rows.append(
                (
                    note_id,
                    spec.kind,
                    spec.anchor,
                    spec.title,
                    payload,
                    sibling,
                    state.ef_milli,
                    state.interval,
                    state.reps,
                    state.lapses,
                    _iso(state.due),
                    _iso(state.last_review),
                    _iso(state.last_review),
                )
            )
        if new_rows:
            # Plain executemany: the ORM's per-row bookkeeping cost more than SQLite's
            # insert for the ~150 cards of a note.
            self.session.connection().exec_driver_sql(_INSERT_CARD, new_rows)
        gone = [
            card_id
            for key, (card_id, retired) in existing.items()
            if key not in seen and not retired
        ]
        if gone:
            self.session.execute(update(Card).where(Card.id.in_(gone)).values(retired=True))

    def calc_card_ids(self) -> list[int]:
        if self._calc_ids is None:
            self._calc_ids = list(
                self.session.scalars(
                    select(Card.id).where(Card.kind == "calc", Card.note_id.is_(None))
                )
            )
        return self._calc_ids

    def sync_calc_cards(self) -> None:
        """Make sure every calc template has its card (one deck, shared by all notes)."""
        have = set(
            self.session.scalars(
                select(Card.anchor).where(Card.kind == "calc", Card.note_id.is_(None))
            )
        )
        rows = [
            {
                "note_id": None,
                "kind": "calc",
                "anchor": spec.anchor,
                "title": spec.title,
                "payload_json": json.dumps(spec.payload, ensure_ascii=False),
                "sibling_key": "calc",
            }
            for spec in calc_card_specs()
            if spec.anchor not in have
        ]
        if rows:
            self.session.execute(insert(Card), rows)
        self._calc_ids = None


_INSERT_CARD = (
    "INSERT INTO cards (note_id, kind, anchor, title, payload_json, sibling_key, ef_milli, "
    "interval, reps, lapses, due, last_review, first_seen, suspended, buried_until, retired) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, 0)"
)


def _iso(day: date | None) -> str | None:
    """Dates as SQLAlchemy's SQLite Date type stores them."""
    return day.isoformat() if day is not None else None


def _folder_of(rel_path: str) -> str:
    parent = str(PurePosixPath(rel_path).parent)
    return "" if parent == "." else parent


def reimport_one(coll: Collection, rel_path: str) -> ImportReport:
    """Re-import a single note (before writing into a note the user edited).

    Forced (the file's stat may not show the edit) and without adopting a hand-edited
    ``next_review``: the answer about to be written is newer than the edit.
    """
    return import_notes(coll, only=[rel_path], force=True, adopt_next_review=False)


__all__ = [
    "ImportReport",
    "Parsed",
    "Problem",
    "import_notes",
    "parse_file",
    "parse_many",
    "reimport_one",
]
