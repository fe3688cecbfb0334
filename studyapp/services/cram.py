"""Cram quizzes: random cards regardless of due date, never touching the schedule.

For the days before an interview.  Answers are logged with ``cram=True`` so stats
can show them, but no card state changes and no note is written.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy import select

from studyapp.db.models import Card, Note, NoteTag, Tag
from studyapp.services.collection import Collection


def cram_selection(
    coll: Collection,
    *,
    count: int = 20,
    tags: list[str] | None = None,
    folders: list[str] | None = None,
    kinds: list[str] | None = None,
    seed: int | None = None,
) -> list[int]:
    """Card ids drawn at random (seeded) from the matching active cards."""
    with coll.session() as session:
        query = (
            select(Card.id)
            .outerjoin(Note, Note.id == Card.note_id)
            .where(
                Card.retired.is_(False),
                Card.suspended.is_(False),
                (Card.note_id.is_(None)) | (Note.missing.is_(False)),
            )
            .order_by(Card.id)
        )
        if kinds:
            query = query.where(Card.kind.in_(kinds))
        if tags:
            cond = None
            for tag in tags:
                c = (Tag.name == tag) | Tag.name.startswith(tag + "/")
                cond = c if cond is None else cond | c
            query = query.where(
                Card.note_id.in_(select(NoteTag.note_id).join(Tag).where(cond))  # type: ignore[arg-type]
            )
        if folders:
            cond = None
            for folder in folders:
                c = (Note.folder == folder) | Note.folder.startswith(folder + "/")
                cond = c if cond is None else cond | c
            query = query.where(cond)  # type: ignore[arg-type]
        ids = list(session.scalars(query))
    rng = random.Random(seed)
    rng.shuffle(ids)
    return ids[: max(0, count)]


@dataclass
class CramScore:
    answered: int = 0
    correct: int = 0
    misses: list[tuple[int, str, str]] = field(default_factory=list)  # card id, question, expected

    def add(self, card_id: int, correct: bool, question: str, expected: str) -> None:
        self.answered += 1
        if correct:
            self.correct += 1
        else:
            self.misses.append((card_id, question, expected))

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.answered if self.answered else 0.0
