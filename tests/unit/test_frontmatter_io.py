"""Reading side of frontmatter_io: splitting the block and validating metadata."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studyapp.core.frontmatter_io import (
    BOM,
    MAX_FRONTMATTER_BYTES,
    MAX_NOTE_BYTES,
    load_meta,
    sha256_hex,
    split_note,
)
from studyapp.core.model import NoteError, NoteMeta

DATA = Path(__file__).resolve().parent.parent / "data"
GOOD = DATA / "notes_good"
BAD = DATA / "notes_bad"


def _load(folder: Path, name: str) -> tuple[NoteMeta, list[str]]:
    meta, warnings, _ = load_meta(name, (folder / name).read_bytes())
    return meta, warnings


# ------------------------------------------------------------------ split_note


def test_split_lf_block_offsets() -> None:
    data = b"---\na: 1\n---\nbody\n"
    parts = split_note(data)
    assert parts.has_frontmatter and parts.bom == b"" and parts.newline == b"\n"
    assert data[parts.block_start : parts.block_end] == parts.block == b"a: 1\n"
    assert data[parts.body_start :] == b"body\n"


def test_split_crlf_with_bom() -> None:
    data = BOM + b"---\r\na: 1\r\n---\r\nbody"
    parts = split_note(data)
    assert parts.bom == BOM and parts.newline == b"\r\n"
    assert parts.block == b"a: 1\r\n"
    assert data[parts.body_start :] == b"body"


def test_split_empty_block_and_missing_trailing_newline() -> None:
    parts = split_note(b"---\n---")
    assert parts.has_frontmatter and parts.block == b"" and parts.body_start == 7


def test_split_dots_close_and_trailing_spaces() -> None:
    parts = split_note(b"--- \na: 1\n...  \nbody")
    assert parts.has_frontmatter and parts.block == b"a: 1\n"


@pytest.mark.parametrize(
    "data",
    [b"", b"# t\n---\na: 1\n---\n", b"---\na: 1\nno closing\n", b" ---\na\n---\n", b"---"],
)
def test_split_without_frontmatter(data: bytes) -> None:
    parts = split_note(data)
    assert not parts.has_frontmatter and parts.block == b""
    assert parts.body_start == 0


def test_split_body_may_contain_dash_lines() -> None:
    data = b"---\na: 1\n---\ntext\n---\nmore\n---\n"
    parts = split_note(data)
    assert parts.block == b"a: 1\n" and data[parts.body_start :] == b"text\n---\nmore\n---\n"


def test_sha256_hex() -> None:
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# ------------------------------------------------------------------ good notes


def test_crlf_bom_comments_note() -> None:
    meta, warnings = _load(GOOD, "crlf_bom_comments.md")
    assert warnings == []
    assert meta.created == date(2025, 9, 1) and meta.next_review == date(2025, 9, 2)
    assert meta.last_reviewed is None and meta.difficulty == "hard"
    assert meta.tags == ("量化", "[草稿]")
    assert meta.extra == {"source": "课堂笔记 #3"}


def test_no_frontmatter_gives_defaults() -> None:
    meta, warnings = _load(GOOD, "no_frontmatter.md")
    assert warnings == [] and meta.has_frontmatter is False
    assert meta.review_count == 0 and meta.next_review is None


def test_unquoted_dates_and_datetime() -> None:
    meta, warnings = _load(GOOD, "unquoted_dates.md")
    assert warnings == []
    assert meta.created == date(2025, 8, 30)
    assert meta.last_reviewed == date(2025, 9, 10)  # a datetime becomes its date
    assert meta.review_count == 4 and meta.mastery_level == pytest.approx(0.72)
    assert meta.difficulty == "easy"


def test_tags_single_string_and_chinese_difficulty() -> None:
    meta, warnings = _load(GOOD, "tags_string.md")
    assert warnings == []
    assert meta.tags == ("模型压缩",) and meta.difficulty == "hard"


def test_extra_keys_are_kept() -> None:
    meta, _ = _load(GOOD, "extra_keys.md")
    assert meta.extra == {
        "author": "小王",
        "links": ["https://example.com/a"],
        "weight": 3,
    }
    assert meta.review_count == 2


def test_empty_frontmatter() -> None:
    meta, warnings = _load(GOOD, "empty_frontmatter.md")
    assert warnings == [] and meta.has_frontmatter is True and meta.extra == {}


# ------------------------------------------------------------------ bad notes: rejected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("malformed_yaml.md", "malformed YAML at line 4"),
        ("frontmatter_list.md", "frontmatter is not a mapping"),
        ("not_utf8.md", "not UTF-8 (invalid byte 0x"),
        ("utf16.md", "not UTF-8 (UTF-16"),
        ("binary.md", "binary file"),
        ("python_tag.md", "unsafe YAML tag !!python/object/apply"),
        ("unknown_tag.md", "unsupported YAML tag !secret"),
        ("alias_bomb.md", "YAML aliases are not allowed"),
    ],
)
def test_bad_notes_raise_one_line_error(name: str, expected: str) -> None:
    with pytest.raises(NoteError) as info:
        load_meta(f"sub/{name}", (BAD / name).read_bytes())
    assert expected in info.value.problem
    assert str(info.value).startswith(f"sub/{name}: ")
    assert "\n" not in str(info.value)


def test_not_utf8_offset_points_at_the_bad_byte() -> None:
    data = (BAD / "not_utf8.md").read_bytes()
    with pytest.raises(NoteError) as info:
        load_meta("n.md", data)
    offset = int(info.value.problem.rsplit(" ", 1)[1].rstrip(")"))
    assert f"0x{data[offset]:02x}" in info.value.problem
    data[:offset].decode("utf-8")  # everything before the reported offset is valid


def test_note_too_large() -> None:
    data = b"# big\n" + b"x" * MAX_NOTE_BYTES
    with pytest.raises(NoteError, match=r"note too large \(5\.0 MB > 5 MB limit\)"):
        load_meta("big.md", data)


def test_frontmatter_too_large() -> None:
    block = b"".join(b"k%d: %s\n" % (i, b"v" * 60) for i in range(MAX_FRONTMATTER_BYTES // 60))
    with pytest.raises(NoteError, match="frontmatter too large"):
        load_meta("fm.md", b"---\n" + block + b"---\n")


def test_deep_nesting_is_rejected_without_crashing() -> None:
    data = b"---\na: " + b"[" * 5000 + b"]" * 5000 + b"\n---\n"
    with pytest.raises(NoteError, match=r"nested too deeply|malformed YAML"):
        load_meta("deep.md", data)


# ------------------------------------------------------------------ bad notes: partially accepted


def test_invalid_dates_become_unset_with_warnings() -> None:
    meta, warnings = _load(BAD, "invalid_date.md")
    assert meta.next_review is None and meta.last_reviewed is None
    assert meta.created == date(2025, 10, 1)
    assert "next_review: invalid date '2025-13-45', treated as unset" in warnings
    assert any(w.startswith("last_reviewed: invalid date '2025-02-30'") for w in warnings)


def test_mastery_abc_defaults_with_warning() -> None:
    meta, warnings = _load(BAD, "mastery_abc.md")
    assert meta.mastery_level == 0.0 and meta.review_count == 2
    assert warnings == ["mastery_level: invalid value 'abc', treated as 0.0"]


def test_wrong_types_each_reported() -> None:
    meta, warnings = _load(BAD, "wrong_types.md")
    assert meta.review_count == 0 and meta.difficulty == "medium"
    assert meta.created is None and meta.next_review == date(2025, 10, 2)
    assert meta.tags == ("量化",)
    keys = sorted(w.split(":", 1)[0] for w in warnings)
    assert keys == ["created", "difficulty", "mastery_level", "review_count", "tags"]
    assert all("\n" not in w for w in warnings)


def test_out_of_range_values_clamped() -> None:
    meta, warnings = _load(BAD, "out_of_range.md")
    assert meta.mastery_level == 1.0 and meta.review_count == 0
    assert "mastery_level: 1.5 outside 0..1, clamped to 1.0" in warnings
    assert "review_count: invalid value -3, treated as 0" in warnings


def test_duplicate_key_warns_and_last_wins() -> None:
    meta, warnings = _load(BAD, "duplicate_key.md")
    assert meta.review_count == 2
    assert warnings == ["review_count: duplicate key, the last value is used"]


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        (b"difficulty: EASY", "difficulty", "easy"),
        (b"difficulty: \xe4\xb8\xad\xe7\xad\x89", "difficulty", "medium"),  # 中等
        (b"review_count: '7'", "review_count", 7),
        (b"review_count: 3.0", "review_count", 3),
        (b"mastery_level: '0.25'", "mastery_level", 0.25),
        (b"mastery_level: 1", "mastery_level", 1.0),
        (b"next_review: ~", "next_review", None),
        (b"next_review: '2025-1-5'", "next_review", date(2025, 1, 5)),
        (b"tags: null", "tags", ()),
    ],
)
def test_lenient_values_without_warning(line: bytes, field: str, value: object) -> None:
    meta, warnings, _ = load_meta("v.md", b"---\n" + line + b"\n---\n")
    assert warnings == []
    assert getattr(meta, field) == value


def test_bool_is_not_a_count() -> None:
    meta, warnings, _ = load_meta("b.md", b"---\nreview_count: true\n---\n")
    assert meta.review_count == 0 and warnings == ["review_count: invalid value True, treated as 0"]


# ------------------------------------------------------------------ the reader never crashes


@settings(max_examples=300, deadline=None)
@given(
    raw=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(
            lambda t: ("---\n" + t + "\n---\n# b\n").encode("utf-8", "replace")
        ),
        st.lists(
            st.sampled_from(
                [
                    "a: 1",
                    "- x",
                    "b: &x [1]",
                    "c: *x",
                    "d: !!set {}",
                    "  e: [",
                    "'",
                    "f: 2025-02-30",
                    "g: {h: i}",
                    "? j",
                    ": k",
                    "%TAG ! x",
                    "l: |",
                    "   m",
                ]
            ),
            max_size=8,
        ).map(lambda ls: ("---\n" + "\n".join(ls) + "\n---\n").encode()),
    )
)
def test_reader_only_raises_note_error(raw: bytes) -> None:
    try:
        meta, warnings, _ = load_meta("f.md", raw)
    except NoteError as exc:
        assert "\n" not in exc.problem and exc.problem
    else:
        assert all("\n" not in w for w in warnings)
        assert 0.0 <= meta.mastery_level <= 1.0 and meta.review_count >= 0
