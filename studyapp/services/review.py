"""The review service: due queue, recording answers, undo, bury, suspend.

Both front ends (plain CLI and TUI) drive reviews through this module; it has the
only copy of the "answer → schedule → log → write-back" sequence.  Scheduling
itself is :func:`studyapp.core.srs.review`; session order and relearning are
:class:`studyapp.core.session.ReviewSession`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import String, func, select, type_coerce, update

from studyapp.core.atomic import WriteConflict, atomic_write
from studyapp.core.frontmatter_io import sha256_hex
from studyapp.core.session import QueueItem, build_queue
from studyapp.core.srs import NOTE_CARD_WEIGHT, SrsState, note_mastery, review
from studyapp.db.models import Card, Note, NoteTag, ReviewLog, Tag
from studyapp.services import eventlog, writeback
from studyapp.services.collection import Collection


@dataclass(frozen=True)
class CardView:
    """A card with what a front end needs to present it."""

    id: int
    kind: str
    title: str
    payload: dict[str, Any]
    state: SrsState
    note_id: int | None
    note_path: str | None
    note_title: str
    suspended: bool
    sibling_key: str


@dataclass(frozen=True)
class AnswerResult:
    log_id: int
    card_id: int
    before: SrsState
    after: SrsState
    rescheduled: bool
    writeback: str  # none | done | deferred
    message: str | None = None
    note_mastery: float | None = None


@dataclass(frozen=True)
class UndoResult:
    log_id: int
    card_id: int
    grade: int
    restored_file: bool
    message: str | None = None


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]


def _state(card: Card) -> SrsState:
    return SrsState(
        ef_milli=card.ef_milli,
        interval=card.interval,
        reps=card.reps,
        lapses=card.lapses,
        due=card.due,
        last_review=card.last_review,
    )


class ReviewService:
    def __init__(self, coll: Collection) -> None:
        self.coll = coll

    # -- queue ---------------------------------------------------------------------
    def due_items(
        self,
        *,
        tag: str | None = None,
        kind: str | None = None,
        folder: str | None = None,
        limit: int | None = None,
        today: date | None = None,
    ) -> list[QueueItem]:
        """Today's queue: overdue oldest first, then new cards within the daily limit."""
        day = today or self.coll.today()
        settings = self.coll.settings
        with self.coll.session() as session:
            # Missing notes are few: excluding them by id keeps the query on the covering
            # index instead of reading each card's note row (``missing`` sits after the body).
            missing_notes = select(Note.id).where(Note.missing.is_(True))
            base = select(Card.id, Card.note_id, Card.kind, Card.due, Card.sibling_key).where(
                Card.retired.is_(False),
                Card.suspended.is_(False),
                (Card.buried_until.is_(None)) | (Card.buried_until <= day),
                (Card.note_id.is_(None)) | Card.note_id.not_in(missing_notes),
            )
            if kind:
                base = base.where(Card.kind == kind)
            elif not settings.calc_in_review:
                base = base.where(Card.kind != "calc")
            if tag:
                base = base.where(
                    Card.note_id.in_(
                        select(NoteTag.note_id)
                        .join(Tag)
                        .where((Tag.name == tag) | Tag.name.startswith(tag + "/"))
                    )
                )
            if folder:
                base = base.where(
                    Card.note_id.in_(
                        select(Note.id).where(
                            (Note.folder == folder) | Note.folder.startswith(folder + "/")
                        )
                    )
                )
            # Raw tuples over the covering index: at 10k+ due cards SQLAlchemy's
            # per-row result processing cost three times SQLite's own fetch.
            due_query = (
                base.with_only_columns(
                    Card.id,
                    Card.note_id,
                    Card.kind,
                    type_coerce(Card.due, String),
                    Card.sibling_key,
                )
                .where(Card.due.is_not(None), Card.due <= day)
                .order_by(Card.due, Card.id)
            )
            due_rows = [
                (cid, nid, k, date.fromisoformat(d), sk)
                for cid, nid, k, d, sk in session.connection().execute(due_query)
            ]
            new_done = int(
                session.scalar(select(func.count()).select_from(Card).where(Card.first_seen == day))
                or 0
            )
            # Only the first ``wanted`` new cards (after the per-note table cap) can
            # enter today's queue: read the ordered new cards lazily and stop there,
            # instead of materialising every new card of a big collection.
            wanted = max(0, settings.new_per_day - new_done)
            new: list[QueueItem] = []
            if wanted:
                per_note = settings.table_cards_per_note
                if per_note < 0:  # the same rule as core.table_cards.limit_per_note
                    raise ValueError(f"per_note_limit must be >= 0, got {per_note}")
                tables_of: dict[int | None, int] = {}
                # Note cards first, then table cards, then calc cards, each in id
                # (import) order: one query per kind walks ix_cards_new in order and
                # stops as soon as today's quota is full.
                for new_kind in ("note", "table", "calc"):
                    if len(new) >= wanted or (kind and kind != new_kind):
                        continue
                    if new_kind == "calc" and not kind and not settings.calc_in_review:
                        continue
                    result = session.execute(
                        base.where(Card.due.is_(None), Card.kind == new_kind)
                        .order_by(Card.id)
                        .execution_options(yield_per=max(64, min(wanted * 2, 2000)))
                    )
                    for r in result:
                        if r.kind == "table":
                            used = tables_of.get(r.note_id, 0)
                            if used >= per_note:
                                continue
                            tables_of[r.note_id] = used + 1
                        new.append(QueueItem(r.id, r.note_id, r.kind, r.due, r.sibling_key))
                        if len(new) >= wanted:
                            break
                    result.close()
        due = [QueueItem(*row) for row in due_rows]  # columns in QueueItem order
        queue = build_queue(due, new, settings.new_per_day, new_done)
        return queue[:limit] if limit else queue

    def card(self, card_id: int) -> CardView:
        with self.coll.session() as session:
            card = session.get(Card, card_id)
            if card is None:
                raise KeyError(card_id)
            note = card.note
            return CardView(
                id=card.id,
                kind=card.kind,
                title=card.title,
                payload=json.loads(card.payload_json),
                state=_state(card),
                note_id=card.note_id,
                note_path=note.path if note else None,
                note_title=note.title if note else "",
                suspended=card.suspended,
                sibling_key=card.sibling_key,
            )

    # -- answering -----------------------------------------------------------------
    def record(
        self,
        card_id: int,
        grade: int,
        *,
        session_id: str,
        duration_ms: int = 0,
        rescheduled: bool = True,
        response: str | None = None,
        correct: bool | None = None,
        seed: int | None = None,
        cram: bool = False,
    ) -> AnswerResult:
        """Log an answer; when it reschedules, update SM-2 and write the note back."""
        if not 0 <= grade <= 5:
            raise ValueError(f"grade must be 0-5, got {grade}")
        day = self.coll.today()
        now = self.coll.now().replace(tzinfo=None)
        reschedules = rescheduled and not cram
        with self.coll.session() as session, session.begin():
            card = session.get(Card, card_id)
            if card is None:
                raise KeyError(card_id)
            before = _state(card)
            after = review(before, grade, day) if reschedules else before
            log = ReviewLog(
                card_id=card.id,
                note_id=card.note_id,
                session_id=session_id,
                reviewed_at=now,
                study_day=day,
                grade=grade,
                kind=card.kind,
                cram=cram,
                rescheduled=reschedules,
                duration_ms=max(0, int(duration_ms)),
                seed=seed,
                response=response,
                correct=correct,
                ef_before=before.ef_milli,
                ef_after=after.ef_milli,
                interval_before=before.interval,
                interval_after=after.interval,
                reps_before=before.reps,
                reps_after=after.reps,
                lapses_before=before.lapses,
                lapses_after=after.lapses,
                due_before=before.due,
                due_after=after.due,
                last_review_before=card.last_review,
                first_seen_before=card.first_seen,
                writeback="none",
            )
            mastery: float | None = None
            if reschedules:
                card.ef_milli, card.interval, card.reps = after.ef_milli, after.interval, after.reps
                card.lapses, card.due, card.last_review = after.lapses, after.due, after.last_review
                if card.first_seen is None:
                    card.first_seen = day
                note = card.note
                if note is not None:
                    session.flush()
                    mastery = round(self._note_mastery(session, note.id), 2)
                    values_before = {
                        "last_reviewed": note.last_reviewed,
                        "next_review": note.next_review,
                        "review_count": note.review_count,
                        "mastery_level": note.mastery_level,
                    }
                    note.mastery_level = mastery
                    if card.kind == "note" and not note.missing:
                        values_after = {
                            "last_reviewed": day,
                            "next_review": after.due,
                            "review_count": note.review_count + 1,
                            "mastery_level": mastery,
                        }
                        log.writeback = "pending"
                        log.note_values_before = writeback.encode_values(values_before)
                        log.note_values_after = writeback.encode_values(values_after)
            session.add(log)
            session.flush()
            eventlog.log_answer(self.coll, session, card, log)  # issue 15: the notes' event log
            log_id = log.id
            status = log.writeback
            owed = None
            if status == "pending":
                note = card.note
                assert note is not None and log.note_values_after is not None
                owed = (note.id, log.note_values_after, note.path, note.content_sha256)
        message = None
        if status == "pending":
            outcome = writeback.perform(self.coll, log_id, owed=owed)
            status, message = outcome.status, outcome.message
        return AnswerResult(log_id, card_id, before, after, reschedules, status, message, mastery)

    def _note_mastery(self, session: Any, note_id: int) -> float:
        # Only the schedule columns (no ORM objects, no payloads), found through the
        # note_id index: with ``retired`` in the WHERE clause SQLite picked the queue
        # index (retired, suspended, due) and scanned every card of the collection.
        rows = [
            r
            for r in session.execute(
                select(
                    Card.kind,
                    Card.retired,
                    Card.ef_milli,
                    Card.interval,
                    Card.reps,
                    Card.lapses,
                    Card.due,
                    Card.last_review,
                )
                .where(Card.note_id == note_id)
                .order_by(Card.id)
            )
            if not r.retired
        ]
        if not rows:
            return 0.0
        states = [
            SrsState(
                ef_milli=r.ef_milli,
                interval=r.interval,
                reps=r.reps,
                lapses=r.lapses,
                due=r.due,
                last_review=r.last_review,
            )
            for r in rows
        ]
        weights = [NOTE_CARD_WEIGHT if r.kind == "note" else 1.0 for r in rows]
        return note_mastery(states, weights)

    # -- undo ----------------------------------------------------------------------
    def undo_last(self, session_id: str | None = None) -> UndoResult | None:
        """Revert the last answer of the latest (or given) session: DB state and note bytes."""
        with self.coll.session() as session:
            if session_id is None:
                session_id = session.scalar(
                    select(ReviewLog.session_id).order_by(ReviewLog.id.desc()).limit(1)
                )
                if session_id is None:
                    return None
            log = session.scalars(
                select(ReviewLog)
                .where(ReviewLog.session_id == session_id, ReviewLog.undone.is_(False))
                .order_by(ReviewLog.id.desc())
                .limit(1)
            ).first()
            if log is None:
                return None
            log_id = log.id
        return self._undo(log_id)

    def _undo(self, log_id: int) -> UndoResult:
        with self.coll.session() as session, session.begin():
            log = session.get(ReviewLog, log_id)
            assert log is not None
            card = session.get(Card, log.card_id)
            assert card is not None
            if log.rescheduled:
                card.ef_milli, card.interval, card.reps = (
                    log.ef_before,
                    log.interval_before,
                    log.reps_before,
                )
                card.lapses, card.due = log.lapses_before, log.due_before
                card.last_review, card.first_seen = log.last_review_before, log.first_seen_before
            log.undone = True
            eventlog.log_undo(self.coll, session, log)  # issue 15: the notes' event log
            owed_file = log.writeback == "done"
            if log.writeback in ("pending", "deferred"):
                log.writeback = "cancelled"  # the file never got it
            if owed_file:
                log.writeback = "undo_pending"
            if card.note is not None and log.rescheduled:
                session.flush()
                card.note.mastery_level = round(self._note_mastery(session, card.note.id), 2)
            fm_before, fm_after, note_id = log.fm_before, log.fm_after, log.note_id
            grade, card_id = log.grade, log.card_id
        restored, message = False, None
        if owed_file and note_id is not None:
            restored = self._restore_head(note_id, fm_before, fm_after, log_id)
            if not restored:
                outcome = writeback.perform(self.coll, log_id)
                restored, message = outcome.status == "done", outcome.message
        return UndoResult(log_id, card_id, grade, restored, message)

    def _restore_head(
        self, note_id: int, fm_before: bytes | None, fm_after: bytes | None, log_id: int
    ) -> bool:
        """Swap the frontmatter head back byte for byte when the file still has ours."""
        if fm_before is None or fm_after is None:
            return False
        with self.coll.session() as session:
            note = session.get(Note, note_id)
            if note is None:
                return False
            try:
                path = writeback.resolve_note_path(self.coll, note.path)
            except OSError:
                return False
            values_before = writeback.decode_values(
                session.get(ReviewLog, log_id).note_values_before  # type: ignore[union-attr]
            )
        try:
            data = path.read_bytes()
        except OSError:
            return False
        if not data.startswith(fm_after) or writeback.head_of(data) != fm_after:
            return False
        restored = fm_before + data[len(fm_after) :]
        try:
            atomic_write(path, restored, expected_sha256=sha256_hex(data))
        except (OSError, WriteConflict):
            return False
        writeback._store_file_state(self.coll, note_id, path, restored, values_before)
        with self.coll.session() as session, session.begin():
            row = session.get(ReviewLog, log_id)
            if row is not None:
                row.writeback = "undone"
        return True

    # -- card management -------------------------------------------------------------
    def bury(self, card_id: int, days: int = 1) -> None:
        """Hide a card until ``days`` study days from now (``s`` in the review screen)."""
        until = self.coll.today() + timedelta(days=days)
        with self.coll.session() as session, session.begin():
            session.execute(update(Card).where(Card.id == card_id).values(buried_until=until))
            eventlog.log_card_flag(self.coll, session, card_id, until=until)  # issue 15

    def set_suspended(self, card_id: int, suspended: bool) -> None:
        with self.coll.session() as session, session.begin():
            session.execute(update(Card).where(Card.id == card_id).values(suspended=suspended))
            eventlog.log_card_flag(self.coll, session, card_id, on=suspended)  # issue 15

    def reset_note(self, note_id: int) -> int:
        """Forget the progress of a note's cards (history kept); returns the cards reset."""
        from studyapp.core.srs import initial_ef

        with self.coll.session() as session, session.begin():
            note = session.get(Note, note_id)
            if note is None:
                raise KeyError(note_id)
            ef = initial_ef(note.difficulty)
            result = session.execute(
                update(Card)
                .where(Card.note_id == note_id)
                .values(ef_milli=ef, interval=0, reps=0, lapses=0, due=None, last_review=None)
            )
            note.mastery_level = 0.0
            eventlog.log_reset(self.coll, session, note, ef)  # issue 15: the notes' event log
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
