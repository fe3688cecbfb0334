"""Card actions outside answering: bury (card or note), suspend, reset a note.

Split from :mod:`studyapp.services.review`; ``CardActions`` is a base of
:class:`~studyapp.services.review.ReviewService`.  Each action is one transaction and
one event-log line (issue 15).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from studyapp.db.models import Card, Note
from studyapp.services import eventlog
from studyapp.services.collection import Collection


class CardActions:
    """Bury, suspend and reset for :class:`~studyapp.services.review.ReviewService`."""

    coll: Collection

    # -- card management -------------------------------------------------------------
    def bury(self, card_id: int, days: int = 1) -> None:
        """Hide a card until ``days`` study days from now (``s`` in the review screen)."""
        until = self.coll.today() + timedelta(days=days)
        with self.coll.session() as session, session.begin():
            session.execute(update(Card).where(Card.id == card_id).values(buried_until=until))
            eventlog.log_card_flag(self.coll, session, card_id, until=until)  # issue 15

    def bury_note(self, note_id: int, days: int = 1) -> dict[int, date | None]:
        """Bury every card of a note (``=`` in a review); returns the previous values for undo."""
        until = self.coll.today() + timedelta(days=days)
        with self.coll.session() as session, session.begin():
            before = {
                card_id: buried
                for card_id, buried in session.execute(
                    select(Card.id, Card.buried_until).where(Card.note_id == note_id)
                )
            }
            session.execute(update(Card).where(Card.note_id == note_id).values(buried_until=until))
        return before

    def restore_buried(self, values: dict[int, date | None]) -> None:
        """Put back ``buried_until`` values returned by :meth:`bury_note` (its undo)."""
        with self.coll.session() as session, session.begin():
            for card_id, buried in values.items():
                session.execute(update(Card).where(Card.id == card_id).values(buried_until=buried))

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
                .values(
                    ef_milli=ef,
                    interval=0,
                    reps=0,
                    lapses=0,
                    due=None,
                    last_review=None,
                    fsrs_stability=None,
                    fsrs_difficulty=None,
                )
            )
            note.mastery_level = 0.0
            eventlog.log_reset(self.coll, session, note, ef)  # issue 15: the notes' event log
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
