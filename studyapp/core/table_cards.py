"""Quiz cards from the comparison tables of a note.

The user's notes compare things in tables (edge vs cloud, per technique), and the
fact worth drilling is usually "which side does this value belong to".  So:

* ``cell`` — recall a cell given its row label and column header, as multiple choice
  whose first distractor is the same row's other column (the edge/cloud mix-up
  is the mistake worth catching), then cells of the same column, then the rest of
  the table;
* ``side`` — given a cell, which column does it belong to (tables with >= 2 value
  columns);
* ``kv`` — recall the value of a two-column key/value table.

Typing the answer instead of choosing it is a presentation option of ``cell`` and
``kv`` cards (``table_prompt(..., typed=True)``), not a card of its own, so it shares
the card's schedule.

A table qualifies with >= 2 body rows; the first column holds the row labels.  A
row without a label, a column without a header, and a cell that is empty (or only
punctuation such as ``-``) or says the same as another value cell of its row give no
card: the question would have no single right answer.  A card with no possible
distractor is skipped too.

Anchors are structural and readable, never a hash of the wording:
``table|<heading path>|<header cells>|<row label>|<column label>|<mode>``, each
component backslash-escaping ``\\ | , / #``.  The heading path leaves out the note's
title (H1), which identity already covers through the note path.  Editing any other
cell keeps every anchor; renaming a row or column label retires that row's or
column's cards (by design: it is a different fact).  A repeated row label, column
header or (heading, header) table gets a ``#2``, ``#3`` ... suffix.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

from studyapp.core.grading import (
    DEFAULT_POLICY,
    GradingPolicy,
    analyse_answer,
    answers_match,
    auto_grade,
    forms_match,
    normalize,
)
from studyapp.core.model import CardSpec, GradeResult, ParsedNote, Prompt, Table

__all__ = [
    "GRID_MAX_ROWS",
    "MAX_OPTIONS",
    "POOL_LIMIT",
    "TYPED_MAX_CHARS",
    "grade_table",
    "limit_per_note",
    "table_cards",
    "table_prompt",
    "typed_ok",
]

#: Distractors stored per card; a prompt draws its three from them with its seed.
POOL_LIMIT = 6
#: Options shown for a choice question (answer included): numbered 1-4 / a-d.
MAX_OPTIONS = 4
#: Rows of the table stored with a card for showing it in context: a window around its row
#: (the row and up to two rows either side).  Every card carries its own copy, so this
#: bounds the payload (and the database) whatever the size of the table.
GRID_MAX_ROWS = 5
#: Longer answers are offered as choice only: nobody types a paragraph from memory.
TYPED_MAX_CHARS = 40

T = TypeVar("T")


def _esc(text: str) -> str:
    return re.sub(r"([\\|,/#])", r"\\\1", text)


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


class _TableCards:
    """Card generation for one table.

    Every cell is analysed for grading once (:func:`analyse_answer`), and whether two
    cells state the same fact is decided once per pair: building the distractor pools
    compares each cell with most others, and re-normalising and re-parsing both
    strings per comparison made this quadratic in string processing.
    """

    def __init__(self, table: Table, path_key: str, header_key: str) -> None:
        self.table = table
        self.path_key = path_key
        self.header_key = header_key
        self.value_cols = list(range(1, len(table.header)))
        # Value cells only (index c - 1): row labels are never answers or distractors.
        self.forms = [[analyse_answer(cell) for cell in row[1:]] for row in table.rows]
        self.norms = [["", *(form.norm for form in row)] for row in self.forms]
        self.header_norms = [normalize(h) for h in table.header]
        self.col_keys = _numbered(table.header)
        self.row_keys = _numbered(row[0] for row in table.rows)
        self._same: dict[tuple[int, int, int, int], bool] = {}

    def _same_fact(self, r: int, c: int, r2: int, c2: int) -> bool:
        """Whether either cell, typed as the answer to the other, would be accepted."""
        key = (r, c, r2, c2) if (r, c) <= (r2, c2) else (r2, c2, r, c)
        same = self._same.get(key)
        if same is None:
            a, b = self.forms[r][c - 1], self.forms[r2][c2 - 1]
            same = self._same[key] = forms_match(a, b) or forms_match(b, a)
        return same

    def cards(self) -> list[CardSpec]:
        table = self.table
        if len(table.rows) < 2 or not self.value_cols:
            return []
        multi = len(self.value_cols) >= 2
        out: list[CardSpec] = []
        for r, row in enumerate(table.rows):
            if not row[0]:
                continue
            for c in self.value_cols:
                if not self._askable(r, c) or (multi and not table.header[c]):
                    continue
                card = self._recall_card(r, c, "cell" if multi else "kv")
                if card is not None:
                    out.append(card)
                if multi:
                    side = self._side_card(r, c)
                    if side is not None:
                        out.append(side)
        return out

    def _askable(self, r: int, c: int) -> bool:
        norm = self.norms[r][c]
        return bool(norm) and all(
            self.norms[r][other] != norm for other in self.value_cols if other != c
        )

    def _pool(self, r: int, c: int) -> tuple[list[str], int]:
        """Ordered distractors: same row first, then same column, then the rest.

        Returns the pool (at most ``POOL_LIMIT``) and how many of it come from the row.
        """
        rows, norms, value_cols = self.table.rows, self.norms, self.value_cols
        seen = {norms[r][c]}
        pool: list[str] = []

        def fill(candidates: Iterable[tuple[int, int]]) -> None:
            for r2, c2 in candidates:
                if len(pool) >= POOL_LIMIT:
                    return
                norm = norms[r2][c2]
                if not norm or norm in seen:
                    continue
                if self._same_fact(r, c, r2, c2):
                    continue  # the same fact in other words would be graded as a wrong pick
                seen.add(norm)
                pool.append(rows[r2][c2])

        fill((r, c2) for c2 in value_cols if c2 != c)
        in_row = len(pool)
        others = [r2 for r2 in range(len(rows)) if r2 != r]
        fill((r2, c) for r2 in others)
        fill((r2, c2) for r2 in others for c2 in value_cols if c2 != c)
        return pool, in_row

    def _payload(self, r: int, c: int, mode: str) -> dict[str, Any]:
        t = self.table
        return {
            "mode": mode,
            "heading_path": list(t.heading_path),
            "header": list(t.header),
            "header_display": list(t.header_display),
            "row_label": t.rows[r][0],
            "row_label_display": t.rows_display[r][0],
            "column_label": t.header[c],
            "column_label_display": t.header_display[c],
            "cell": t.rows[r][c],
            "cell_display": t.rows_display[r][c],
            "row": r,
            "col": c,
            "grid": _grid(t, r),
            "sibling_key": f"{self.path_key}|{self.row_keys[r]}",
            "table_line": t.start_line,
        }

    def _anchor(self, r: int, c: int, mode: str) -> str:
        return "|".join(
            ("table", self.path_key, self.header_key, self.row_keys[r], self.col_keys[c], mode)
        )

    def _recall_card(self, r: int, c: int, mode: str) -> CardSpec | None:
        pool, in_row = self._pool(r, c)
        if not pool:
            return None
        payload = self._payload(r, c, mode)
        payload.update(
            answer=payload["cell"],
            answer_display=payload["cell_display"],
            distractors=pool,
            row_distractors=in_row,
        )
        label = payload["row_label"]
        title = f"{label} — {payload['column_label']}" if payload["column_label"] else label
        return CardSpec(kind="table", anchor=self._anchor(r, c, mode), title=title, payload=payload)

    def _side_card(self, r: int, c: int) -> CardSpec | None:
        header = self.table.header
        norms = self.header_norms
        seen = {norms[c]}
        others: list[str] = []
        for c2 in sorted(self.value_cols, key=lambda k: (abs(k - c), k)):
            norm = norms[c2]
            if c2 != c and norm and norm not in seen:
                seen.add(norm)
                others.append(header[c2])
        if not others:
            return None
        payload = self._payload(r, c, "side")
        payload.update(
            answer=header[c],
            answer_display=self.table.header_display[c],
            distractors=others[:POOL_LIMIT],
            row_distractors=0,
        )
        title = f"{payload['row_label']} — 哪一列: {payload['cell']}"
        return CardSpec(
            kind="table", anchor=self._anchor(r, c, "side"), title=title, payload=payload
        )


def table_cards(parsed: ParsedNote) -> list[CardSpec]:
    """Every table card of a note, in document order (row by row, column by column)."""
    out: list[CardSpec] = []
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
        out.extend(_TableCards(table, path_key, header_key).cards())
    return out


def typed_ok(payload: Mapping[str, Any]) -> bool:
    """Whether a card may be asked as typed recall (short ``cell``/``kv`` answers only)."""
    return payload.get("mode") in ("cell", "kv") and len(str(payload["answer"])) <= TYPED_MAX_CHARS


def table_prompt(payload: Mapping[str, Any], seed: int, typed: bool = False) -> Prompt:
    """One presentation of a table card; the same ``seed`` always gives the same prompt.

    Choice prompts show the answer and up to three distractors in an order shuffled
    by ``random.Random(seed)``; the same-row distractors are always among them and
    the remaining places are drawn (by the seed) from the rest of the pool, so
    repeated reviews vary.  ``typed`` applies to ``cell``/``kv`` cards; a ``side``
    card is always choice.
    """
    rng = random.Random(seed)
    mode = str(payload["mode"])
    answer = str(payload["answer"])
    pool = [str(d) for d in payload.get("distractors", ())]
    row_label, column_label = str(payload["row_label"]), str(payload["column_label"])
    if mode == "side":
        question = f"{row_label}：「{payload['cell']}」属于哪一列?"
        chosen = pool[: MAX_OPTIONS - 1]
        typed = False
    else:
        question = f"{row_label} — {column_label}?" if column_label else f"{row_label}?"
        first = pool[: min(int(payload.get("row_distractors", 0)), MAX_OPTIONS - 1)]
        rest = pool[len(first) :]
        chosen = first + rng.sample(rest, min(MAX_OPTIONS - 1 - len(first), len(rest)))
    data = {
        key: payload[key]
        for key in (
            "mode",
            "row",
            "col",
            "grid",
            "sibling_key",
            "cell",
            "cell_display",
            "answer_display",
        )
        if key in payload
    }
    context = " / ".join(str(p) for p in payload.get("heading_path", ()))
    if typed:
        return Prompt(
            kind="table",
            question=question,
            answer_mode="typed",
            expected=answer,
            seed=seed,
            context=context,
            data=data,
        )
    options = [answer, *chosen]
    rng.shuffle(options)
    return Prompt(
        kind="table",
        question=question,
        answer_mode="choice",
        expected=answer,
        seed=seed,
        context=context,
        options=tuple(options),
        correct_option=options.index(answer),
        data=data,
    )


_CHOICE_KEY_RE = re.compile(r"\(?([0-9]+|[a-z])[.)、]?")


def _choice_index(options: tuple[str, ...], response: str) -> int | None:
    """Which option a response names: its number (1-based), letter, or text.

    A bare number or letter in range is always a position, because the options are
    shown numbered; otherwise the text must equal exactly one option after
    :func:`normalize`.
    """
    key = unicodedata.normalize("NFKC", response).strip().casefold()
    m = _CHOICE_KEY_RE.fullmatch(key)
    if m:
        token = m.group(1)
        index = int(token) - 1 if token.isdigit() else ord(token) - ord("a")
        if 0 <= index < len(options):
            return index
    norm = normalize(response)
    hits = [i for i, option in enumerate(options) if norm and normalize(option) == norm]
    return hits[0] if len(hits) == 1 else None


def grade_table(
    prompt: Prompt,
    response: str,
    elapsed_ms: int,
    hinted: bool = False,
    policy: GradingPolicy = DEFAULT_POLICY,
) -> GradeResult:
    """Grade a response to a table prompt and propose an SM-2 grade (see :func:`auto_grade`)."""
    if prompt.answer_mode == "choice":
        index = _choice_index(prompt.options, response)
        correct = index is not None and index == prompt.correct_option
        if index is None and response.strip():
            feedback = f"不是选项：{response.strip()}；正确答案：{prompt.expected}"
        else:
            feedback = "" if correct else f"正确答案：{prompt.expected}"
    else:
        correct = answers_match(prompt.expected, response)
        feedback = "" if correct else f"正确答案：{prompt.expected}"
    return GradeResult(
        correct=correct,
        grade=auto_grade(correct, elapsed_ms, hinted, policy),
        expected=prompt.expected,
        feedback=feedback,
    )


def limit_per_note(
    items: Iterable[T],
    note_key: Callable[[T], Hashable],
    per_note_limit: int,
    used: Mapping[Hashable, int] | None = None,
) -> list[T]:
    """Keep at most ``per_note_limit`` items per note, in the given order.

    One table of 7 rows yields ~28 cards; without a cap a single note would fill a
    day's queue.  ``used`` gives how many table cards of a note were already shown
    today, so the cap holds across several calls in one study day.
    """
    if per_note_limit < 0:
        raise ValueError(f"per_note_limit must be >= 0, got {per_note_limit}")
    counts: dict[Hashable, int] = dict(used or {})
    kept: list[T] = []
    for item in items:
        key = note_key(item)
        if counts.get(key, 0) < per_note_limit:
            counts[key] = counts.get(key, 0) + 1
            kept.append(item)
    return kept
