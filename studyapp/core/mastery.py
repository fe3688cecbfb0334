"""A note's mastery: the one definition the file, ``notes --json`` and the TUI show.

``mastery_level = 0.5 × m(note card) + 0.5 × mean(m(fact card) for its table cards)``,
or ``m(note card)`` alone for a note without table cards, where ``m`` is
:func:`studyapp.core.srs.card_mastery` (0 for a card never reviewed; grows with the
interval SM-2 gave it, a 3-week interval reads ~0.6; EF and lapses adjust it).

Why half and half: the note card asks the whole interview answer, the table cards
the facts behind it; weighting each card equally made a note with 23 fact cards
stay at 0.00 after its answer was recalled perfectly.  The value is rounded to two
decimals (what the frontmatter holds), and a note with any reviewed card is at
least 0.01, so the first review always shows (a perfect first review of the note
card gives 0.02).
"""

from __future__ import annotations

from collections.abc import Sequence

from studyapp.core.srs import SrsState, card_mastery

__all__ = ["MASTERY_STEP", "NOTE_CARD_SHARE", "mastery_changed", "note_mastery_level"]

#: Share of the note card in a note's mastery (the table cards share the rest).
NOTE_CARD_SHARE = 0.5
#: The resolution of ``mastery_level``: a change this big is written to the note.
MASTERY_STEP = 0.01


def note_mastery_level(note_card: SrsState | None, fact_cards: Sequence[SrsState]) -> float:
    """The note's ``mastery_level`` in [0, 1], rounded to two decimals."""
    facts = [card_mastery(s) for s in fact_cards]
    fact_mean = sum(facts) / len(facts) if facts else 0.0
    if note_card is None and not facts:
        return 0.0
    if note_card is None:
        value = fact_mean
    elif not facts:
        value = card_mastery(note_card)
    else:
        value = NOTE_CARD_SHARE * card_mastery(note_card) + (1 - NOTE_CARD_SHARE) * fact_mean
    level = round(min(1.0, max(0.0, value)), 2)
    reviewed = any(s.interval > 0 for s in fact_cards) or (
        note_card is not None and note_card.interval > 0
    )
    return max(level, MASTERY_STEP) if reviewed else level


def mastery_changed(before: float, after: float) -> bool:
    """Whether the file's ``mastery_level`` must be rewritten (a change of >= 0.01)."""
    return abs(round(after, 2) - round(before, 2)) >= MASTERY_STEP - 1e-9
