"""Tables read from markdown-it tokens: cells, display text, ragged rows, sections, fences.

The helpers at the top build a ``ParsedNote`` from Markdown.  They use
``studyapp.core.notefile.parse_note`` when that module exists and otherwise parse the
body with a MarkdownIt configured like ``core/markdown.py`` (commonmark + table +
front matter), so these tests do not depend on the order in which modules land.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from studyapp.core.model import NoteMeta, ParsedNote, Section, Table
from studyapp.core.tables import extract_tables, plain_text, ragged_rows

DATA = Path(__file__).resolve().parent.parent / "data" / "tables"


def make_md() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table").use(front_matter_plugin)


def split_body(text: str) -> tuple[str, int]:
    """Body after a leading ``---`` frontmatter block, and the number of lines before it."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            head = text[: end + 5]
            return text[end + 5 :], head.count("\n")
    return text, 0


def own_sections(tokens: list[Token], lines: list[str]) -> tuple[Section, ...]:
    """Sections as ARCHITECTURE.md specifies them (a heading runs to the next of same or higher level)."""
    heads: list[tuple[int, str, int]] = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map:
            heads.append((int(tok.tag[1]), plain_text(tokens[i + 1]), tok.map[0]))
    out: list[Section] = []
    stack: list[tuple[int, str]] = []
    for n, (level, title, start) in enumerate(heads):
        end = next((s for lv, _, s in heads[n + 1 :] if lv <= level), len(lines))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        path = tuple(t for _, t in stack)
        out.append(Section(level, title, path, start, end, "\n".join(lines[start + 1 : end])))
    return tuple(out)


def parse_text(text: str, rel_path: str = "note.md") -> ParsedNote:
    try:
        from studyapp.core.notefile import parse_note  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        parse_note = None
    if parse_note is not None:
        parsed: ParsedNote = parse_note(rel_path, text.encode("utf-8"))
        return parsed
    body, offset = split_body(text)
    lines = body.splitlines()
    tokens = make_md().parse(body)
    sections = own_sections(tokens, lines)
    title = next((s.title for s in sections if s.level == 1), Path(rel_path).stem)
    h2 = next((s for s in sections if s.level == 2), None)
    return ParsedNote(
        path=rel_path,
        meta=NoteMeta(),
        title=title,
        sections=sections,
        answer=h2,
        tables=extract_tables(tokens, lines, sections),
        body=body,
        body_line_offset=offset,
    )


def tables_of(body: str) -> tuple[Table, ...]:
    """Tables of a body, through ``core/markdown.py`` when present (else the local parser)."""
    try:
        from studyapp.core import markdown as core_md
    except ImportError:
        lines = body.splitlines()
        tokens = make_md().parse(body)
        return extract_tables(tokens, lines, own_sections(tokens, lines))
    tokens = core_md.parse_tokens(body)
    lines = core_md.body_lines(body)
    return extract_tables(tokens, lines, core_md.sections(tokens, lines))


def fixture_text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


# --- the user's note -------------------------------------------------------------------


def test_seed_has_five_tables_with_23_rows(seed_note: Path) -> None:
    parsed = parse_text(seed_note.read_text(encoding="utf-8"), seed_note.name)
    assert len(parsed.tables) == 5
    assert sum(len(t.rows) for t in parsed.tables) == 23
    first = parsed.tables[0]
    assert first.header == ("维度", "边缘设备部署", "云端部署")
    assert first.heading_path[-2:] == ("详细讲解", "1. 核心差异对比")
    # Bold row labels: plain for grading, as written for display.
    assert first.rows[0][0] == "主要约束"
    assert first.rows_display[0][0] == "**主要约束**"
    assert "3-5% 损失可接受" in [row[1] for row in first.rows]
    for table in parsed.tables:
        assert all(len(r) == len(table.header) for r in table.rows)
        assert all(len(r) == len(table.header) for r in table.rows_display)
        lines = parsed.body.splitlines()[table.start_line : table.end_line]
        assert lines[0].lstrip().startswith("|")
        assert len(lines) == len(table.rows) + 2  # header + delimiter + body rows


def test_seed_heading_paths_are_deepest_sections(seed_note: Path) -> None:
    parsed = parse_text(seed_note.read_text(encoding="utf-8"), seed_note.name)
    leaves = [t.heading_path[-1] for t in parsed.tables]
    assert leaves == ["1. 核心差异对比", "量化技术", "剪枝技术", "知识蒸馏", "7. 关键决策因素"]


# --- fixtures ---------------------------------------------------------------------------


