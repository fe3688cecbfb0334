"""Grading typed answers to calc cards, and deciding which notes calc cards belong to.

Grades follow the table cards' speed rule so the two kinds schedule alike: a correct
answer within 15 s proposes 5, a correct answer proposes 4, a correct answer after more
than 60 s proposes 3 (right but not fluent), and a wrong or unreadable answer proposes 1
(the learner saw the material but could not produce it).
"""

from __future__ import annotations

import math
import re
from typing import Any

from studyapp.core.model import GradeResult, ParsedNote, Prompt
from studyapp.core.sizing.units import UnitKind, parse_quantity

__all__ = ["FAST_MS", "SLOW_MS", "calc_note_link", "grade_calc", "parse_yesno"]

FAST_MS = 15_000
SLOW_MS = 60_000

_YES = {"y", "yes", "是", "能", "可以", "行", "fits", "fit", "true", "t", "✓", "对", "ok", "可"}
_NO = {
    "n",
    "no",
    "否",
    "不能",
    "不",
    "不行",
    "不可以",
    "doesn't fit",
    "does not fit",
    "false",
    "f",
    "✗",
    "x",
    "no fit",
}

#: Words that make a note about compression or deployment (so calc cards can link to it).
_KEYWORDS = (
    "量化",
    "部署",
    "剪枝",
    "蒸馏",
    "压缩",
    "显存",
    "推理",
    "kv cache",
    "kv-cache",
    "quantization",
    "quantisation",
    "quantize",
    "pruning",
    "distillation",
    "deployment",
    "int4",
    "int8",
    "fp16",
    "gptq",
    "awq",
    "gguf",
    "vllm",
    "tensor parallel",
    "张量并行",
    "边缘",
    "端侧",
    "tokens/s",
    "吞吐",
)


def parse_yesno(text: str) -> bool | None:
    cleaned = re.sub(r"[\s。.!！]+$", "", text.strip().lower())
    first = re.split(r"[\s(（,，]", cleaned, maxsplit=1)[0]  # "是 (fits)" -> "是"
    for candidate in (cleaned, first):
        if candidate in _YES:
            return True
        if candidate in _NO:
            return False
    return None


def _grade_for(correct: bool, elapsed_ms: int) -> int:
    if not correct:
        return 1
    if elapsed_ms <= FAST_MS:
        return 5
    return 3 if elapsed_ms > SLOW_MS else 4


def _choice_index(prompt: Prompt, response: str) -> int | None:
    text = response.strip()
    if text.isdigit() and 1 <= int(text) <= len(prompt.options):
        return int(text) - 1
    if len(text) == 1 and text.upper() in "ABCDEFGH"[: len(prompt.options)]:
        return "ABCDEFGH".index(text.upper())
    for i, option in enumerate(prompt.options):
        if text and text == option:
            return i
    return None


def grade_calc(prompt: Prompt, response: str, elapsed_ms: int) -> GradeResult:
    """Grade against the engine's value: numbers within the template's relative tolerance."""
    data: dict[str, Any] = prompt.data
    if prompt.answer_mode == "yesno":
        said = parse_yesno(response)
        if said is None:
            return GradeResult(False, 1, prompt.expected, "answer 是/否 (yes/no)")
        ok = said == bool(data["value"])
        return GradeResult(
            ok, _grade_for(ok, elapsed_ms), prompt.expected, "" if ok else "see the working"
        )
    if prompt.answer_mode == "choice":
        index = _choice_index(prompt, response)
        if index is None:
            return GradeResult(False, 1, prompt.expected, f"answer 1-{len(prompt.options)}")
        ok = index == prompt.correct_option
        return GradeResult(ok, _grade_for(ok, elapsed_ms), prompt.expected)
    kind: UnitKind = data["unit_kind"]
    unit = data.get("unit")
    default = unit if kind in {"bytes", "joules", "seconds"} else None
    try:
        given = parse_quantity(response, kind, default)
    except ValueError as exc:
        return GradeResult(False, 1, prompt.expected, f"could not read an answer: {exc}")
    expected = float(data["value"])
    tol = float(data["tolerance"])
    if tol == 0.0:
        ok = math.isclose(given, expected)
        feedback = ""
    else:
        error = abs(given - expected) / abs(expected)
        ok = error <= tol
        feedback = f"off by {error:.1%} (tolerance ±{tol:.0%})"
    return GradeResult(ok, _grade_for(ok, elapsed_ms), prompt.expected, "" if ok else feedback)


def calc_note_link(parsed: ParsedNote) -> bool:
    """Whether a note is about compression or deployment (tags, title or body keywords)."""
    haystack = " ".join((*parsed.meta.tags, parsed.title, parsed.body)).lower()
    return any(keyword in haystack for keyword in _KEYWORDS)
