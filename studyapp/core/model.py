"""Domain types shared by every layer.

These are the contracts between the pure core (parsing, scheduling, quiz generation,
sizing) and the layers above it (database, services, CLI, TUI).  They are plain
dataclasses so that they cross layer boundaries without dragging a database session
or a widget along, and so that tests can build them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

__all__ = [
    "SCHEDULE_KEYS",
    "AnswerMode",
    "CardKind",
    "CardSpec",
    "Difficulty",
    "GradeResult",
    "NoteError",
    "NoteMeta",
    "ParsedNote",
    "Prompt",
    "Section",
    "Table",
]

CardKind = Literal["note", "table", "calc"]
Difficulty = Literal["easy", "medium", "hard"]
AnswerMode = Literal["self", "choice", "typed", "numeric", "yesno"]

#: The frontmatter keys studyapp owns and may rewrite (``difficulty`` only on request).
SCHEDULE_KEYS: tuple[str, ...] = ("last_reviewed", "next_review", "review_count", "mastery_level")


class NoteError(Exception):
    """A note that cannot be imported.  ``str(err)`` is the one-line ``path: problem``."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class NoteMeta:
    """Frontmatter values after validation.

    Values that had the wrong type are replaced by their default and reported in
    ``ParsedNote.warnings`` (the note is "partially accepted").  ``extra`` keeps
    every unknown key as loaded, so nothing the user wrote is lost from the index.
    """

    created: date | None = None
    last_reviewed: date | None = None
    next_review: date | None = None
    review_count: int = 0
    difficulty: Difficulty = "medium"
    mastery_level: float = 0.0
    tags: tuple[str, ...] = ()
    related_outlines: tuple[str, ...] = ()
    has_frontmatter: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    """A heading and the Markdown source under it, up to the next heading of the same or higher level."""

    level: int
    title: str
    heading_path: tuple[
        str, ...
    ]  # titles of the enclosing headings, outermost first, including this one
    start_line: int  # 0-based line of the heading in the *body* (after frontmatter)
    end_line: int  # exclusive
    markdown: str  # source lines of the section without the heading line itself


@dataclass(frozen=True)
class Table:
    """A GFM table found in a note body (never one inside a code fence)."""

    header: tuple[str, ...]  # plain-text header cells
    rows: tuple[tuple[str, ...], ...]  # plain-text body cells, padded/truncated to len(header)
    header_display: tuple[str, ...]  # cells as written (inline Markdown kept) for display
    rows_display: tuple[tuple[str, ...], ...]
    heading_path: tuple[str, ...]
    start_line: int  # 0-based, in the body
    end_line: int  # exclusive


@dataclass(frozen=True)
class ParsedNote:
    """Everything derived from one note file, computed once per change of the file."""

    path: str  # posix path relative to the notes folder
    meta: NoteMeta
    title: str
    sections: tuple[Section, ...]
    answer: Section | None  # the first H2 section: the note's standard answer
    tables: tuple[Table, ...]
    body: str  # the Markdown body after the frontmatter block
    body_line_offset: int  # number of file lines before the body (frontmatter block), for 1-based file line numbers
    warnings: tuple[
        str, ...
    ] = ()  # one-line problems of a partially accepted note (without the path)


@dataclass(frozen=True)
class CardSpec:
    """A card as generated from a note (or a calc template), before it has any schedule.

    Identity is structural: ``(note path, kind, anchor)``.  The anchor never contains
    a hash of the wording, so editing text keeps a card's progress; when the anchor
    disappears the card is retired and its history kept.

    ``payload`` is JSON-serialisable and kind-specific:

    * ``note``: ``{"question": str, "answer_markdown": str, "heading_path": [...]}``
    * ``table``: see :mod:`studyapp.core.table_cards`
    * ``calc``: ``{"template": str}`` (parameters are drawn per review from a seed)
    """

    kind: CardKind
    anchor: str
    title: str
    payload: dict[str, Any]
    #: Cards of one row of a table (a fact and its neighbours) share it; a compact table
    #: payload does not carry it (see :mod:`studyapp.core.table_store`).
    sibling_key: str | None = None


@dataclass(frozen=True)
class Prompt:
    """One presentation of a card: what to ask, how to answer, and what is right.

    Built from a card and a seed, so a review can be replayed from the log.
    All strings are plain text (or Markdown where ``expected_is_markdown``), never
    Textual/Rich markup.
    """

    kind: CardKind
    question: str
    answer_mode: AnswerMode
    expected: str
    seed: int
    context: str = ""  # e.g. note title / heading path
    options: tuple[str, ...] = ()  # for "choice"
    correct_option: int | None = None  # index into options
    expected_is_markdown: bool = False
    worked: tuple[str, ...] = ()  # worked solution lines (calc)
    data: dict[str, Any] = field(
        default_factory=dict
    )  # kind-specific extras (table grid, params, tolerance)


@dataclass(frozen=True)
class GradeResult:
    """The outcome of auto-grading a response.  ``grade`` is a proposal; the user may override it."""

    correct: bool
    grade: int  # proposed SM-2 grade 0-5
    expected: str
    feedback: str = ""
