"""Read-only views of a collection for the CLI and the TUI (due list, notes, history, stats).

Every function returns plain dataclasses/dicts, computed with a handful of indexed
queries, so the dashboard of a large collection opens without loading every card.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import String, func, select, text, type_coerce

from studyapp.core.srs import forecast, retention, streak
from studyapp.core.table_store import view_payload
from studyapp.db.models import Card, ImportProblem, Note, NoteTag, ReviewLog, Tag
from studyapp.services.collection import Collection
from studyapp.services.queue import driver_rows
from studyapp.services.review import ReviewService


@dataclass(frozen=True)
class DueCard:
    card_id: int
    note: str | None  # path relative to the notes folder (None for calc cards)
    kind: str
    title: str
    due: date | None
    interval: int
    ease: float
    reps: int

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["due"] = self.due.isoformat() if self.due else None
        return data


def due_cards(coll: Collection, **filters: Any) -> list[DueCard]:
    """Today's queue in review order, with the fields ``studyapp due --json`` promises."""
    items = ReviewService(coll).due_items(**filters)
    if not items:
        return []
    ids = [i.card_id for i in items]
    with coll.session() as session:
        rows = {
            r.id: r
            for r in session.execute(
                select(
                    Card.id,
                    Card.kind,
                    Card.title,
                    Card.due,
                    Card.interval,
                    Card.ef_milli,
                    Card.reps,
                    Note.path,
                )
                .outerjoin(Note, Note.id == Card.note_id)
                .where(Card.id.in_(ids))
            )
        }
    out = []
    for card_id in ids:
        r = rows[card_id]
        out.append(
            DueCard(card_id, r.path, r.kind, r.title, r.due, r.interval, r.ef_milli / 1000, r.reps)
        )
    return out


@dataclass(frozen=True)
class NoteRow:
    id: int
    path: str
    title: str
    folder: str
    tags: list[str]
    difficulty: str
    review_count: int
    last_reviewed: date | None
    next_review: date | None
    mastery_level: float
    cards: int
    missing: bool
    problem: str | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("last_reviewed", "next_review"):
            value = data[key]
            data[key] = value.isoformat() if value else None
        return data


def notes(coll: Collection, *, include_missing: bool = False) -> list[NoteRow]:
    with coll.session() as session:
        tag_rows = session.execute(select(NoteTag.note_id, Tag.name).join(Tag))
        tags: dict[int, list[str]] = defaultdict(list)
        for note_id, name in tag_rows:
            tags[note_id].append(name)
        counts = dict(
            session.execute(
                select(Card.note_id, func.count())
                .where(Card.retired.is_(False))
                .group_by(Card.note_id)
            ).all()
        )
        query = select(Note).order_by(Note.path)
        if not include_missing:
            query = query.where(Note.missing.is_(False))
        return [
            NoteRow(
                n.id,
                n.path,
                n.title,
                n.folder,
                sorted(tags.get(n.id, [])),
                n.difficulty,
                n.review_count,
                n.last_reviewed,
                n.next_review,
                n.mastery_level,
                int(counts.get(n.id, 0)),
                n.missing,
                n.parse_error,
            )
            for n in session.scalars(query)
        ]


def history(coll: Collection, *, limit: int = 100) -> list[dict[str, Any]]:
    """The newest review-log rows, newest first."""
    with coll.session() as session:
        rows = session.execute(
            select(ReviewLog, Card.title, Note.path)
            .join(Card, Card.id == ReviewLog.card_id)
            .outerjoin(Note, Note.id == ReviewLog.note_id)
            .order_by(ReviewLog.id.desc())
            .limit(limit)
        ).all()
    out = []
    for log, title, path in rows:
        out.append(
            {
                "id": log.id,
                "card_id": log.card_id,
                "note": path,
                "title": title,
                "kind": log.kind,
                "reviewed_at": log.reviewed_at.isoformat() + "Z",
                "study_day": log.study_day.isoformat(),
                "grade": log.grade,
                "cram": log.cram,
                "mode": "cram" if log.cram else "review",
                "rescheduled": log.rescheduled,
                "undone": log.undone,
                "duration_ms": log.duration_ms,
                "ease_before": log.ef_before / 1000,
                "ease_after": log.ef_after / 1000,
                "interval_before": log.interval_before,
                "interval_after": log.interval_after,
                "reps_before": log.reps_before,
                "reps_after": log.reps_after,
                "due_after": log.due_after.isoformat() if log.due_after else None,
                "writeback": log.writeback,
                "session_id": log.session_id,
                "seed": log.seed,
            }
        )
    return out


