"""Writing parse results into the database (one session, bulk where it matters).

Keeps card identity structural: an existing ``(note, kind, anchor)`` is updated in
place (its schedule untouched), a new one is inserted with a schedule restored from the
note's frontmatter when the database lost it, and one whose anchor disappeared is
retired with its history kept.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from studyapp.core.sizing.calc_cards import calc_card_specs
from studyapp.core.srs import SrsState, initial_ef, state_from_frontmatter
from studyapp.core.table_store import CARD_GENERATOR_VERSION, is_compact, view_payload
from studyapp.db.models import Card, CardLink, Note, Tag
from studyapp.services.import_parse import Parsed
from studyapp.services.scan import FoundNote

__all__ = ["NoteWriter"]


class NoteWriter:
    """Writes parse results into one session with bulk statements where it matters."""

    def __init__(
        self,
        session: Session,
        today: date,
        *,
        adopt_next_review: bool = True,
        now: datetime | None = None,
    ) -> None:
        self.session = session
        self.today = today
        self.now = now
        self.adopt_next_review = adopt_next_review
        self._calc_ids: list[int] | None = None
        self.tag_ids: dict[str, int] = {}
        self.reload_tags()

    def reload_tags(self) -> None:
        """Re-read the tag ids (after a rolled-back savepoint dropped some just inserted)."""
        self.tag_ids = {
            name: tag_id for tag_id, name in self.session.execute(select(Tag.id, Tag.name))
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
            "tables_json": parsed.tables_json or None,
            "parsed_version": CARD_GENERATOR_VERSION,
            "mtime_ns": item.mtime_ns,
            "size": item.size,
            "missing": False,
            "imported_at": (self.now or datetime.now()).replace(microsecond=0, tzinfo=None),
        }

    def insert_note(self, parsed: Parsed, item: FoundNote) -> int:
        values = self._note_values(parsed, item)
        # A Core insert of the table (compiled once, types applied): the ORM's
        # ``insert(Note).values(**values)`` built and coerced a new statement per note.
        result = self.session.connection().execute(_NOTE_INSERT, values)
        note_id = int(result.inserted_primary_key[0])
        self._set_tags(note_id, parsed, fresh=True)
        self._sync_cards(note_id, parsed, fresh=True)
        return note_id

    def update_note(self, note_id: int, parsed: Parsed, item: FoundNote, *, revived: bool) -> None:
        values = self._note_values(parsed, item)
        before = self.session.execute(
            select(Note.next_review, Note.review_count, Note.last_reviewed, Note.tables_json).where(
                Note.id == note_id
            )
        ).one()
        self.session.execute(update(Note).where(Note.id == note_id).values(**values))
        self._set_tags(note_id, parsed)
        self._sync_cards(note_id, parsed, fresh=False, old_tables=before.tables_json)
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

    def _set_tags(self, note_id: int, parsed: Parsed, *, fresh: bool = False) -> None:
        assert parsed.note is not None
        conn = self.session.connection()
        if not fresh:
            conn.exec_driver_sql("DELETE FROM note_tags WHERE note_id = ?", (note_id,))
        rows = []
        for name in dict.fromkeys(parsed.note.meta.tags):
            tag_id = self.tag_ids.get(name)
            if tag_id is None:
                cursor = conn.exec_driver_sql("INSERT INTO tags (name) VALUES (?)", (name,))
                tag_id = int(cursor.lastrowid)
                self.tag_ids[name] = tag_id
            rows.append((note_id, tag_id))
        if rows:
            conn.exec_driver_sql("INSERT INTO note_tags (note_id, tag_id) VALUES (?, ?)", rows)
        if parsed.about_deployment:
            # The calc deck is a handful of cards: link them by id (INSERT OR IGNORE keeps
            # existing links) instead of searching the cards table once per note.
            links = [(card_id, note_id) for card_id in self.calc_card_ids()]
            if links:
                self.session.connection().exec_driver_sql(
                    "INSERT OR IGNORE INTO card_links (card_id, note_id) VALUES (?, ?)", links
                )
        elif not fresh:
            self.session.execute(delete(CardLink).where(CardLink.note_id == note_id))

    def _initial_state(self, kind: str, parsed: Parsed) -> SrsState:
        assert parsed.note is not None
        meta = parsed.note.meta
        if kind == "note" and meta.review_count > 0:
            # The database was deleted (or this is a new machine): the note's own
            # frontmatter carries its schedule.
            return state_from_frontmatter(
                meta.review_count, meta.last_reviewed, meta.next_review, meta.difficulty
            )
        return SrsState(ef_milli=initial_ef(meta.difficulty))

    def _sync_cards(
        self, note_id: int, parsed: Parsed, *, fresh: bool, old_tables: str | None = None
    ) -> None:
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
        new_rows: list[tuple[Any, ...]] = []
        fact_cols: tuple[Any, ...] | None = None  # the schedule columns of a fact card
        seen: set[tuple[str, str]] = set()
        updates: list[tuple[str, str, str, int]] = []
        for kind, anchor, title, payload, sibling in parsed.cards:
            key = (kind, anchor)
            if key in seen:
                continue
            seen.add(key)
            if key in existing:
                updates.append((title, payload, sibling, existing[key][0]))
                continue
            if kind == "note":
                cols = _schedule_columns(self._initial_state(kind, parsed))
            else:  # every other card of the note starts alike: build its columns once
                if fact_cols is None:
                    fact_cols = _schedule_columns(self._initial_state(kind, parsed))
                cols = fact_cols
            new_rows.append((note_id, kind, anchor, title, payload, sibling, *cols))
        if updates:
            # Existing cards keep id and schedule (re-derived after an edit or a newer
            # card generator): one executemany, not an ORM statement per card.
            self.session.connection().exec_driver_sql(_UPDATE_CARD, updates)
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
        if old_tables:
            unseen = [card_id for key, (card_id, _r) in existing.items() if key not in seen]
            self._freeze(unseen, old_tables)

    def _freeze(self, card_ids: list[int], old_tables: str) -> None:
        """Give retired cards that point into the note's previous tables their full payload.

        A compact payload is only valid beside the tables it was made from; a retired
        card keeps what it showed (history, undo) after the note's tables change.
        """
        if not card_ids:
            return
        conn = self.session.connection()
        frozen: list[tuple[str, int]] = []
        for start in range(0, len(card_ids), 500):
            chunk = card_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for card_id, payload_json in conn.exec_driver_sql(
                f"SELECT id, payload_json FROM cards WHERE id IN ({marks})", tuple(chunk)
            ):
                if is_compact(json.loads(payload_json)):
                    full = view_payload(payload_json, old_tables)
                    frozen.append((json.dumps(full, ensure_ascii=False), card_id))
        if frozen:
            conn.exec_driver_sql("UPDATE cards SET payload_json = ? WHERE id = ?", frozen)

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


_NOTE_INSERT = Note.__table__.insert()

_UPDATE_CARD = (
    "UPDATE cards SET title = ?, payload_json = ?, sibling_key = ?, retired = 0 WHERE id = ?"
)

_INSERT_CARD = (
    "INSERT INTO cards (note_id, kind, anchor, title, payload_json, sibling_key, ef_milli, "
    "interval, reps, lapses, due, last_review, first_seen, suspended, buried_until, retired) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, 0)"
)


def _schedule_columns(state: SrsState) -> tuple[Any, ...]:
    """``ef_milli, interval, reps, lapses, due, last_review, first_seen`` of a new card."""
    last = _iso(state.last_review)
    return (state.ef_milli, state.interval, state.reps, state.lapses, _iso(state.due), last, last)


def _iso(day: date | None) -> str | None:
    """Dates as SQLAlchemy's SQLite Date type stores them."""
    return day.isoformat() if day is not None else None


def _folder_of(rel_path: str) -> str:
    parent = str(PurePosixPath(rel_path).parent)
    return "" if parent == "." else parent
