"""Regression tests of issue 10: no note under the size limit runs away.

A 3.9 MB note with one 150k-row table took > 300 s and 859 MB, 400k headings > 300 s
and 1.3 GB, a 520 KB table of 20k rows 30 s and 80,009 cards.  The limits in
:mod:`studyapp.core.notefile` make the cost linear and capped; the time budget in
:mod:`studyapp.services.import_parse` skips whatever still runs long.
"""

from __future__ import annotations

import importlib
import pkgutil
import signal
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

import studyapp.core
from studyapp.core import markdown, notefile
from studyapp.core.frontmatter_io import MAX_NOTE_BYTES
from studyapp.core.markdown import parse_tokens, sections
from studyapp.core.model import ParsedNote
from studyapp.core.notefile import (
    MAX_HEADINGS,
    MAX_PARSE_CHARS,
    MAX_PARSE_LINES,
    MAX_TABLE_CELLS,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    parse_note,
)
from studyapp.services import import_parse
from studyapp.services.import_parse import parse_file
from tests.steps import lines_run

HEAD = "---\nreview_count: 0\n---\n# T\n\n## 答案\n\n"
LIMIT = MAX_NOTE_BYTES - 4096


def _fill(unit: Callable[[int], str], header: str = "") -> bytes:
    parts, size, i = [HEAD, header], len((HEAD + header).encode()), 0
    while True:
        chunk = unit(i)
        size += len(chunk.encode())
        if size > LIMIT:
            return "".join(parts).encode()
        parts.append(chunk)
        i += 1


def _row(cells: int, text: str) -> str:
    return "|" + "|".join(f"{text}{k}" for k in range(cells)) + "|\n"


WORST: dict[str, Callable[[], bytes]] = {
    "one table of 150k rows": lambda: _fill(
        lambda i: f"| **项{i}** | {i} | 说明{i} |\n", "| 名称 | 值 | 说明 |\n| --- | --- | --- |\n"
    ),
    "400k headings": lambda: _fill(lambda i: f"## h{i}\n"),
    "thousands of small tables": lambda: _fill(
        lambda i: (
            "| a | b | c |\n| - | - | - |\n"
            + "".join(f"| r{j} | {j} | x |\n" for j in range(20))
            + "\n"
        )
    ),
    "a table 300 columns wide": lambda: _fill(
        lambda i: _row(300, "c"), _row(300, "h") + "|" + "-|" * 300 + "\n"
    ),
    "deeply nested lists": lambda: _fill(lambda i: "  " * (i % 50) + f"- item {i}\n"),
    "emphasis everywhere": lambda: _fill(lambda i: "*a **b " * 20 + "\n"),
    "one 5 MB line": lambda: (HEAD + "x" * (LIMIT - 100)).encode(),
    "nested quotes": lambda: _fill(lambda i: "> " * (i % 30) + f"q{i}\n"),
}


#: Every module of studyapp.core (parsing, cards, value kinds...) and the import's parse
#: step: the Python lines run there are the cost of a note's parse, counted.
_CORE_MODULES = tuple(
    importlib.import_module(m.name)
    for m in pkgutil.walk_packages(studyapp.core.__path__, "studyapp.core.")
)
#: Python lines a parse may run: a few per line of the note (the one linear pass that
#: applies the limits; measured at most 3.2) plus a bounded amount per table cell read
#: (its analysis and distractor pool; measured at most about 2,100 for a row of 16
#: columns), plus a fixed cost per note (the note card, the frontmatter; under 500).
#: Cells read are capped, so the whole is capped whatever the note holds.
_LINES_PER_NOTE_LINE = 10
_LINES_PER_CELL = 5_000
_LINES_PER_NOTE = 2_000


def _lines_allowed(note_lines: int, cells: int) -> int:
    return _LINES_PER_NOTE + _LINES_PER_NOTE_LINE * note_lines + _LINES_PER_CELL * cells


