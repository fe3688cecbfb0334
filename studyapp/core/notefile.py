"""One note file -> :class:`ParsedNote`, computed once per change of the file.

Markdown parsing is the expensive step (about 4 ms for 10 KB), so the body is
tokenised exactly once here and every derived structure (sections, the standard
answer, tables) is built from that one token list; callers store the result instead
of re-parsing the vault.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from studyapp.core.frontmatter_io import load_meta
from studyapp.core.markdown import body_lines, parse_tokens, sections
from studyapp.core.model import ParsedNote

__all__ = ["parse_note"]


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
    tokens = parse_tokens(body)
    lines = body_lines(body)
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
        warnings=tuple(warnings),
    )
