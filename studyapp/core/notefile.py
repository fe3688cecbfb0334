"""One note file -> :class:`ParsedNote`, computed once per change of the file.

Markdown parsing is the expensive step (about 4 ms for 10 KB), so the body is
tokenised exactly once here and every derived structure (sections, the standard
answer, tables) is built from that one token list; callers store the result instead
of re-parsing the vault.

Cost is bounded whatever the note holds (a note under the 5 MB limit can still be
150,000 table rows or 400,000 headings, which markdown-it turns into millions of
tokens and gigabytes).  Before tokenising, one linear pass over the lines applies the
documented limits below; the body itself is always kept whole (it is shown and
searched as written), only its structure is read from the bounded text:

* at most :data:`MAX_TABLE_ROWS` rows per table become cards (later rows are not
  read as rows), and at most :data:`MAX_TABLE_COLUMNS` columns (later cells dropped);
* at most :data:`MAX_TABLE_CELLS` table cells and :data:`MAX_HEADINGS` headings per
  note, and :data:`MAX_PARSE_LINES` lines / :data:`MAX_PARSE_CHARS` characters in
  all: past the first limit reached, the rest of the note yields no cards.

Each limit reached is one warning on the note, so the user knows why cards are missing.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from studyapp.core.frontmatter_io import load_meta
from studyapp.core.markdown import body_lines, outline_tokens, sections
from studyapp.core.model import ParsedNote

__all__ = [
    "MAX_HEADINGS",
    "MAX_PARSE_CHARS",
    "MAX_PARSE_LINES",
    "MAX_TABLE_CELLS",
    "MAX_TABLE_COLUMNS",
    "MAX_TABLE_ROWS",
    "bounded_text",
    "parse_note",
]

#: Rows of one table read as rows (header and delimiter line not counted).
MAX_TABLE_ROWS = 250
#: Cells of one table row read (the rest of a wider row is dropped).
MAX_TABLE_COLUMNS = 16
#: Table cells read per note (about 2 cards per cell): a dozen big tables.
MAX_TABLE_CELLS = 3_000
#: Heading lines read per note.
MAX_HEADINGS = 1_000
#: Lines and characters of the body read for structure (a typical note is 12 KB).
MAX_PARSE_LINES = 10_000
MAX_PARSE_CHARS = 250_000

_HEADING_RE = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")


def _first_cells(line: str) -> tuple[str, int]:
    """``line`` cut after its first ``MAX_TABLE_COLUMNS`` cells; 1 when something was cut."""
    pos, seen = -1, 0
    limit = MAX_TABLE_COLUMNS + (1 if line.lstrip().startswith("|") else 0)
    while seen < limit:
        pos = line.find("|", pos + 1)
        if pos == -1:
            return line, 0
        seen += 1
    rest = line[pos + 1 :]
    if not rest.strip():
        return line, 0
    return line[: pos + 1], 1


def bounded_text(lines: list[str]) -> tuple[str, list[str]]:
    """The text to tokenise for ``lines``, within the limits, and a warning per limit reached.

    Line numbers are preserved (rows past a table's limit become blank lines), so token
    ``.map`` values still index ``lines``; everything after a per-note limit is cut.
    """
    out: list[str] = []
    warnings: list[str] = []
    chars = table_cells = headings = run = 0
    capped_tables = wide_rows = 0
    for number, line in enumerate(lines):
        chars += len(line) + 1
        if number >= MAX_PARSE_LINES or chars > MAX_PARSE_CHARS:
            warnings.append(
                f"note is very large: cards come from its first {number} lines only "
                f"(limits: {MAX_PARSE_LINES} lines, {MAX_PARSE_CHARS // 1000} K characters)"
            )
            break
        if "|" in line:
            run += 1
            if run > MAX_TABLE_ROWS + 2:  # header + delimiter + rows
                if run == MAX_TABLE_ROWS + 3:
                    capped_tables += 1
                out.append("")
                continue
            line, cut = _first_cells(line)
            wide_rows += cut
            table_cells += min(line.count("|"), MAX_TABLE_COLUMNS + 1)
            if table_cells > MAX_TABLE_CELLS:
                warnings.append(
                    f"more than {MAX_TABLE_CELLS} table cells: cards come from the first "
                    f"{number} lines only"
                )
                break
        else:
            run = 0
            if _HEADING_RE.match(line):
                headings += 1
                if headings > MAX_HEADINGS:
                    warnings.append(
                        f"more than {MAX_HEADINGS} headings: cards come from the first "
                        f"{number} lines only"
                    )
                    break
        out.append(line)
    if wide_rows:
        warnings.append(
            f"{wide_rows} table row(s) wider than {MAX_TABLE_COLUMNS} columns: "
            "the cells after that are not cards"
        )
    if capped_tables:
        warnings.append(
            f"{capped_tables} table(s) longer than {MAX_TABLE_ROWS} rows: "
            f"only the first {MAX_TABLE_ROWS} rows become cards"
        )
    return "\n".join(out) + ("\n" if out else ""), warnings


def parse_note(rel_path: str, data: bytes) -> ParsedNote:
    """Parse a note's bytes; raises :class:`~studyapp.core.model.NoteError` for an unusable file.

    ``title`` is the first H1 (else the file name without ``.md``); ``answer`` is the
    first H2 section, the note's standard interview answer.  ``body_line_offset`` is
    the number of file lines before the body, so ``file line (1-based) = body line
    (0-based) + body_line_offset + 1``.
    """
    meta, warnings, parts = load_meta(rel_path, data)
    body = data[parts.body_start :].decode("utf-8")  # load_meta validated the encoding
    head = data[len(parts.bom) : parts.body_start]
    offset = head.count(b"\n") + (1 if head and not head.endswith(b"\n") else 0)
    lines = body_lines(body)
    text, limits = bounded_text(lines)
    tokens = outline_tokens(text)
    secs = sections(tokens, lines)
    title = next((s.title for s in secs if s.level == 1 and s.title), "")
    answer = next((s for s in secs if s.level == 2), None)
    from studyapp.core.tables import extract_tables  # lazy: keeps import of notefile light

    return ParsedNote(
        path=rel_path,
        meta=meta,
        title=title or PurePosixPath(rel_path).stem,
        sections=secs,
        answer=answer,
        tables=extract_tables(tokens, lines, secs),
        body=body,
        body_line_offset=offset,
        warnings=(*warnings, *limits),
    )
