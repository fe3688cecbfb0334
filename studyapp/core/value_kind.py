"""What kind of value a table cell states, so distractors can be of the same kind.

A multiple-choice question teaches only when the wrong options are plausible: asked
for a bpw, ``16.06 GB`` is obviously wrong because it is a size; asked for a
compression ratio, ``非常常用`` is obviously wrong because it is not a number.  So
every option of a question must share the answer's :class:`ValueKind`:

* ``percent`` — a value that starts with a percentage (``3-5% 损失可接受``);
* ``ratio`` — a multiple or fraction (``10-100×``, ``约 1/2``, ``2:4``);
* ``number`` — a number with its *unit class* (``bytes`` for GB/GiB/KiB, ``bits`` for
  bpw, ``time``, ``tokens_rate``, ``bandwidth``, ``power``, ``params`` for 7B/1.3B,
  ``count`` for a bare number, else the unit itself);
* ``model`` — a model name (``Llama-3-8B``, ``Phi-3-mini``);
* ``text`` — anything else, including prose that mentions numbers
  (``激进（10-100× 压缩）``): what decides is how the value *starts*, because that is
  what a reader takes in first.

Also here: :func:`looks_alike` (two options a reader would take for the same one)
and :func:`gives_away` (the question's row label or column header already states the
answer, e.g. header ``教师 Llama-3-70B`` for ``70,553,706,496``).  Pure functions,
no state: the card generator and the tests use the same definitions.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from studyapp.core.grading import normalize

__all__ = [
    "ValueKind",
    "classify",
    "gives_away",
    "header_names_unit",
    "kind_of",
    "looks_alike",
    "numbers_of",
    "option_problems",
    "skeleton",
    "skeleton_of_norm",
    "unit_of",
]


@dataclass(frozen=True)
class ValueKind:
    """``tag`` is one of percent, ratio, number, model, text; ``unit`` refines number."""

    tag: str
    unit: str = ""

    def __str__(self) -> str:
        return f"{self.tag}:{self.unit}" if self.unit else self.tag


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# A value that starts with a number (after an optional "about"/comparison prefix and a
# currency sign), possibly a range, and what follows it.
_LEADING_NUMBER_RE = re.compile(
    r"^(?:约|大约|约为|≈|~|<=|>=|<|>|≤|≥)?\s*[$¥€]?\s*"
    rf"(?P<a>{_NUM})(?:/(?:{_NUM}))*(?:\s*(?:[a-z%×]{{0,4}})\s*(?:-|–|—|~|到|至)\s*(?P<b>{_NUM}))?"
    r"(?P<rest>.*)$",
    re.S,
)
# "约 1/2", "2:4" — but not a list of sizes such as "4/8/16 GB".
_FRACTION_RE = re.compile(rf"^(?:约|≈|~)?\s*(?:{_NUM})\s*[/:：]\s*(?:{_NUM})(?![\d./])(?!\s*[a-z])")
_UNIT_RE = re.compile(r"^\s*([a-z]+(?:/[a-z]+)?|[^\s\d（(，,、;；。]{1,2})")

_UNIT_CLASSES: dict[str, str] = {
    **dict.fromkeys(("b", "m", "k", "t"), "params"),  # 7b, 1.3b, 39m: parameter counts
    **dict.fromkeys(("kb", "mb", "gb", "tb", "kib", "mib", "gib", "tib", "bytes", "byte"), "bytes"),
    **dict.fromkeys(("bpw", "bit", "bits"), "bits"),
    **dict.fromkeys(("ms", "s", "us", "µs", "ns", "秒", "毫秒", "min", "h"), "time"),
    **dict.fromkeys(("tokens/s", "tok/s", "token/s", "req/s"), "tokens_rate"),
    **dict.fromkeys(("gb/s", "tb/s", "mb/s"), "bandwidth"),
    **dict.fromkeys(("w", "kw", "mw", "瓦"), "power"),
    **dict.fromkeys(("tflops", "tops", "flops", "gflops"), "compute"),
}
_MODEL_FAMILIES = (
    "llama",
    "qwen",
    "mistral",
    "mixtral",
    "phi",
    "gemma",
    "gpt",
    "whisper",
    "deepseek",
    "bert",
    "bloom",
    "falcon",
    "palm",
    "chatglm",
    "glm",
    "baichuan",
    "vicuna",
    "opt-",
    "t5",
    "yi-",
    "claude",
)
_MODEL_SHAPE_RE = re.compile(r"^[a-z][a-z0-9.]*[-_][a-z0-9.]+(?:[-_][a-z0-9.]+)*$")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip().strip("*_`").strip()


def classify(value: str) -> ValueKind:
    """The :class:`ValueKind` of a cell (see the module docstring for the kinds)."""
    text = _fold(value)
    if _FRACTION_RE.match(text):
        return ValueKind("ratio")
    m = _LEADING_NUMBER_RE.match(text)
    if m is not None:
        rest = m["rest"]
        stripped = rest.lstrip()
        if stripped.startswith("%"):
            return ValueKind("percent")
        if stripped.startswith(("×", "倍")) or re.match(r"x(?![a-z])", stripped):
            return ValueKind("ratio")
        if not stripped or stripped[0] in "（(，,、;；。":
            return ValueKind("number", "count")
        unit = _UNIT_RE.match(rest)
        if unit is not None:
            word = unit.group(1)
            glued = not rest.startswith(" ")
            if word in ("b", "m", "k", "t") and not glued:
                word = "bytes" if word == "b" else word  # "8 B" is bytes, "8B" parameters
            return ValueKind("number", _UNIT_CLASSES.get(word, word))
        return ValueKind("number", "count")
    first = re.split(r"[\s、，,;；/（(]", text, maxsplit=1)[0]
    if first.startswith(_MODEL_FAMILIES) or (
        _MODEL_SHAPE_RE.match(first) and re.search(r"\d", first) and re.search(r"[a-z]{3}", first)
    ):
        return ValueKind("model")
    return ValueKind("text")


#: Card generation compares each cell with most others of its table (pools, side
#: columns): the per-string work below is memoised.  Pure functions of their strings.
_MEMO = 8192


# Everything but what str.isalnum() accepts and "%": CPython's Unicode \w is exactly
# isalnum() plus "_", so one substitution replaces a per-character generator.
_NOT_SKELETON_RE = re.compile(r"[^\w%]|_")


@functools.lru_cache(maxsize=_MEMO)
def _skeleton(text: str) -> str:
    """Letters, digits and CJK only: what is left when formatting is ignored."""
    return _NOT_SKELETON_RE.sub("", normalize(text))


def skeleton_of_norm(norm: str) -> str:
    """:func:`skeleton` of a string from its :func:`~studyapp.core.grading.normalize`
    (for a caller that already has it)."""
    return _NOT_SKELETON_RE.sub("", norm)


_NUMBERS_RE = re.compile(_NUM)


@functools.lru_cache(maxsize=_MEMO)
def _numbers(text: str) -> tuple[float, ...]:
    return tuple(float(n.replace(",", "")) for n in _NUMBERS_RE.findall(_fold(text)))


@functools.lru_cache(maxsize=_MEMO)
def _kind(value: str) -> ValueKind:
    return classify(value)


def kind_of(value: str) -> ValueKind:
    """:func:`classify`, memoised (card generation classifies every cell)."""
    return _kind(value)


def skeleton(text: str) -> str:
    """What :func:`looks_alike` compares of a string first (letters, digits, CJK, ``%``)."""
    return _skeleton(text)


def numbers_of(text: str) -> tuple[float, ...]:
    """The numbers :func:`looks_alike` compares of a string (in reading order)."""
    return _numbers(text)


def looks_alike(a: str, b: str) -> bool:
    """Whether a reader would take the two options for the same one.

    Equal once formatting is dropped (``**INT8**`` / ``INT8``), one inside the other
    (``1 张`` / ``实际需 1 张``), or the same numbers with the same kind
    (``≈4.0039 bpw`` / ``4.0039 bpw``).  Symmetric, so memoised once per pair: a table's
    pools ask it of (B, A) for A's answer and of (A, B) for B's.
    """
    return _looks_alike(a, b) if a <= b else _looks_alike(b, a)


@functools.lru_cache(maxsize=4 * _MEMO)
def _looks_alike(a: str, b: str) -> bool:
    """:func:`looks_alike` of ``a <= b``."""
    sa, sb = _skeleton(a), _skeleton(b)
    if not sa or not sb:
        return sa == sb
    if sa == sb:
        return True
    short, long_ = sorted((sa, sb), key=len)
    # Digits inside other digits are different numbers ("16" in "1606gb"), not a look-alike.
    if len(short) >= 2 and not short.isdigit() and short in long_:
        return True
    na, nb = _numbers(a), _numbers(b)
    return bool(na) and na == nb and _kind(a) == _kind(b)


_SIZED_RE = re.compile(rf"(?P<n>{_NUM})\s*(?P<s>[kmbt])(?![a-z])")
_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


def gives_away(
    answer: str, question_parts: Iterable[str], *, answer_skeleton: str | None = None
) -> bool:
    """Whether the row label or column header already states ``answer``.

    True when the answer (without formatting) is written in a part, or when a part
    names a magnitude (``70B``) within 15 % of the answer's leading number
    (``70,553,706,496``): a reader then picks the option by its size alone.
    ``answer_skeleton``: the answer's :func:`skeleton`, where the caller has it.
    """
    sk = _skeleton(answer) if answer_skeleton is None else answer_skeleton
    first: tuple[float, ...] | None = None  # the answer's leading number, once a part has a size
    folded_answer = ""
    for part in question_parts:
        if sk and len(sk) >= 2 and sk in _skeleton(part):
            return True
        sizes = _sizes(part)
        if not sizes:
            continue
        if first is None:
            first = _numbers(answer)[:1]
            folded_answer = _fold(answer).replace(" ", "")
        if not first:
            continue
        for size, scale in sizes:
            value = first[0]
            if scale in folded_answer:  # answer written in the same scale
                value *= _SCALE[scale]
            if size and abs(value - size) <= 0.15 * size:
                return True
    return False


@functools.lru_cache(maxsize=_MEMO)
def _sizes(part: str) -> tuple[tuple[float, str], ...]:
    """The magnitudes a question part names (``70B`` -> ``(7e10, "b")``), in order.

    Memoised: a table asks it of the same row label and column header for every cell.
    """
    return tuple(
        (float(m["n"].replace(",", "")) * _SCALE[m["s"]], m["s"])
        for m in _SIZED_RE.finditer(_fold(part))
    )


def unit_of(value: str) -> str:
    """The unit written after a value's leading number (``16.06 GB`` → ``gb``), else ""."""
    m = _LEADING_NUMBER_RE.match(_fold(value))
    if m is None:
        return ""
    unit = re.match(r"\s*([a-z]+(?:/[a-z]+)?)", m["rest"])
    return unit.group(1) if unit else ""