def _parse_watched(data: bytes) -> tuple[import_parse.Parsed, int, list[str], ParsedNote]:
    """``parse_file`` with its Python lines counted, what markdown-it was given and the
    full parsed note (before the parse step slims it)."""
    tokenised: list[str] = []
    notes: list[ParsedNote] = []
    outline, cards = notefile.outline_tokens, import_parse.compact_cards_for_note

    def watched_outline(text: str) -> Any:
        tokenised.append(text)
        return outline(text)

    def watched_cards(note: ParsedNote) -> Any:
        notes.append(note)
        return cards(note)

    limit = _lines_allowed(data.count(b"\n") + 1, MAX_TABLE_CELLS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(notefile, "outline_tokens", watched_outline)
        patch.setattr(import_parse, "compact_cards_for_note", watched_cards)
        parsed, lines = lines_run(
            lambda: parse_file("worst.md", data), import_parse, *_CORE_MODULES, limit=limit
        )
    assert len(notes) == 1
    return parsed, lines, tokenised, notes[0]


@pytest.mark.parametrize("case", sorted(WORST))
def test_a_worst_case_note_imports_in_bounded_work_and_memory(case: str) -> None:
    """Bounded work, counted instead of timed (speed is measured in bench/): markdown-it
    sees only the text within the limits, the structures built from it are within the
    limits, and the Python lines run are linear in the note's lines plus a bounded cost
    per table cell read.  Memory: a generous 200 MB (the measured worst is about 140 MB)."""
    data = WORST[case]()
    assert len(data) <= MAX_NOTE_BYTES
    parsed, lines, tokenised, note = _parse_watched(data)
    assert parsed.error is None, parsed.error
    assert len(parsed.cards) <= import_parse.MAX_CARDS_PER_NOTE
    # markdown-it, the expensive step, runs once, on the bounded text only.
    assert len(tokenised) == 1
    assert len(tokenised[0]) <= MAX_PARSE_CHARS and tokenised[0].count("\n") <= MAX_PARSE_LINES
    # What cards are derived from is within the limits...
    assert len(note.sections) <= MAX_HEADINGS
    assert all(len(t.rows) <= MAX_TABLE_ROWS for t in note.tables)
    assert all(len(row) <= MAX_TABLE_COLUMNS + 1 for t in note.tables for row in t.rows)
    cells = sum(len(row) for t in note.tables for row in t.rows)
    assert cells <= MAX_TABLE_CELLS
    # ...and the section texts hold each body line at most once per heading level.
    assert sum(len(s.markdown) for s in note.sections) <= 6 * len(note.body)
    # The whole parse: linear in the note's lines, plus a bounded cost per cell read.
    assert lines <= _lines_allowed(data.count(b"\n") + 1, cells), (case, lines)
    tracemalloc.start()
    try:
        parse_file("worst.md", data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200 * 1024 * 1024, f"{case}: {peak / 1e6:.0f} MB"


def test_a_long_table_is_capped_and_says_so() -> None:
    rows = "".join(f"| r{i} | {i} |\n" for i in range(MAX_TABLE_ROWS + 50))
    note = parse_note("t.md", f"# T\n\n## A\n\n| k | v |\n| - | - |\n{rows}\nafter\n".encode())
    assert len(note.tables) == 1 and len(note.tables[0].rows) == MAX_TABLE_ROWS
    assert any(f"longer than {MAX_TABLE_ROWS} rows" in w for w in note.warnings)
    assert note.body.count("| r") == MAX_TABLE_ROWS + 50  # the body itself is kept whole


class _CountingLines(list[str]):
    """Body lines that count how many lines their slices copy (a section's text)."""

    copied = 0

    def __getitem__(self, key: Any) -> Any:
        got = super().__getitem__(key)
        if isinstance(key, slice):
            self.copied += len(got)
        return got


def _section_work(n: int) -> tuple[int, int]:
    """Python lines run by ``sections`` and body lines it copies, for ``n`` headings of
    every level (each ``#`` level followed by its deeper ones, and a line of text each)."""
    body = "".join(f"{'#' * (1 + i % 6)} h{i}\ntext {i}\n" for i in range(n))
    tokens, lines = parse_tokens(body), _CountingLines(body.splitlines())
    secs, run = lines_run(lambda: sections(tokens, lines), markdown)
    assert len(secs) == n
    return run, lines.copied


def test_sections_are_linear_in_the_number_of_headings() -> None:
    """Counted, not timed: it was quadratic (~1 s for 20k headings, minutes for 400k)."""
    body = "".join(f"## h{i}\n" for i in range(20_000))
    secs = sections(parse_tokens(body), body.splitlines())
    assert len(secs) == 20_000 and secs[0].end_line == 1 and secs[-1].end_line == 20_000
    (small, small_copied), (large, large_copied) = _section_work(2_000), _section_work(8_000)
    assert large <= 4.2 * small, (small, large)  # 4x the headings: 4x the work, not 16x
    # A section's text is copied once: each line is in at most one section per level.
    assert small_copied <= 6 * 2 * 2_000 and large_copied <= 6 * 2 * 8_000


def test_a_note_over_its_time_budget_is_reported_and_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The alarm interrupts the parse: the slow parse is cut short and never returns.

    Checked on what happened to the parse, not on a clock: the patched parse records
    the exception that stopped its sleep (the budget's), or that the sleep ran out.
    """
    ended: list[str] = []

    def slow(rel_path: str, data: bytes) -> None:
        try:
            time.sleep(30)  # only cut short by the budget's alarm (0.2 s)
        except BaseException as exc:
            ended.append(type(exc).__name__)
            raise
        ended.append("slept 30 s: the alarm never fired")

    handler = signal.getsignal(signal.SIGALRM)
    monkeypatch.setattr(import_parse, "NOTE_TIME_BUDGET_S", 0.2)
    monkeypatch.setattr(import_parse, "parse_note", slow)
    parsed = parse_file("slow.md", b"# T\n")
    assert ended == ["_OverBudget"]
    assert parsed.note is None and parsed.exception == "TimeoutError"
    assert parsed.error == "took more than 0.2 s to parse; skipped (split the note?)"
    # The alarm is disarmed and the previous handler back: nothing fires later.
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is handler


def test_a_slow_parse_without_an_alarm_is_still_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off the main thread (the TUI's import worker) the check after the parse decides."""
    import threading

    def slow(rel_path: str, data: bytes) -> object:
        time.sleep(0.3)
        return parse_note(rel_path, data)

    monkeypatch.setattr(import_parse, "NOTE_TIME_BUDGET_S", 0.1)
    monkeypatch.setattr(import_parse, "parse_note", slow)
    out: list[object] = []
    worker = threading.Thread(target=lambda: out.append(parse_file("slow.md", b"# T\n")))
    worker.start()
    worker.join()
    assert out[0].exception == "TimeoutError"  # type: ignore[attr-defined]
