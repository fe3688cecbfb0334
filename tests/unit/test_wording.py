"""Counts in words: the helper both front ends use instead of "1 notes"."""

from __future__ import annotations

from studyapp.core.wording import plural


def test_plural_inflects_the_last_word_only_when_needed() -> None:
    assert plural(1, "note") == "1 note"
    assert plural(0, "note") == "0 notes"
    assert plural(2, "table cell") == "2 table cells"
    assert plural(3, "relearning repeat") == "3 relearning repeats"
    assert plural(2, "box") == "2 boxes" and plural(2, "entry") == "2 entries"
    assert plural(5, "Anki note") == "5 Anki notes"
    assert plural(2, "datum", "data") == "2 data"
