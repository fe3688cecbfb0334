"""Rewriting schedule keys in a note's frontmatter, line by line, verified.

Notes are the user's documents, so a review changes nothing but the values studyapp owns:
only the lines of the named top-level keys are edited as bytes (BOM, line endings,
quoting style and trailing comments kept), missing keys are appended, and every edit is
re-parsed and checked before anyone may write the result to disk.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import yaml

from studyapp.core.frontmatter_io import (
    NoteParts,
    ScheduleValue,
    WriteBackError,
    frontmatter_lookalike,
    split_note,
)
from studyapp.core.safe_yaml import YamlProblem, load_scalar, load_with_pairs

__all__ = ["ScheduleEdit", "edit_schedule", "remove_block", "replace_block", "write_schedule"]

_KEY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_KEY_LINE = re.compile(rb"(['\"]?)([A-Za-z_][A-Za-z0-9_\-]*)\1[ \t]*:(?=[ \t\r\n]|$)")
_DATE_VALUE = re.compile(r"(['\"]?)\d{4}-\d{2}-\d{2}\1")
# Characters that must be escaped in a double-quoted scalar: non-printable for YAML,
# and the line breaks PyYAML folds (NEL, LS, PS) plus a stray BOM.
_NEEDS_ESCAPE = re.compile(
    "[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_SINGLE = "'"
_PLAIN_OK = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`\\][^:#,\[\]{}\r\n\t]*")


def _lines(block: bytes) -> list[bytes]:
    """Split on LF only, each line keeping its own ending (``bytes.splitlines`` also splits on VT, FF...)."""
    out: list[bytes] = []
    pos = 0
    while pos < len(block):
        nl = block.find(b"\n", pos)
        end = len(block) if nl == -1 else nl + 1
        out.append(block[pos:end])
        pos = end
    return out


def _is_continuation(line: bytes) -> bool:
    body = line.rstrip(b"\r\n")
    return (
        not body.strip()
        or line[:1] in (b" ", b"\t", b"#")
        or body == b"-"
        or body.startswith((b"- ", b"-\t"))
    )


def _key_ranges(lines: list[bytes], keys: set[str]) -> dict[str, list[tuple[int, int]]]:
    """Line ranges ``[start, end)`` of each named top-level key: its line plus indented continuation.

    Trailing blank and column-0 comment lines are not part of a value, so they survive.
    """
    ranges: dict[str, list[tuple[int, int]]] = {}
    for i, line in enumerate(lines):
        m = _KEY_LINE.match(line)
        if not m or m[2].decode() not in keys:
            continue
        end = i + 1
        while end < len(lines) and _is_continuation(lines[end]):
            end += 1
        while end - 1 > i and (not lines[end - 1].strip() or lines[end - 1][:1] == b"#"):
            end -= 1
        ranges.setdefault(m[2].decode(), []).append((i, end))
    return ranges


def _split_value(text: str) -> tuple[str, str, str]:
    """``value  # comment`` -> (value, gap, comment), aware of quoted values containing ``#``."""
    end = None
    if text[:1] in ("'", '"'):
        quote, i = text[0], 1
        while (j := text.find(quote, i)) != -1:
            if quote == "'" and text[j + 1 : j + 2] == "'":
                i = j + 2
            elif quote == '"' and (j - len(text[:j].rstrip("\\"))) % 2:
                i = j + 1
            else:
                end = j + 1
                break
        if end is None:
            return text, "", ""
        hash_at = end + len(text[end:]) - len(text[end:].lstrip(" \t"))
        if text[hash_at : hash_at + 1] != "#":
            return text.rstrip(" \t"), "", ""
    else:
        m = re.search(r"(?:^|[ \t])#", text)
        if m is None:
            return text.rstrip(" \t"), "", ""
        hash_at = m.end() - 1
    value = text[:hash_at].rstrip(" \t")
    return value, text[len(value) : hash_at], text[hash_at:]


def _style(value_text: str) -> str | None:
    if value_text[:1] in ("'", '"'):
        return value_text[0]
    if value_text in ("", "~", "null", "Null", "NULL") or value_text[:1] in "|>[{&*!":
        return None
    return "plain"