@dataclass
class Stats:
    today: date
    due_today: int
    due_by_kind: dict[str, int]
    overdue: int
    new_available: int
    reviewed_today: int
    streak: int
    retention_30d: float | None
    forecast_14d: list[int]
    reviews_per_day: dict[str, int] = field(default_factory=dict)  # last 180 days
    interval_histogram: dict[str, int] = field(default_factory=dict)
    mastery_by_tag: dict[str, float] = field(default_factory=dict)
    mastery_by_folder: dict[str, float] = field(default_factory=dict)
    hardest: list[dict[str, Any]] = field(default_factory=list)
    import_problems: int = 0
    notes: int = 0
    cards: int = 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["today"] = self.today.isoformat()
        return data


#: Reviewed cards are few in a big collection, but SQLite's sampled statistics cannot
#: tell (NULLs dominate last_review), so the index is named: 100 ms -> under 1 ms at
#: 150k cards.
#: Only cards that were actually failed: lapses (forgotten after being learned) or a
#: last answer below 3 (``reps`` restarts at 0).  Ease alone is no sign of difficulty:
#: ``difficulty: hard`` starts a card at 2.1 before it was ever answered.
_HARDEST = text(
    "SELECT cards.id, cards.title, cards.kind, cards.ef_milli, cards.lapses, "
    "cards.reps = 0 AS failing, notes.path "
    "FROM cards INDEXED BY ix_cards_hard "
    "LEFT OUTER JOIN notes ON notes.id = cards.note_id "
    "WHERE cards.retired = 0 AND cards.last_review IS NOT NULL "
    "AND (cards.lapses > 0 OR cards.reps = 0) "
    "ORDER BY cards.lapses DESC, failing DESC, cards.ef_milli, cards.id LIMIT :limit"
)

_INTERVAL_BUCKETS = (
    (1, "1d"),
    (3, "2-3d"),
    (7, "4-7d"),
    (21, "1-3w"),
    (60, "3w-2m"),
    (10**9, ">2m"),
)