def header_names_unit(value: str, header: str) -> bool:
    """Whether ``header`` spells the value's unit (``大小（GB）`` for ``16.06 GB``).

    Asking which column holds ``16.06 GB`` between ``大小（GB）`` and ``大小（GiB）`` is
    then a reading exercise, not recall.
    """
    unit = unit_of(value)
    return (
        bool(unit)
        and re.search(rf"(?<![a-z]){re.escape(unit)}(?![a-z])", _fold(header)) is not None
    )


def option_problems(
    answer: str, options: Sequence[str], question_parts: Sequence[str] = ()
) -> list[str]:
    """Why a choice question would not teach (empty when it is fine).

    Every option must be of the answer's kind, no two options may look alike, and
    the question may not give the answer away.  Used by the card generator's tests
    over every card of the bundled notes and the seed.
    """
    problems: list[str] = []
    kind = classify(answer)
    for option in options:
        if option != answer and classify(option) != kind:
            problems.append(f"{option!r} is {classify(option)}, the answer {answer!r} is {kind}")
    for i, a in enumerate(options):
        for b in options[i + 1 :]:
            if looks_alike(a, b):
                problems.append(f"{a!r} and {b!r} look alike")
    if gives_away(answer, question_parts):
        problems.append(f"the question {list(question_parts)!r} gives {answer!r} away")
    return problems
