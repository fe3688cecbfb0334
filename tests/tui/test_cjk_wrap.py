"""Chinese paragraphs wrap at CJK characters and between words, never inside a word."""

from __future__ import annotations

import itertools
import re

from rich import _wrap as rich_wrap
from textual import _wrap as textual_wrap
from textual.content import Content
from textual.widgets import Markdown

import studyapp.tui  # noqa: F401  (installs the wrapping)
from studyapp.tui.cjk_wrap import CJK_CHUNK, CJK_WORD
from tests.tui.conftest import settle
from tests.tui.test_review import review_screen

TEXT = (
    "GGUF 是 llama.cpp 的单文件模型格式，把权重、分词器和超参数元数据打包，可直接 mmap"
    " 加载，适合量化到INT4的模型（如 Q4_K_M）。Plain English wraps between words."
)
LATIN = re.compile(r"[A-Za-z0-9_.]+")


def test_the_hooks_are_installed() -> None:
    """Fails loudly if a Rich/Textual upgrade moves the private hooks."""
    assert rich_wrap.re_word is CJK_WORD and textual_wrap.re_chunk is CJK_CHUNK


def test_cjk_wraps_at_characters_and_keeps_words_whole() -> None:
    words = set(LATIN.findall(TEXT))
    for width in range(12, 60):
        lines = [line.plain for line in Content(TEXT).wrap(width)]
        assert "".join(lines).replace(" ", "") == TEXT.replace(" ", "")
        for line in lines:
            assert Content(line).cell_length <= width
            assert not line.startswith(("，", "。", "、", "）")), (width, line)
            for token in LATIN.findall(line):
                assert token in words, (width, token)  # no "IN" / "T4"
        # a line is only short when the next chunk did not fit
        for line, following in itertools.pairwise(lines):
            nxt = following.lstrip()[:1]
            if nxt and not LATIN.match(nxt) and nxt not in "（":
                assert Content(line.rstrip()).cell_length + 2 > width - 2, (width, line)


async def test_review_answer_fills_lines_at_80_columns(make_app, ctx) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = review_screen(ctx, kind="note")
        await app.push_screen(screen)
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        md = screen.query_one("#answer-markdown", Markdown)
        paragraph = md.query("MarkdownParagraph").first()
        lines = [
            "".join(seg.text for seg in paragraph.render_line(y)).rstrip()
            for y in range(paragraph.size.height)
        ]
        widest = max(Content(line).cell_length for line in lines)
        assert all(Content(line).cell_length >= widest - 4 for line in lines[:-1]), lines