def stats(coll: Collection, *, today: date | None = None) -> Stats:
    day = today or coll.today()
    # Counted, not read: the queue's due part is read window by window (services/queue.py).
    queue = ReviewService(coll).due_queue(today=day, counts_only=True)
    due_by_kind = queue.kind_counts()
    with coll.session() as session:
        missing_notes = select(Note.id).where(Note.missing.is_(True))
        active = select(type_coerce(Card.due, String), Card.interval, Card.kind).where(
            Card.retired.is_(False),
            Card.suspended.is_(False),
            (Card.note_id.is_(None)) | Card.note_id.not_in(missing_notes),
        )
        # Plain driver rows, each distinct due day parsed once (SQLAlchemy's row and date
        # processing was most of this fetch's 19 ms at 5,000 scheduled cards).
        days: dict[str, date] = {}
        scheduled = [
            (days.get(d) or days.setdefault(d, date.fromisoformat(d)), interval, k)
            for d, interval, k in driver_rows(session, active.where(Card.due.is_not(None)))
        ]
        # Counted without stepping through the ~all-new cards: SQLite counts a whole
        # table from its b-tree pages (no WHERE), and the retired, suspended and
        # scheduled ranges of the queue index are small.  retired / suspended are NOT
        # NULL booleans, so total - retired = active and active - suspended - scheduled
        # = new (the same figures as counting the rows).  Cards of missing notes are
        # retired by the importer, so no join.
        total = session.scalar(select(func.count()).select_from(Card)) or 0
        retired = session.scalar(select(func.count()).where(Card.retired.is_(True))) or 0
        suspended = (
            session.scalar(
                select(func.count()).where(Card.retired.is_(False), Card.suspended.is_(True))
            )
            or 0
        )
        scheduled_n = (
            session.scalar(
                select(func.count()).where(
                    Card.retired.is_(False), Card.suspended.is_(False), Card.due.is_not(None)
                )
            )
            or 0
        )
        card_count = total - retired
        new_available = card_count - suspended - scheduled_n
        since = day - timedelta(days=180)
        per_day = dict(
            session.execute(
                select(ReviewLog.study_day, func.count())
                # Cram answers are practice, not reviews: they never count in
                # reviewed-today, the heatmap or the streak.
                .where(
                    ReviewLog.study_day >= since,
                    ReviewLog.undone.is_(False),
                    ReviewLog.cram.is_(False),
                )
                .group_by(ReviewLog.study_day)
            ).all()
        )
        grades = session.scalars(
            select(ReviewLog.grade).where(
                ReviewLog.study_day > day - timedelta(days=30),
                ReviewLog.undone.is_(False),
                ReviewLog.cram.is_(False),
            )
        ).all()
        mastery_tag = session.execute(
            select(Tag.name, func.avg(Note.mastery_level))
            .join(NoteTag, NoteTag.tag_id == Tag.id)
            .join(Note, Note.id == NoteTag.note_id)
            .where(Note.missing.is_(False))
            .group_by(Tag.name)
        ).all()
        mastery_folder = session.execute(
            select(Note.folder, func.avg(Note.mastery_level))
            .where(Note.missing.is_(False))
            .group_by(Note.folder)
        ).all()
        hardest_rows = session.execute(_HARDEST, {"limit": 10}).all()
        problems = session.scalar(select(func.count()).select_from(ImportProblem)) or 0
        note_count = (
            session.scalar(select(func.count()).select_from(Note).where(Note.missing.is_(False)))
            or 0
        )
    histogram: Counter[str] = Counter()
    for _due, interval, _kind in scheduled:
        for bound, label in _INTERVAL_BUCKETS:
            if interval <= bound:
                histogram[label] += 1
                break
    return Stats(
        today=day,
        due_today=len(queue),
        due_by_kind=dict(due_by_kind),
        overdue=sum(1 for d, _i, _k in scheduled if d < day),
        new_available=int(new_available or 0),
        reviewed_today=int(per_day.get(day, 0)),
        streak=streak(set(per_day), day),
        retention_30d=retention(grades),
        forecast_14d=forecast((d for d, _i, _k in scheduled), day, 14),
        reviews_per_day={d.isoformat(): n for d, n in sorted(per_day.items())},
        interval_histogram={label: histogram.get(label, 0) for _b, label in _INTERVAL_BUCKETS},
        mastery_by_tag={name: round(float(v or 0), 2) for name, v in mastery_tag},
        mastery_by_folder={(name or "."): round(float(v or 0), 2) for name, v in mastery_folder},
        hardest=[
            {
                "card_id": r.id,
                "title": r.title,
                "kind": r.kind,
                "ease": r.ef_milli / 1000,
                "lapses": r.lapses,
                "failing": bool(r.failing),
                "note": r.path,
            }
            for r in hardest_rows
        ],
        import_problems=int(problems),
        notes=int(note_count),
        cards=int(card_count),
    )


def import_problems(coll: Collection) -> list[dict[str, str]]:
    with coll.session() as session:
        return [
            {"path": p.path, "error": p.error, "severity": p.severity}
            for p in session.scalars(select(ImportProblem).order_by(ImportProblem.path))
        ]


def card_rows(
    coll: Collection, *, note: str | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    """Cards with their schedule, for ``studyapp cards`` and the notes browser."""
    with coll.session() as session:
        query = (
            select(Card, Note.path, Note.tables_json)
            .outerjoin(Note, Note.id == Card.note_id)
            .where(Card.retired.is_(False))
            .order_by(Note.path, Card.id)
        )
        if note:
            query = query.where(Note.path == note)
        if kind:
            query = query.where(Card.kind == kind)
        out = []
        for card, path, tables_json in session.execute(query):
            out.append(
                {
                    "card_id": card.id,
                    "note": path,
                    "kind": card.kind,
                    "anchor": card.anchor,
                    "title": card.title,
                    "payload": view_payload(card.payload_json, tables_json),
                    "due": card.due.isoformat() if card.due else None,
                    "interval": card.interval,
                    "ease": card.ef_milli / 1000,
                    "reps": card.reps,
                    "lapses": card.lapses,
                    "suspended": card.suspended,
                }
            )
        return out


def note_body(coll: Collection, note_id: int) -> str:
    """The note's Markdown body as last imported (the full-note view of a review)."""
    with coll.session() as session:
        body = session.scalar(select(Note.body).where(Note.id == note_id))
    if body is None:
        raise KeyError(note_id)
    return body
