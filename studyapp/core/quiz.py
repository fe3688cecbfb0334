"""One entry point to present and grade any card, whatever its kind.

The CLI and the TUI call :func:`make_prompt` and :func:`grade_response` and never
branch on card kinds for logic (only for layout).  A prompt is a pure function of the
card payload and a seed, and the seed is stored in the review log, so every review
can be replayed exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studyapp.core.grading import GradingPolicy
from studyapp.core.model import CardKind, GradeResult, Prompt
from studyapp.core.sizing.calc_cards import calc_prompt, grade_calc
from studyapp.core.table_prompts import grade_table, table_prompt

__all__ = ["grade_response", "is_self_graded", "make_prompt"]


def make_prompt(
    kind: CardKind | str,
    payload: Mapping[str, Any],
    seed: int,
    *,
    context: str = "",
    typed: bool = False,
) -> Prompt:
    """Build the presentation of a card for one review."""
    if kind == "note":
        return Prompt(
            kind="note",
            question=str(payload.get("question", "")),
            answer_mode="self",
            expected=str(payload.get("answer_markdown", "")),
            expected_is_markdown=True,
            seed=seed,
            context=context,
        )
    if kind == "table":
        prompt = table_prompt(payload, seed, typed=typed)
    elif kind == "calc":
        prompt = calc_prompt(str(payload["template"]), seed)
    else:
        raise ValueError(f"unknown card kind {kind!r}")
    if context and not prompt.context:
        from dataclasses import replace

        prompt = replace(prompt, context=context)
    return prompt


def is_self_graded(prompt: Prompt) -> bool:
    """Note cards are graded by the user; table and calc cards are auto-graded."""
    return prompt.answer_mode == "self"


def grade_response(
    prompt: Prompt,
    response: str,
    elapsed_ms: int,
    *,
    hinted: bool = False,
    policy: GradingPolicy | None = None,
) -> GradeResult | None:
    """Auto-grade a response; ``None`` for self-graded cards."""
    if prompt.kind == "note":
        return None
    if prompt.kind == "table":
        return grade_table(
            prompt, response, elapsed_ms, hinted=hinted, policy=policy or GradingPolicy()
        )
    return grade_calc(prompt, response, elapsed_ms)
