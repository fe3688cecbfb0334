"""Auto-grading of quiz answers: text normalisation, number/range comparison, grade mapping.

Table quizzes are graded by the machine and the grade goes straight into SM-2, so
a false positive ("1-2%" accepted for "3-5%") silently teaches the wrong fact.  Every
rule here therefore errs on the side of rejecting: a typed answer is accepted only
when it says the same thing as the cell, with small, explicit allowances for how
people type (full-width characters, punctuation, "3~5" for "3-5", omitting the unit
or the comment after a number, listing items in another order).

Nothing here reads a clock: elapsed time is a parameter.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "DEFAULT_POLICY",
    "GradingPolicy",
    "answers_match",
    "auto_grade",
    "key_tokens",
    "normalize",
    "parse_numbers",
]

# Markdown emphasis/code markers: typed answers do not carry formatting.
_MARKUP_CHARS = frozenset("*_`")
# Characters of Unicode category P* that still carry meaning in an answer ("5%" != "5").
_KEPT_PUNCT = frozenset("%")
_SPACE_RE = re.compile(r"\s+")


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def normalize(text: str) -> str:
    """Reduce an answer to what matters for comparing typed text.

    NFKC folds full-width forms (``ＩＮＴ４`` → ``INT4``, ``～`` → ``~``), casefold
    ignores case, and every punctuation character (ASCII and CJK: ``，。、；：！？（）【】
    《》“”‘’-`` …) becomes a space, as do Markdown emphasis markers.  Whitespace is then
    folded, and a space survives only between two ASCII letters/digits, because in
    CJK text spacing is insignificant (``INT4 量化`` == ``INT4量化``) while in
    ``deep learning`` it is not.  ``%`` is kept (``5%`` and ``5`` are different
    strings; :func:`answers_match` decides when a missing unit is acceptable).

    Dropping punctuation can make different numbers look alike (``3-5`` and ``3 5``);
    :func:`answers_match` therefore also compares the numbers themselves.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    chars: list[str] = []
    for ch in folded:
        if ch in _MARKUP_CHARS or (
            unicodedata.category(ch).startswith("P") and ch not in _KEPT_PUNCT
        ):
            chars.append(" ")
        else:
            chars.append(ch)
    collapsed = _SPACE_RE.sub(" ", "".join(chars)).strip()
    out: list[str] = []
    for i, ch in enumerate(collapsed):
        if ch == " " and not (
            _is_ascii_alnum(collapsed[i - 1]) and _is_ascii_alnum(collapsed[i + 1])
        ):
            continue
        out.append(ch)
    return "".join(out)


# A number: thousands groups or plain digits, optional decimals.
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SEP = r"\s*(?:-|–|—|~|〜|to|到|至)\s*"
# A unit glued to (or one space after) a number: %, ×, or a short Latin word (GB, ms, W).
_UNIT = r"\s?(?:%|×|[a-z]{1,4}(?![a-z]))"
_NUMBER_RE = re.compile(
    # Not part of an identifier: INT4, FP16, A100, P99, GPT-3, LLaMA-3-70B, v1.5.
    r"(?<![a-z0-9.])(?<![a-z]-)(?<![0-9]-)"
    rf"(?P<cmp><=|>=|<|>|≤|≥)?\s*(?P<a>{_NUM})"
    rf"(?:(?P<u1>{_UNIT})?{_SEP}(?P<b>{_NUM}))?"
    rf"(?P<unit>{_UNIT})?"
)
# "10x", "10 X", "10倍" all mean "10×".
_TIMES_RE = re.compile(r"(\d)\s*(?:x|倍)(?![a-z])")


@dataclass(frozen=True)
class _Quantity:
    low: float
    high: float
    unit: str  # "" when none was written


