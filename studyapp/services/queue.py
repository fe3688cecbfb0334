"""Today's review queue: due cards first, then new cards gathered across the collection.

Split from :mod:`studyapp.services.review` (which records answers): building the queue
reads the log and the card index only, and is the part the queue benchmarks profile.
New cards are interleaved round-robin over folders and notes with calc cards at their
share, per-note and per-day limits are counted from the study day's log, and siblings
(same row or note) are buried for the day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import aliased

from studyapp.core.session import (
    QueueItem,
    build_queue,
    bury_siblings,
    interleave_new,
    note_key,
)
from studyapp.db.models import Card, Note, NoteTag, ReviewLog, Tag
from studyapp.services import exams
from studyapp.services.collection import Collection


@dataclass
class _TodayLog:
    """Today's answers as the queue needs them (see ``ReviewService._answered_today``)."""

    new_cards: set[int] = field(default_factory=set)
    new_per_note: Counter[int] = field(default_factory=Counter)
    rows: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)

    def bury_keys(self, mode: str) -> set[str]:
        if mode == "row":
            return set(self.rows)
        if mode == "note":
            return set(self.notes)
        return set()


#: Notes read past ``2 * wanted`` before the new-card shortcut of ``_new_items`` gives up
#: and reads all candidates (a test sets it huge to compare both ways).
_HEAD_SLACK = 8


def driver_rows(session: Any, statement: Any) -> list[tuple[Any, ...]]:
    """Rows of a Core ``statement`` as plain driver tuples (no result processing).

    Bound dates are passed as ISO strings, the way the ``Date`` columns store them;
    use it only for statements whose selected columns need no type processing.
    """
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    params = compiled.construct_params()
    values = [params[name] for name in compiled.positiontup or ()]
    values = [v.isoformat() if isinstance(v, date) else v for v in values]
    raw = connection.connection.driver_connection
    return raw.execute(str(compiled), values).fetchall()  # type: ignore[no-any-return]


def _note_folders(session: Any) -> dict[int, str]:
    """Every note's folder, as plain tuples through the covering folder index (the ORM's
    row handling cost 27 ms of the 10k-note dashboard for 10,000 pairs)."""
    raw = session.connection().connection.driver_connection
    return dict(raw.execute("SELECT id, folder FROM notes").fetchall())


