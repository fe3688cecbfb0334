"""Table-card generation's work, counted for tests/unit/test_table_cards.py (no clock).

Speed is measured in ``bench/``; the tests assert what keeps it: each value cell is
normalised and classified once, a grading form is built at most once per distinct text
(only for the cells a pool visits), and the Python lines run grow linearly with the
table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from studyapp.core import grading, table_cards, table_pools, value_kind
from studyapp.core.model import CardSpec, ParsedNote
from tests.steps import lines_run

__all__ = ["counted_table_cards", "value_cells"]


def value_cells(parsed: ParsedNote) -> Counter[str]:
    """How many value cells (every cell but the row label) hold each text."""
    return Counter(cell for t in parsed.tables for row in t.rows for cell in row[1:])


_MODULES = (table_cards, table_pools, value_kind, grading)


def _forget_memos() -> None:
    """Clear the modules' ``lru_cache`` memos: a count starts cold, whatever ran before
    (a memo warmed by an earlier table would make the count depend on test order)."""
    for module in _MODULES:
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()


def counted_table_cards(parsed: ParsedNote) -> tuple[list[CardSpec], int, dict[str, Counter[str]]]:
    """``table_cards(parsed)``, the Python lines it ran (cards, pools, value kinds,
    grading) and, per per-cell step, how often each text went through it: ``normalize``
    and ``kind_of`` (every value cell, in :func:`~studyapp.core.table_pools.analyse_table`)
    and ``AnswerForm`` (grading forms built; :func:`~studyapp.core.grading.analyse_answer`
    memoises them).

    Memos are cleared first, so the count is the same whenever it is taken."""
    seen: dict[str, Counter[str]] = {"normalize": Counter(), "kind_of": Counter()}
    forms: Counter[str] = Counter()
    seen["AnswerForm"] = forms

    def counting(name: str) -> Callable[..., Any]:
        real = getattr(table_pools, name)

        def counted(cell: str, *args: Any, **kwargs: Any) -> Any:
            seen[name][cell] += 1
            return real(cell, *args, **kwargs)

        return counted

    real_form = grading.AnswerForm

    def counted_form(text: str) -> grading.AnswerForm:
        forms[text] += 1
        return real_form(text)

    with pytest.MonkeyPatch.context() as patch:
        for name in ("normalize", "kind_of"):
            patch.setattr(table_pools, name, counting(name))
        patch.setattr(grading, "AnswerForm", counted_form)
        _forget_memos()
        cards, lines = lines_run(lambda: table_cards.table_cards(parsed), *_MODULES)
    return cards, lines, seen
