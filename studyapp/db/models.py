"""ORM models: the SQLite index of a notes folder and the review history.

The notes are the source of truth for their text and their frontmatter; the database
holds what is derived from them (sections, cards) plus what only the app knows (each
card's SM-2 state and the review log).  The schema is owned by the Alembic migrations
in ``migrations/``; ``tests/db/test_migrations.py`` checks that the two agree.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Named constraints, so batch migrations on SQLite can find and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Note(Base):
    """One Markdown file of the notes folder, as last read."""

    __tablename__ = "notes"
    __table_args__ = (
        Index("ix_notes_id_missing", "id", "missing"),
        # The warm import reads these for every note; the body sits before them in the
        # row, so without a covering index each read walks the body's overflow pages.
        Index(
            "ix_notes_import_scan",
            "id",
            "path",
            "mtime_ns",
            "size",
            "content_sha256",
            "missing",
            "parse_error",
            "parsed_version",
        ),
        # The dashboard's mastery per tag and per folder (migration 0005).
        Index("ix_notes_stats", "missing", "folder", "mastery_level", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String, unique=True)  # posix, relative to the notes folder
    title: Mapped[str] = mapped_column(String, default="")
    folder: Mapped[str] = mapped_column(String, default="", index=True)
    created: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_reviewed: Mapped[date | None] = mapped_column(Date, nullable=True)
    next_review: Mapped[date | None] = mapped_column(Date, nullable=True)
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    difficulty: Mapped[str] = mapped_column(String, default="medium")
    mastery_level: Mapped[float] = mapped_column(Float, default=0.0)
    has_frontmatter: Mapped[bool] = mapped_column(Boolean, default=True)
    extra_json: Mapped[str] = mapped_column(
        Text, default="{}"
    )  # unknown frontmatter keys, untouched
    warnings_json: Mapped[str] = mapped_column(Text, default="[]")
    parse_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[str] = mapped_column(Text, default="")
    body_line_offset: Mapped[int] = mapped_column(Integer, default=0)
    answer_markdown: Mapped[str] = mapped_column(Text, default="")
    content_sha256: Mapped[str] = mapped_column(String, default="")
    mtime_ns: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The note's tables, stored once; its table cards' compact payloads point into them
    # (migration 0009, studyapp.core.table_store).  NULL/empty: no table card.
    tables_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    # studyapp.core.table_store.CARD_GENERATOR_VERSION of the cards stored for this note.
    parsed_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    cards: Mapped[list[Card]] = relationship(back_populates="note")
    tags: Mapped[list[Tag]] = relationship(secondary="note_tags", back_populates="notes")


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String, unique=True)

    notes: Mapped[list[Note]] = relationship(secondary="note_tags", back_populates="tags")


class NoteTag(Base):
    __tablename__ = "note_tags"

    note_id: Mapped[int] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class Card(Base):
    """One thing to recall, with its own SM-2 state.

    ``(note_id, kind, anchor)`` is the structural identity; calc cards have no note
    (``note_id`` NULL) and are linked to notes through :class:`CardLink`.
    """

    __tablename__ = "cards"
    __table_args__ = (
        UniqueConstraint("note_id", "kind", "anchor", name="uq_cards_identity"),
        # No index on first_seen or last_review: no query reads one, and every answer
        # moved its entries (migration 0010).
        # New cards in queue order, per kind: today's few are read without a sort.
        Index("ix_cards_new", "kind", "id", sqlite_where=text("due IS NULL")),
        # The queue's "has this note a new card it may show" probe, from the index alone.
        Index(
            "ix_cards_new_note",
            "note_id",
            "retired",
            "suspended",
            "kind",
            "buried_until",
            sqlite_where=text("due IS NULL"),
        ),
        # ix_cards_due_cover's columns + interval, scheduled cards only: the queue's due
        # read and stats()' scheduled cards (due day, interval) from the index alone.
        Index(
            "ix_cards_scheduled",
            "retired",
            "suspended",
            "due",
            "id",
            "buried_until",
            "note_id",
            "kind",
            "sibling_key",
            "interval",
            sqlite_where=text("due IS NOT NULL"),
        ),
        # Only the cards stats()' "hardest" list can show (reviewed, lapsed or failing).
        Index(
            "ix_cards_hard",
            "retired",
            "lapses",
            "reps",
            "ef_milli",
            sqlite_where=text("last_review IS NOT NULL AND (lapses > 0 OR reps = 0)"),
        ),
        Index(
            "ix_cards_due_cover",
            # id right after due: the queue's ORDER BY due, id is read in index order.
            "retired",
            "suspended",
            "due",
            "id",
            "buried_until",
            "note_id",
            "kind",
            "sibling_key",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int | None] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String)
    anchor: Mapped[str] = mapped_column(String)
    title: Mapped[str] = mapped_column(String, default="")
    payload_json: Mapped[str] = mapped_column(Text, default="{}")
    sibling_key: Mapped[str] = mapped_column(String, default="")
    ef_milli: Mapped[int] = mapped_column(Integer, default=2500)
    interval: Mapped[int] = mapped_column(Integer, default=0)
    reps: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    due: Mapped[date | None] = mapped_column(Date, nullable=True)  # None: new, never reviewed
    last_review: Mapped[date | None] = mapped_column(Date, nullable=True)
    first_seen: Mapped[date | None] = mapped_column(
        Date, nullable=True
    )  # study day it stopped being new
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    buried_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)  # its anchor disappeared
    # --- FSRS memory state (migration 0004); NULL until FSRS has scheduled the card.
    fsrs_stability: Mapped[float | None] = mapped_column(Float, nullable=True)
    fsrs_difficulty: Mapped[float | None] = mapped_column(Float, nullable=True)

    note: Mapped[Note | None] = relationship(back_populates="cards")


class CardLink(Base):
    """Calc cards linked to the notes about deployment/compression."""

    __tablename__ = "card_links"

    card_id: Mapped[int] = mapped_column(
        ForeignKey("cards.id", ondelete="CASCADE"), primary_key=True
    )
    note_id: Mapped[int] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True
    )


class ReviewLog(Base):
    """Every answer, rich enough to replay SM-2 or fit another scheduler later.

    ``writeback`` tracks the note write of an answer (a ``note`` card answer, or a table
    answer that moved the note's ``mastery_level`` by >= 0.01): ``pending`` until the
    file has been replaced, ``done`` after, ``deferred`` when the file could not be
    written (read-only, disk full, folder missing) and ``none`` for answers that do not
    touch a file.  Start-up reconciliation finishes pending and deferred rows.
    ``fm_before``/``fm_after`` hold the exact frontmatter block bytes, which is what
    lets ``undo`` restore a note byte for byte.
    """

    __tablename__ = "review_log"
    __table_args__ = (
        Index("ix_review_log_day", "study_day", "note_id"),
        # The answers that count (not cram, not undone) with what the due queue reads of
        # today's: migration 0008.
        Index(
            "ix_review_log_counted",
            "study_day",
            "card_id",
            "note_id",
            "rescheduled",
            "first_seen_before",
            "cram",  # SQLite reads the columns of the WHERE terms even when implied
            "undone",
            sqlite_where=text("cram IS 0 AND undone IS 0"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    note_id: Mapped[int | None] = mapped_column(
        ForeignKey("notes.id", ondelete="SET NULL"), nullable=True
    )
    session_id: Mapped[str] = mapped_column(String, index=True)
    reviewed_at: Mapped[datetime] = mapped_column(DateTime)  # UTC, naive
    study_day: Mapped[date] = mapped_column(Date)
    grade: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String, default="note")
    cram: Mapped[bool] = mapped_column(Boolean, default=False)
    rescheduled: Mapped[bool] = mapped_column(Boolean, default=True)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    seed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    ef_before: Mapped[int] = mapped_column(Integer)
    ef_after: Mapped[int] = mapped_column(Integer)
    interval_before: Mapped[int] = mapped_column(Integer)
    interval_after: Mapped[int] = mapped_column(Integer)
    reps_before: Mapped[int] = mapped_column(Integer)
    reps_after: Mapped[int] = mapped_column(Integer)
    lapses_before: Mapped[int] = mapped_column(Integer, default=0)
    lapses_after: Mapped[int] = mapped_column(Integer, default=0)
    due_before: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_after: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_review_before: Mapped[date | None] = mapped_column(Date, nullable=True)
    first_seen_before: Mapped[date | None] = mapped_column(Date, nullable=True)
    writeback: Mapped[str] = mapped_column(String, default="none")
    writeback_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    fm_before: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    fm_after: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    note_values_before: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    note_values_after: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    # --- FSRS (migration 0004): which scheduler answered, and the memory state before,
    # so undo restores it; NULL on rows written before 0004 or for cards FSRS never saw.
    scheduler: Mapped[str] = mapped_column(String, default="sm2", server_default="sm2")
    fsrs_stability_before: Mapped[float | None] = mapped_column(Float, nullable=True)
    fsrs_difficulty_before: Mapped[float | None] = mapped_column(Float, nullable=True)


class ImportProblem(Base):
    """Notes rejected (or partially accepted) by the last import, for the UI to list."""

    __tablename__ = "import_problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String)
    error: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String, default="error")  # error | warning
    seen_at: Mapped[datetime] = mapped_column(DateTime)


class Setting(Base):
    """User settings (new cards per day, rollover hour, ...), as JSON values."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String, primary_key=True)
    value_json: Mapped[str] = mapped_column(Text)


# --- FSRS and exams (migration 0004) -------------------------------------------------------


class FsrsParams(Base):
    """FSRS parameters fitted to this collection's log (the newest row is in use)."""

    __tablename__ = "fsrs_params"

    id: Mapped[int] = mapped_column(primary_key=True)
    params_json: Mapped[str] = mapped_column(Text)
    fitted_on: Mapped[date] = mapped_column(Date)  # study day of the fit
    review_count: Mapped[int] = mapped_column(Integer)  # long-term reviews it was fitted on
    created_at: Mapped[datetime] = mapped_column(DateTime)  # UTC, naive


class Exam(Base):
    """An interview date and its scope (a tag, a folder, or the whole collection)."""

    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String, unique=True)
    exam_date: Mapped[date] = mapped_column(Date)
    tag: Mapped[str | None] = mapped_column(String, nullable=True)
    folder: Mapped[str | None] = mapped_column(String, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)  # UTC, naive


