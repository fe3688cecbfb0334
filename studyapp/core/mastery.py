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

__all__ = [
    "MASTERY_STEP",
    "NOTE_CARD_SHARE",
    "combine_mastery",
    "mastery_changed",
    "note_mastery_level",
]

#: Share of the note card in a note's mastery (the table cards share the rest).
NOTE_CARD_SHARE = 0.5
#: The resolution of ``mastery_level``: a change this big is written to the note.
MASTERY_STEP = 0.01


def note_mastery_level(note_card: SrsState | None, fact_cards: Sequence[SrsState]) -> float:
    """The note's ``mastery_level`` in [0, 1] under SM-2, rounded to two decimals."""
    reviewed = any(s.interval > 0 for s in fact_cards) or (
        note_card is not None and note_card.interval > 0
    )
    return combine_mastery(
        None if note_card is None else card_mastery(note_card),
        [card_mastery(s) for s in fact_cards],
        reviewed=reviewed,
    )


def combine_mastery(
    note_value: float | None, fact_values: Sequence[float], *, reviewed: bool
) -> float:
    """Combine per-card mastery values (SM-2's or FSRS's retrievability) into the note's.

    Kept apart from how one card's value is computed so both schedulers share the
    half-and-half rule, the rounding and the 0.01 floor after a first review.
    """
    fact_mean = sum(fact_values) / len(fact_values) if fact_values else 0.0
    if note_value is None and not fact_values:
        return 0.0
    if note_value is None:
        value = fact_mean
    elif not fact_values:
        value = note_value
    else:
        value = NOTE_CARD_SHARE * note_value + (1 - NOTE_CARD_SHARE) * fact_mean
    level = round(min(1.0, max(0.0, value)), 2)
    return max(level, MASTERY_STEP) if reviewed else level


def mastery_changed(before: float, after: float) -> bool:
    """Whether the file's ``mastery_level`` must be rewritten (a change of >= 0.01)."""
    return abs(round(after, 2) - round(before, 2)) >= MASTERY_STEP - 1e-9
