"""Quiz cards from the comparison tables of a note: one card per fact.

A table cell is one fact and gets at most one card.  Which way it is asked is a
*presentation* chosen per review from the prompt's seed (like typed vs multiple
choice), so every way of asking a fact shares one schedule:

* ``row`` — a two-column comparison table (edge vs cloud: the first header is a
  dimension word such as 维度/指标/技术/因素) gets one card per **row**: the row is the
  fact ("主要约束: which belongs to 边缘, which to 云端?").  Its two cells answer each
  other, so separate cards would schedule the same fact twice.  Presentations:
  ``recall:<col>`` (the value of one side) and ``pair`` (which assignment of values
  to sides is right).
* ``cell`` — a table with three or more value columns, or a two-column table that
  is not a comparison (``方法 | 重要性依据 | 是否更新剩余权重``), gets one card per
  cell.  Presentations: ``recall`` and ``side`` (which column holds this value).
* ``kv`` — a key/value table (one value column): one card per row, ``recall`` only.

Options are of the answer's kind (:mod:`studyapp.core.value_kind`): distractors come
from the same column first, then the same row, then the rest of the table, and only
values of the same kind that do not look like another option qualify.  A recall
whose answer the row label or column header already states is not offered (header
``教师 Llama-3-70B`` for ``70,553,706,496``); a side question is only offered when
another column holds values of the same kind (else the unit names the column) and
the header does not spell the value's unit (``大小（GB）`` for ``16.06 GB``).  A
card with no presentation left is not generated.

A table qualifies with >= 2 body rows; the first column holds the row labels.  A
row without a label, a column without a header, and a cell that is empty (or only
punctuation such as ``-``) or says the same as another value cell of its row give no
card (or, in a row card, no recall of that cell).

Anchors are structural and readable, never a hash of the wording:
``table|<heading path>|<header cells>|<row label>`` for a row card and
``table|<heading path>|<header cells>|<row label>|<column label>`` for cell and kv
cards, each component backslash-escaping ``\\ | , / #``.  The heading path leaves out
the note's title (H1), which identity already covers through the note path.  Editing
any other cell keeps every anchor; renaming a row or column label retires that row's
or column's cards (by design: it is a different fact).  A repeated row label, column
header or (heading, header) table gets a ``#2``, ``#3`` ... suffix.  Migration 0003
maps the anchors of the earlier model (one card per cell *and* direction, with a
``|cell``/``|side``/``|kv`` suffix) onto these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from studyapp.core.grading import normalize
from studyapp.core.model import CardSpec, ParsedNote, Table
from studyapp.core.table_pools import POOL_LIMIT, TablePools, analyse_table
from studyapp.core.value_kind import (
    ValueKind,
    gives_away,
    header_names_unit,
    looks_alike,
    skeleton_of_norm,
)

#: Value kinds whose cells have no unit after a leading number (:func:`unit_of` is ""):
#: text and model names have no leading number, a percent's "unit" is ``%``.
_NO_UNIT_TAGS = frozenset({"text", "model", "percent"})

__all__ = [
    "COMPACT_VERSION",
    "COMPARISON_HEADERS",
    "GRID_MAX_ROWS",
    "MAX_OPTIONS",
    "POOL_LIMIT",
    "TYPED_MAX_CHARS",
    "compact_table_cards",
    "is_comparison",
    "stored_table",
    "table_cards",
]

#: ``payload["v"]`` of a compact table-card payload (see :mod:`studyapp.core.table_store`):
#: 3 leaves the distractors out (derived when the card is loaded); 2 stored them as cell
#: coordinates and is still read.
COMPACT_VERSION = 3
#: Options shown for a choice question (answer included): numbered 1-4 / a-d.
MAX_OPTIONS = 4
#: Rows of the table a card's payload shows it in context with: a window around its row
#: (the row and up to two rows either side).  The database stores the table once per note
#: and derives the window when the card is loaded (:mod:`studyapp.core.table_store`).
GRID_MAX_ROWS = 5
#: Longer answers are offered as choice only: nobody types a paragraph from memory.
TYPED_MAX_CHARS = 40
#: First-column headers that mark a two-column table as a comparison of its two value
#: columns (rows are dimensions, columns the things compared): its row is the fact.
COMPARISON_HEADERS = frozenset(
    {"维度", "指标", "技术", "因素", "对比", "对比项", "方面", "特性", "项目", "比较", "属性"}
)


_ESC_RE = re.compile(r"([\\|,/#])")


def _esc(text: str) -> str:
    return _ESC_RE.sub(r"\\\1", text)


def _numbered(labels: Iterable[str]) -> list[str]:
    """Escaped labels with ``#n`` appended to the n-th repeat of a label."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(_esc(label) + (f"#{seen[label]}" if seen[label] > 1 else ""))
    return out


