"""Byte-level frontmatter: split a note, validate its metadata, rewrite schedule keys losslessly.

Notes are the user's documents, edited in their own editor and synced elsewhere, so a
review must change nothing but the values studyapp owns.  A YAML dump cannot promise
that (it drops comments, re-quotes, reorders, normalises newlines; see pitfalls.md), so
write-back edits only the lines of the named top-level keys as bytes, keeps the file's
BOM, line endings and trailing comments, and then *verifies* its own edit by re-parsing
before anyone may write the result to disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import yaml

from studyapp.core.atomic import WriteConflict, atomic_write
from studyapp.core.model import Difficulty, NoteError, NoteMeta

try:
    from yaml import CSafeLoader as _BaseLoader  # about 8x faster than the pure-Python loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = [
    "BOM",
    "MAX_FRONTMATTER_BYTES",
    "MAX_NOTE_BYTES",
    "NoteParts",
    "ScheduleValue",
    "WriteBackError",
    "WriteConflict",
    "atomic_write",
    "load_meta",
    "remove_block",
    "replace_block",
    "sha256_hex",
    "split_note",
    "write_schedule",
]

BOM = b"\xef\xbb\xbf"
MAX_NOTE_BYTES = 5 * 1024 * 1024
MAX_FRONTMATTER_BYTES = 64 * 1024

ScheduleValue = date | int | float | str | None


class WriteBackError(Exception):
    """A schedule write-back would not be the exact, minimal edit intended; nothing may be written."""


@dataclass(frozen=True)
class NoteParts:
    """Where the frontmatter block sits in the file's bytes.

    ``block`` is ``data[block_start:block_end]``: the YAML text between the delimiter
    lines, each line with its own ending.  Without frontmatter all three offsets equal
    ``len(bom)`` and ``block`` is empty.
    """

    bom: bytes
    has_frontmatter: bool
    newline: bytes
    block_start: int
    block_end: int
    body_start: int
    block: bytes


def sha256_hex(data: bytes) -> str:
    """Content hash used to detect that a note changed between read and write-back."""
    return hashlib.sha256(data).hexdigest()


def _marker(line: bytes) -> bytes:
    return line.rstrip(b"\r\n").rstrip(b" \t")


def split_note(data: bytes) -> NoteParts:
    """Locate the frontmatter: a ``---`` line at byte 0 (after an optional BOM) up to the next ``---``/``...`` line.

    An opening line without a closing one is not frontmatter (it is a thematic break).
    """
    bom = BOM if data.startswith(BOM) else b""
    start = len(bom)
    eol = data.find(b"\n", start)
    newline = b"\r\n" if eol > start and data[eol - 1 : eol] == b"\r" else b"\n"
    none = NoteParts(bom, False, newline, start, start, start, b"")
    if eol == -1 or _marker(data[start:eol]) != b"---":
        return none
    pos = block_start = eol + 1
    while pos < len(data):
        nl = data.find(b"\n", pos)
        end = len(data) if nl == -1 else nl + 1
        if _marker(data[pos:end]) in (b"---", b"..."):
            return NoteParts(bom, True, newline, block_start, pos, end, data[block_start:pos])
        pos = end
    return none


# ---------------------------------------------------------------- safe YAML


class YamlProblem(Exception):
    """Why a frontmatter block cannot be loaded (one line, file line numbers)."""


class _Loader(_BaseLoader):
    """Safe loader whose impossible dates (``2025-13-45``) load as text instead of failing the note."""


def _timestamp(loader: _Loader, node: yaml.ScalarNode) -> object:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_PY_TAG = "tag:yaml.org,2002:python/"
_MAX_DEPTH = 32


def _check_nodes(root: yaml.Node, first_line: int) -> None:
    """Reject aliases, python tags, unknown tags and deep nesting *before* construction.

    Aliases are refused outright: notes never need them and an alias bomb expands
    exponentially in the constructor.  The walk is iterative and tracks node identity,
    so a composed (not yet expanded) bomb costs only its own size.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        line = node.start_mark.line + first_line
        if id(node) in seen:
            raise YamlProblem(f"YAML aliases are not allowed (line {line})")
        seen.add(id(node))
        if depth > _MAX_DEPTH:
            raise YamlProblem(f"frontmatter nested too deeply (line {line})")
        tag = str(node.tag)
        shown = "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:") else tag
        if tag.startswith(_PY_TAG):
            raise YamlProblem(f"unsafe YAML tag {shown} at line {line}")
        if tag not in _Loader.yaml_constructors:
            raise YamlProblem(f"unsupported YAML tag {shown} at line {line}")
        if isinstance(node, yaml.MappingNode):
            stack.extend((n, depth + 1) for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((n, depth + 1) for n in node.value)


def _one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


def load_mapping(text: str, first_line: int) -> tuple[dict[Any, Any], list[str]]:
    """Load a frontmatter block safely; ``first_line`` is the 1-based file line of its first line.

    Returns the mapping (empty for an empty block) and warnings about duplicate keys.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, []
        _check_nodes(node, first_line)
        if not isinstance(node, yaml.MappingNode):
            kind = "list" if isinstance(node, yaml.SequenceNode) else "single value"
            raise YamlProblem(f"frontmatter is not a mapping (it is a {kind})")
        names = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
        dups = sorted({n for n in names if names.count(n) > 1})
        warnings = [f"{_one_line(n)}: duplicate key, the last value is used" for n in dups]
        value = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + first_line}" if mark else ""
        problem = exc.problem or exc.context or "syntax error"
        if exc.problem and exc.context and exc.context_mark:
            problem += f" ({exc.context} at line {exc.context_mark.line + first_line})"
        raise YamlProblem(f"malformed YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"malformed YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise YamlProblem("frontmatter nested too deeply") from None
    finally:
        loader.dispose()
    return value, warnings


def load_scalar(text: str) -> object:
    """What a one-line plain scalar reads back as (to decide whether it may stay unquoted)."""
    try:
        return load_mapping(f"k: {text}", 1)[0].get("k")
    except YamlProblem:
        return None


# ---------------------------------------------------------------- reading


def _check_bytes(rel_path: str, data: bytes) -> None:
    """Reject what is not a text note before YAML or Markdown ever sees it."""
    if len(data) > MAX_NOTE_BYTES:
        size = len(data) / 1024 / 1024
        raise NoteError(rel_path, f"note too large ({size:.1f} MB > 5 MB limit)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NoteError(rel_path, "not UTF-8 (UTF-16 byte order mark); save it as UTF-8")
    if b"\x00" in data:
        raise NoteError(rel_path, "binary file (contains NUL bytes)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError(
            rel_path, f"not UTF-8 (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def _show(value: Any) -> str:
    text = _one_line(f"'{value}'" if isinstance(value, str) else repr(value))
    return text if len(text) <= 40 else text[:37] + "..."


_DATE_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ][0-9:.+\-Zz ]*)?", re.ASCII)
_INT_RE = re.compile(r"[+]?\d+", re.ASCII)
_DIFFICULTY: dict[str, Difficulty] = {
    "easy": "easy",
    "medium": "medium",
    "hard": "hard",
    "简单": "easy",
    "容易": "easy",
    "中等": "medium",
    "一般": "medium",
    "困难": "hard",
    "难": "hard",
}


def _as_date(key: str, value: Any, warnings: list[str]) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and (m := _DATE_RE.fullmatch(value.strip())):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    warnings.append(f"{key}: invalid date {_show(value)}, treated as unset")
    return None


def _as_count(key: str, value: Any, warnings: list[str]) -> int:
    number: int | None = None
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and _INT_RE.fullmatch(value.strip())
    ):
        number = int(value)
    if number is None or number < 0:
        warnings.append(f"{key}: invalid value {_show(value)}, treated as 0")
        return 0
    return number


def _as_mastery(key: str, value: Any, warnings: list[str]) -> float:
    if value is None:
        return 0.0
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = float(value.strip())
    if not math.isfinite(number):
        warnings.append(f"{key}: invalid value {_show(value)}, treated as 0.0")
        return 0.0
    clamped = min(1.0, max(0.0, number))
    if clamped != number:
        warnings.append(f"{key}: {number:g} outside 0..1, clamped to {clamped}")
    return clamped


def _as_difficulty(key: str, value: Any, warnings: list[str]) -> Difficulty:
    if value is None:
        return "medium"
    if isinstance(value, str) and (found := _DIFFICULTY.get(value.strip().lower())):
        return found
    warnings.append(f"{key}: unknown value {_show(value)}, treated as medium")
    return "medium"


def _as_strings(key: str, value: Any, warnings: list[str]) -> tuple[str, ...]:
    """Tags may be a list or a single string; scalars are kept as text, nested values dropped."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if item is None or (isinstance(item, str) and not item.strip()):
            continue
        if isinstance(item, str | int | float | date):
            out.append(str(item))
        else:
            warnings.append(f"{key}: ignored a non-text entry {_show(item)}")
    return tuple(out)


def load_meta(rel_path: str, data: bytes) -> tuple[NoteMeta, list[str], NoteParts]:
    """Validate a note's bytes and frontmatter.

    Problems that make the note unusable raise :class:`NoteError` with a one-line
    message; a value of the wrong type is replaced by its default and reported as a
    warning, so one typo does not lose the note's cards.
    """
    _check_bytes(rel_path, data)
    parts = split_note(data)
    if not parts.has_frontmatter:
        return NoteMeta(has_frontmatter=False), [], parts
    if len(parts.block) > MAX_FRONTMATTER_BYTES:
        size = len(parts.block) // 1024
        raise NoteError(rel_path, f"frontmatter too large ({size} KB > 64 KB limit)")
    first_line = data[: parts.block_start].count(b"\n") + 1
    try:
        raw, warnings = load_mapping(parts.block.decode("utf-8"), first_line)
    except YamlProblem as exc:
        raise NoteError(rel_path, str(exc)) from None
    known = {"created", "last_reviewed", "next_review", "review_count", "difficulty"}
    known |= {"mastery_level", "tags", "related_outlines"}
    meta = NoteMeta(
        created=_as_date("created", raw.get("created"), warnings),
        last_reviewed=_as_date("last_reviewed", raw.get("last_reviewed"), warnings),
        next_review=_as_date("next_review", raw.get("next_review"), warnings),
        review_count=_as_count("review_count", raw.get("review_count"), warnings),
        difficulty=_as_difficulty("difficulty", raw.get("difficulty"), warnings),
        mastery_level=_as_mastery("mastery_level", raw.get("mastery_level"), warnings),
        tags=_as_strings("tags", raw.get("tags"), warnings),
        related_outlines=_as_strings("related_outlines", raw.get("related_outlines"), warnings),
        has_frontmatter=True,
        extra={str(k): v for k, v in raw.items() if k not in known},
    )
    return meta, warnings, parts


# ---------------------------------------------------------------- writing

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


def _parse_block(block: bytes) -> dict[Any, Any]:
    try:
        return load_mapping(block.decode("utf-8"), 2)[0]
    except (UnicodeDecodeError, YamlProblem) as exc:
        raise WriteBackError(f"frontmatter is not valid: {exc}") from None


def _reads_back(loaded: Any, intended: ScheduleValue) -> bool:
    if intended is None or isinstance(intended, bool):
        return loaded is intended
    if isinstance(intended, date):
        return bool(loaded == intended or loaded == intended.isoformat())
    return type(loaded) is type(intended) and bool(loaded == intended)


def _outside(block: bytes, keys: set[str]) -> list[bytes]:
    lines = _lines(block)
    drop = {i for spans in _key_ranges(lines, keys).values() for a, b in spans for i in range(a, b)}
    return [line for i, line in enumerate(lines) if i not in drop]


def _verify(old: bytes, new: bytes, values: Mapping[str, ScheduleValue]) -> None:
    """Re-parse the result: written keys read back as intended, every other byte and value unchanged."""
    op, np_ = split_note(old), split_note(new)
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
        if _outside(np_.block, keys) != _outside(op.block, keys):
            problems.append("lines of other keys changed")
        old_map = _parse_block(op.block) if op.has_frontmatter else {}
        new_map = _parse_block(np_.block)
        for key, value in values.items():
            if not _reads_back(new_map.get(key, ...), value):
                problems.append(f"{key} reads back as {new_map.get(key)!r}, not {value!r}")
        others_old = {k: repr(v) for k, v in old_map.items() if k not in keys}
        if others_old != {k: repr(v) for k, v in new_map.items() if k not in keys}:
            problems.append("values of other keys changed")
    if problems:
        raise WriteBackError("write-back verification failed: " + "; ".join(problems))


def write_schedule(data: bytes, values: Mapping[str, ScheduleValue]) -> bytes:
    """Return ``data`` with only the named top-level keys' lines rewritten (missing keys appended).

    Raises :class:`WriteBackError` when the frontmatter cannot be edited safely (invalid
    YAML, a key not found on a line of its own) or the result fails verification.
    """
    for key in values:
        if not _KEY_NAME.fullmatch(key):
            raise ValueError(f"not a plain frontmatter key: {key!r}")
    parts = split_note(data)
    nl = parts.newline
    if not parts.has_frontmatter:
        new_lines = [f"{k}: {_emit(v, None, _SINGLE)}".encode() + nl for k, v in values.items()]
        block = b"---" + nl + b"".join(new_lines) + b"---" + nl
        new = parts.bom + block + data[len(parts.bom) :]
    else:
        old_map = _parse_block(parts.block)
        lines = _lines(parts.block)
        date_style = _date_style(lines)
        ranges = _key_ranges(lines, set(values))
        for key in values:
            if key in old_map and key not in ranges:
                raise WriteBackError(f"cannot find the line of key {key!r} in the frontmatter")
        edits: dict[int, tuple[int, bytes]] = {}
        for key, spans in ranges.items():
            for start, end in spans:
                key_end = _KEY_LINE.match(lines[start]).end()  # type: ignore[union-attr]
                edits[start] = (end, _edit_line(lines[start], key_end, values[key], date_style))
        out: list[bytes] = []
        i = 0
        while i < len(lines):
            if i in edits:
                end, replacement = edits[i]
                out.append(replacement)
                i = end
            else:
                out.append(lines[i])
                i += 1
        for key, value in values.items():
            if key not in ranges:
                out.append(f"{key}: {_emit(value, None, date_style)}".encode() + nl)
        new = data[: parts.block_start] + b"".join(out) + data[parts.block_end :]
    _verify(data, new, values)
    return new


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
