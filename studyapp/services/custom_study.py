""" "Study more today", as Anki's Custom Study offers it, without bending the day's limits.

Three ways, one :class:`CustomStudy` value:

* ``new`` — raise today's new-card limit by N (Anki: "increase today's new card
  limit").  Only today's allowance changes, stored with the study day it belongs
  to, so the regular queue simply holds N more new cards and tomorrow is untouched;
  the cards count as introduced today like any other.
* ``ahead`` — review the cards due in the next N days now.  SM-2 schedules them from
  today, as Anki's "review ahead" does; the new-card count is not touched.
* ``scope`` — one note, tag or folder now: its due cards and up to N of its new
  cards, whatever the daily new limit (they count as introduced today).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from sqlalchemy import select

from studyapp.core.session import QueueItem, build_queue
from studyapp.db.models import Card, Note, NoteTag, Tag
from studyapp.services.collection import Collection

__all__ = ["CustomStudy", "add_new_today", "custom_queue", "extra_new_today"]

CustomKind = Literal["new", "ahead", "scope"]


@dataclass(frozen=True)
class CustomStudy:
    """What to study beyond today's queue; ``count``: new cards or days ahead."""

    kind: CustomKind
    count: int = 10
    tag: str | None = None
    folder: str | None = None
    note_id: int | None = None

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"count must be at least 1, got {self.count}")
        if self.kind == "scope" and not (self.tag or self.folder or self.note_id):
            raise ValueError("studying a scope needs a tag, a folder or a note")


def extra_new_today(coll: Collection, today: date | None = None) -> int:
    """Today's extra new-card allowance (0 on any other day)."""
    day = today or coll.today()
    settings = coll.settings
    return settings.extra_new if settings.extra_new_day == day.isoformat() else 0


def add_new_today(coll: Collection, count: int, today: date | None = None) -> int:
    """Raise today's new-card limit by ``count``; returns today's total allowance."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    day = today or coll.today()
    total = extra_new_today(coll, day) + count
    coll.save_settings(replace(coll.settings, extra_new=total, extra_new_day=day.isoformat()))
    return total


def custom_queue(
    coll: Collection, study: CustomStudy, today: date | None = None
) -> list[QueueItem]:
    """The session queue for ``ahead`` or ``scope`` (``new`` uses the regular queue)."""
    if study.kind == "new":
        raise ValueError("extra new cards come through today's regular queue")
    day = today or coll.today()
    with coll.session() as session:
        missing = select(Note.id).where(Note.missing.is_(True))
        base = select(Card.id, Card.note_id, Card.kind, Card.due, Card.sibling_key).where(
            Card.retired.is_(False),
            Card.suspended.is_(False),
            (Card.buried_until.is_(None)) | (Card.buried_until <= day),
            (Card.note_id.is_(None)) | Card.note_id.not_in(missing),
        )
        if study.kind == "ahead":
            rows = session.execute(
                base.where(Card.due > day, Card.due <= day + timedelta(days=study.count)).order_by(
                    Card.due, Card.id
                )
            ).all()
            due = [QueueItem(*r) for r in rows]
            return build_queue(due, [], 0)
        if study.note_id is not None:
            base = base.where(Card.note_id == study.note_id)
        if study.tag:
            tagged = (
                select(NoteTag.note_id)
                .join(Tag)
                .where((Tag.name == study.tag) | Tag.name.startswith(study.tag + "/"))
            )
            base = base.where(Card.note_id.in_(tagged))
        if study.folder:
            folder = study.folder.strip("/")
            in_folder = select(Note.id).where(
                (Note.folder == folder) | Note.folder.startswith(folder + "/")
            )
            base = base.where(Card.note_id.in_(in_folder))
        due_rows = session.execute(
            base.where(Card.due.is_not(None), Card.due <= day).order_by(Card.due, Card.id)
        ).all()
        new_rows = session.execute(
            base.where(Card.due.is_(None)).order_by(Card.id).limit(study.count)
        ).all()
    return build_queue(
        [QueueItem(*r) for r in due_rows], [QueueItem(*r) for r in new_rows], study.count
    )
