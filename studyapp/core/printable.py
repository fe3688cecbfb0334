"""Paths and messages made safe to print on one line.

File names are bytes on Linux: one may hold a newline (a two-line "one-line" message),
an escape sequence (which a terminal would execute) or invalid UTF-8 (which
``os.fsdecode`` turns into lone surrogates that ``print`` and SQLite reject).  Every
path studyapp prints or stores as text goes through :func:`printable`.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
# C0 controls, DEL, C1 controls, line/paragraph separators, lone surrogates, and the
# backslash itself (so an escaped form is never ambiguous with a literal one).
_UNSAFE = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\ud800-\\udfff\\\\]")


def _escape(m: re.Match[str]) -> str:
    char = m[0]
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters, line breaks and undecodable bytes escaped."""
    return _UNSAFE.sub(_escape, text)
