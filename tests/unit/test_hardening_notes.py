"""Regression tests of issue 10 for the core: one bad note is one problem, no byte is dropped.

Each case here raised a traceback (so imported nothing), or silently lost a user's
byte, before the fix.
"""

from __future__ import annotations

from datetime import date

import pytest

from studyapp.core.frontmatter_io import BOM, WriteBackError, load_meta
from studyapp.core.model import NoteError
from studyapp.core.schedule_edit import write_schedule
from studyapp.services.import_parse import parse_file


@pytest.mark.parametrize(
    "value", ["!!int abc", "!!float abc", "!!bool maybe", "!!timestamp garbage", "!!int 0xZZ"]
)
def test_bad_explicit_tag_is_the_notes_own_problem(value: str) -> None:
    data = f"---\nreview_count: {value}\n---\n# T\n".encode()
    with pytest.raises(NoteError, match="invalid YAML value"):
        load_meta("a.md", data)


def test_any_exception_in_a_parse_becomes_that_notes_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import studyapp.services.import_parse as import_parse

    def boom(rel_path: str, data: bytes) -> None:
        raise RuntimeError("unexpected\nsecond line")

    monkeypatch.setattr(import_parse, "parse_note", boom)
    parsed = parse_file("a.md", b"# T\n")
    assert parsed.note is None and parsed.error is not None
    assert "\n" not in parsed.error and "unexpected" in parsed.error
    assert parsed.exception == "RuntimeError"


@pytest.mark.parametrize(
    ("line", "expected", "warning"),
    [
        ("review_count: 99999999999999999999", 0, "review_count"),
        ("review_count: 9223372036854775807", 0, "review_count"),
        ("review_count: 999999", 999999, None),
        ("review_count: 1000000", 0, "review_count"),
    ],
)
def test_review_count_range(line: str, expected: int, warning: str | None) -> None:
    meta, warnings, _ = load_meta("a.md", f"---\n{line}\n---\n".encode())
    assert meta.review_count == expected
    assert (warning is None) == (not warnings)


def test_mastery_beyond_the_float_range_is_a_warning() -> None:
    meta, warnings, _ = load_meta("a.md", b"---\nmastery_level: " + b"9" * 400 + b"\n---\n")
    assert meta.mastery_level == 0.0 and warnings


@pytest.mark.parametrize(
    "value",
    [
        "2025-10-19T25:61:00",
        "'2025-10-01 99:99'",
        "'2025-10-01 23:60'",
        "1969-12-31",
        "'2101-01-01'",
        "!!timestamp 2025-13-45",
    ],
)
def test_impossible_dates_are_rejected_with_a_warning(value: str) -> None:
    meta, warnings, _ = load_meta("a.md", f"---\nnext_review: {value}\n---\n".encode())
    assert meta.next_review is None
    assert any(w.startswith("next_review:") for w in warnings)


@pytest.mark.parametrize(
    "value", ["2025-10-19T23:59:00", "'2025-10-01 09:30'", "2025-10-19 10:00:00+08:00"]
)
def test_real_datetimes_still_read_as_their_day(value: str) -> None:
    meta, warnings, _ = load_meta("a.md", f"---\nnext_review: {value}\n---\n".encode())
    assert meta.next_review in (date(2025, 10, 19), date(2025, 10, 1)) and not warnings