def _prepare(text: str) -> str:
    """NFKC + casefold + unify the "times" unit, the form numbers are parsed from."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _TIMES_RE.sub(r"\1×", folded)


def _to_float(raw: str) -> float:
    return float(raw.replace(",", ""))


def _quantities_and_rest(text: str) -> tuple[list[_Quantity], str]:
    """The quantities of ``text`` and the text with their spans (units included) removed."""
    prepared = _prepare(text)
    found: list[_Quantity] = []
    rest: list[str] = []
    pos = 0
    for m in _NUMBER_RE.finditer(prepared):
        a = _to_float(m["a"])
        b = _to_float(m["b"]) if m["b"] else a
        unit = (m["unit"] or m["u1"] or "").strip()
        cmp = m["cmp"]
        if cmp in ("<", "<=", "≤"):
            found.append(_Quantity(-math.inf, a, unit))
        elif cmp in (">", ">=", "≥"):
            found.append(_Quantity(a, math.inf, unit))
        else:
            found.append(_Quantity(min(a, b), max(a, b), unit))
        rest.append(prepared[pos : m.start()])
        rest.append(" ")
        pos = m.end()
    rest.append(prepared[pos:])
    return found, "".join(rest)


def parse_numbers(text: str) -> list[tuple[float, float]]:
    """Numbers and ranges in reading order, each as ``(low, high)``.

    ``"3-5%"`` → ``[(3, 5)]``; ``"3~5 %"``, ``"3到5%"``, ``"3%-5%"`` give the same;
    ``"10-100×"`` → ``[(10, 100)]``; a single number ``7`` → ``(7, 7)``; ``"<8GB"`` →
    ``(-inf, 8)`` and ``">200W"`` → ``(200, inf)``, so a bound never equals a value.
    Digits glued to letters are names, not quantities (``INT4``, ``P99``, ``A100``,
    ``GPT-3``), and Chinese numerals are not parsed.
    """
    return [(q.low, q.high) for q in _quantities_and_rest(text)[0]]


def _quantities_agree(expected: list[_Quantity], response: list[_Quantity]) -> bool:
    """Same values pairwise; the response may omit a unit but not write another one."""
    return len(expected) == len(response) and all(
        math.isclose(e.low, r.low)
        and math.isclose(e.high, r.high)
        and (not r.unit or r.unit == e.unit)
        for e, r in zip(expected, response, strict=True)
    )


def _by_value(quantities: list[_Quantity]) -> list[_Quantity]:
    return sorted(quantities, key=lambda q: (q.low, q.high))


def key_tokens(text: str) -> list[str]:
    """The items of a list-like cell: ``"存储、内存、算力、功耗"`` → four tokens.

    Tokens are the pieces between punctuation and whitespace after NFKC/casefold,
    with quantities removed (they are compared as numbers).  Used by the
    containment rule of :func:`answers_match`.
    """
    _, rest = _quantities_and_rest(text)
    spaced = "".join(
        " "
        if ch in _MARKUP_CHARS
        or (unicodedata.category(ch).startswith("P") and ch not in _KEPT_PUNCT)
        else ch
        for ch in rest
    )
    return [t for t in spaced.split() if t != "%"]


#: The containment rule accepts a response at most this many times the expected length,
#: so pasting a whole paragraph that happens to contain the items is not "correct".
CONTAINMENT_MAX_RATIO = 2.0


def answers_match(expected: str, response: str) -> bool:
    """Whether a typed ``response`` states the ``expected`` cell.

    Accepted, and only these (numbers must always agree as numbers; a response may
    leave out a unit, never write a different one):

    1. **Equal after** :func:`normalize` (full-width, case, punctuation, spacing),
       with the same numbers in the same order.
    2. **Same numbers**, the response's non-numeric remainder equal to the expected
       one (``"3到5 %"`` for ``"3-5%"``, ``"8 GB"`` for ``"8GB"``) or, when the
       expected cell holds exactly one number or range, empty: the number is the
       fact and the rest a comment (``"3-5"`` for ``"3-5% 损失可接受"``).  With several
       numbers the words say which is which, so they are required.  A bound is not a
       value (``"8GB"`` vs ``"<8GB"``), ``"1-2%"`` never matches ``"3-5%"``.
    3. **Containment** for list-like cells (two or more items): every item of the
       expected cell appears in the response, in any order, the numbers agree as a
       multiset, and the response is at most ``CONTAINMENT_MAX_RATIO`` times as long
       (``"内存，存储，功耗，算力"`` for ``"存储、内存、算力、功耗"``).

    An empty response never matches.
    """
    norm_response = normalize(response)
    if not norm_response:
        return False
    exp_q, exp_rest = _quantities_and_rest(expected)
    resp_q, resp_rest = _quantities_and_rest(response)
    in_order = _quantities_agree(exp_q, resp_q)
    if in_order and normalize(expected) == norm_response:
        return True
    if in_order and exp_q:
        rest_r = normalize(resp_rest)
        if rest_r == normalize(exp_rest) or (not rest_r and len(exp_q) == 1):
            return True
    tokens = key_tokens(expected)
    if len(tokens) < 2 or not _quantities_agree(_by_value(exp_q), _by_value(resp_q)):
        return False
    if len(norm_response) > CONTAINMENT_MAX_RATIO * len(normalize(expected)):
        return False
    haystack = normalize(resp_rest)
    return all(normalize(t) in haystack for t in tokens)


@dataclass(frozen=True)
class GradingPolicy:
    """Thresholds that turn "correct + how long it took" into an SM-2 grade.

    ``fast_ms`` (8 s): reading a cell-sized question and picking or typing an answer
    within it means the fact is known fluently.  ``slow_ms`` (30 s): beyond this the
    answer was reconstructed rather than recalled, which SM-2 should see as a harder
    success.  Both are user-configurable; ``fast_ms <= slow_ms`` is required.
    """

    fast_ms: int = 8000
    slow_ms: int = 30000

    def __post_init__(self) -> None:
        if self.fast_ms < 0 or self.slow_ms < self.fast_ms:
            raise ValueError(
                f"need 0 <= fast_ms <= slow_ms, got fast_ms={self.fast_ms}, slow_ms={self.slow_ms}"
            )


DEFAULT_POLICY = GradingPolicy()


def auto_grade(
    correct: bool,
    elapsed_ms: int,
    hinted: bool = False,
    policy: GradingPolicy = DEFAULT_POLICY,
) -> int:
    """Proposed SM-2 grade (the user may override it).

    wrong → 1 (not 0: the user did attempt an answer, and 1 vs 0 both reset the
    interval); correct after a hint or at/after ``slow_ms`` → 3; correct within
    ``fast_ms`` (inclusive) → 5; any other correct answer → 4.  A negative elapsed
    time (clock adjusted mid-review) counts as 0.
    """
    if not correct:
        return 1
    elapsed = max(elapsed_ms, 0)
    if hinted or elapsed >= policy.slow_ms:
        return 3
    if elapsed <= policy.fast_ms:
        return 5
    return 4
