"""Line breaking for Chinese text mixed with English: at any CJK character, never in a word.

Textual wraps at whitespace only, so a Chinese sentence without spaces is one
"word": it is pushed whole to the next line (leaving the previous one half empty)
and then folded at the width, wherever that falls, including inside an English
word ("量化到IN / T4").  This replaces the chunking regex of Textual's wrapper so
each CJK character is a chunk of its own (a line may break before or after it),
closing punctuation stays with the character before it and opening punctuation
with the one after (no line starts with "，" or ends with "（"), and a run of
Latin letters and digits stays one chunk, folded only if longer than a line.

It patches private modules (``rich._wrap.re_word``, which Textual's ``Content`` and
Rich's ``Text`` wrap with, and ``textual._wrap.re_chunk`` for text areas; both read
at every call), so :func:`install` checks that the hooks are still there and
``tests/tui/test_cjk_wrap.py`` pins the behaviour: a Textual upgrade that moves it
fails that test instead of silently wrapping badly again.
"""

from __future__ import annotations

import re

__all__ = ["CJK_CHUNK", "CJK_WORD", "install"]

_CJK = "\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CLOSE = "，。、；：？！）」』】》〉”’…％,.;:?!)\\]%"
_OPEN = "（「『【《〈“‘"
_FULLWIDTH = "\u3000-\u303f\uff00-\uffef"

_WORD = (
    rf"[{_OPEN}]*[{_CJK}{_FULLWIDTH}][{_CLOSE}]*"
    rf"|[^\s{_CJK}{_FULLWIDTH}{_OPEN}]+[{_CLOSE}]*"
    rf"|[{_OPEN}]+"
)

#: A CJK character (with the punctuation that must stay next to it), or a run of
#: anything else up to whitespace or CJK; with its trailing spaces (Textual's form,
#: which also yields whitespace alone) ...
CJK_CHUNK = re.compile(rf"(?:{_WORD})\s*|\s+")
#: ... and Rich's form (leading spaces included), used by Content and Text wrapping.
CJK_WORD = re.compile(rf"\s*(?:{_WORD})\s*")


def install() -> bool:
    """Use these patterns for Rich's and Textual's wrapping; ``False`` if a hook is gone."""
    try:
        from rich import _wrap as rich_wrap
        from textual import _wrap as textual_wrap
    except ImportError:  # pragma: no cover - a version without the modules
        return False
    hooks = ((rich_wrap, "re_word", CJK_WORD), (textual_wrap, "re_chunk", CJK_CHUNK))
    if not all(isinstance(getattr(m, name, None), re.Pattern) for m, name, _ in hooks):
        return False
    for module, name, pattern in hooks:
        setattr(module, name, pattern)
    return True
