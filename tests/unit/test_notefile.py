"""parse_note and the section outline from core/markdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from studyapp.core import markdown as mdmod
from studyapp.core.markdown import body_lines, md, parse_tokens, sections
from studyapp.core.model import NoteError
from studyapp.core.notefile import parse_note

DATA = Path(__file__).resolve().parent.parent / "data"


def _headings(path: Path) -> list[tuple[int, str]]:
    """(level, text) of ATX headings outside fences, read straight from the file as an oracle."""
    out, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#") and line.lstrip("#").startswith(" "):
            out.append((len(line) - len(line.lstrip("#")), line.lstrip("#").strip()))
    return out


def test_seed_title_and_standard_answer(seed_note: Path) -> None:
    data = seed_note.read_bytes()
    heads = _headings(seed_note)
    note = parse_note("精通大模型压缩技术/seed.md", data)
    assert note.title == next(t for lv, t in heads if lv == 1)
    assert note.title == "边缘设备部署与云端部署在压缩需求上有何不同？"
    assert note.answer is not None and note.answer.title == "面试标准答案"
    assert note.answer.heading_path == (note.title, "面试标准答案")
    assert note.answer.markdown.startswith("边缘设备部署与云端部署")
    assert [s.title for s in note.sections] == [t for _, t in heads]
    assert note.tables, "the seed has comparison tables"
    assert note.warnings == ()


def test_seed_line_offset_maps_body_lines_to_file_lines(seed_note: Path) -> None:
    note = parse_note("seed.md", seed_note.read_bytes())
    file_lines = seed_note.read_text(encoding="utf-8").split("\n")
    for sec in note.sections:
        assert file_lines[sec.start_line + note.body_line_offset].lstrip("#").strip() == sec.title


def test_crlf_bom_note() -> None:
    path = DATA / "notes_good" / "crlf_bom_comments.md"
    note = parse_note("k.md", path.read_bytes())
    assert note.title == "什么是 KV Cache 量化？"
    assert note.answer is not None and note.answer.markdown == (
        "把注意力缓存从 FP16 压到 INT8/INT4，显存减半或更多。"
    )
    assert note.body_line_offset == 11 and "\r\n" in note.body
    assert note.meta.difficulty == "hard" and len(note.tables) == 1


def test_title_falls_back_to_file_stem_and_no_answer() -> None:
    note = parse_note("dir/量化 笔记.md", "正文，没有标题。\n\n### 小节\n".encode())
    assert note.title == "量化 笔记" and note.answer is None
    assert note.body_line_offset == 0 and not note.meta.has_frontmatter


def test_offset_without_trailing_newline() -> None:
    note = parse_note("x.md", (DATA / "notes_good" / "dots_no_trailing_newline.md").read_bytes())
    assert note.body_line_offset == 3 and note.title == "Title without newline"
    assert note.meta.review_count == 1


def test_warnings_are_carried_and_errors_raised() -> None:
    note = parse_note("m.md", (DATA / "notes_bad" / "mastery_abc.md").read_bytes())
    assert note.warnings == ("mastery_level: invalid value 'abc', treated as 0.0",)
    with pytest.raises(NoteError, match="binary file"):
        parse_note("b.md", (DATA / "notes_bad" / "binary.md").read_bytes())


def test_tokens_parsed_once_per_note(monkeypatch: pytest.MonkeyPatch, seed_note: Path) -> None:
    calls: list[str] = []
    real = mdmod._outline_md()

    class Counting:
        def parse(self, src: str) -> object:
            calls.append(src)
            return real.parse(src)

    monkeypatch.setattr(mdmod, "_outline_md", lambda: Counting())
    parse_note("seed.md", seed_note.read_bytes())
    assert len(calls) == 1


def test_outline_tokens_are_the_full_parse_for_headings_and_tables(seed_note: Path) -> None:
    """outline_tokens skips only the inline parse of what the outline never reads."""
    keep = {"heading_open", "th_open", "td_open"}
    texts = [seed_note.read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((DATA / "tables").rglob("*.md"))]
    texts.append("# T [x]\n\n[x]: /u\n\n| a | *b* |\n|---|---|\n| `c` \\| d | ![i](s) |\n")
    # Plain cells and headings take a shortcut (one text token): each character an inline
    # rule starts at must still go through markdown-it.
    marks = ["a\\*b", "`c`", "*e*", "_f_", "[g]", "![h](i)", "<b>", "&amp;", "x ~ y: 5%"]
    # ... and so do cells that are one bold span (**X**): the near misses must not.
    marks += ["**8 GB**", "**(a)**", "**高**", "** a**", "**a **", "***a***", "**a*b**"]
    marks += ["**a**b", "a**b**", "**a** **b**", "**a_b**", "**\u3000a**", "**a\u00a0**"]
    rows = "".join(f"| {m} | plain {n} |\n" for n, m in enumerate(marks))
    texts.append(f"## 普通 标题\n\n| 维度 | 边缘 |\n|---|---|\n| 延迟 低 |  |\n{rows}")
    for text in texts:
        full, outline = mdmod.parse_tokens(text), mdmod.outline_tokens(text)
        assert len(full) == len(outline)
        for i, (f, o) in enumerate(zip(full, outline, strict=True)):
            assert (f.type, f.map, f.content, f.level) == (o.type, o.map, o.content, o.level)
            if f.type == "inline" and full[i - 1].type in keep:
                assert o.as_dict() == f.as_dict()
            elif f.type == "inline":
                assert o.children == []


def test_the_bold_cell_shortcut_gives_markdown_its_own_tokens() -> None:
    """``_strong_tokens`` stands in for markdown-it on ``**X**`` cells: over random
    strings of the characters that decide flanking (spaces of several kinds,
    punctuation, markup characters), wherever the shortcut applies it gives the
    parser's exact tokens."""
    import random

    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable("table")
    alphabet = "ab 中.,()-:!?%$#~^{}[]<>&\\`*_\u3000\u00a0\t\x1c\u2028\u200b=+@"
    rng = random.Random(3)
    applied = 0
    for _ in range(20_000):
        inner = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
        content = f"**{inner}**"
        if not mdmod._is_plain_strong(content):
            continue
        applied += 1
        expected: list[object] = []
        parser.inline.parse(content, parser, {}, expected)
        assert mdmod._strong_tokens(inner) == expected, repr(content)
    assert applied > 5_000


