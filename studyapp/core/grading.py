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

import functools
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_POLICY",
    "AnswerForm",
    "GradingPolicy",
    "analyse_answer",
    "answers_match",
    "auto_grade",
    "forms_match",
    "key_tokens",
    "normalize",
    "parse_numbers",
]

# Markdown emphasis/code markers: typed answers do not carry formatting.
_MARKUP_CHARS = frozenset("*_`")
# Characters of Unicode category P* that still carry meaning in an answer ("5%" != "5").
_KEPT_PUNCT = frozenset("%")


class _PunctToSpace(dict[int, int]):
    """``str.translate`` table, filled on first sight of each character: punctuation
    (Unicode P*, except ``%``) and Markdown markers become a space, the rest stays."""

    def __missing__(self, code: int) -> int:
        ch = chr(code)
        spaced = ch in _MARKUP_CHARS or (
            unicodedata.category(ch).startswith("P") and ch not in _KEPT_PUNCT
        )
        self[code] = value = 0x20 if spaced else code
        return value


_PUNCT_TO_SPACE = _PunctToSpace()
# A space not between two ASCII letters/digits (the text is already collapsed and stripped).
_LONE_SPACE_RE = re.compile(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])")


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
    # split() breaks at exactly the characters \s matches (str.isspace), so the join
    # is re.sub(r"\s+", " ", ...).strip() without a regex pass; most cells have no space.
    collapsed = " ".join(folded.translate(_PUNCT_TO_SPACE).split())
    return _LONE_SPACE_RE.sub("", collapsed) if " " in collapsed else collapsed


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


def _quantities_agree(expected: Sequence[_Quantity], response: Sequence[_Quantity]) -> bool:
    """Same values pairwise; the response may omit a unit but not write another one."""
    if len(expected) != len(response):
        return False
    for e, r in zip(expected, response, strict=True):
        if not (
            math.isclose(e.low, r.low)
            and math.isclose(e.high, r.high)
            and (not r.unit or r.unit == e.unit)
        ):
            return False
    return True


def _by_value(quantities: Sequence[_Quantity]) -> list[_Quantity]:
    return sorted(quantities, key=lambda q: (q.low, q.high))


def key_tokens(text: str) -> list[str]:
    """The items of a list-like cell: ``"存储、内存、算力、功耗"`` → four tokens.

    Tokens are the pieces between punctuation and whitespace after NFKC/casefold,
    with quantities removed (they are compared as numbers).  Used by the
    containment rule of :func:`answers_match`.
    """
    return _tokens_of_rest(_quantities_and_rest(text)[1])


def _tokens_of_rest(rest: str) -> list[str]:
    return [t for t in rest.translate(_PUNCT_TO_SPACE).split() if t != "%"]


#: The containment rule accepts a response at most this many times the expected length,
#: so pasting a whole paragraph that happens to contain the items is not "correct".
CONTAINMENT_MAX_RATIO = 2.0


class AnswerForm:
    """What :func:`answers_match` reads from one string, each part computed at most once.

    Comparing every pair of cells of a table used to re-parse both strings per pair;
    with one form per cell (:func:`analyse_answer`) a pair costs only the comparisons
    of :func:`forms_match`.  The normalised text and the quantities are computed up
    front (every comparison reads them); the rest only when a rule gets that far.
    """

    __slots__ = ("_by_value", "_rest", "_rest_norm", "_token_norms", "norm", "quantities")

    def __init__(self, text: str) -> None:
        quantities, rest = _quantities_and_rest(text)
        self.norm = normalize(text)
        self.quantities = tuple(quantities)  # in reading order
        self._rest = rest  # the prepared text with the quantities' spans removed
        self._rest_norm: str | None = None
        self._by_value: tuple[_Quantity, ...] | None = None
        self._token_norms: tuple[str, ...] | None = None

    @property
    def rest_norm(self) -> str:
        """:func:`normalize` of the text without its quantities."""
        if self._rest_norm is None:
            self._rest_norm = normalize(self._rest)
        return self._rest_norm

    @property
    def by_value(self) -> tuple[_Quantity, ...]:
        """The quantities sorted by ``(low, high)``."""
        if self._by_value is None:
            self._by_value = tuple(_by_value(self.quantities))
        return self._by_value

    @property
    def token_norms(self) -> tuple[str, ...]:
        """:func:`normalize` of each of :func:`key_tokens` (same length)."""
        if self._token_norms is None:
            self._token_norms = tuple(normalize(t) for t in _tokens_of_rest(self._rest))
        return self._token_norms


@functools.lru_cache(maxsize=16384)
def analyse_answer(text: str) -> AnswerForm:
    """The :class:`AnswerForm` of ``text`` (see :func:`forms_match`).

    Memoised: the import analyses every table cell, and a collection repeats many cells
    across its notes (a third of the 1k corpus's).  A form is a pure function of its
    text (its lazy parts fill in the same way whoever asks first).
    """
    return AnswerForm(text)


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
    return forms_match(analyse_answer(expected), analyse_answer(response))


def forms_match(expected: AnswerForm, response: AnswerForm) -> bool:
    """:func:`answers_match` on pre-analysed strings (same rules, same result)."""
    if not response.norm:
        return False
    exp_q, resp_q = expected.quantities, response.quantities
    if len(exp_q) != len(resp_q):
        return False  # every rule needs the same numbers (in order or as a multiset)
    in_order = _quantities_agree(exp_q, resp_q)
    if in_order and expected.norm == response.norm:
        return True
    if in_order and exp_q:
        rest_r = response.rest_norm
        if rest_r == expected.rest_norm or (not rest_r and len(exp_q) == 1):
            return True
    # With at most one quantity the order by value is the reading order.
    if not (
        in_order if len(exp_q) <= 1 else _quantities_agree(expected.by_value, response.by_value)
    ):
        return False
    if len(expected.token_norms) < 2:
        return False
    if len(response.norm) > CONTAINMENT_MAX_RATIO * len(expected.norm):
        return False
    haystack = response.rest_norm
    return all(t in haystack for t in expected.token_norms)


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
