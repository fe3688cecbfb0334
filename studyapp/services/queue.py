"""Today's review queue: due cards first, then new cards gathered across the collection.

Split from :mod:`studyapp.services.review` (which records answers): building the queue
reads the log and the card index only, and is the part the queue benchmarks profile.
New cards are interleaved round-robin over folders and notes with calc cards at their
share, per-note and per-day limits are counted from the study day's log, and siblings
(same row or note) are buried for the day.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from collections.abc import Collection as AbcCollection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    String,
    and_,
    case,
    distinct,
    func,
    literal_column,
    null,
    select,
    type_coerce,
)
from sqlalchemy.orm import aliased

from studyapp.core.session import (
    LazySpread,
    QueueItem,
    bury_into,
    bury_key,
    interleave_new,
    note_key,
)
from studyapp.db.models import Card, Note, NoteTag, ReviewLog, Tag
from studyapp.services import exams
from studyapp.services.collection import Collection
from studyapp.services.queue_view import _WINDOW, QueueView, _items


@dataclass
class _TodayLog:
    """Today's answers as the queue needs them (see ``ReviewService._answered_today``)."""

    new_cards: set[int] = field(default_factory=set)
    new_per_note: Counter[int] = field(default_factory=Counter)
    rows: set[str] = field(default_factory=set)  # "<note id>|<sibling key>"
    row_notes: set[int] = field(default_factory=set)  # the note ids in ``rows``
    note_ids: set[int] = field(default_factory=set)  # notes of today's non-calc answers

    @property
    def notes(self) -> set[str]:
        return {f"note:{n}" for n in self.note_ids}

    def bury_keys(self, mode: str) -> set[str]:
        if mode == "row":
            return set(self.rows)
        if mode == "note":
            return self.notes
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


#: A day with at most this many scheduled cards due is read whole, without counting: one
#: read (and spread) costs less than the count and a window there (twice as many when the
#: queue is only counted, as the dashboard's ~1,900 at 10k notes, and not spread).
_SMALL = 2048
#: An upper bound of the due rows (every due card, whatever the filters): the scheduled
#: cards' partial index counts its due range in ~1 ms at 37k entries, with no compile.
_DUE_BOUND = (
    "SELECT count(*) FROM cards WHERE retired IS 0 AND suspended IS 0"
    " AND due IS NOT NULL AND due <= ?"
)


def _json_ids(values: AbcCollection[Any]) -> Any:
    """``SELECT value FROM json_each(?)`` over ``values``: one bound parameter however
    many values (a busy day answers thousands of cards)."""
    table = func.json_each(json.dumps(list(values))).table_valued("value")
    return select(table.c.value)


