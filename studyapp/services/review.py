"""The review service: due queue, recording answers, undo, bury, suspend.

Both front ends (plain CLI and TUI) drive reviews through this module; it has the
only copy of the "answer → schedule → log → write-back" sequence.  Scheduling
itself is the collection's scheduler (:mod:`studyapp.core.scheduler`: SM-2 or FSRS), with
exam caps from :mod:`studyapp.services.exams`; session order and relearning are
:class:`studyapp.core.session.ReviewSession`.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import String, func, select, type_coerce, update
from sqlalchemy.orm import aliased

from studyapp.core.atomic import WriteConflict, atomic_write
from studyapp.core.frontmatter_io import sha256_hex
from studyapp.core.mastery import combine_mastery, mastery_changed
from studyapp.core.scheduler import Sm2Scheduler
from studyapp.core.session import (
    QueueItem,
    build_queue,
    bury_siblings,
    interleave_new,
    note_key,
)
from studyapp.core.srs import SrsState, card_mastery
from studyapp.db.models import Card, Note, NoteTag, ReviewLog, Tag
from studyapp.services import eventlog, exams, writeback
from studyapp.services.collection import Collection
from studyapp.services.scheduler import active_scheduler, card_schedule, store_schedule


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


def interval_label(days: int) -> str:
    """A short interval for a grade button, as Anki writes it: ``6d``, ``1.5mo``, ``2.1y``."""
    if days < 30:
        return f"{days}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")


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


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


_STATE_COLUMNS = (
    "ef_milli, interval, reps, lapses, due, last_review, first_seen,"
    " fsrs_stability, fsrs_difficulty"
)
_CARD_STATE_SQL = f"SELECT id, note_id, kind, {_STATE_COLUMNS} FROM cards WHERE id = ?"
_CARD_UPDATE_SQL = (
    "UPDATE cards SET ef_milli = ?, interval = ?, reps = ?, lapses = ?, due = ?,"
    " last_review = ?, first_seen = ?, fsrs_stability = ?, fsrs_difficulty = ? WHERE id = ?"
)
_CARD_VIEW_SQL = (
    "SELECT c.id, c.kind, c.title, c.payload_json, c.ef_milli, c.interval, c.reps, c.lapses,"
    " c.due, c.last_review, c.note_id, c.suspended, c.sibling_key, n.path, n.title"
    " FROM cards c LEFT JOIN notes n ON n.id = c.note_id WHERE c.id = ?"
)
_NOTE_STATE_SQL = (
    "SELECT path, content_sha256, last_reviewed, next_review, review_count, mastery_level,"
    " missing FROM notes WHERE id = ?"
)
_MASTERY_SQL = (
    "SELECT retired, kind, interval, ef_milli, reps, lapses, due, last_review, first_seen,"
    " fsrs_stability, fsrs_difficulty FROM cards WHERE note_id = ? ORDER BY id"
)
#: Notes read past ``2 * wanted`` before the new-card shortcut of ``_new_items`` gives up
#: and reads all candidates (a test sets it huge to compare both ways).
_HEAD_SLACK = 8

_ANY_EXAM_SQL = "SELECT 1 FROM exams WHERE exam_date > ? LIMIT 1"
_LOG_INSERT_SQL = (
    "INSERT INTO review_log (card_id, note_id, session_id, reviewed_at, study_day, grade,"
    " kind, cram, rescheduled, duration_ms, seed, response, correct, ef_before, ef_after,"
    " interval_before, interval_after, reps_before, reps_after, lapses_before, lapses_after,"
    " due_before, due_after, last_review_before, first_seen_before, writeback,"
    " note_values_before, note_values_after, scheduler, fsrs_stability_before,"
    " fsrs_difficulty_before, undone)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?, ?, ?, ?, 0)"
)


@functools.lru_cache(maxsize=65536)
def _sm2_mastery(interval: int, ef_milli: int, lapses: int) -> float:
    """:func:`studyapp.core.srs.card_mastery` of a state with these three values (the only
    ones it reads), memoised."""
    return card_mastery(
        SrsState(ef_milli=ef_milli, interval=interval, reps=0, lapses=lapses, due=None)
    )


def _driver_rows(session: Any, statement: Any) -> list[tuple[Any, ...]]:
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


def _row_state(values: Any) -> tuple[Any, ...]:
    """``_STATE_COLUMNS`` of a plain row, dates parsed."""
    ef, interval, reps, lapses, due, last, first, stability, difficulty = values
    return (ef, interval, reps, lapses, _day(due), _day(last), _day(first), stability, difficulty)


@dataclass
class _CardRow:
    """The schedule columns of one card, as plain values (what ``record`` reads and writes).

    Has the attribute names of :class:`~studyapp.db.models.Card` that
    :func:`card_schedule` and :func:`store_schedule` use.
    """

    id: int
    note_id: int | None
    kind: str
    ef_milli: int
    interval: int
    reps: int
    lapses: int
    due: date | None
    last_review: date | None
    first_seen: date | None
    fsrs_stability: float | None
    fsrs_difficulty: float | None

    def state(self) -> SrsState:
        return SrsState(
            ef_milli=self.ef_milli,
            interval=self.interval,
            reps=self.reps,
            lapses=self.lapses,
            due=self.due,
            last_review=self.last_review,
        )

    def columns(self) -> tuple[Any, ...]:
        return (
            self.ef_milli,
            self.interval,
            self.reps,
            self.lapses,
            _iso(self.due),
            _iso(self.last_review),
            _iso(self.first_seen),
            self.fsrs_stability,
            self.fsrs_difficulty,
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
                for cid, nid, k, d, sk in _driver_rows(session, due_query)
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
        for card_id, note_id, was_new, rescheduled, sibling, kind in _driver_rows(session, query):
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
            for (n,) in _driver_rows(session, select(outer.id).where(has_new).order_by(outer.id))
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

    def card(self, card_id: int) -> CardView:
        """What a front end shows for one card: one indexed row, the note's path and title.

        A plain statement of the needed columns (not the ORM card and its lazily loaded
        note, whose 10 KB body was read only for two short strings).
        """
        with self.coll.transaction() as conn:
            row = conn.execute(_CARD_VIEW_SQL, (card_id,)).fetchone()
            if row is None:
                raise KeyError(card_id)
            (cid, kind, title, payload, ef, interval, reps, lapses, due, last, note_id) = row[:11]
            suspended, sibling_key, note_path, note_title = row[11:]
            return CardView(
                id=cid,
                kind=kind,
                title=title,
                payload=json.loads(payload),
                state=SrsState(
                    ef_milli=ef,
                    interval=interval,
                    reps=reps,
                    lapses=lapses,
                    due=_day(due),
                    last_review=_day(last),
                ),
                note_id=note_id,
                note_path=note_path,
                note_title=note_title or "",
                suspended=bool(suspended),
                sibling_key=sibling_key,
            )

    # -- answer-button preview (issue 11) ------------------------------------------
    def preview(self, card_id: int, *, today: date | None = None) -> tuple[SrsState, ...]:
        """The state each grade 0-5 would give the card today, indexed by grade.

        The same scheduler call (SM-2 or FSRS) and exam cap as :meth:`record`, so the
        intervals on the grade buttons are exactly what answering will schedule.
        """
        day = today or self.coll.today()
        scheduler = active_scheduler(self.coll)
        out = []
        with self.coll.session() as session:
            card = session.get(Card, card_id)
            if card is None:
                raise KeyError(card_id)
            before = card_schedule(card)
            for grade in range(6):
                after = scheduler.review(before, grade, day).srs
                assert after.due is not None
                due = exams.capped_due(self.coll, session, card.id, day, after.due)
                if due != after.due:
                    after = replace(after, due=due, interval=(due - day).days)
                out.append(after)
        return tuple(out)

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
        """Log an answer; when it reschedules, update the schedule and write the note back.

        The answer's transaction commits with ``synchronous = FULL`` (the engine's
        default): once this returns, the answer survives a power cut, as Anki's do.
        The hot path is a handful of plain statements over the needed columns (the ORM
        cost more than SQLite and the fsyncs together); the order of the steps - log and
        schedule committed, then the file, then the file's state - is the one the crash
        tests check.
        """
        if not 0 <= grade <= 5:
            raise ValueError(f"grade must be 0-5, got {grade}")
        day = self.coll.today()
        now = self.coll.now().replace(tzinfo=None)
        reschedules = rescheduled and not cram
        owed = None
        with self.coll.transaction() as conn:
            row = conn.execute(_CARD_STATE_SQL, (card_id,)).fetchone()
            if row is None:
                raise KeyError(card_id)
            card = _CardRow(*row[:3], *(_row_state(row[3:])))
            before = card.state()
            # --- issue 14: the collection's scheduler (SM-2 or FSRS) and exam caps.
            scheduler = active_scheduler(self.coll)
            before_schedule = card_schedule(card)
            after_schedule = before_schedule
            if reschedules:
                after_schedule = scheduler.review(before_schedule, grade, day)
                assert after_schedule.srs.due is not None
                if conn.execute(_ANY_EXAM_SQL, (day.isoformat(),)).fetchone():
                    with self.coll.session() as exam_session:  # reads only; rare
                        due = exams.capped_due(
                            self.coll, exam_session, card.id, day, after_schedule.srs.due
                        )
                    if due != after_schedule.srs.due:
                        capped = replace(after_schedule.srs, due=due, interval=(due - day).days)
                        after_schedule = replace(after_schedule, srs=capped)
            after = after_schedule.srs
            # --- end issue 14
            writeback_status = "none"
            values_before_json: str | None = None
            values_after_json: str | None = None
            mastery: float | None = None
            first_seen_before = card.first_seen
            if reschedules:
                store_schedule(card, after_schedule)  # type: ignore[arg-type]
                if card.first_seen is None:
                    card.first_seen = day
                conn.execute(_CARD_UPDATE_SQL, (*card.columns(), card.id))
                if card.note_id is not None:
                    note = conn.execute(_NOTE_STATE_SQL, (card.note_id,)).fetchone()
                if card.note_id is not None and note is not None:
                    path, sha, last_reviewed, next_review, review_count, level, missing = note
                    mastery = self._note_mastery(conn, card.note_id, day)
                    values_before: dict[str, Any] = {
                        "last_reviewed": _day(last_reviewed),
                        "next_review": _day(next_review),
                        "review_count": review_count,
                        "mastery_level": level,
                    }
                    values_after: dict[str, Any] | None = None
                    if card.kind == "note":
                        values_after = {
                            "last_reviewed": day,
                            "next_review": after.due,
                            "review_count": review_count + 1,
                            "mastery_level": mastery,
                        }
                    elif mastery_changed(level, mastery):
                        # A table answer moved the note's mastery: the file gets the new
                        # value at the end of this answer, like a note card's schedule.
                        values_before = {"mastery_level": level}
                        values_after = {"mastery_level": mastery}
                    conn.execute(
                        "UPDATE notes SET mastery_level = ? WHERE id = ?", (mastery, card.note_id)
                    )
                    if values_after is not None and not missing:
                        writeback_status = "pending"
                        values_before_json = writeback.encode_values(values_before)
                        values_after_json = writeback.encode_values(values_after)
                        owed = (card.note_id, values_after_json, path, sha)
            log_id = conn.execute(
                _LOG_INSERT_SQL,
                (
                    card.id,
                    card.note_id,
                    session_id,
                    now.isoformat(sep=" ", timespec="microseconds"),
                    day.isoformat(),
                    grade,
                    card.kind,
                    int(cram),
                    int(reschedules),
                    max(0, int(duration_ms)),
                    seed,
                    response,
                    None if correct is None else int(correct),
                    before.ef_milli,
                    after.ef_milli,
                    before.interval,
                    after.interval,
                    before.reps,
                    after.reps,
                    before.lapses,
                    after.lapses,
                    _iso(before.due),
                    _iso(after.due),
                    _iso(before.last_review),
                    _iso(first_seen_before),
                    writeback_status,
                    values_before_json,
                    values_after_json,
                    scheduler.name,
                    before_schedule.fsrs.stability if before_schedule.fsrs else None,
                    before_schedule.fsrs.difficulty if before_schedule.fsrs else None,
                ),
            ).lastrowid
            assert log_id is not None
            eventlog.log_answer_raw(self.coll, conn, log_id, card.id)  # issue 15: the event log
        status, message = writeback_status, None
        if status == "pending":
            outcome = writeback.perform(self.coll, log_id, owed=owed)
            status, message = outcome.status, outcome.message
        return AnswerResult(log_id, card_id, before, after, reschedules, status, message, mastery)

    def _note_mastery(self, conn: Any, note_id: int, today: date | None = None) -> float:
        """The note's mastery by :func:`studyapp.core.mastery.combine_mastery`.

        Each card's value is the active scheduler's: SM-2's interval-based mastery, or
        FSRS's retrievability today.  Read as plain tuples through the note_id index
        (with ``retired`` in the WHERE clause SQLite picked the queue index and scanned
        the collection); a card never reviewed is 0 under both schedulers, so only
        reviewed cards are turned into schedules.
        """
        scheduler = active_scheduler(self.coll)
        day = today or self.coll.today()
        note_value: float | None = None
        facts: list[float] = []
        reviewed = False
        rows = conn.execute(_MASTERY_SQL, (note_id,)).fetchall()
        sm2 = isinstance(scheduler, Sm2Scheduler)
        for retired, kind, interval, *state in rows:
            if retired:
                continue
            if sm2:
                # SM-2's mastery depends on interval, EF and lapses only: memoised, so a
                # note's ~50 cards cost a dict lookup each, not a schedule object each.
                value = _sm2_mastery(interval, state[0], state[2])
                reviewed = reviewed or interval > 0
            elif interval > 0 or state[4] is not None:
                reviewed = reviewed or interval > 0
                card = _CardRow(0, None, kind, *_row_state([state[0], interval, *state[1:]]))
                value = scheduler.mastery(card_schedule(card), day)
            else:
                value = 0.0
            if kind == "note":
                note_value = value
            else:
                facts.append(value)
        return combine_mastery(note_value, facts, reviewed=reviewed)

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
