"""The event log's line format: event types, encoding, validated decoding.

Pure, no I/O, no clock.  :mod:`studyapp.core.events` replays what this module decodes
(and re-exports every name here, so callers keep ``from studyapp.core import events``).
A line is compact JSON, UTF-8, newline-terminated; :func:`decode` checks every field a
replay reads, because a log file is shared through git or Syncthing and may hold
anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

__all__ = [
    "ANSWER",
    "BURY",
    "MOVE",
    "RESET",
    "SETTING",
    "SUSPEND",
    "TYPES",
    "UNDO",
    "CardKey",
    "EventFormatError",
    "decode",
    "encode",
    "event_id",
    "parse_lines",
    "parse_lines_raw",
    "sort_key",
]

ANSWER, UNDO, BURY, SUSPEND, RESET, SETTING = (
    "answer",
    "undo",
    "bury",
    "suspend",
    "reset",
    "setting",
)
#: A note renamed (the import's move detection): earlier events name the old path.
MOVE = "move"
TYPES = frozenset({ANSWER, UNDO, BURY, SUSPEND, RESET, SETTING, MOVE})

#: ``(note path or None, kind, anchor)``: resolvable on every machine.
CardKey = tuple[str | None, str, str]


class EventFormatError(ValueError):
    """A log line that is not a valid event (reported, skipped, never fatal)."""


def event_id(device: str, counter: int) -> str:
    return f"{device}-{counter}"


def sort_key(event: Mapping[str, Any]) -> tuple[str, str, int]:
    """Timestamp order; ties by event id (device, then its counter as a number)."""
    return (str(event["ts"]), str(event["dev"]), int(event["n"]))


#: ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` builds this encoder
#: anew on every call; one line per answer is encoded, so it is built once.
_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode(event: Mapping[str, Any]) -> bytes:
    """One line: compact JSON, UTF-8 (note paths are often Chinese), newline-terminated."""
    return (_LINE_ENCODER.encode(event) + "\n").encode("utf-8")


#: The one time stamp form: ``sort_key`` compares time stamps as text, so every device
#: must write them alike (UTC, naive, microseconds).
_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}")
_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_CARD_EVENTS = frozenset({ANSWER, BURY, SUSPEND})
#: Answer days that passed the checks (only ``str`` values are ever added).
_GOOD_DAYS: set[str] = set()


def decode(line: bytes | str) -> dict[str, Any]:
    """Parse and validate one line; raises :class:`EventFormatError`.

    Written for 100,000 lines a rebuild: plain type checks, compiled patterns.
    """
    try:
        event = json.loads(line)
    except ValueError as exc:
        raise EventFormatError(f"not JSON ({exc})") from None
    if type(event) is not dict:
        raise EventFormatError("not a JSON object")
    get = event.get
    dev, n, ts, kind = get("dev"), get("n"), get("ts"), get("type")
    if type(dev) is not str or type(n) is not int or type(ts) is not str:
        raise EventFormatError("missing or wrong 'dev', 'n' or 'ts'")
    if kind not in TYPES:
        raise EventFormatError(f"unknown type {kind!r}")
    if get("id") != f"{dev}-{n}":
        raise EventFormatError("id is not device-counter")
    if not _TS.fullmatch(ts):
        raise EventFormatError(f"bad ts {ts!r}")
    if kind == MOVE and not (type(get("from")) is str and type(get("to")) is str):
        raise EventFormatError("move without from/to")
    if kind in _CARD_EVENTS and not (type(get("kind")) is str and type(get("anchor")) is str):
        raise EventFormatError("card event without kind/anchor")
    if kind == ANSWER:
        grade = get("grade")
        if type(grade) is not int or not 0 <= grade <= 5:
            raise EventFormatError(f"bad grade {grade!r}")
        day = get("day")
        # a log has a few hundred distinct days: each is checked once
        if type(day) is not str or day not in _GOOD_DAYS:
            if type(day) is not str or not _DAY.fullmatch(day):
                raise EventFormatError(f"bad day {day!r}")
            try:
                date.fromisoformat(day)
            except ValueError:
                raise EventFormatError(f"bad day {day!r}") from None
            if len(_GOOD_DAYS) > 100_000:
                _GOOD_DAYS.clear()
            _GOOD_DAYS.add(day)
    return event


def parse_lines(data: bytes) -> tuple[list[dict[str, Any]], list[str], int]:
    """Events of a log file's bytes (see :func:`parse_lines_raw`)."""
    pairs, errors, end = parse_lines_raw(data)
    return [event for event, _line in pairs], errors, end


def parse_lines_raw(
    data: bytes,
) -> tuple[list[tuple[dict[str, Any], bytes]], list[str], int]:
    """Events of a log file's bytes, errors as ``line N: problem``, bytes consumed.

    A last line without its newline is a torn append (the writer crashed or the sync
    tool copied the file mid-write): it is not consumed, so the next read retries it.
    """
    events: list[tuple[dict[str, Any], bytes]] = []
    errors: list[str] = []
    end = data.rfind(b"\n") + 1
    for number, line in enumerate(data[:end].splitlines(), 1):
        if not line.strip():
            continue
        try:
            events.append((decode(line), line))
        except EventFormatError as exc:
            errors.append(f"line {number}: {exc}")
    return events, errors, end
