"""Exams (interview dates): storage, scope, due-date capping, readiness.

The rule itself is pure (``core.exam.cap_due``); this module finds which exams a card
falls under, counts each day's load for the daily cap and applies the rule when an exam
is added (cards already scheduled past the window are pulled into it) and after every
answer (``ReviewService.record``).  After the date nothing is capped any more, so normal
scheduling resumes from the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select

from studyapp.core import exam as exam_rule
from studyapp.db.models import Card, Exam, Note, NoteTag, Tag
from studyapp.services.collection import Collection
from studyapp.services.scheduler import active_scheduler, card_schedule


@dataclass(frozen=True)
class ExamView:
    id: int
    name: str
    exam_date: date
    tag: str | None
    folder: str | None

    def scope(self) -> str:
        if self.tag:
            return f"tag {self.tag}"
        if self.folder:
            return f"folder {self.folder}"
        return "all notes"


def _view(row: Exam) -> ExamView:
    return ExamView(row.id, row.name, row.exam_date, row.tag, row.folder)


def scope_query(exam: ExamView) -> Select[Any]:
    """Card ids in an exam's scope (active cards of present notes; calc cards only for 'all')."""
    query = select(Card.id).where(Card.retired.is_(False), Card.suspended.is_(False))
    present = select(Note.id).where(Note.missing.is_(False))
    if exam.tag:
        tagged = (
            select(NoteTag.note_id)
            .join(Tag)
            .where((Tag.name == exam.tag) | Tag.name.startswith(exam.tag + "/"))
        )
        query = query.where(Card.note_id.in_(tagged), Card.note_id.in_(present))
    elif exam.folder:
        folder = exam.folder.strip("/")
        in_folder = select(Note.id).where(
            (Note.folder == folder) | Note.folder.startswith(folder + "/")
        )
        query = query.where(Card.note_id.in_(in_folder), Card.note_id.in_(present))
    else:
        query = query.where((Card.note_id.is_(None)) | Card.note_id.in_(present))
    return query


def list_exams(coll: Collection) -> list[ExamView]:
    with coll.session() as session:
        return [_view(r) for r in session.scalars(select(Exam).order_by(Exam.exam_date, Exam.id))]


def upcoming(coll: Collection, day: date) -> list[ExamView]:
    return [e for e in list_exams(coll) if e.exam_date > day]


def find(coll: Collection, name: str) -> ExamView:
    for exam in list_exams(coll):
        if exam.name == name:
            return exam
    raise KeyError(name)


def add_exam(
    coll: Collection,
    exam_date: date,
    *,
    name: str | None = None,
    tag: str | None = None,
    folder: str | None = None,
) -> tuple[ExamView, int]:
    """Store an exam and pull in-scope cards due after its window into it; returns (exam, moved)."""
    if tag and folder:
        raise ValueError("give --tag or --folder, not both")
    day = coll.today()
    if exam_date <= day:
        raise ValueError(f"the exam date {exam_date} is not after today ({day})")
    label = name or f"exam {exam_date.isoformat()}"
    with coll.session() as session, session.begin():
        if session.scalar(select(Exam.id).where(Exam.name == label)) is not None:
            raise ValueError(f"an exam named {label!r} exists already")
        row = Exam(
            name=label,
            exam_date=exam_date,
            tag=tag,
            folder=folder,
            created_at=coll.now().replace(tzinfo=None),
        )
        session.add(row)
        session.flush()
        exam = _view(row)
    return exam, recap(coll, exam)


def remove_exam(coll: Collection, name: str) -> None:
    with coll.session() as session, session.begin():
        row = session.scalars(select(Exam).where(Exam.name == name)).first()
        if row is None:
            raise KeyError(name)
        session.delete(row)


def _load(session: Any, start: date, end: date) -> dict[date, int]:
    rows = session.execute(
        select(Card.due, func.count())
        .where(Card.retired.is_(False), Card.due >= start, Card.due <= end)
        .group_by(Card.due)
    )
    return {d: int(n) for d, n in rows}


