"""GFM tables of a note body, read from markdown-it tokens.

Tables are the densest facts in the user's notes (edge vs cloud, per technique), so
they become quiz cards.  They are read from the token stream, never with regexes
over the source: a table inside a code fence is a single ``fence`` token and can
never turn into a quiz, ``a \\| b`` is one cell, and a full-width ``｜`` is text.

Each cell is kept twice: as plain text for grading and anchors (emphasis, code and
link markup reduced to their text) and as written for display (the inline token's
``content``, which keeps ``**bold**`` and `` `code` ``; markdown-it has already
unescaped ``\\|`` to ``|`` there).

Ragged rows: markdown-it pads a short row with empty cells and silently drops cells
beyond the header's width.  The table is kept as parsed (extra cells ignored, so
the grid stays rectangular); :func:`ragged_rows` reports the rows that lost cells,
counted from the source line, so the import can warn the user.

The tokens must come from parsing the body, the same text as ``body_lines``: token
``.map`` line numbers and ``Section`` lines are then both 0-based body lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from studyapp.core.model import Section, Table

__all__ = ["RaggedRow", "extract_tables", "plain_text", "ragged_rows"]

# Inline HTML that means "line break" in a cell (tables cannot hold real newlines).
_BREAK_TAG_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class RaggedRow:
    """A table row written with more cells than the header has; the extras were dropped."""

    line: int  # 0-based body line of the row
    cells: int  # cells written in the source
    expected: int  # cells in the header


def _is_break_tag(tok: Token) -> bool:
    return tok.type == "html_inline" and _BREAK_TAG_RE.fullmatch(tok.content.strip()) is not None


def plain_text(inline: Token) -> str:
    """The text a reader sees in an inline token, without Markdown markup.

    Text and code spans keep their content, links and images their text (``alt`` for
    images), ``<br>`` becomes a space and other inline HTML tags are dropped.
    Whitespace is folded, so the result is a stable key for anchors and grading.
    """
    parts: list[str] = []
    for child in inline.children or ():
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type == "image":
            parts.append(child.content or plain_text(child))
        elif child.type in ("softbreak", "hardbreak") or _is_break_tag(child):
            parts.append(" ")
    return _SPACE_RE.sub(" ", "".join(parts)).strip()


@dataclass
class _RawTable:
    """Cells of one table as collected from the token stream."""

    start: int
    end: int
    header: list[Token]
    rows: list[tuple[int | None, list[Token]]]  # (source line, inline tokens)


def _collect(tokens: Sequence[Token]) -> list[_RawTable]:
    tables: list[_RawTable] = []
    current: _RawTable | None = None
    row: list[Token] | None = None
    row_line: int | None = None
    in_head = False
    for tok in tokens:
        if tok.type == "table_open":
            start, end = tok.map if tok.map else (0, 0)
            current = _RawTable(start=start, end=end, header=[], rows=[])
        elif current is None:
            continue
        elif tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            row, row_line = [], (tok.map[0] if tok.map else None)
        elif tok.type == "inline" and row is not None:
            row.append(tok)
        elif tok.type == "tr_close" and row is not None:
            if in_head:
                current.header = row
            else:
                current.rows.append((row_line, row))
            row = None
        elif tok.type == "table_close":
            tables.append(current)
            current = None
    return tables


def _fit(cells: list[str], width: int) -> tuple[str, ...]:
    """Pad or truncate to the header's width (markdown-it already does; this guarantees it)."""
    return tuple((cells + [""] * width)[:width])


def _deepest_heading_path(sections: Sequence[Section], line: int) -> tuple[str, ...]:
    best: tuple[str, ...] = ()
    for sec in sections:
        if sec.start_line <= line < sec.end_line and len(sec.heading_path) >= len(best):
            best = sec.heading_path
    return best


def extract_tables(
    tokens: Sequence[Token], body_lines: Sequence[str], sections: Sequence[Section]
) -> tuple[Table, ...]:
    """Every table of the body, in document order.

    ``heading_path`` is that of the deepest section whose line range contains the
    table's first line (empty when the table precedes every heading).  Cell text
    comes from the tokens only; ``body_lines`` is part of the contract so that
    readers of the source (:func:`ragged_rows`) take the same inputs.
    """
    tables: list[Table] = []
    for raw in _collect(tokens):
        width = len(raw.header)
        if width == 0:
            continue
        rows = tuple(_fit([plain_text(c) for c in cells], width) for _, cells in raw.rows)
        rows_display = tuple(
            _fit([c.content.strip() for c in cells], width) for _, cells in raw.rows
        )
        tables.append(
            Table(
                header=tuple(plain_text(c) for c in raw.header),
                rows=rows,
                header_display=tuple(c.content.strip() for c in raw.header),
                rows_display=rows_display,
                heading_path=_deepest_heading_path(sections, raw.start),
                start_line=raw.start,
                end_line=raw.end,
            )
        )
    return tuple(tables)


_CONTAINER_PREFIX_RE = re.compile(r"^(?:\s*>)*\s*")


def _source_cell_count(line: str) -> int:
    """Cells written on a table source line: split on unescaped ``|``, outer pipes optional.

    A blockquote prefix (``> ``) is removed first.  Pipes inside code spans split
    cells in GFM too (only ``\\|`` does not), so no code-span handling is needed.
    """
    text = _CONTAINER_PREFIX_RE.sub("", line).rstrip()
    pieces: list[str] = []
    current: list[str] = []
    escaped = False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == "|":
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    if text.startswith("|"):
        pieces = pieces[1:]
    if pieces and text.endswith("|") and not text.endswith("\\|"):
        pieces = pieces[:-1]
    return len(pieces)


def ragged_rows(tokens: Sequence[Token], body_lines: Sequence[str]) -> tuple[RaggedRow, ...]:
    """Body rows whose source line has more cells than the header (markdown-it drops them).

    Rows without a usable source line (no ``map``, or out of ``body_lines``) are
    skipped rather than guessed.
    """
    found: list[RaggedRow] = []
    for raw in _collect(tokens):
        width = len(raw.header)
        for line, _cells in raw.rows:
            if line is None or not 0 <= line < len(body_lines):
                continue
            count = _source_cell_count(body_lines[line])
            if count > width:
                found.append(RaggedRow(line=line, cells=count, expected=width))
    return tuple(found)