def test_tables_in_fences_and_indented_code_are_ignored() -> None:
    assert tables_of(fixture_text("fenced.md")) == ()


def test_escaped_pipe_is_one_cell_and_full_width_bar_is_text() -> None:
    (table,) = tables_of(fixture_text("escaped_pipes.md"))
    assert table.header == ("项目", "边缘", "云端")
    assert table.rows[0] == ("运算", "a | b", "x | y")
    assert table.rows_display[0] == ("运算", "a | b", "`x | y`")
    assert table.rows[1] == ("全角", "甲｜乙", "丙｜丁")


def test_empty_cells_are_kept_as_empty_strings() -> None:
    (table,) = tables_of(fixture_text("empty_cells.md"))
    assert table.rows[0] == ("精度", "3-5%", "")
    assert table.rows[3] == ("", "无标签", "行")


def test_ragged_rows_are_padded_or_truncated_and_reported() -> None:
    text = fixture_text("ragged.md")
    lines = text.splitlines()
    tokens = make_md().parse(text)
    table, quoted = extract_tables(tokens, lines, own_sections(tokens, lines))
    assert table.rows == (("短行", "只有一格", ""), ("长行", "甲", "乙"), ("正常", "丙", "丁"))
    assert quoted.rows == (("行", "1", "2"), ("行二", "4", "5"))
    ragged = ragged_rows(tokens, lines)
    assert [(r.line, r.cells, r.expected) for r in ragged] == [
        (lines.index("| 长行 | 甲 | 乙 | 多余一 | 多余二 |"), 5, 3),
        (lines.index("> | 行 | 1 | 2 | 3 |"), 4, 3),
    ]


def test_ragged_rows_skips_lines_outside_the_body() -> None:
    text = fixture_text("ragged.md")
    tokens = make_md().parse(text)
    assert ragged_rows(tokens, []) == ()


def test_cjk_and_full_width_punctuation_are_kept() -> None:
    (table,) = tables_of(fixture_text("cjk.md"))
    assert table.rows[0] == ("量化精度", "INT4/INT2（激进）", "FP16/INT8（保守）")
    assert table.rows[1][1] == "“＜100ms”，实时！"
    assert table.rows[2][1] == "１０－１００×"


def test_inline_markup_is_plain_for_grading_and_kept_for_display() -> None:
    body = (
        "| a | b |\n|---|---|\n"
        "| **粗** *斜* | [链接](http://x) `代码` ![图](p.png) |\n"
        "| x<br>y | \\*星号\\* &amp; |\n"
    )
    (table,) = tables_of(body)
    assert table.rows[0] == ("粗 斜", "链接 代码 图")
    assert table.rows_display[0] == ("**粗** *斜*", "[链接](http://x) `代码` ![图](p.png)")
    assert table.rows[1] == ("x y", "*星号* &")


def test_table_before_any_heading_has_empty_heading_path() -> None:
    body = "| a | b |\n|---|---|\n| 1 | 2 |\n\n# 标题\n\n| c | d |\n|---|---|\n| 3 | 4 |\n"
    first, second = tables_of(body)
    assert first.heading_path == ()
    assert second.heading_path == ("标题",)
    assert (first.start_line, first.end_line) == (0, 3)
    assert second.start_line == 6


def test_table_after_a_deeper_section_belongs_to_its_own_parent() -> None:
    body = "# T\n\n## A\n\n### A1\n\ntext\n\n## B\n\n| k | v |\n|---|---|\n| 1 | 2 |\n"
    (table,) = tables_of(body)
    assert table.heading_path == ("T", "B")


def test_hostile_cells_pass_through_literally() -> None:
    (table,) = tables_of(fixture_text("hostile.md"))
    assert table.rows[0] == ("[bold]", "[bold]粗[/bold]", "[/]")
    assert table.rows[1] == ("[@click=app.quit]", "[@click=app.quit]退出[/]", "$(rm -rf ~)")
    assert table.rows_display[2][1] == "<script>alert(1)</script>x"
    assert table.rows[2][2] == "*not em*"


@pytest.mark.parametrize("cells", [1, 2, 6])
def test_every_row_matches_header_width(cells: int) -> None:
    header = "|" + "|".join(f" h{i} " for i in range(cells)) + "|\n"
    delim = "|" + "|".join("---" for _ in range(cells)) + "|\n"
    rows = "| only |\n" + "|" + "|".join(" x " for _ in range(cells + 3)) + "|\n"
    (table,) = tables_of(header + delim + rows)
    assert all(len(r) == cells for r in table.rows)
