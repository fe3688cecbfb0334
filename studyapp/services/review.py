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
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from studyapp.core.mastery import combine_mastery, mastery_changed
from studyapp.core.scheduler import Sm2Scheduler
from studyapp.core.srs import SrsState, card_mastery
from studyapp.core.table_store import expand_view, is_compact
from studyapp.db.models import Card
from studyapp.services import eventlog, exams, writeback
from studyapp.services.card_actions import CardActions
from studyapp.services.collection import Collection
from studyapp.services.queue import DueQueue
from studyapp.services.scheduler import active_scheduler, card_schedule, store_schedule
from studyapp.services.undo import UndoActions


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
#: Read only for a compact table card: ``tables_json`` lies past the note's body in its
#: row (overflow pages), which a note card's view never needs.
_NOTE_TABLES_SQL = "SELECT tables_json FROM notes WHERE id = ?"
_NOTE_STATE_SQL = (
    "SELECT path, content_sha256, last_reviewed, next_review, review_count, mastery_level,"
    " missing FROM notes WHERE id = ?"
)
_MASTERY_SQL = (
    "SELECT retired, kind, interval, ef_milli, reps, lapses, due, last_review, first_seen,"
    " fsrs_stability, fsrs_difficulty FROM cards WHERE note_id = ? ORDER BY id"
)

#: SM-2's card mastery reads interval, EF and lapses only (FSRS reads the whole
#: schedule, ``_MASTERY_SQL``), and is 0 for a card never reviewed: of a note's ~50
#: cards only the note card, retired ones and reviewed ones come back as rows; the
#: others are counted (``_NOTE_CARD_COUNT_SQL``, from the note_id index alone).  The
#: ``+`` keeps SQLite on the note_id index (the other columns lead the queue indexes).
_SM2_MASTERY_SQL = (
    "SELECT retired, kind, interval, ef_milli, lapses FROM cards WHERE note_id = ?"
    " AND (+interval > 0 OR +kind = 'note' OR +retired) ORDER BY id"
)
_NOTE_CARD_COUNT_SQL = "SELECT count(*) FROM cards WHERE note_id = ?"

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


class ReviewService(CardActions, UndoActions, DueQueue):
    def __init__(self, coll: Collection) -> None:
        self.coll = coll

    # -- queue ---------------------------------------------------------------------
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
            view = json.loads(payload)
            if is_compact(view):
                tables = None
                if note_id is not None:
                    found = conn.execute(_NOTE_TABLES_SQL, (note_id,)).fetchone()
                    tables = None if found is None else found[0]
                view = expand_view(view, tables)
            return CardView(
                id=cid,
                kind=kind,
                title=title,
                payload=view,
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
        # fold: the previous answer's write-back bookkeeping commits with this answer.
        with self.coll.transaction(fold=True) as conn:
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
                        owed = (card.note_id, values_after, path, sha)
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
        self.coll.answered()  # after the write-back: a checkpoint never delays it
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
        note_value: float | None = None
        facts: list[float] = []
        reviewed = False
        if isinstance(scheduler, Sm2Scheduler):
            # SM-2's mastery depends on interval, EF and lapses only: memoised, so a
            # card costs a dict lookup, not a schedule object.  The cards not read
            # (live fact cards never reviewed) are each a 0.0 in the facts: adding 0.0
            # changes no float sum, so where they sit in the list does not matter.
            rows = conn.execute(_SM2_MASTERY_SQL, (note_id,)).fetchall()
            (count,) = conn.execute(_NOTE_CARD_COUNT_SQL, (note_id,)).fetchone()
            for retired, kind, interval, ef_milli, lapses in rows:
                if retired:
                    continue
                value = _sm2_mastery(interval, ef_milli, lapses)
                reviewed = reviewed or interval > 0
                if kind == "note":
                    note_value = value
                else:
                    facts.append(value)
            facts.extend([0.0] * (count - len(rows)))
            return combine_mastery(note_value, facts, reviewed=reviewed)
        day = today or self.coll.today()
        for retired, kind, interval, *state in conn.execute(_MASTERY_SQL, (note_id,)).fetchall():
            if retired:
                continue
            if interval > 0 or state[4] is not None:
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