def _due_counts(session: Any, due_base: Any, mode: str, log: _TodayLog) -> tuple[int, int]:
    """(cards the due part of the queue holds, the most of them one note has).

    The due part is every due card that no earlier due card (or today's log) buries:
    one card per bury group (a table row in ``row`` mode, a note in ``note`` mode; a
    card of its own in ``off`` mode or without a key).  SQLite groups the due range of
    the index by note and counts each note's distinct group keys (the sibling key for a
    card with a row key, else the card id; NULL, which is not counted, for a group
    today's answers took: only today's notes' keys are built and compared as text).
    The most per note is what :class:`~studyapp.core.session.LazySpread` needs to know
    when spreading must look at the whole rest.  GROUP BY puts the calc cards' NULL
    note ids in one group, as ``note_key`` does.  One sort of the due range: 20 ms of
    the 300k-card benchmark's 33k due cards.
    """
    if mode == "row":
        grouped = and_(Card.sibling_key != "", Card.kind != "calc", Card.note_id.is_not(None))
        if log.rows:
            key = literal_column("cards.note_id || '|' || cards.sibling_key")
            seen = Card.note_id.in_(_json_ids(log.row_notes)) & key.in_(_json_ids(log.rows))
            group_key: Any = case((~grouped, Card.id), (seen, null()), else_=Card.sibling_key)
        else:
            group_key = case((grouped, Card.sibling_key), else_=Card.id)
    elif mode == "note":
        group_key = literal_column("0")
        if log.note_ids:
            group_key = case((Card.note_id.in_(_json_ids(log.note_ids)), null()), else_=group_key)
    else:
        group_key = Card.id
    per_note = (
        due_base.with_only_columns(func.count(distinct(group_key)).label("c"))
        .group_by(Card.note_id)
        .subquery()
    )
    ((total, top),) = driver_rows(
        session,
        select(func.coalesce(func.sum(per_note.c.c), 0), func.coalesce(func.max(per_note.c.c), 0)),
    )
    return int(total), int(top)


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
    ) -> Sequence[QueueItem]:
        """Today's queue: due reviews oldest first, then today's new cards.

        Siblings are buried (``bury_siblings``), new cards interleaved across folders,
        notes and kinds (:func:`studyapp.core.queue_order.interleave_new`), and the
        ``new_per_day``/``new_per_note`` limits counted from today's log.  Cards of one
        note are spread apart.  Without ``limit`` a :class:`QueueView` (read lazily,
        window by window); with it a list of the first ``limit`` cards.
        """
        queue = self.due_queue(tag=tag, kind=kind, folder=folder, today=today)
        return queue[:limit] if limit else queue

    def due_queue(
        self,
        *,
        tag: str | None = None,
        kind: str | None = None,
        folder: str | None = None,
        today: date | None = None,
        counts_only: bool = False,
    ) -> QueueView:
        """Today's queue as a :class:`QueueView` (see :meth:`due_items`).

        ``counts_only``: the caller counts the queue (``len``, ``kind_counts``; the
        dashboard) and will not read it soon, so a day read whole is not ordered until
        it is read.
        """
        day = today or self.coll.today()
        settings = self.coll.settings
        mode = settings.bury_siblings
        with self.coll.session() as session:
            base = self._queue_base(day, kind, tag, folder)
            due_base = base.where(Card.due.is_not(None), Card.due <= day)
            today_log = self._answered_today(session, day)
            seen_today = today_log.bury_keys(mode)
            columns = due_base.with_only_columns(
                Card.id, Card.note_id, Card.kind, type_coerce(Card.due, String), Card.sibling_key
            )
            days: dict[str, date] = {}
            taken = set(seen_today)  # today's keys + those of the due cards read so far
            cursor: list[Any] = []  # (due day, id) of the last row read
            size = [_WINDOW]  # rows in the next window
            read_all = [False]  # a window came back short: every due row is read

            def window(session: Any) -> list[QueueItem]:
                query = columns
                if cursor:
                    d, cid = cursor
                    query = query.where(Card.due >= d, (Card.due > d) | (Card.id > cid))
                rows = driver_rows(session, query.order_by(Card.due, Card.id).limit(size[0]))
                read_all[0] = len(rows) < size[0]
                size[0] *= 2
                if not rows:
                    return []
                last = rows[-1]
                cursor[:] = [date.fromisoformat(last[3]), last[0]]
                return bury_into(_items(rows, days), mode, taken)

            # At 300k cards ~33k rows are due: reading, burying and spreading all of them
            # was 137 ms, so counts over the index give the queue's length and the rows
            # are read a window at a time, oldest due first, as the session reaches them.
            # A small day is read whole, as before: counting it would cost more.
            raw = session.connection().connection.driver_connection
            ((bound,),) = raw.execute(_DUE_BOUND, (day.isoformat(),)).fetchall()
            if bound <= (2 * _SMALL if counts_only else _SMALL):
                size[0] = bound + 1
                first = window(session)
                total = len(first)
                max_per_note = max(Counter(map(note_key, first)).values(), default=0)
            else:
                total, max_per_note = _due_counts(session, due_base, mode, today_log)
                first = window(session)
            pending = [first]

            def pull_next() -> list[QueueItem]:
                # Windows until one keeps a card (a window can be all buried siblings).
                if pending and (chunk := pending.pop()):
                    return chunk
                if read_all[0]:
                    return []
                with self.coll.session() as later:
                    while not read_all[0]:
                        if chunk := window(later):
                            return chunk
                return []

            due = LazySpread(pull_next, total, max_per_note, key_of=note_key)
            whole = read_all[0]
            if not whole:
                due.extend_to(min(total, 256))
            elif not counts_only:
                due.finish()  # all read: _spread over all of it, as before
            extra = settings.extra_new if settings.extra_new_day == day.isoformat() else 0
            wanted = max(0, settings.new_per_day + extra - len(today_log.new_cards))
            new: list[QueueItem] = []
            if wanted:
                # Reviews first: a due card takes its row (or note) for today, so its new
                # siblings wait for another day.  Only the keys of the notes whose new
                # cards are looked at matter, so only their due cards are read.
                def seen_for(note_ids: AbcCollection[int]) -> set[str]:
                    if read_all[0]:
                        return taken  # every due card's key is in it
                    out = set(seen_today)
                    if note_ids and mode != "off":
                        query = columns.where(Card.note_id.in_(_json_ids(note_ids)))
                        rows = driver_rows(session, query)
                        out.update(bury_key(i, mode) for i in _items(rows, days))
                        out.discard("")
                    return out

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
                    session, base, kind, wanted - len(priority_items), today_log, seen_for
                )
                taken_new = {i.card_id for i in priority_items}
                new = [*priority_items, *(i for i in rest if i.card_id not in taken_new)]

        def kinds() -> Counter[str]:
            if whole:
                return Counter(i.kind for i in first)
            keys = set(seen_today)
            with self.coll.session() as later:
                rows = driver_rows(later, columns.order_by(Card.due, Card.id))
            return Counter(i.kind for i in bury_into(_items(rows, {}), mode, keys))

        return QueueView(due, total, new, kinds, whole=whole)

    def _queue_base(self, day: date, kind: str | None, tag: str | None, folder: str | None) -> Any:
        """The queue's cards (due and new) under the filters: (id, note id, kind, due,
        sibling key) of active, unburied cards of present notes."""
        settings = self.coll.settings
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
        return base

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
        new_cards, per_note = log.new_cards, log.new_per_note
        rows, row_notes, note_ids = log.rows, log.row_notes, log.note_ids
        # Plain driver tuples, as for the due query: a busy day has thousands of answers
        # (at 300k cards SQLAlchemy's row handling was two thirds of this read); the
        # rows come from the covering partial index of migration 0008.
        for card_id, note_id, was_new, rescheduled, sibling, kind in driver_rows(session, query):
            if rescheduled and was_new and card_id not in new_cards:
                new_cards.add(card_id)
                if note_id is not None:
                    per_note[note_id] += 1
            if note_id is not None and kind != "calc":
                note_ids.add(note_id)
                if sibling:
                    rows.add(f"{note_id}|{sibling}")  # as core.queue_order.bury_key
                    row_notes.add(note_id)
        return log

    def _new_items(
        self,
        session: Any,
        base: Any,
        kind: str | None,
        wanted: int,
        today_log: _TodayLog,
        seen_for: Callable[[AbcCollection[int]], set[str]],
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
        # The notes with a new card, as one probe per note (the first new card of a note
        # ends its probe) instead of DISTINCT over every new card's index entry: at 10k
        # notes / 557k new cards 29 ms instead of 88-138 ms.  Each note's folder comes
        # with it, in (folder, id) order from the covering ix_notes_folder: 11.3 ms at
        # 10k notes, against 9.0 ms for the probe in id order plus 4.0 ms (and a
        # 10,000-entry dict) to read every note's folder apart.  Within a folder the ids
        # ascend, as ``by_folder`` needs.
        outer = aliased(Note)
        has_new = fresh.where(Card.note_id == outer.id).exists()
        probe = select(outer.id, outer.folder).where(has_new).order_by(outer.folder, outer.id)
        folders: dict[int, str] = {}
        by_folder: dict[str, list[int]] = {}
        used = today_log.new_per_note
        for n, f in driver_rows(session, probe):
            folders[n] = f
            if used.get(n, 0) < per_note:
                by_folder.setdefault(f, []).append(n)
        # Enough notes for the round-robin: each gives at least one card a round.
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
                # the bury keys taken today (log and due cards) of these cards' notes
                seen_today=seen_for({i.note_id for i in cards if i.note_id is not None}),
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
