"""Read helpers of the notes browser: search and one note's detail.

* :func:`search_note_ids` — incremental search: substring match over title and body,
  case-insensitive for ASCII, exact for CJK (SQLite ``LIKE``), ``%``/``_`` literal.
* :func:`note_detail` — one note's header fields and its body cut into top-level
  sections, so the browser renders one section at a time (the Markdown widget is slow
  on long documents).

Both run in the TUI's thread workers; both only read.  They live in the services
layer because the TUI talks only to services (``tests/unit/test_layers.py`` forbids
``studyapp.tui`` → ``studyapp.db`` imports).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from studyapp.core.markdown import body_lines, parse_tokens
from studyapp.db.models import CardLink, Note, NoteTag, Tag
from studyapp.services.collection import Collection

__all__ = ["NoteDetail", "linked_note_id", "note_detail", "search_note_ids", "split_sections"]

#: Sections shorter than this are merged with the next one (a heading and one line is not worth a page).
_MIN_CHUNK_CHARS = 400


def search_note_ids(coll: Collection, query: str, *, limit: int = 500) -> set[int]:
    """Ids of the present notes whose title or body contains ``query``."""
    text = query.strip()
    if not text:
        return set()
    with coll.session() as session:
        rows = session.scalars(
            select(Note.id)
            .where(
                Note.missing.is_(False),
                Note.title.contains(text, autoescape=True)
                | Note.body.contains(text, autoescape=True),
            )
            .limit(limit)
        )
        return set(rows)


@dataclass(frozen=True)
class NoteDetail:
    id: int
    path: str
    title: str
    folder: str
    tags: tuple[str, ...]
    difficulty: str
    mastery: float
    review_count: int
    next_review: str | None
    sections: tuple[str, ...]  # Markdown source, one chunk per top-level section


def split_sections(body: str) -> tuple[str, ...]:
    """Cut a body before each H1/H2 heading at nesting level 0 (never inside a fence)."""
    lines = body_lines(body)
    starts = sorted(
        {
            tok.map[0]
            for tok in parse_tokens(body)
            if tok.type == "heading_open" and tok.level == 0 and tok.tag in ("h1", "h2") and tok.map
        }
        | {0}
    )
    chunks: list[str] = []
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        chunk = "\n".join(lines[start:end]).strip("\n")
        if not chunk:
            continue
        if chunks and len(chunks[-1]) < _MIN_CHUNK_CHARS:
            chunks[-1] = chunks[-1] + "\n\n" + chunk
        else:
            chunks.append(chunk)
    return tuple(chunks) or ("",)


def note_detail(coll: Collection, note_id: int) -> NoteDetail:
    with coll.session() as session:
        note = session.get(Note, note_id)
        if note is None:
            raise KeyError(note_id)
        tags = session.scalars(
            select(Tag.name)
            .join(NoteTag, NoteTag.tag_id == Tag.id)
            .where(NoteTag.note_id == note_id)
        ).all()
        return NoteDetail(
            id=note.id,
            path=note.path,
            title=note.title,
            folder=note.folder,
            tags=tuple(sorted(tags)),
            difficulty=note.difficulty,
            mastery=note.mastery_level,
            review_count=note.review_count,
            next_review=note.next_review.isoformat() if note.next_review else None,
            sections=split_sections(note.body),
        )


def linked_note_id(coll: Collection, card_id: int) -> int | None:
    """The first present note a calc card is linked to (the note ``d`` opens), if any."""
    with coll.session() as session:
        return session.scalar(
            select(CardLink.note_id)
            .join(Note, Note.id == CardLink.note_id)
            .where(CardLink.card_id == card_id, Note.missing.is_(False))
            .order_by(Note.path)
            .limit(1)
        )
