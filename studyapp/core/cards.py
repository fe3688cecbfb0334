"""Cards generated from a parsed note: the note card plus its table cards.

The note card asks the note's H1 question and shows its standard-answer section
(the first H2).  A note without an H2 still gets a card; its answer is the body, so
a user's quick jotting is reviewable too.  Anchors are structural (``note`` for the
note card; heading path + header + row + column for table cards), never a hash of
the wording, so editing a note keeps its cards' progress.
"""

from __future__ import annotations

from typing import Any

from studyapp.core.model import CardSpec, ParsedNote
from studyapp.core.table_cards import compact_table_cards, table_cards

__all__ = ["NOTE_ANCHOR", "cards_for_note", "compact_cards_for_note", "note_card"]

NOTE_ANCHOR = "note"


def note_card(parsed: ParsedNote) -> CardSpec:
    """The question → standard answer card of a note."""
    if parsed.answer is not None:
        answer = _strip_trailing_rule(parsed.answer.markdown)
        heading_path = list(parsed.answer.heading_path)
    else:
        answer = parsed.body.strip("\n")
        heading_path = []
    return CardSpec(
        kind="note",
        anchor=NOTE_ANCHOR,
        title=parsed.title,
        payload={
            "question": parsed.title,
            "answer_markdown": answer,
            "heading_path": heading_path,
        },
    )


def cards_for_note(parsed: ParsedNote) -> list[CardSpec]:
    """Every card a note yields, in a stable order (note card first)."""
    return [note_card(parsed), *table_cards(parsed)]


def compact_cards_for_note(parsed: ParsedNote) -> tuple[list[dict[str, Any]], list[CardSpec]]:
    """The cards of :func:`cards_for_note`, table cards with compact payloads, and the
    note's tables they point into (stored once: :mod:`studyapp.core.table_store`)."""
    tables, cards = compact_table_cards(parsed)
    return tables, [note_card(parsed), *cards]


def _strip_trailing_rule(markdown: str) -> str:
    """Drop blank lines and a closing ``---`` rule that separates the answer from the rest."""
    lines = markdown.strip("\n").splitlines()
    while lines and lines[-1].strip() in ("", "---", "***", "___"):
        lines.pop()
    return "\n".join(lines)
