"""Write-back of schedule keys: only the intended lines change, every other byte survives."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from studyapp.core.frontmatter_io import (
    BOM,
    ScheduleValue,
    WriteBackError,
    load_meta,
    split_note,
)
from studyapp.core.schedule_edit import remove_block, replace_block, write_schedule

GOOD = Path(__file__).resolve().parent.parent / "data" / "notes_good"

SCHEDULE: dict[str, ScheduleValue] = {
    "last_reviewed": date(2025, 10, 20),
    "next_review": date(2025, 10, 26),
    "review_count": 1,
    "mastery_level": 0.46,
}


def _changed(old: bytes, new: bytes) -> list[tuple[bytes, bytes]]:
    """Pairs of differing lines when both have the same number of lines (keepends)."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def test_seed_note_only_schedule_lines_change(seed_note: Path) -> None:
    old = seed_note.read_bytes()
    new = write_schedule(old, SCHEDULE)
    changed = _changed(old, new)
    keys = sorted(y.split(b":", 1)[0].decode() for _, y in changed)
    assert keys == sorted(k for k in SCHEDULE if old.count(f"\n{k}: ".encode()))
    new_lines = dict(y.rstrip(b"\n").split(b": ", 1) for _, y in changed)
    assert new_lines[b"next_review"] == b"'2025-10-26'"  # the seed's quoting style
    assert new_lines[b"review_count"] == b"1"
    assert new_lines[b"mastery_level"] == b"0.46"
    assert new_lines[b"last_reviewed"] == b"'2025-10-20'"  # null took the style of other dates
    meta, warnings, parts = load_meta("seed.md", new)
    assert warnings == []
    assert (meta.last_reviewed, meta.next_review) == (date(2025, 10, 20), date(2025, 10, 26))
    assert (meta.review_count, meta.mastery_level) == (1, 0.46)
    assert new[parts.body_start :] == old[split_note(old).body_start :]


def test_crlf_bom_comment_note_keeps_everything_else() -> None:
    old = (GOOD / "crlf_bom_comments.md").read_bytes()
    new = write_schedule(old, {**SCHEDULE, "mastery_level": 0.0})
    assert new.startswith(BOM + b"---\r\n")
    assert b"\n" not in new.replace(b"\r\n", b"")  # no bare LF introduced
    changed = dict(_changed(old, new))
    assert changed == {
        b"last_reviewed: null   # \xe8\xbf\x98\xe6\xb2\xa1\xe5\xa4\x8d\xe4\xb9\xa0\xe8\xbf\x87\r\n": (
            b"last_reviewed: '2025-10-20'   # \xe8\xbf\x98\xe6\xb2\xa1\xe5\xa4\x8d\xe4\xb9\xa0\xe8\xbf\x87\r\n"
        ),
        "next_review: '2025-09-02' # 明天\r\n".encode(): "next_review: '2025-10-26' # 明天\r\n".encode(),
        b"review_count: 0\r\n": b"review_count: 1\r\n",
    }  # mastery_level 0.0 -> 0.0 is byte-identical


def test_missing_keys_are_appended_with_the_files_newline() -> None:
    old = b'---\r\ncreated: "2025-01-01"\r\ntags: [a]\r\n---\r\n# T\r\n'
    new = write_schedule(old, {"next_review": date(2025, 2, 1), "review_count": 2})
    assert new == (
        b'---\r\ncreated: "2025-01-01"\r\ntags: [a]\r\n'
        b'next_review: "2025-02-01"\r\nreview_count: 2\r\n---\r\n# T\r\n'
    )


def test_block_is_created_when_missing_after_bom() -> None:
    old = BOM + "# 标题\n\n正文 [x] ---\n".encode()
    new = write_schedule(old, {"next_review": date(2025, 3, 4), "mastery_level": 0.5})
    assert new == BOM + b"---\nnext_review: '2025-03-04'\nmastery_level: 0.5\n---\n" + old[3:]


def test_block_created_in_empty_file_and_crlf_file() -> None:
    assert write_schedule(b"", {"review_count": 0}) == b"---\nreview_count: 0\n---\n"
    new = write_schedule(b"body\r\n", {"review_count": 0})
    assert new == b"---\r\nreview_count: 0\r\n---\r\nbody\r\n"


def test_empty_block_gets_keys() -> None:
    new = write_schedule(b"---\n---\nx\n", {"last_reviewed": None})
    assert new == b"---\nlast_reviewed: null\n---\nx\n"


