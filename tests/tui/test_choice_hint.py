"""The choice hint names only the keys a card's options have (a 3-option card said a-d)."""

from __future__ import annotations

from studyapp.tui.widgets.card_view import choice_hint


def test_the_hint_names_only_the_options_keys() -> None:
    assert choice_hint(4) == "a-d or 1-4 to choose"
    assert choice_hint(3) == "a-c or 1-3 to choose"
    assert choice_hint(2) == "a-b or 1-2 to choose"
    assert choice_hint(1) == "a or 1 to choose"
    assert choice_hint(9) == "a-d or 1-4 to choose"  # never more keys than letters