def _date_style(lines: list[bytes]) -> str:
    """The quoting of the block's other dates; the seed notes use single quotes."""
    for line in lines:
        m = _KEY_LINE.match(line)
        if m:
            value = _split_value(line[m.end() :].decode().strip())[0]
            if dm := _DATE_VALUE.fullmatch(value):
                return dm[1] or "plain"
    return _SINGLE


def _double_quoted(text: str) -> str:
    def escape(m: re.Match[str]) -> str:
        code = ord(m[0])
        return (
            f"\\x{code:02x}"
            if code < 0x100
            else f"\\u{code:04x}"
            if code < 0x10000
            else f"\\U{code:08x}"
        )

    return '"' + _NEEDS_ESCAPE.sub(escape, text.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def _format_float(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"cannot write a non-finite number: {value!r}")
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text if "." in text else text + ".0"


def _emit(value: ScheduleValue, style: str | None, date_style: str) -> str:
    """A YAML scalar that reads back as ``value``, in the existing quoting style where possible."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, datetime):
        raise TypeError("schedule dates must be datetime.date, not datetime")
    if isinstance(value, date):
        style = style or date_style
        quote = "" if style == "plain" else style
        return f"{quote}{value.isoformat()}{quote}"
    plain_ok = _PLAIN_OK.fullmatch(value) and value == value.rstrip()
    if style in (None, "plain") and plain_ok and not _NEEDS_ESCAPE.search(value):
        return value if load_scalar(value) == value else _double_quoted(value)
    if style == "'" and not _NEEDS_ESCAPE.search(value):
        return "'" + value.replace("'", "''") + "'"
    return _double_quoted(value)


def _edit_line(line: bytes, key_end: int, value: ScheduleValue, date_style: str) -> bytes:
    content = line.rstrip(b"\r\n")
    ending = line[len(content) :]
    rest = content[key_end:].decode()
    value_text = rest.lstrip(" \t")
    sep = rest[: len(rest) - len(value_text)] or " "
    old_value, gap, comment = _split_value(value_text)
    new_text = sep + _emit(value, _style(old_value), date_style)
    if comment:
        new_text += (gap or " ") + comment
    return content[:key_end] + new_text.encode() + ending


_Pairs = list[tuple[yaml.ScalarNode, yaml.Node]]


def _parse_block(block: bytes) -> tuple[dict[Any, Any], _Pairs]:
    """The block's mapping and its top-level (key, value) nodes, from one YAML parse."""
    try:
        return load_with_pairs(block.decode("utf-8"), 2)
    except (UnicodeDecodeError, YamlProblem) as exc:
        raise WriteBackError(f"frontmatter is not valid: {exc}") from None


def _reads_back(loaded: Any, intended: ScheduleValue) -> bool:
    if intended is None or isinstance(intended, bool):
        return loaded is intended
    if isinstance(intended, date):
        return bool(loaded == intended or loaded == intended.isoformat())
    return type(loaded) is type(intended) and bool(loaded == intended)


_LINE_BREAKS = "\r\n\x85\u2028\u2029"


def _value_spans(text: str, keys: set[str], pairs: _Pairs) -> dict[str, list[tuple[int, int]]]:
    """Character spans ``[start, end)`` of each named top-level key's value, as YAML sees them.

    A scalar's span is the scalar itself (quotes, block indicator and content included),
    never the comments, blank lines or line breaks around it.  An empty value
    (``key:``) and a list or mapping value span from just after the colon.  A
    multi-line value containing ``#`` is refused: what looks like a comment there may
    be one, and it must never be dropped silently.
    """
    spans: dict[str, list[tuple[int, int]]] = {}
    for key_node, node in pairs:
        key = str(key_node.value)
        if key not in keys:
            continue
        if key_node.start_mark.column != 0:
            raise WriteBackError(f"key {key!r} is not on a line of its own; not rewritten")
        start, end = node.start_mark.index, node.end_mark.index
        if start == end or not isinstance(node, yaml.ScalarNode):
            start = text.index(":", key_node.end_mark.index) + 1
        # A block scalar's span swallows the line breaks after its content: they stay.
        while end > start and text[end - 1] in _LINE_BREAKS:
            end -= 1
        owned = text[start:end]
        if "#" in owned and any(c in owned for c in _LINE_BREAKS):
            raise WriteBackError(
                f"{key} spans several lines with a '#' in them; not rewritten, to keep the comment"
            )
        spans.setdefault(key, []).append((start, end))
    return spans


def _cut(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """The pieces of ``text`` outside ``spans`` (what a write-back must leave byte-identical).

    Spaces right before a value are not compared: an empty ``key:`` gains one.
    """
    pieces, pos = [], 0
    for start, end in sorted(spans):
        pieces.append(text[pos:start].rstrip(" \t"))
        pos = end
    pieces.append(text[pos:])
    return pieces


def _appended_line(text: str, key: str, span: tuple[int, int]) -> tuple[int, int]:
    """The whole line of a key the write-back appended (key, value and line ending)."""
    line_start = text.rfind("\n", 0, span[0]) + 1
    line_end = text.find("\n", span[1])
    return line_start, len(text) if line_end == -1 else line_end + 1


def _verify(
    old: bytes,
    new: bytes,
    values: Mapping[str, ScheduleValue],
    old_parsed: tuple[dict[Any, Any], _Pairs] | None,
    old_parts: NoteParts | None = None,
) -> NoteParts:
    """Re-parse the result: written keys read back as intended, every other byte unchanged.

    Independent of how the edit was made: the values' spans are located again by the
    YAML parser in both versions, and everything outside them (comments, blank lines,
    other keys, delimiters, body) must be identical, byte for byte.  ``old_parsed`` is
    the old block's :func:`_parse_block` as the edit already computed it (each version
    is parsed once); ``old_parts`` likewise its :func:`split_note` (the new version is
    always split and parsed here, afresh).  Returns the new version's split.
    """
    op = split_note(old) if old_parts is None else old_parts
    np_ = split_note(new)
    old_body = old[op.body_start :]
    problems: list[str] = []
    if not np_.has_frontmatter or np_.bom != op.bom or new[np_.body_start :] != old_body:
        problems.append("the body or the block delimiters changed")
    elif op.has_frontmatter and (
        new[: np_.block_start] != old[: op.block_start]
        or new[np_.block_end : np_.body_start] != old[op.block_end : op.body_start]
    ):
        problems.append("the delimiter lines changed")
    if not problems:
        keys = set(values)
        old_text, new_text = op.block.decode("utf-8"), np_.block.decode("utf-8")
        if op.has_frontmatter and old_parsed is None:
            old_parsed = _parse_block(op.block)
        new_map, new_pairs = _parse_block(np_.block)
        old_spans = (
            _value_spans(old_text, keys, old_parsed[1])
            if op.has_frontmatter and old_parsed is not None
            else {}
        )
        new_spans = _value_spans(new_text, keys, new_pairs)
        new_cut: list[tuple[int, int]] = []
        appended: list[tuple[int, int]] = []
        for key, spans in new_spans.items():
            if key in old_spans:
                new_cut.extend(spans)
            else:
                appended.extend(_appended_line(new_text, key, span) for span in spans)
        kept_text = new_text
        if appended:
            # Appended keys are whole lines at the very end of the block, nothing else.
            tail_start = min(a for a, _ in appended)
            covered = sum(b - a for a, b in appended)
            if covered != len(new_text) - tail_start:
                problems.append("appended keys are not whole lines at the end of the block")
            kept_text = new_text[:tail_start]
        old_cut = [span for spans in old_spans.values() for span in spans]
        if _cut(kept_text, new_cut) != _cut(old_text, old_cut):
            problems.append("bytes outside the edited values changed")
        for key, value in values.items():
            if not _reads_back(new_map.get(key, ...), value):
                problems.append(f"{key} reads back as {new_map.get(key)!r}, not {value!r}")
        if op.has_frontmatter and old_parsed is not None:
            old_map = old_parsed[0]
            others_old = {k: repr(v) for k, v in old_map.items() if k not in keys}
            if others_old != {k: repr(v) for k, v in new_map.items() if k not in keys}:
                problems.append("values of other keys changed")
    if problems:
        raise WriteBackError("write-back verification failed: " + "; ".join(problems))
    return np_


@dataclass(frozen=True)
class ScheduleEdit:
    """:func:`write_schedule`'s result and the head (BOM and frontmatter block with its
    fences) of the note before and after, which the write-back stores for a byte-exact
    undo: the edit split both versions already, so no caller splits them again."""

    data: bytes
    head_before: bytes
    head_after: bytes


def write_schedule(data: bytes, values: Mapping[str, ScheduleValue]) -> bytes:
    """:func:`edit_schedule`'s new bytes."""
    return edit_schedule(data, values).data


def edit_schedule(data: bytes, values: Mapping[str, ScheduleValue]) -> ScheduleEdit:
    """Return ``data`` with only the named top-level keys' values rewritten (missing keys appended).

    Each value is replaced in its own character span as the YAML parser reports it, so
    a comment or blank line next to it, a lone CR or U+2028 line break, and every other
    byte stay as they are.  Raises :class:`WriteBackError` when the frontmatter cannot be
    edited safely (invalid YAML, a list value, a file that only looks like it has
    frontmatter) or the result fails verification.
    """
    for key in values:
        if not _KEY_NAME.fullmatch(key):
            raise ValueError(f"not a plain frontmatter key: {key!r}")
    parts = split_note(data)
    nl = parts.newline
    if not parts.has_frontmatter:
        lookalike = frontmatter_lookalike(data)
        if lookalike is not None:
            raise WriteBackError(f"{lookalike}; not adding a second frontmatter block")
        new_lines = [f"{k}: {_emit(v, None, _SINGLE)}".encode() + nl for k, v in values.items()]
        block = b"---" + nl + b"".join(new_lines) + b"---" + nl
        new = parts.bom + block + data[len(parts.bom) :]
    else:
        parsed = _parse_block(parts.block)
        old_map = parsed[0]
        text = parts.block.decode("utf-8")
        date_style = _date_style(_lines(parts.block))
        spans = _value_spans(text, set(values), parsed[1])
        for key in values:
            if key in old_map and key not in spans:
                raise WriteBackError(f"cannot find the value of key {key!r} in the frontmatter")
        edits = sorted(
            (start, end, values[key])
            for key, key_spans in spans.items()
            for start, end in key_spans
        )
        out: list[str] = []
        pos = 0
        for start, end, value in edits:
            old_value = text[start:end]
            emitted = _emit(value, _style(old_value.strip()), date_style)
            if text[start - 1 : start] == ":":
                emitted = " " + emitted  # ``key:`` with no value (or a list) yet
            out.append(text[pos:start])
            out.append(emitted)
            pos = end
        out.append(text[pos:])
        for key, value in values.items():
            if key not in spans:
                out.append(f"{key}: {_emit(value, None, date_style)}" + nl.decode())
        new_block = "".join(out).encode("utf-8")
        new = data[: parts.block_start] + new_block + data[parts.block_end :]
    new_parts = _verify(data, new, values, None if not parts.has_frontmatter else parsed, parts)
    return ScheduleEdit(new, data[: parts.body_start], new[: new_parts.body_start])


def replace_block(data: bytes, old_block: bytes, new_block: bytes) -> bytes:
    """Swap the frontmatter block back to exact earlier bytes (undo of a write-back).

    ``old_block`` is the block as studyapp wrote it; if the file's block is anything else
    (the user edited it since), undo refuses with :class:`WriteBackError` rather than
    clobbering their edit.  The body and delimiters are untouched.
    """
    parts = split_note(data)
    if not parts.has_frontmatter or parts.block != old_block:
        raise WriteBackError("the frontmatter changed since the write-back; not restoring")
    new = data[: parts.block_start] + new_block + data[parts.block_end :]
    if split_note(new).block != new_block:
        raise WriteBackError("the block to restore is not a single frontmatter block")
    return new


def remove_block(data: bytes, old_block: bytes) -> bytes:
    """Undo of a write-back that *created* the frontmatter: drop the block and its delimiters."""
    parts = split_note(data)
    if not parts.has_frontmatter or parts.block != old_block:
        raise WriteBackError("the frontmatter changed since the write-back; not removing")
    return parts.bom + data[parts.body_start :]