# ------------------------------------------------------------------ markdown.sections

BODY = """# 总览

intro

## 答案

```python
# 不是标题
```

> ## 引用里的标题

### 细节 **加粗** `code`

Setext
------

text

# 第二个
tail
"""


def test_sections_structure() -> None:
    lines = body_lines(BODY)
    secs = sections(parse_tokens(BODY), lines)
    assert [(s.level, s.title) for s in secs] == [
        (1, "总览"),
        (2, "答案"),
        (3, "细节 加粗 code"),
        (2, "Setext"),
        (1, "第二个"),
    ]
    top, answer, detail, setext, second = secs
    assert (top.start_line, top.end_line) == (0, lines.index("# 第二个"))
    assert answer.end_line == lines.index("Setext")  # runs over the deeper ### section
    assert detail.heading_path == ("总览", "答案", "细节 加粗 code")
    assert setext.heading_path == ("总览", "Setext") and setext.markdown == "text"
    assert "# 不是标题" in answer.markdown and "> ## 引用里的标题" in answer.markdown
    assert second.end_line == len(lines) and second.markdown == "tail"


def test_body_lines_match_markdown_it_numbering() -> None:
    body = "a\r\nb\rc\u2028d\n"
    assert body_lines(body) == ["a", "b", "c\u2028d"]
    assert body_lines("") == [] and body_lines("x") == ["x"]


def test_md_has_front_matter_plugin_and_body_parser_does_not() -> None:
    text = "---\ntitle: x\n# c\n---\n# H\n"
    assert md().parse(text)[0].type == "front_matter"
    types = [t.type for t in parse_tokens("---\n\ntext\n\n---\n")]
    assert types.count("hr") == 2
    assert md() is md()