class DueQueue:
    """The queue half of :class:`~studyapp.services.review.ReviewService`."""

    coll: Collection

    def due_items(
        self,
        *,
        tag: str | None = None,
        kind: str | None = None,
        folder: str | None = None,
        limit: int | None = None,
        today: date | None = None,
    ) -> list[QueueItem]:
        """Today's queue: due reviews oldest first, then today's new cards.

        Siblings are buried (``bury_siblings``), new cards interleaved across folders,
        notes and kinds (:func:`studyapp.core.session.interleave_new`), and the
        ``new_per_day``/``new_per_note`` limits counted from today's log.  Cards of one
        note are spread apart.
        """
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
            # At 300k cards ~33k rows are due: SQLAlchemy's row handling was half of
            # due_items (82 ms), so the statement runs on the driver connection, and each
            # distinct due day is parsed once.
            # The items are made with tuple.__new__ directly: what QueueItem's generated
            # __new__ does, without its Python frame per row (~10 ms at 33k rows).
            days: dict[str, date] = {}
            make = tuple.__new__
            due_all: list[QueueItem] = [
                make(
                    QueueItem,
                    (cid, nid, k, days.get(d) or days.setdefault(d, date.fromisoformat(d)), sk, ""),
                )
                for cid, nid, k, d, sk in driver_rows(session, due_query)
            ]
            today_log = self._answered_today(session, day)
            new_done = len(today_log.new_cards)
            # + today's "study more" allowance (services/custom_study.py), 0 on other days
            extra = settings.extra_new if settings.extra_new_day == day.isoformat() else 0
            wanted = max(0, settings.new_per_day + extra - new_done)
            # Reviews first: a due card takes its row (or note) for today, so its new
            # siblings wait for another day.
            due, seen = bury_siblings(
                due_all, settings.bury_siblings, today_log.bury_keys(settings.bury_siblings)
            )
            new: list[QueueItem] = []
            if wanted:
                # --- issue 14: new cards in an upcoming exam's scope come first.
                priority_items: list[QueueItem] = []
                priority = exams.priority_filter(self.coll, day)
                if priority is not None:
                    folders_of = _note_folders(session)
                    priority_items = [
                        QueueItem(
                            r.id,
                            r.note_id,
                            r.kind,
                            None,
                            r.sibling_key,
                            folders_of.get(r.note_id, ""),
                        )
                        for r in session.execute(
                            base.where(Card.due.is_(None), priority).order_by(Card.id).limit(wanted)
                        )
                    ]
                # --- end issue 14
                rest = self._new_items(
                    session, base, kind, wanted - len(priority_items), today_log, seen
                )
                taken = {item.card_id for item in priority_items}
                new = [*priority_items, *(item for item in rest if item.card_id not in taken)]
        queue = build_queue(due, new, len(new), 0, key=note_key)
        return queue[:limit] if limit else queue

    def _answered_today(self, session: Any, day: date) -> _TodayLog:
        """What the log says about today: new cards introduced (per note) and bury keys.

        Counted from the log, not per session, so closing a session and starting
        another one the same study day gives no fresh allowance.  Cram answers and
        undone answers do not count.
        """
        query = (
            select(
                ReviewLog.card_id,
                ReviewLog.note_id,
                ReviewLog.first_seen_before.is_(None),
                ReviewLog.rescheduled,
                Card.sibling_key,
                Card.kind,
            )
            .join(Card, Card.id == ReviewLog.card_id)
            .where(
                ReviewLog.study_day == day,
                ReviewLog.cram.is_(False),
                ReviewLog.undone.is_(False),
            )
        )
        log = _TodayLog()
        # Plain driver tuples, as for the due query: a busy day has thousands of answers
        # (at 300k cards SQLAlchemy's row handling was two thirds of this read).
        for card_id, note_id, was_new, rescheduled, sibling, kind in driver_rows(session, query):
            if rescheduled and was_new and card_id not in log.new_cards:
                log.new_cards.add(card_id)
                if note_id is not None:
                    log.new_per_note[note_id] += 1
            if kind != "calc" and note_id is not None:
                if sibling:
                    log.rows.add(f"{note_id}|{sibling}")  # as core.session._bury_key
                log.notes.add(f"note:{note_id}")
        return log

    def _new_items(
        self,
        session: Any,
        base: Any,
        kind: str | None,
        wanted: int,
        today_log: _TodayLog,
        seen: set[str],
    ) -> list[QueueItem]:
        """Today's new cards: round-robin over folders and notes, calc at its share."""
        settings = self.coll.settings
        per_note = settings.new_per_note
        if per_note < 0:
            raise ValueError(f"new_per_note must be >= 0, got {per_note}")
        fresh = base.where(Card.due.is_(None))
        calc_wanted = kind == "calc" or (not kind and settings.calc_in_review)
        calc: list[QueueItem] = []
        if calc_wanted:
            calc = [
                QueueItem(r.id, None, r.kind, None, r.sibling_key, "")
                for r in session.execute(
                    fresh.where(Card.kind == "calc", Card.note_id.is_(None))
                    .order_by(Card.id)
                    .limit(wanted)
                )
            ]
        if kind == "calc":
            return calc
        folders = _note_folders(session)
        # The notes with a new card, as one probe per note (the first new card of a note
        # ends its probe) instead of DISTINCT over every new card's index entry: at 10k
        # notes / 557k new cards 29 ms instead of 88-138 ms.
        outer = aliased(Note)
        has_new = fresh.where(Card.note_id == outer.id).exists()
        note_ids = [
            n
            for (n,) in driver_rows(session, select(outer.id).where(has_new).order_by(outer.id))
            if today_log.new_per_note.get(n, 0) < per_note
        ]
        # Enough notes for the round-robin: each gives at least one card a round.
        by_folder: dict[str, list[int]] = {}
        for n in note_ids:
            by_folder.setdefault(folders.get(n, ""), []).append(n)
        chosen = [n for ns in by_folder.values() for n in ns[: 2 * wanted]]
        share = settings.calc_new_share if calc_wanted else 0.0

        def cards_of(note_ids: list[int]) -> list[QueueItem]:
            if not note_ids or not per_note:
                return []
            rn = func.row_number().over(partition_by=Card.note_id, order_by=Card.id).label("rn")
            inner = (
                fresh.where(Card.note_id.in_(note_ids), Card.kind != "calc")
                .add_columns(rn)
                .subquery()
            )
            # A few more per note than the limit: buried rows are skipped over.
            rows = session.connection().execute(
                select(inner.c.id, inner.c.note_id, inner.c.kind, inner.c.sibling_key)
                .where(inner.c.rn <= per_note * 3 + 1)
                .order_by(inner.c.note_id, inner.c.id)
            )
            return [
                QueueItem(cid, nid, k, None, sk, folders.get(nid, "")) for cid, nid, k, sk in rows
            ]

        def interleave(cards: list[QueueItem]) -> list[QueueItem]:
            return interleave_new(
                [*cards, *calc],
                limit=wanted,
                per_note_limit=per_note,
                used_per_note=today_log.new_per_note,
                calc_share=share,
                bury_mode=settings.bury_siblings,
                seen_today=seen,
            )

        # interleave_new visits notes one folder at a time (folders by name) and takes one
        # card per note per round.  If the first few notes of that order fill the day in
        # the first round (no note twice), the notes after them cannot change the
        # result: read only their cards.  At 10k notes this reads ~50 notes' cards
        # instead of ~10,000 notes' (1.8 s of the dashboard's 1.9 s).
        columns = [by_folder[f][: 2 * wanted] for f in sorted(by_folder)]
        order = [
            c[depth]
            for depth in range(max((len(c) for c in columns), default=0))
            for c in columns
            if depth < len(c)
        ]
        head = order[: 2 * wanted + _HEAD_SLACK]
        if len(head) < len(order):
            quick = interleave(cards_of(sorted(head)))
            notes_used = [i.note_id for i in quick if i.note_id is not None]
            if len(quick) == wanted and len(notes_used) == len(set(notes_used)):
                return quick
        return interleave(cards_of(chosen))
