"""The one Markdown configuration of studyapp, and the section outline of a note body.

Every layer must see the same document structure (a heading in the card list is a
heading in the review screen), so the parser is configured once here: CommonMark plus
GFM tables, and the front-matter plugin so a full note never turns its YAML into a
rule and a heading.  The ``gfm-like`` preset is avoided on purpose: its linkify eats
the Chinese text after a bare URL.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from studyapp.core.model import Section

__all__ = ["body_lines", "heading_text", "md", "outline_tokens", "parse_tokens", "sections"]

# markdown-it's own line splitting (it normalises CRLF and lone CR to LF); str.splitlines
# would also split on U+2028, VT, FF... and then disagree with token .map line numbers.
_NEWLINE_RE = re.compile(r"\r\n?|\n")
_SPACE_RE = re.compile(r"\s+")


@functools.cache
def md() -> MarkdownIt:
    """Parser for a whole note file (frontmatter included), e.g. for rendering."""
    return MarkdownIt("commonmark").enable("table").use(front_matter_plugin)


@functools.cache
def _body_md() -> MarkdownIt:
    """Parser for a body whose frontmatter was already split off by :mod:`frontmatter_io`.

    Without the plugin on purpose: a body that itself starts with a ``---`` rule
    followed later by another ``---`` must not lose its first lines as "frontmatter".
    """
    return MarkdownIt("commonmark").enable("table")


def parse_tokens(body: str) -> list[Token]:
    """Block tokens of a note body; their ``.map`` lines are 0-based body lines."""
    return _body_md().parse(body)


#: The block tokens whose inline content the note outline reads: headings (section
#: titles) and table cells (:mod:`studyapp.core.tables`).
_OUTLINE_INLINE = frozenset({"heading_open", "th_open", "td_open"})


#: Where the inline rules of the commonmark preset can start: newline, escape, backticks,
#: emphasis, link, image, autolink / inline HTML, entity (``text`` only stops at them).
_INLINE_MARKUP_RE = re.compile(r"[\n\\`*_\[!<&]")


def _outline_inline(state: StateCore) -> None:
    """markdown-it's ``inline`` core rule, run only on heading and table-cell content.

    Each inline token is parsed on its own (from its content and the document's
    references, both fixed by the block pass), so the tokens parsed are exactly those of
    a full parse; paragraphs and list text keep no children.
    """
    tokens = state.tokens
    md, env = state.md, state.env
    for i, token in enumerate(tokens):
        if token.type == "inline" and i and tokens[i - 1].type in _OUTLINE_INLINE:
            if token.children is None:
                token.children = []
            content = token.content
            if _INLINE_MARKUP_RE.search(content) is None:
                # No character any active inline rule starts at: markdown-it would emit
                # the content as one text token (most table cells).
                if content:
                    token.children.append(Token("text", "", 0, content=content))
            elif _is_plain_strong(content):
                token.children.extend(_strong_tokens(content[2:-2]))
            else:
                md.inline.parse(content, md, env, token.children)


def _is_plain_strong(content: str) -> bool:
    """``**X**`` with no markup character inside and X not starting or ending with a space.

    The one shape of marked-up cell that is common (a tenth of a corpus's cells, all
    of its slow ones): both delimiter runs are then flanking (start and end of the text
    count as whitespace), so CommonMark makes it one strong span around one text.
    ``str.isspace`` is wider than CommonMark's whitespace, so a doubtful X takes the
    parser's path.
    """
    n = len(content)
    return (
        n > 4
        and content.startswith("**")
        and content.endswith("**")
        and not content[2].isspace()
        and not content[n - 3].isspace()
        and _INLINE_MARKUP_RE.search(content, 2, n - 2) is None
    )


def _strong_tokens(inner: str) -> list[Token]:
    """The inline tokens markdown-it-py gives ``**inner**`` (checked against it in tests)."""
    return [
        Token("text", "", 0, content=""),
        Token("strong_open", "strong", 1, markup="**"),
        Token("text", "", 0, content=inner, level=1),
        Token("strong_close", "strong", -1, markup="**"),
        Token("text", "", 0, content=""),
    ]


@functools.cache
def _outline_md() -> MarkdownIt:
    """:func:`_body_md` with inline parsing limited to what :func:`outline_tokens` keeps."""
    parser = MarkdownIt("commonmark").enable("table")
    parser.core.ruler.at("inline", _outline_inline)
    return parser


def outline_tokens(body: str) -> list[Token]:
    """:func:`parse_tokens` for the note outline (sections and tables) only.

    The same block tokens; only heading and table-cell inline tokens have children (the
    inline parse of every paragraph was two fifths of an import's Markdown time).
    """
    return _outline_md().parse(body)


def body_lines(body: str) -> list[str]:
    """The body's lines as markdown-it numbers them (no line endings, no phantom last line)."""
    lines = _NEWLINE_RE.split(body)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def heading_text(inline: Token | None) -> str:
    """Plain text of a heading: emphasis/link/code markup dropped, images by alt text."""
    if inline is None:
        return ""
    parts: list[str] = []
    for child in inline.children or ():
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type == "image":
            parts.append(child.content or heading_text(child))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return _SPACE_RE.sub(" ", "".join(parts)).strip()


def sections(tokens: Sequence[Token], lines: Sequence[str]) -> tuple[Section, ...]:
    """Every top-level heading and the source under it, up to the next heading of the same or higher level.

    Only headings at block nesting level 0 count: a ``#`` line in a fence is a fence
    token, and a heading inside a quote or list item does not start a section of the note.
    ``markdown`` is the section's source without its heading line(s) (two for a setext
    heading), with leading and trailing blank lines trimmed.
    """
    found: list[tuple[int, str, int, int]] = []  # level, title, heading start, heading end
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.level == 0 and tok.map is not None:
            inline = tokens[i + 1] if i + 1 < len(tokens) else None
            found.append((int(tok.tag[1]), heading_text(inline), tok.map[0], tok.map[1]))
    # Where each section ends: the start of the next heading of the same or higher
    # level, found in one pass with a stack (a scan per heading is quadratic, and a note
    # can have thousands of headings).
    ends = [len(lines)] * len(found)
    open_: list[int] = []
    for n, (level, _, start, _) in enumerate(found):
        while open_ and found[open_[-1]][0] >= level:
            ends[open_.pop()] = start
        open_.append(n)
    out: list[Section] = []
    stack: list[tuple[int, str]] = []
    for n, (level, title, start, head_end) in enumerate(found):
        end = ends[n]
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        text = "\n".join(lines[head_end:end]).strip("\n")
        out.append(
            Section(
                level=level,
                title=title,
                heading_path=tuple(t for _, t in stack),
                start_line=start,
                end_line=end,
                markdown=text,
            )
        )
    return tuple(out)