# --- event log (issue 15): the notes folder's .studyapp/log is the truth, these index it ---


class LocalDevice(Base):
    """This database's device id and event counter (one row, ``id`` = 1).

    Created once per database: a rebuilt or new database is a new device, so two
    databases never append to the same log file or reuse an event id.
    """

    __tablename__ = "local_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String)
    counter: Mapped[int] = mapped_column(Integer, default=0)


class Event(Base):
    """Every event of every device's log that this database has seen (merged or written).

    ``body`` is the JSON line as in the file; ``log_id`` the review-log row an answer
    produced (plain integer, no foreign key: a rebuild re-creates the rows).
    ``pending`` marks a line this device could not append yet (notes folder read-only,
    disk full); the next start appends it.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_note_path", "note_path"),
        Index("ix_events_log_id", "log_id"),
    )

    event_id: Mapped[str] = mapped_column(String, primary_key=True)
    device: Mapped[str] = mapped_column(String)
    counter: Mapped[int] = mapped_column(Integer)
    ts: Mapped[str] = mapped_column(String)  # ISO, microseconds: sorts as text
    type: Mapped[str] = mapped_column(String)
    note_path: Mapped[str | None] = mapped_column(String, nullable=True)
    kind: Mapped[str | None] = mapped_column(String, nullable=True)
    anchor: Mapped[str | None] = mapped_column(String, nullable=True)
    body: Mapped[str] = mapped_column(Text)
    log_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)


class EventFile(Base):
    """How far each device's log file has been read: append-only, so only the tail is new."""

    __tablename__ = "event_files"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    offset: Mapped[int] = mapped_column(Integer, default=0)


class NoteOwed(Base):
    """A note whose four schedule lines a merge changed and the file does not have yet.

    Written in the merge's transaction, removed once the file is written: a crash or a
    read-only note between the two is finished at the next start.
    """

    __tablename__ = "notes_owed"

    note_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: the four values to write (JSON): a re-import of an edited note in between must
    #: not replace them with the file's older ones
    values_json: Mapped[str] = mapped_column(Text)