@pytest.mark.parametrize(
    ("line", "value", "expected"),
    [
        (b"next_review: '2025-01-01'", date(2025, 1, 2), b"next_review: '2025-01-02'"),
        (b'next_review: "2025-01-01"', date(2025, 1, 2), b'next_review: "2025-01-02"'),
        (b"next_review: 2025-01-01", date(2025, 1, 2), b"next_review: 2025-01-02"),
        (b"next_review:", date(2025, 1, 2), b"next_review: '2025-01-02'"),
        (b"next_review: ~  # x", None, b"next_review: null  # x"),
        (b"next_review: '2025-01-01'", None, b"next_review: null"),
        (b"review_count:    5", 6, b"review_count:    6"),
        (b"mastery_level: 0.5", 0.0, b"mastery_level: 0.0"),
        (b"mastery_level: 0.5", 1e-05, b"mastery_level: 0.00001"),
        (b"difficulty: medium", "hard", b"difficulty: hard"),
        (b"difficulty: 'medium'", "it's", b"difficulty: 'it''s'"),
        (b"difficulty: medium", "yes", b'difficulty: "yes"'),  # plain yes would be a bool
        (b"difficulty: medium", "a: b # c", b'difficulty: "a: b # c"'),
        (b"difficulty: medium", "行\n二", b'difficulty: "\xe8\xa1\x8c\\x0a\xe4\xba\x8c"'),
        (b"'next_review': 1", date(2025, 1, 2), b"'next_review': 2025-01-02"),
    ],
)
def test_quoting_styles(line: bytes, value: ScheduleValue, expected: bytes) -> None:
    key = line.split(b":", 1)[0].strip(b"'").decode()
    old = b"---\ncreated: '2024-01-01'\n" + line + b"\n---\n"
    new = write_schedule(old, {key: value})
    assert new == b"---\ncreated: '2024-01-01'\n" + expected + b"\n---\n"


def test_comment_with_hash_inside_quoted_value() -> None:
    old = b"---\nnext_review: '#2025-01-01' # keep me\n---\n"
    new = write_schedule(old, {"next_review": date(2025, 5, 6)})
    assert new == b"---\nnext_review: '2025-05-06' # keep me\n---\n"


def test_continuation_lines_are_replaced_but_trailing_comments_kept() -> None:
    old = (
        b"---\nnext_review: |\n  2025-01-01\n\n  more\n# about tags\n"
        b"tags:\n- a\n- b\nreview_count:\n- 1\n\n---\n"
    )
    new = write_schedule(old, {"next_review": date(2025, 1, 9), "review_count": 3})
    assert new == (
        b"---\nnext_review: '2025-01-09'\n# about tags\ntags:\n- a\n- b\nreview_count: 3\n\n---\n"
    )


def test_other_top_level_keys_with_similar_names_untouched() -> None:
    old = b"---\nnext_review_note: x\nplan:\n  next_review: nested\nnext_review: null\n---\n"
    new = write_schedule(old, {"next_review": date(2025, 1, 1)})
    assert (
        new
        == b"---\nnext_review_note: x\nplan:\n  next_review: nested\nnext_review: '2025-01-01'\n---\n"
    )


def test_duplicate_key_lines_all_edited() -> None:
    old = b"---\nreview_count: 1\nreview_count: 2\n---\n"
    assert (
        write_schedule(old, {"review_count": 5}) == b"---\nreview_count: 5\nreview_count: 5\n---\n"
    )


@pytest.mark.parametrize(
    "old",
    [
        b"---\ntags: [a\n---\n",  # invalid YAML: never written back
        b"---\n- a\n---\n",  # not a mapping
        b"---\n? next_review\n: '2025-01-01'\n---\n",  # key not on a line of its own
        b"---\n{a: 1}\n---\n",  # flow mapping: appending a key would break it
    ],
)
def test_unsafe_blocks_raise(old: bytes) -> None:
    with pytest.raises(WriteBackError):
        write_schedule(old, {"next_review": date(2025, 1, 1)})


def test_bad_arguments_rejected() -> None:
    with pytest.raises(ValueError, match="not a plain frontmatter key"):
        write_schedule(b"", {"a: b": 1})
    with pytest.raises(ValueError, match="non-finite"):
        write_schedule(b"", {"mastery_level": float("nan")})


def test_undo_via_replace_block_restores_exact_bytes(seed_note: Path) -> None:
    old = seed_note.read_bytes()
    new = write_schedule(old, SCHEDULE)
    restored = replace_block(new, split_note(new).block, split_note(old).block)
    assert restored == old


def test_replace_block_refuses_when_user_edited_the_block() -> None:
    old = b"---\nreview_count: 0\n---\nbody\n"
    new = write_schedule(old, {"review_count": 1})
    edited = new.replace(b"review_count: 1", b"review_count: 9")
    with pytest.raises(WriteBackError, match="changed since"):
        replace_block(edited, split_note(new).block, split_note(old).block)
    with pytest.raises(WriteBackError):
        replace_block(new, split_note(new).block, b"---\n")


def test_undo_of_created_block_via_remove_block() -> None:
    old = BOM + b"# T\n---\nx\n"
    new = write_schedule(old, {"review_count": 1})
    assert remove_block(new, split_note(new).block) == old
    with pytest.raises(WriteBackError):
        remove_block(new, b"other: 1\n")