def _grid(table: Table, row: int) -> dict[str, Any]:
    """A window of the table around ``row`` for showing a card in context.

    ``rows[i]`` is table row ``first_row + i``; ``n_rows`` is the table's row count, so
    a viewer can mark rows left out above or below the window.  Cells are the plain
    forms (the TUI shows them as text); the card's own cells keep their display forms
    in the payload (``cell_display``, ``row_label_display``).
    """
    lo = max(0, min(row - GRID_MAX_ROWS // 2, len(table.rows) - GRID_MAX_ROWS))
    hi = lo + GRID_MAX_ROWS
    return {
        "header": list(table.header),
        "rows": [list(r) for r in table.rows[lo:hi]],
        "first_row": lo,
        "n_rows": len(table.rows),
    }


def is_comparison(table: Table) -> bool:
    """Whether a table compares its two value columns row by row (edge vs cloud)."""
    return len(table.header) == 3 and normalize(table.header[0]) in COMPARISON_HEADERS


class _TableCards:
    """Card generation for one table.

    Every cell is normalised and classified once (:class:`TablePools`); a compact
    card leaves its distractors to be derived when it is loaded, so the import only
    builds a pool where it decides whether a card exists (a long cell's recall needs
    one distractor).
    """

    def __init__(
        self, table: Table, path_key: str, header_key: str, index: int | None = None
    ) -> None:
        self.table = table
        #: ``None``: full payloads (everything a card shows); else the table's index in
        #: the note's stored tables (:mod:`studyapp.core.table_store`), and compact ones.
        self.index = index
        self.path_key = path_key
        self.header_key = header_key
        self.value_cols = list(range(1, len(table.header)))
        # Every cell's norm and kind (candidates of a pool, askable cells, side columns);
        # the rest of a pool's analysis is computed only where a pool is asked for.
        self.norms, self.kinds, self.kind_ids = analyse_table(table.rows)
        self.pools = TablePools(table.rows, self.kind_ids)
        self.col_keys = _numbered(table.header)
        self.row_keys = _numbered(row[0] for row in table.rows)
        self._given: dict[tuple[int, int], bool] = {}
        self._side: dict[tuple[int, ValueKind | None], tuple[int, ...]] = {}
        #: The kinds each value column holds (a side question needs another column of the
        #: answer's kind).
        self.col_kinds: list[set[ValueKind | None]] = [
            {row[c] for row in self.kinds} for c in range(len(table.header))
        ]

    def _gives_away(self, r: int, c: int) -> bool:
        """Whether the row label or the column header states the cell (asked once per cell)."""
        key = (r, c)
        given = self._given.get(key)
        if given is None:
            t = self.table
            given = self._given[key] = gives_away(
                t.rows[r][c],
                (t.rows[r][0], t.header[c]),
                answer_skeleton=skeleton_of_norm(self.norms[r][c]),
            )
        return given

    def cards(self) -> list[CardSpec]:
        table = self.table
        if len(table.rows) < 2 or not self.value_cols:
            return []
        out: list[CardSpec] = []
        row_unit = is_comparison(table)
        for r, row in enumerate(table.rows):
            if not row[0]:
                continue
            if row_unit:
                card = self._row_card(r)
                if card is not None:
                    out.append(card)
                continue
            for c in self.value_cols:
                if not self._askable(r, c) or (len(self.value_cols) > 1 and not table.header[c]):
                    continue
                card = self._cell_card(r, c)
                if card is not None:
                    out.append(card)
        return out

    def _askable(self, r: int, c: int) -> bool:
        norm = self.norms[r][c]
        return bool(norm) and all(
            self.norms[r][other] != norm for other in self.value_cols if other != c
        )

    def _recall_ok(self, r: int, c: int) -> bool:
        if self._gives_away(r, c):
            return False
        # Without a distractor of its kind the recall is asked typed (short cells only).
        return len(self.table.rows[r][c]) <= TYPED_MAX_CHARS or self.pools.has_distractor(r, c)

    def _cell_entry(self, r: int, c: int) -> dict[str, Any]:
        recall = self._recall_ok(r, c)
        if self.index is not None:
            # The pool is left out: :mod:`studyapp.core.table_store` derives it from the
            # stored table when the card is loaded (:class:`TablePools`, same rule).
            return {"c": c, "rc": int(recall)}
        pool, _where, in_col = self.pools.pool(r, c)
        t = self.table
        return {
            "col": c,
            "column_label": t.header[c],
            "column_label_display": t.header_display[c],
            "cell": t.rows[r][c],
            "cell_display": t.rows_display[r][c],
            "distractors": pool,
            "column_distractors": in_col,
            "recall": recall,
        }

    def _base(self, r: int, mode: str) -> dict[str, Any]:
        t = self.table
        if self.index is not None:
            return {"v": COMPACT_VERSION, "t": self.index, "mode": mode, "row": r}
        return {
            "mode": mode,
            "heading_path": list(t.heading_path),
            "header": list(t.header),
            "header_display": list(t.header_display),
            "row_label": t.rows[r][0],
            "row_label_display": t.rows_display[r][0],
            "row": r,
            "grid": _grid(t, r),
            "sibling_key": self.sibling_key(r),
            "table_line": t.start_line,
        }

    def sibling_key(self, r: int) -> str:
        return f"{self.path_key}|{self.row_keys[r]}"

    def _anchor(self, r: int, c: int | None) -> str:
        parts = ["table", self.path_key, self.header_key, self.row_keys[r]]
        if c is not None:
            parts.append(self.col_keys[c])
        return "|".join(parts)

    def _cell_card(self, r: int, c: int) -> CardSpec | None:
        multi = len(self.value_cols) >= 2
        entry = self._cell_entry(r, c)
        recall = bool(entry["rc"] if self.index is not None else entry["recall"])
        presentations = ["recall"] if recall else []
        side = self._side_options(r, c) if multi else []
        if side:
            presentations.append("side")
        if not presentations:
            return None
        t = self.table
        label = t.rows[r][0]
        title = f"{label} — {t.header[c]}" if t.header[c] else label
        payload = self._base(r, "cell" if multi else "kv")
        if self.index is not None:
            payload.update(entry)
            if side:
                payload["s"] = side
            payload["p"] = presentations
        else:
            payload.update(entry)
            payload.update(
                answer=entry["cell"],
                answer_display=entry["cell_display"],
                side_distractors=[t.header[c2] for c2 in side],
                presentations=presentations,
            )
        return CardSpec(
            kind="table",
            anchor=self._anchor(r, c),
            title=title,
            payload=payload,
            sibling_key=self.sibling_key(r),
        )

    def _side_options(self, r: int, c: int) -> list[int]:
        """Other columns holding a value of this cell's kind (else no side question)."""
        t = self.table
        kind = self.kinds[r][c]
        if kind is not None and kind.tag in _NO_UNIT_TAGS:
            pass  # no unit after a leading number: the header cannot spell it
        elif header_names_unit(t.rows[r][c], t.header[c]):
            return []  # the unit in the header names the column
        key = (c, kind)
        side = self._side.get(key)
        if side is None:
            side = self._side[key] = self._side_columns(c, kind)
        return list(side)

    def _side_columns(self, c: int, kind: ValueKind | None) -> tuple[int, ...]:
        """The side options of column ``c`` for a value of ``kind`` (the same for every
        such cell of the column: asked once per column and kind)."""
        t = self.table
        out: list[int] = []
        for c2 in sorted(self.value_cols, key=lambda k: (abs(k - c), k)):
            if c2 == c or not t.header[c2] or looks_alike(t.header[c2], t.header[c]):
                continue
            if any(looks_alike(t.header[c2], t.header[o]) for o in out):
                continue
            if kind in self.col_kinds[c2]:
                out.append(c2)
        return tuple(out[: MAX_OPTIONS - 1])

    def _row_card(self, r: int) -> CardSpec | None:
        """The row of a two-column comparison as one card (see the module docstring)."""
        t = self.table
        c1, c2 = self.value_cols
        if not (t.header[c1] and t.header[c2]):
            return None
        compact = self.index is not None
        asked = [c for c in (c1, c2) if self._askable(r, c)]
        cells = [self._cell_entry(r, c) for c in asked]
        presentations = [
            f"recall:{c}"
            for c, e in zip(asked, cells, strict=True)
            if e["rc" if compact else "recall"]
        ]
        label = t.rows[r][0]
        pair_ok = len(cells) == 2 and not any(self._gives_away(r, c) for c in asked)
        if pair_ok:
            presentations.append("pair")
        if not presentations:
            return None
        payload = self._base(r, "row")
        if compact:
            payload.update(cells=cells, p=presentations)
        else:
            payload.update(
                col=c1,
                cells=cells,
                answer=" ／ ".join(f"{e['column_label']}: {e['cell']}" for e in cells),
                answer_display=" ／ ".join(
                    f"{e['column_label_display']}: {e['cell_display']}" for e in cells
                ),
                presentations=presentations,
            )
        title = f"{label} — {t.header[c1]} / {t.header[c2]}"
        return CardSpec(
            kind="table",
            anchor=self._anchor(r, None),
            title=title,
            payload=payload,
            sibling_key=self.sibling_key(r),
        )


def _table_keys(parsed: ParsedNote) -> list[tuple[Table, str, str]]:
    """Each table with its path key (heading path without the title) and header key."""
    out: list[tuple[Table, str, str]] = []
    seen_tables: dict[tuple[str, str], int] = {}
    for table in parsed.tables:
        path = table.heading_path
        if path and path[0] == parsed.title:
            path = path[1:]
        path_key = "/".join(_esc(p) for p in path)
        header_key = ",".join(_esc(h) for h in table.header)
        n = seen_tables[(path_key, header_key)] = seen_tables.get((path_key, header_key), 0) + 1
        if n > 1:
            header_key += f"#{n}"
        out.append((table, path_key, header_key))
    return out


def table_cards(parsed: ParsedNote) -> list[CardSpec]:
    """Every table card of a note with its full payload, in document order (row by row,
    column by column)."""
    out: list[CardSpec] = []
    for table, path_key, header_key in _table_keys(parsed):
        out.extend(_TableCards(table, path_key, header_key).cards())
    return out


def compact_table_cards(parsed: ParsedNote) -> tuple[list[dict[str, Any]], list[CardSpec]]:
    """The note's tables to store once, and every table card with a compact payload.

    The same cards, in the same order, as :func:`table_cards`;
    :func:`studyapp.core.table_store.expand_payload` turns (tables, compact payload) back
    into exactly the payload :func:`table_cards` gives.  Only tables that yield a card
    are stored; a card's ``t`` is its table's index in that list.
    """
    tables: list[dict[str, Any]] = []
    out: list[CardSpec] = []
    for table, path_key, header_key in _table_keys(parsed):
        gen = _TableCards(table, path_key, header_key, len(tables))
        cards = gen.cards()
        if cards:
            entry = stored_table(table, path_key)
            # The kinds of the value cells, so a card's pool is found without classifying
            # the table again (:mod:`studyapp.core.table_store`).
            entry["k"] = [row[1:] for row in gen.kind_ids]
            tables.append(entry)
            out.extend(cards)
    return tables, out


def stored_table(table: Table, path_key: str) -> dict[str, Any]:
    """What the note row keeps of one table: plain cells, display forms only where they differ."""
    entry: dict[str, Any] = {
        "hp": list(table.heading_path),
        "pk": path_key,
        "l": table.start_line,
        "h": list(table.header),
        "r": [list(row) for row in table.rows],
    }
    if table.header_display != table.header:
        entry["hd"] = _display_diff(table.header, table.header_display)
    if table.rows_display != table.rows:
        entry["rd"] = [
            None if d == p else _display_diff(p, d)
            for p, d in zip(table.rows, table.rows_display, strict=False)
        ]
    return entry


def _display_diff(plain: tuple[str, ...], display: tuple[str, ...]) -> list[str | None]:
    """``display`` with ``None`` for each cell written as its plain form."""
    return [None if i < len(plain) and d == plain[i] else d for i, d in enumerate(display)]
