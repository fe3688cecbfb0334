"""Byte-level frontmatter: split a note and validate its metadata.

Notes are the user's documents, edited in their own editor and synced elsewhere, so the
reader is strict about bytes (BOM, CRLF, non-UTF-8, binary, size limits) and lenient
about values (a wrong type becomes a default plus a one-line warning).  The lossless
rewrite of schedule keys lives in :mod:`studyapp.core.schedule_edit`, the safe YAML
loader in :mod:`studyapp.core.safe_yaml`.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from studyapp.core.atomic import WriteConflict, atomic_write
from studyapp.core.model import Difficulty, NoteError, NoteMeta
from studyapp.core.safe_yaml import YamlProblem, load_mapping, one_line

__all__ = [
    "BOM",
    "MAX_FRONTMATTER_BYTES",
    "MAX_NOTE_BYTES",
    "NoteParts",
    "ScheduleValue",
    "WriteBackError",
    "WriteConflict",
    "atomic_write",
    "frontmatter_lookalike",
    "load_meta",
    "sha256_hex",
    "split_note",
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


_OPEN_WITH_COMMENT = re.compile(rb"---[ \t]+#[^\r\n]*")


def _opening(line: bytes) -> bool:
    """``---`` or ``--- # comment`` (YAML allows a comment after the document marker)."""
    marker = _marker(line)
    return marker == b"---" or _OPEN_WITH_COMMENT.fullmatch(marker) is not None


def frontmatter_lookalike(data: bytes) -> str | None:
    """Why a file without readable frontmatter still *starts* like one, else ``None``.

    Such a file (CR-only line endings, a ``----`` fence, TOML ``+++``, a doubled BOM, an
    unclosed ``---``) holds what its author thinks is a schedule: studyapp reports it and
    never prepends a second block in front of it.
    """
    parts = split_note(data)
    if parts.has_frontmatter:
        return None
    rest = data[len(parts.bom) :]
    first = rest.split(b"\n", 1)[0]
    if rest.startswith(BOM):
        return "doubled byte order mark before the frontmatter"
    if rest.startswith(b"+++"):
        return "TOML (+++) frontmatter is not supported; use YAML between --- lines"
    if rest.startswith(b"---") and b"\r" in first.rstrip(b"\r"):
        return "frontmatter with CR-only line endings; save the note with LF or CRLF"
    if rest.startswith(b"----"):
        return "frontmatter fence is not exactly --- (found ----)"
    if rest.startswith(b"---"):
        return "frontmatter opened with --- but never closed"
    return None


def split_note(data: bytes) -> NoteParts:
    """Locate the frontmatter: a ``---`` line at byte 0 (after an optional BOM) up to the next ``---``/``...`` line.

    An opening line without a closing one is not frontmatter (it is a thematic break).
    """
    bom = BOM if data.startswith(BOM) else b""
    start = len(bom)
    eol = data.find(b"\n", start)
    newline = b"\r\n" if eol > start and data[eol - 1 : eol] == b"\r" else b"\n"
    none = NoteParts(bom, False, newline, start, start, start, b"")
    if eol == -1 or not _opening(data[start:eol]):
        return none
    pos = block_start = eol + 1
    while pos < len(data):
        nl = data.find(b"\n", pos)
        end = len(data) if nl == -1 else nl + 1
        if _marker(data[pos:end]) in (b"---", b"..."):
            return NoteParts(bom, True, newline, block_start, pos, end, data[block_start:pos])
        pos = end
    return none


# ---------------------------------------------------------------- reading


def _check_bytes(rel_path: str, data: bytes) -> None:
    """Reject what is not a text note before YAML or Markdown ever sees it."""
    if len(data) > MAX_NOTE_BYTES:
        size = len(data) / 1024 / 1024
        raise NoteError(rel_path, f"note too large ({size:.1f} MB > 5 MB limit)")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise NoteError(rel_path, "not UTF-8 (UTF-32 byte order mark); save it as UTF-8")
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
    text = one_line(f"'{value}'" if isinstance(value, str) else repr(value))
    return text if len(text) <= 40 else text[:37] + "..."


_DATE_RE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?[ \t]*(?:[Zz]|[+\-]\d{1,2}(?::?\d{2})?)?)?",
    re.ASCII,
)
#: Dates outside these years are typos (``20255-01-01``, ``1900``), not schedules.
MIN_YEAR, MAX_YEAR = 1970, 2100
#: A review count at or above this is not a count of reviews (and would overflow SQLite).
MAX_REVIEW_COUNT = 10**6
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


def _valid_date(m: re.Match[str]) -> date | None:
    """The date of a matched ``YYYY-MM-DD[ HH:MM[:SS]]``, or ``None`` when any field is impossible."""
    try:
        day = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    if m[4] is not None and (int(m[4]) > 23 or int(m[5]) > 59 or int(m[6] or 0) > 60):
        return None
    return day


def _as_date(key: str, value: Any, warnings: list[str]) -> date | None:
    if value is None or value == "":
        return None
    day: date | None = None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str) and (m := _DATE_RE.fullmatch(value.strip())):
        day = _valid_date(m)
    if day is None:
        warnings.append(f"{key}: invalid date {_show(value)}, treated as unset")
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        warnings.append(f"{key}: {day.isoformat()} outside {MIN_YEAR}-{MAX_YEAR}, treated as unset")
        return None
    return day


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
    if number >= MAX_REVIEW_COUNT:
        warnings.append(f"{key}: {_show(value)} is not below {MAX_REVIEW_COUNT}, treated as 0")
        return 0
    return number


def _as_mastery(key: str, value: Any, warnings: list[str]) -> float:
    if value is None:
        return 0.0
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        with contextlib.suppress(OverflowError):  # an int beyond the float range
            number = float(value)
    elif isinstance(value, str):
        with contextlib.suppress(ValueError, OverflowError):
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
        lookalike = frontmatter_lookalike(data)
        warnings = [f"{lookalike}; the schedule is not read from or written to this note"]
        return NoteMeta(has_frontmatter=False), warnings if lookalike else [], parts
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