def capped_due(coll: Collection, session: Any, card_id: int, day: date, due: date) -> date:
    """``due`` after the caps of every upcoming exam whose scope holds the card."""
    settings = coll.settings
    for exam in upcoming(coll, day):
        start, end = exam_rule.window(exam.exam_date)
        if due <= day or (day < start and due <= end) or (day >= start and due > end):
            continue
        in_scope = session.scalar(scope_query(exam).where(Card.id == card_id))
        if in_scope is None:
            continue
        load = _load(session, day + timedelta(days=1), end)
        due = exam_rule.cap_due(due, day, exam.exam_date, load, settings.exam_daily_cap)
    return due


def recap(coll: Collection, exam: ExamView) -> int:
    """Move in-scope cards scheduled past the window into it (the daily cap applies)."""
    day = coll.today()
    start, end = exam_rule.window(exam.exam_date)
    if day >= start:
        return 0
    moved = 0
    with coll.session() as session, session.begin():
        load = _load(session, day + timedelta(days=1), end)
        cards = session.scalars(
            select(Card)
            .where(Card.id.in_(scope_query(exam)), Card.due > end)
            .order_by(Card.due, Card.id)
        ).all()
        for card in cards:
            assert card.due is not None
            new_due = exam_rule.cap_due(
                card.due, day, exam.exam_date, load, coll.settings.exam_daily_cap
            )
            if new_due != card.due:
                load[new_due] = load.get(new_due, 0) + 1
                card.due = new_due
                moved += 1
    return moved


def priority_filter(coll: Collection, day: date) -> ColumnElement[bool] | None:
    """``Card.id`` in any upcoming exam's scope (new cards there come first), or None."""
    scopes = [Card.id.in_(scope_query(exam)) for exam in upcoming(coll, day)]
    return or_(*scopes) if scopes else None


#: The schedule columns (no payloads) for readiness and weakest-first, over many cards.
_SCHEDULE_COLUMNS = (
    Card.id,
    Card.ef_milli,
    Card.interval,
    Card.reps,
    Card.lapses,
    Card.due,
    Card.last_review,
    Card.fsrs_stability,
    Card.fsrs_difficulty,
)


def _schedules(session: Any, exam: ExamView) -> list[Any]:
    return list(session.execute(select(*_SCHEDULE_COLUMNS).where(Card.id.in_(scope_query(exam)))))


def status(coll: Collection) -> list[dict[str, Any]]:
    """Per exam: days left, cards in scope, new cards, readiness (mean predicted recall on the day)."""
    day = coll.today()
    scheduler = active_scheduler(coll)
    out = []
    with coll.session() as session:
        for exam in list_exams(coll):
            rows = _schedules(session, exam)
            probs = [scheduler.recall_probability(card_schedule(c), exam.exam_date) for c in rows]
            start, end = exam_rule.window(exam.exam_date)
            due_in_window = sum(1 for c in rows if c.due is not None and start <= c.due <= end)
            out.append(
                {
                    "name": exam.name,
                    "date": exam.exam_date.isoformat(),
                    "scope": exam.scope(),
                    "days_left": (exam.exam_date - day).days,
                    "cards": len(rows),
                    "new_cards": sum(1 for c in rows if c.due is None),
                    "due_in_final_window": due_in_window,
                    "readiness": round(sum(probs) / len(probs), 4) if probs else 0.0,
                    "scheduler": scheduler.name,
                }
            )
    return out


def exam_cram_ids(coll: Collection, name: str, count: int = 20) -> list[int]:
    """``quiz --exam NAME``: the scope's cards, weakest (lowest predicted recall today) first."""
    exam = find(coll, name)
    day = coll.today()
    scheduler = active_scheduler(coll)
    with coll.session() as session:
        rows = _schedules(session, exam)
        ranked = sorted(
            rows, key=lambda c: (scheduler.recall_probability(card_schedule(c), day), c.id)
        )
        return [c.id for c in ranked[:count]]
