"""Property tests: on any valid note, write_schedule changes only the intended lines.

Frontmatter is generated from line templates (quoted styles, CJK, brackets, comments,
block lists, nested maps that reuse schedule key names) so it is always valid YAML;
bodies mix CJK, ``---`` lines, brackets and stray CRs.  The oracle compares line lists,
not the implementation's own range logic.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studyapp.core.frontmatter_io import BOM, load_meta, split_note
from studyapp.core.model import SCHEDULE_KEYS
from studyapp.core.schedule_edit import edit_schedule, write_schedule

TEXT = st.text(
    alphabet=st.sampled_from(list("ab xyz[]{}#:,'\"-*&!|>%@`量化剪枝蒸馏精度显存？、。1０")),
    max_size=12,
)
COMMENT = st.one_of(st.just(""), TEXT.map(lambda t: " # " + t.replace("\n", "")))
OTHER_KEY = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(
    lambda k: k not in SCHEDULE_KEYS and k not in ("y", "n", "on", "off", "yes", "no")
)


def _single(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


@st.composite
def other_entry(draw: st.DrawFn, key: str) -> list[str]:
    """Lines (without endings) of one non-schedule key."""
    text = draw(TEXT)
    kind = draw(st.sampled_from(["double", "single", "int", "flow", "block", "nested", "plain"]))
    comment = draw(COMMENT)
    if kind == "double":
        return [f"{key}: {json.dumps(text, ensure_ascii=False)}{comment}"]
    if kind == "single":
        return [f"{key}: {_single(text)}{comment}"]
    if kind == "int":
        return [f"{key}: {draw(st.integers(-999, 999))}{comment}"]
    if kind == "plain":
        return [f"{key}: 量化[x]{comment}"]
    items = [json.dumps(t, ensure_ascii=False) for t in draw(st.lists(TEXT, max_size=3))]
    if kind == "flow":
        return [f"{key}: [{', '.join(items)}]{comment}"]
    if kind == "block":
        return [f"{key}:{comment}", *[f"- {i}" for i in items]]
    sub = draw(st.sampled_from(SCHEDULE_KEYS))  # same name, but nested: must stay untouched
    return [f"{key}:", f"  {sub}: {json.dumps(text, ensure_ascii=False)}{comment}"]


@st.composite
def schedule_entry(draw: st.DrawFn, key: str) -> str:
    comment = draw(COMMENT)
    if key == "review_count":
        value = str(draw(st.integers(0, 50)))
    elif key == "mastery_level":
        value = draw(st.sampled_from(["0.0", "0.5", "1", "0.25"]))
    else:
        value = draw(
            st.sampled_from(["'2025-01-31'", '"2025-01-31"', "2025-01-31", "null", "~", ""])
        )
    sep = draw(st.sampled_from([" ", "  "])) if value else ""
    return f"{key}:{sep}{value}{comment}"


@st.composite
def notes(draw: st.DrawFn) -> tuple[bytes, bytes, bool]:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    bom = draw(st.booleans())
    body_lines = draw(
        st.lists(st.one_of(TEXT, st.sampled_from(["---", "...", "# 标题", "", "a\rb"])), max_size=6)
    )
    body = nl.join(body_lines) + draw(st.sampled_from(["", nl]))
    if draw(st.booleans()):
        head = ""
        body = "# 无头部" + nl + body  # else a body starting with --- ... --- would be a block
    else:
        lines: list[str] = []
        keys = draw(st.lists(OTHER_KEY, unique=True, max_size=5))
        present = draw(st.lists(st.sampled_from(SCHEDULE_KEYS), unique=True))
        entries = [draw(other_entry(k)) for k in keys] + [
            [draw(schedule_entry(k))] for k in present
        ]
        for entry in draw(st.permutations(entries)):
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["", "# 注释 [x]", "#"])))
            lines.extend(entry)
        head = "---" + nl + "".join(line + nl for line in lines) + "---" + nl
    data = (head + body).encode()
    return (BOM if bom else b"") + data, nl.encode(), bool(head)


VALUES = st.fixed_dictionaries(
    {},
    optional={
        "last_reviewed": st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2100, 1, 1))),
        "next_review": st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2100, 1, 1))),
        "review_count": st.integers(0, 10_000),
        "mastery_level": st.integers(0, 100).map(lambda n: round(n / 100, 2)),
    },
).filter(bool)


def _key_of(line: bytes) -> str | None:
    head = line.split(b":", 1)[0]
    return head.decode() if line[:1].isalpha() and b":" in line and b" " not in head else None


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(note=notes(), values=VALUES)
def test_only_intended_lines_change(
    note: tuple[bytes, bytes, bool], values: dict[str, Any]
) -> None:
    old, nl, had_block = note
    new = write_schedule(old, values)

    op, np_ = split_note(old), split_note(new)
    edit = edit_schedule(old, values)  # the heads the write-back stores for undo
    assert (edit.data, edit.head_before, edit.head_after) == (
        new,
        old[: op.body_start],
        new[: np_.body_start],
    )
    assert np_.has_frontmatter and np_.bom == op.bom
    assert new[np_.body_start :] == old[op.body_start :]  # body byte-identical

    old_lines = op.block.split(b"\n")
    new_lines = np_.block.split(b"\n")
    kept_old = [ln for ln in old_lines if _key_of(ln) not in values]
    kept_new = [ln for ln in new_lines if _key_of(ln) not in values]
    assert kept_new == kept_old  # every other line, in order, byte for byte

    written = {_key_of(ln): ln for ln in new_lines if _key_of(ln) in values}
    assert set(written) == set(values)
    for key, line in written.items():
        assert line.endswith(b"\r") == (nl == b"\r\n")  # the file's own line ending
        before = [ln for ln in old_lines if _key_of(ln) == key]
        if before and b" # " in before[0] and not before[0].rstrip(b"\r").endswith(b"#"):
            comment = before[0][before[0].index(b" # ") :]
            assert line.endswith(comment)  # trailing comment kept
    if had_block:
        assert new[: np_.block_start] == old[: op.block_start]

    meta, _, _ = load_meta("p.md", new)
    for key, value in values.items():
        assert getattr(meta, key) == value
