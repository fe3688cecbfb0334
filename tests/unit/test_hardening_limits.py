"""Regression tests of issue 10: no note under the size limit runs away.

A 3.9 MB note with one 150k-row table took > 300 s and 859 MB, 400k headings > 300 s
and 1.3 GB, a 520 KB table of 20k rows 30 s and 80,009 cards.  The limits in
:mod:`studyapp.core.notefile` make the cost linear and capped; the time budget in
:mod:`studyapp.services.import_parse` skips whatever still runs long.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable

import pytest

from studyapp.core.frontmatter_io import MAX_NOTE_BYTES
from studyapp.core.markdown import parse_tokens, sections
from studyapp.core.notefile import MAX_TABLE_ROWS, parse_note
from studyapp.services import import_parse
from studyapp.services.import_parse import parse_file

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


@pytest.mark.parametrize("case", sorted(WORST))
def test_a_worst_case_note_imports_in_bounded_time_and_memory(case: str) -> None:
    """Generous bounds (the measured worst is about 1.5 s and 140 MB here): 5 s, 200 MB."""
    data = WORST[case]()
    assert len(data) <= MAX_NOTE_BYTES
    started = time.perf_counter()
    parsed = parse_file("worst.md", data)
    elapsed = time.perf_counter() - started
    assert parsed.error is None, parsed.error
    assert elapsed < 5.0, f"{case}: {elapsed:.1f} s"
    assert len(parsed.cards) <= import_parse.MAX_CARDS_PER_NOTE
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


def test_sections_are_linear_in_the_number_of_headings() -> None:
    body = "".join(f"## h{i}\n" for i in range(20_000))
    started = time.perf_counter()
    secs = sections(parse_tokens(body), body.splitlines())
    assert len(secs) == 20_000 and secs[0].end_line == 1 and secs[-1].end_line == 20_000
    assert time.perf_counter() - started < 5.0  # was quadratic: ~1 s for 20k, minutes for 400k


def test_a_note_over_its_time_budget_is_reported_and_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def slow(rel_path: str, data: bytes) -> None:
        time.sleep(30)

    monkeypatch.setattr(import_parse, "NOTE_TIME_BUDGET_S", 0.2)
    monkeypatch.setattr(import_parse, "parse_note", slow)
    started = time.perf_counter()
    parsed = parse_file("slow.md", b"# T\n")
    assert time.perf_counter() - started < 10
    assert parsed.note is None and parsed.exception == "TimeoutError"
    assert parsed.error == "took more than 0.2 s to parse; skipped (split the note?)"


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