@pytest.mark.parametrize("bom", [b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"])
def test_utf32_bom_is_named_utf32(bom: bytes) -> None:
    with pytest.raises(NoteError, match="UTF-32"):
        load_meta("a.md", bom + "# T\n".encode("utf-32-le"))


# ---------------------------------------------------------------- write-back keeps every byte


@pytest.mark.parametrize(
    "block",
    [
        b"next_review: '2025-10-19'\n  # keep me\nreview_count: 1\n",
        b"next_review: '2025-10-19'\n\n# keep me\n\nreview_count: 1\n",
        b"next_review:\n  # keep me\n  '2025-10-19'\nreview_count: 1\n",
        b"next_review: '2025-10-19'\r  # keep me\nreview_count: 1\n",
        "next_review: '2025-10-19'\u2028# keep me\nreview_count: 1\n".encode(),
        b"review_count: 1  # keep me\nnext_review: '2025-10-19' # keep me too\n",
    ],
)
def test_comments_next_to_a_schedule_value_survive(block: bytes) -> None:
    old = b"---\n" + block + b"---\nbody\n"
    new = write_schedule(old, {"next_review": date(2025, 11, 2), "review_count": 2})
    assert new.count(b"# keep me") == old.count(b"# keep me")
    expected = old.replace(b"2025-10-19", b"2025-11-02").replace(
        b"review_count: 1", b"review_count: 2"
    )
    assert new == expected


def test_a_multi_line_value_with_a_hash_is_refused_not_silently_changed() -> None:
    old = b"---\nnext_review: >\n  2025-10-19\n  # keep me\nreview_count: 1\n---\n"
    with pytest.raises(WriteBackError, match="keep the comment"):
        write_schedule(old, {"next_review": date(2025, 11, 2)})


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"---\rreview_count: 5\r---\r# T\r", "CR-only"),
        (b"----\nreview_count: 5\n----\n# T\n", "----"),
        (b"+++\nreview_count = 5\n+++\n# T\n", "TOML"),
        (BOM + BOM + b"---\nreview_count: 5\n---\n# T\n", "doubled byte order mark"),
        (b"---\nreview_count: 5\n# T\n", "never closed"),
    ],
)
def test_frontmatter_lookalikes_are_reported_and_never_get_a_second_block(
    data: bytes, why: str
) -> None:
    _meta, warnings, _ = load_meta("a.md", data)
    assert len(warnings) == 1 and why in warnings[0]
    with pytest.raises(WriteBackError, match="not adding a second frontmatter block"):
        write_schedule(data, {"review_count": 6})


def test_document_marker_with_a_comment_is_read_as_frontmatter() -> None:
    data = b"--- # schedule\nreview_count: 5\n---\n# T\n"
    meta, warnings, _ = load_meta("a.md", data)
    assert meta.review_count == 5 and not warnings
    assert write_schedule(data, {"review_count": 6}) == data.replace(b"5", b"6")


def test_a_plain_note_without_frontmatter_still_gets_a_block() -> None:
    assert write_schedule(b"# T\n", {"review_count": 1}) == b"---\nreview_count: 1\n---\n# T\n"


# ---------------------------------------------------------------- files as users have them


def test_read_regular_refuses_a_fifo_without_blocking(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    from studyapp.core.atomic import NotRegularFileError, read_regular

    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "n.md"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFileError, match="not a regular file"):
        read_regular(fifo)
    note = tmp_path / "ok.md"
    note.write_bytes(b"x" * 100)
    assert read_regular(note) == b"x" * 100
    assert read_regular(note, limit=10) == b"x" * 11  # enough to see it is over the limit


def test_replace_is_retried_on_a_windows_sharing_violation(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import os

    from studyapp.core import atomic

    src, dst = tmp_path / "a", tmp_path / "b"
    src.write_bytes(b"new")
    dst.write_bytes(b"old")
    real_replace = os.replace
    calls: list[int] = []

    def held_open(a: object, b: object) -> None:
        calls.append(1)
        if len(calls) < 3:  # a virus scanner holds the file for two tries
            raise PermissionError(13, "The process cannot access the file")
        real_replace(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic, "_REPLACE_PAUSE_S", 0)
    monkeypatch.setattr(atomic.os, "replace", held_open)
    monkeypatch.setattr(atomic.os, "name", "nt")
    atomic._replace(src, dst)
    monkeypatch.undo()
    assert dst.read_bytes() == b"new" and len(calls) == 3


def test_printable_escapes_what_a_terminal_would_execute_or_break_on() -> None:
    import os

    from studyapp.core.printable import printable

    assert printable("a\nb\x1b[31m\u2028c\\d.md") == "a\\nb\\x1b[31m\\u2028c\\\\d.md"
    assert printable(os.fsdecode(b"\xff\xfe.md")) == "\\xff\\xfe.md"
    assert printable("笔记/普通.md") == "笔记/普通.md"
