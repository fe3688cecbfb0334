"""Distractor pools of a table's cells, derived where a card is shown.

A multiple-choice question draws its wrong options from its table (see
:mod:`studyapp.core.table_cards`): same column first, then the same row, then the
rest, only values of the answer's kind, none that states the same fact or looks like
another option.  Finding them compares a cell with most others of its table; doing
that for every cell of every note at import was a third of the card generator's CPU
(1k notes: ~0.9 of 3.0 s), for pools most of which nobody asks that day.  So the
importer stores only the table (``notes.tables_json``) and the review derives a card's
pool from it when the card is loaded, with this class: the same rule on the same
cells, so the pool is the one the import used to store.

Per-cell analysis is lazy: which cells are candidates needs every cell's kind, which
the import computes anyway and stores with the table (:func:`analyse_table`); the
grading form, skeleton and numbers are computed only for the candidates a pool
actually visits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from studyapp.core.grading import AnswerForm, analyse_answer, forms_match, normalize
from studyapp.core.value_kind import ValueKind, kind_of, numbers_of, skeleton

__all__ = ["POOL_LIMIT", "TablePools", "analyse_table"]

#: Distractors kept per asked cell; a prompt draws its three from them with its seed.
POOL_LIMIT = 6


def _alike(sa: str, sb: str, na: tuple[float, ...], nb: tuple[float, ...]) -> bool:
    """:func:`~studyapp.core.value_kind.looks_alike` of two cells of one kind, from their
    skeletons and numbers (the same tests, in the same order)."""
    if not sa or not sb:
        return sa == sb
    if sa == sb:
        return True
    short, long_ = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    if len(short) >= 2 and not short.isdigit() and short in long_:
        return True
    return bool(na) and na == nb


def analyse_table(
    rows: Sequence[Sequence[str]],
) -> tuple[list[list[str]], list[list[ValueKind | None]], list[list[int]]]:
    """Every cell's normalised text, value kind and kind id (index 0, the label column:
    ``""``, ``None``, ``-1``).

    A kind id is a small int per distinct kind of the table, in order of appearance,
    and -1 for a cell with no value: the card generator reads the first two, the pools
    the ids (the importer stores them with the table, so showing a card does not
    classify its table again).
    """
    norms: list[list[str]] = [["", *(normalize(cell) for cell in row[1:])] for row in rows]
    kinds: list[list[ValueKind | None]] = [
        [None, *(kind_of(cell) for cell in row[1:])] for row in rows
    ]
    ids: dict[ValueKind, int] = {}
    kind_ids = [
        [
            ids.setdefault(kind, len(ids)) if kind is not None and norm else -1
            for kind, norm in zip(kinds_row, norms_row, strict=True)
        ]
        for kinds_row, norms_row in zip(kinds, norms, strict=True)
    ]
    return norms, kinds, kind_ids


class TablePools:
    """The pool of any value cell of one table (``rows[r][0]`` is the row label), from
    the cells and their kind ids (:func:`analyse_table`)."""

    def __init__(self, rows: Sequence[Sequence[str]], kind_ids: Sequence[Sequence[int]]) -> None:
        self.rows = rows
        self.kind_ids = kind_ids
        self.value_cols = list(range(1, len(rows[0]))) if rows else []
        # The cells of each kind id in row-major order, and per column in row order: a
        # pool visits only the candidates of its answer's kind, in the order it always did.
        self.by_kind: dict[int, list[tuple[int, int]]] = {}
        self.col_by_kind: dict[tuple[int, int], list[int]] = {}
        for r, ids_row in enumerate(kind_ids):
            for c in self.value_cols:
                k = ids_row[c]
                if k >= 0:
                    self.by_kind.setdefault(k, []).append((r, c))
                    self.col_by_kind.setdefault((c, k), []).append(r)
        self._looks: dict[tuple[int, int], tuple[str, tuple[float, ...]]] = {}
        self._same: dict[tuple[int, int, int, int], bool] = {}

    def _look(self, r: int, c: int) -> tuple[str, tuple[float, ...]]:
        """What :func:`_alike` reads of a cell (pools compare cells of one kind only, so
        looks_alike's kind test always holds there)."""
        look = self._looks.get((r, c))
        if look is None:
            cell = self.rows[r][c]
            look = self._looks[(r, c)] = (skeleton(cell), numbers_of(cell))
        return look

    def _form(self, r: int, c: int) -> AnswerForm:
        return analyse_answer(self.rows[r][c])

    def same_fact(self, r: int, c: int, r2: int, c2: int) -> bool:
        """Whether either cell, typed as the answer to the other, would be accepted."""
        key = (r, c, r2, c2) if (r, c) <= (r2, c2) else (r2, c2, r, c)
        same = self._same.get(key)
        if same is None:
            a, b = self._form(r, c), self._form(r2, c2)
            same = self._same[key] = forms_match(a, b) or forms_match(b, a)
        return same

    def pool(self, r: int, c: int, limit: int = POOL_LIMIT) -> tuple[list[str], list[int], int]:
        """Distractors of the answer's kind: same column first, then same row, then the rest.

        Returns the pool (at most ``limit``), the cells it comes from (flat
        ``[row, col, row, col, ...]``) and how many of it come from the column.

        A candidate qualifies when it is of the answer's kind, does not state the same
        fact (:meth:`same_fact`) and looks like neither the answer nor an option
        already taken (:func:`_alike`).
        """
        rows, look, same_fact = self.rows, self._look, self.same_fact
        kind = self.kind_ids[r][c]
        pool: list[str] = []
        where: list[int] = []
        if kind < 0:
            return pool, where, 0
        taken: list[tuple[str, tuple[float, ...]]] = []
        sa, na = look(r, c)

        def fill(candidates: Iterable[tuple[int, int]]) -> None:
            for r2, c2 in candidates:
                sb, nb = look(r2, c2)
                # Three tests, any of which rejects the candidate: the two look-alike
                # tests first, the grading comparison (two answer forms) last.
                if _alike(sb, sa, nb, na) or any(_alike(sb, so, nb, no) for so, no in taken):
                    continue
                if same_fact(r, c, r2, c2):
                    continue  # the same fact in other words would be graded as a wrong pick
                pool.append(rows[r2][c2])
                where.extend((r2, c2))
                taken.append((sb, nb))
                if len(pool) >= limit:
                    return

        fill((r2, c) for r2 in self.col_by_kind[(c, kind)] if r2 != r)
        in_col = len(pool)
        if in_col < limit:
            kid_row = self.kind_ids[r]
            fill((r, c2) for c2 in self.value_cols if c2 != c and kid_row[c2] == kind)
        if len(pool) < limit:
            fill((r2, c2) for r2, c2 in self.by_kind[kind] if r2 != r and c2 != c)
        return pool, where, in_col

    def has_distractor(self, r: int, c: int) -> bool:
        """Whether the cell's pool is not empty (it stops at the first distractor)."""
        return bool(self.pool(r, c, limit=1)[0])
