"""Undo of the last answer: the database state and the note's exact previous bytes.

Split from :mod:`studyapp.services.review`; ``UndoActions`` is a base of
:class:`~studyapp.services.review.ReviewService`, which supplies ``_note_mastery``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from studyapp.core.atomic import WriteConflict, atomic_write
from studyapp.core.frontmatter_io import sha256_hex
from studyapp.db.models import Card, Note, ReviewLog
from studyapp.services import eventlog, writeback
from studyapp.services.collection import Collection


@dataclass(frozen=True)
class UndoResult:
    log_id: int
    card_id: int
    grade: int
    restored_file: bool
    message: str | None = None


class UndoActions:
    """Undo for :class:`~studyapp.services.review.ReviewService`."""

    coll: Collection

    #: ReviewService's: the note's mastery after the undone answer is taken back.
    _note_mastery: Callable[..., float]

    # -- undo ----------------------------------------------------------------------
    def undo_last(self, session_id: str | None = None, *, cram: bool = False) -> UndoResult | None:
        """Revert the last answer of a session: DB state and note bytes.

        Without ``session_id``: the latest review session (``cram=False``, the default)
        or the latest cram quiz (``cram=True``), so ``studyapp undo`` after a cram quiz
        still undoes the last real review.  Repeated calls walk back through that
        session's answers.
        """
        with self.coll.session() as session:
            if session_id is None:
                session_id = session.scalar(
                    select(ReviewLog.session_id)
                    .where(ReviewLog.cram.is_(cram))
                    .order_by(ReviewLog.id.desc())
                    .limit(1)
                )
                if session_id is None:
                    return None
            log = session.scalars(
                select(ReviewLog)
                .where(
                    ReviewLog.session_id == session_id,
                    ReviewLog.undone.is_(False),
                    ReviewLog.cram.is_(cram),
                )
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
                card.fsrs_stability = log.fsrs_stability_before  # issue 14
                card.fsrs_difficulty = log.fsrs_difficulty_before
            log.undone = True
            eventlog.log_undo(self.coll, session, log)  # issue 15: the notes' event log
            owed_file = log.writeback == "done"
            if log.writeback in ("pending", "deferred"):
                log.writeback = "cancelled"  # the file never got it
            if owed_file:
                log.writeback = "undo_pending"
            if card.note is not None and log.rescheduled:
                session.flush()
                card.note.mastery_level = self._note_mastery(
                    session.connection().connection.driver_connection, card.note.id
                )
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
            data = writeback.read_settled(path)
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
