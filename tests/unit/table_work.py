"""Table-card generation's work, counted for tests/unit/test_table_cards.py (no clock).

Speed is measured in ``bench/``; the tests assert what keeps it: each value cell is
analysed and classified once, and the Python lines run grow linearly with the table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from studyapp.core import grading, table_cards, value_kind
from studyapp.core.model import CardSpec, ParsedNote
from tests.steps import lines_run

__all__ = ["counted_table_cards", "value_cells"]


def value_cells(parsed: ParsedNote) -> Counter[str]:
    """How many value cells (every cell but the row label) hold each text."""
    return Counter(cell for t in parsed.tables for row in t.rows for cell in row[1:])


_MODULES = (table_cards, value_kind, grading)


def _forget_memos() -> None:
    """Clear the modules' ``lru_cache`` memos: a count starts cold, whatever ran before
    (a memo warmed by an earlier table would make the count depend on test order)."""
    for module in _MODULES:
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()


def counted_table_cards(parsed: ParsedNote) -> tuple[list[CardSpec], int, dict[str, Counter[str]]]:
    """``table_cards(parsed)``, the Python lines it ran (cards, value kinds, grading) and,
    per per-cell step (``analyse_answer``, ``kind_of``), how often each text went through it.

    Memos are cleared first, so the count is the same whenever it is taken."""
    seen: dict[str, Counter[str]] = {"analyse_answer": Counter(), "kind_of": Counter()}

    def counting(name: str) -> Callable[..., Any]:
        real = getattr(table_cards, name)

        def counted(cell: str, *args: Any, **kwargs: Any) -> Any:
            seen[name][cell] += 1
            return real(cell, *args, **kwargs)

        return counted

    with pytest.MonkeyPatch.context() as patch:
        for name in seen:
            patch.setattr(table_cards, name, counting(name))
        _forget_memos()
        cards, lines = lines_run(lambda: table_cards.table_cards(parsed), *_MODULES)
    return cards, lines, seen
