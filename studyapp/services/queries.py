"""Read-only views of a collection for the CLI and the TUI (due list, notes, history, stats).

Every function returns plain dataclasses/dicts, computed with a handful of indexed
queries, so the dashboard of a large collection opens without loading every card.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from studyapp.core.srs import forecast, retention, streak
from studyapp.core.table_store import view_payload
from studyapp.db.models import Card, ImportProblem, Note, NoteTag, ReviewLog, Tag
from studyapp.services.collection import Collection
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
_HARDEST = (
    "SELECT cards.id, cards.title, cards.kind, cards.ef_milli, cards.lapses, "
    "cards.reps = 0 AS failing, notes.path "
    "FROM cards INDEXED BY ix_cards_hard "
    "LEFT OUTER JOIN notes ON notes.id = cards.note_id "
    "WHERE cards.retired = 0 AND cards.last_review IS NOT NULL "
    "AND (cards.lapses > 0 OR cards.reps = 0) "
    "ORDER BY cards.lapses DESC, failing DESC, cards.ef_milli, cards.id LIMIT ?"
)

#: Scheduled cards (due day as stored, interval, kind) of present notes, not retired or
#: suspended; missing notes are few, excluded by id (the scheduled cards' covering index).
_SCHEDULED = (
    "SELECT cards.due, cards.interval, cards.kind FROM cards "
    "WHERE cards.retired IS 0 AND cards.suspended IS 0 AND (cards.note_id IS NULL OR "
    "(cards.note_id NOT IN (SELECT notes.id FROM notes WHERE notes.missing IS 1))) "
    "AND cards.due IS NOT NULL"
)

#: Counted without stepping through the ~all-new cards: SQLite counts a whole table from
#: its b-tree pages (no WHERE), and the retired, suspended and scheduled ranges of the
#: queue index are small.  retired / suspended are NOT NULL booleans, so total - retired
#: = active and active - suspended - scheduled = new (the same figures as counting the
#: rows).  Cards of missing notes are retired by the importer, so no join.  One
#: statement: (cards, retired, suspended, scheduled, import problems, present notes).
_COUNTS = (
    "SELECT (SELECT count(*) FROM cards), "
    "(SELECT count(*) FROM cards WHERE cards.retired IS 1), "
    "(SELECT count(*) FROM cards WHERE cards.retired IS 0 AND cards.suspended IS 1), "
    "(SELECT count(*) FROM cards WHERE cards.retired IS 0 AND cards.suspended IS 0 "
    "AND cards.due IS NOT NULL), "
    "(SELECT count(*) FROM import_problems), "
    "(SELECT count(*) FROM notes WHERE notes.missing IS 0)"
)

#: Reviews per study day since ``?``.  Cram answers are practice, not reviews: they never
#: count in reviewed-today, the heatmap or the streak.
_PER_DAY = (
    "SELECT review_log.study_day, count(*) FROM review_log "
    "WHERE review_log.study_day >= ? AND review_log.undone IS 0 AND review_log.cram IS 0 "
    "GROUP BY review_log.study_day"
)

_GRADES = (
    "SELECT review_log.grade FROM review_log "
    "WHERE review_log.study_day > ? AND review_log.undone IS 0 AND review_log.cram IS 0"
)

#: Mean mastery per tag name over present notes.  Grouped by tag id first, then named:
#: 5.3 ms instead of 7.3 at 10k notes / 23k tag rows (no tag lookup per row, and the
#: group sort keys are ints).  Tag names are unique, so the groups are the same, and
#: each group averages its notes in the same (ix_notes_stats) order, to the last bit.
_MASTERY_TAG = (
    "SELECT tags.name, s.a FROM (SELECT note_tags.tag_id AS tag_id, "
    "avg(notes.mastery_level) AS a FROM notes JOIN note_tags ON notes.id = note_tags.note_id "
    "WHERE notes.missing IS 0 GROUP BY note_tags.tag_id) AS s "
    "JOIN tags ON tags.id = s.tag_id ORDER BY tags.name"
)

_MASTERY_FOLDER = (
    "SELECT notes.folder, avg(notes.mastery_level) FROM notes "
    "WHERE notes.missing IS 0 GROUP BY notes.folder"
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
        # Every statement below is fixed driver SQL (what SQLAlchemy compiled them to),
        # run on the session's own connection: compiling and processing a dozen Core
        # statements and their rows was a fifth of this call at 10k notes.
        raw: Any = session.connection().connection.driver_connection
        # Plain driver rows, each distinct due day parsed once (SQLAlchemy's row and date
        # processing was most of this fetch's 19 ms at 5,000 scheduled cards).
        days: dict[str, date] = {}
        scheduled = [
            (days.get(d) or days.setdefault(d, date.fromisoformat(d)), interval, k)
            for d, interval, k in raw.execute(_SCHEDULED).fetchall()
        ]
        ((total, retired, suspended, scheduled_n, problems, note_count),) = raw.execute(
            _COUNTS
        ).fetchall()
        card_count = total - retired
        new_available = card_count - suspended - scheduled_n
        since = day - timedelta(days=180)
        per_day = {
            date.fromisoformat(d): n
            for d, n in raw.execute(_PER_DAY, (since.isoformat(),)).fetchall()
        }
        grades = [g for (g,) in raw.execute(_GRADES, ((day - timedelta(days=30)).isoformat(),))]
        mastery_tag = raw.execute(_MASTERY_TAG).fetchall()
        mastery_folder = raw.execute(_MASTERY_FOLDER).fetchall()
        hardest_rows = raw.execute(_HARDEST, (10,)).fetchall()
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
                "card_id": cid,
                "title": title,
                "kind": kind,
                "ease": ef_milli / 1000,
                "lapses": lapses,
                "failing": bool(failing),
                "note": path,
            }
            for cid, title, kind, ef_milli, lapses, failing, path in hardest_rows
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
