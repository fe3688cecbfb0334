"""Presenting and grading a table card: the direction and options chosen per review.

A table card (:mod:`studyapp.core.table_cards`) stores one fact and its same-kind
distractor pool; which way it is asked (recall the value, name the side or column, pick
the right pairing of a row) and which options are shown is drawn here from the review's
seed, so every presentation shares the card's one schedule.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from studyapp.core.grading import (
    DEFAULT_POLICY,
    GradingPolicy,
    answers_match,
    auto_grade,
    normalize,
)
from studyapp.core.model import GradeResult, Prompt
from studyapp.core.table_cards import MAX_OPTIONS, TYPED_MAX_CHARS
from studyapp.core.value_kind import (
    classify,
)

__all__ = ["grade_table", "needs_distractors", "presentation_of", "table_prompt", "typed_ok"]


def _recall_entries(payload: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """``(presentation, cell entry)`` for each recall presentation of a card."""
    mode = payload.get("mode")
    out: list[tuple[str, Mapping[str, Any]]] = []
    for pres in payload.get("presentations", ()):
        if mode == "row" and str(pres).startswith("recall:"):
            col = int(str(pres).split(":", 1)[1])
            out.extend((str(pres), e) for e in payload.get("cells", ()) if int(e["col"]) == col)
        elif pres == "recall":
            out.append(("recall", payload))
    return out


def typed_ok(payload: Mapping[str, Any]) -> bool:
    """Whether a card has a recall presentation short enough to be typed."""
    return any(len(str(e["cell"])) <= TYPED_MAX_CHARS for _p, e in _recall_entries(payload))


def presentation_of(payload: Mapping[str, Any], seed: int, typed: bool = False) -> str:
    """The presentation a review with ``seed`` uses (see the module docstring).

    Drawn uniformly from the card's presentations; with ``typed`` only from the
    recalls short enough to type (falling back to the choice presentations).
    """
    rng = random.Random(seed)
    presentations = [str(p) for p in payload.get("presentations", ())]
    if typed:
        typable = [p for p, e in _recall_entries(payload) if len(str(e["cell"])) <= TYPED_MAX_CHARS]
        if typable:
            return rng.choice(typable)
    if not presentations:
        raise ValueError("a table card without presentations")
    return rng.choice(presentations)


def needs_distractors(payload: Mapping[str, Any], seed: int, typed: bool = False) -> bool:
    """Whether :func:`table_prompt` with these arguments reads the card's distractors.

    A pair question substitutes same-column distractors; a recall reads them unless it
    is asked typed (``typed`` and short enough); a side question offers other headers.
    The presentation itself never depends on them, so this is known before they are
    derived (:mod:`studyapp.core.table_store`).
    """
    pres = presentation_of(payload, seed, typed)
    if pres == "pair":
        return True
    if pres == "side":
        return False
    ((_p, entry),) = [pe for pe in _recall_entries(payload) if pe[0] == pres]
    return not (typed and len(str(entry["cell"])) <= TYPED_MAX_CHARS)


def _draw(pool: list[str], in_col: int, rng: random.Random) -> list[str]:
    """Up to three distractors: same-column ones first, drawn by the seed."""
    want = min(MAX_OPTIONS - 1, len(pool))
    col, rest = pool[:in_col], pool[in_col:]
    if len(col) >= want:
        return rng.sample(col, want)
    return col + rng.sample(rest, want - len(col))


def table_prompt(payload: Mapping[str, Any], seed: int, typed: bool = False) -> Prompt:
    """One presentation of a table card; the same ``seed`` always gives the same prompt.

    The seed picks the presentation (:func:`presentation_of`) and the distractors
    (same column first), and shuffles the options.  ``typed`` asks a recall
    presentation as typed text when the card has a short enough one.
    """
    pres = presentation_of(payload, seed, typed)
    # A stream of its own for the options, so they do not follow the presentation draw.
    rng = random.Random(f"{seed}/options")
    row_label = str(payload["row_label"])
    context = " / ".join(str(p) for p in payload.get("heading_path", ()))
    data: dict[str, Any] = {
        key: payload[key] for key in ("row", "grid", "sibling_key") if key in payload
    }
    data["presentation"] = pres
    if pres == "pair":
        cells = list(payload["cells"])
        question = f"{row_label}：哪一组对应正确？"
        options, answer = _pair_options(cells, rng)
        data.update(mode="row", col=int(cells[0]["col"]), answer_display=payload["answer_display"])
    elif pres == "side":
        question = f"{row_label}：「{payload['cell']}」属于哪一列?"
        answer = str(payload["column_label"])
        options = [answer, *[str(d) for d in payload.get("side_distractors", ())]]
        data.update(
            mode="side",
            col=int(payload["col"]),
            cell=payload["cell"],
            cell_display=payload["cell_display"],
            answer_display=payload["column_label_display"],
        )
    else:
        ((_p, entry),) = [pe for pe in _recall_entries(payload) if pe[0] == pres]
        column_label = str(entry["column_label"])
        answer = str(entry["cell"])
        question = f"{row_label} — {column_label}?" if column_label else f"{row_label}?"
        data.update(
            mode="cell",
            col=int(entry["col"]),
            cell=entry["cell"],
            cell_display=entry["cell_display"],
            answer_display=entry["cell_display"],
        )
        pool = [str(d) for d in entry.get("distractors", ())]
        if (typed or not pool) and len(answer) <= TYPED_MAX_CHARS:
            return Prompt(
                kind="table",
                question=question,
                answer_mode="typed",
                expected=answer,
                seed=seed,
                context=context,
                data=data,
            )
        options = [answer, *_draw(pool, int(entry.get("column_distractors", 0)), rng)]
    rng.shuffle(options)
    return Prompt(
        kind="table",
        question=question,
        answer_mode="choice",
        expected=answer,
        seed=seed,
        context=context,
        options=tuple(options),
        correct_option=options.index(answer),
        data=data,
    )


def _pair_text(labels: tuple[str, str], values: tuple[str, str]) -> str:
    return f"{labels[0]}: {values[0]} ／ {labels[1]}: {values[1]}"


def _pair_options(cells: list[Mapping[str, Any]], rng: random.Random) -> tuple[list[str], str]:
    """The right assignment, the swapped one (same kinds only) and one-side substitutions.

    A substitution replaces one side's value with a same-column distractor, so every
    option pairs values of the answer's kinds in the answer's order.
    """
    a, b = cells
    labels = (str(a["column_label"]), str(b["column_label"]))
    right = (str(a["cell"]), str(b["cell"]))
    answer = _pair_text(labels, right)
    options = [answer]
    if classify(right[0]) == classify(right[1]):
        options.append(_pair_text(labels, (right[1], right[0])))
    subs: list[str] = []
    for i, entry in enumerate((a, b)):
        in_col = [str(d) for d in entry["distractors"][: int(entry["column_distractors"])]]
        for d in in_col:
            values = (d, right[1]) if i == 0 else (right[0], d)
            subs.append(_pair_text(labels, values))
    rng.shuffle(subs)
    options.extend(subs[: MAX_OPTIONS - len(options)])
    return options, answer


_CHOICE_KEY_RE = re.compile(r"\(?([0-9]+|[a-z])[.)、]?")


def _choice_index(options: tuple[str, ...], response: str) -> int | None:
    """Which option a response names: its number (1-based), letter, or text.

    A bare number or letter in range is always a position, because the options are
    shown numbered; otherwise the text must equal exactly one option after
    :func:`normalize`.
    """
    key = unicodedata.normalize("NFKC", response).strip().casefold()
    m = _CHOICE_KEY_RE.fullmatch(key)
    if m:
        token = m.group(1)
        index = int(token) - 1 if token.isdigit() else ord(token) - ord("a")
        if 0 <= index < len(options):
            return index
    norm = normalize(response)
    hits = [i for i, option in enumerate(options) if norm and normalize(option) == norm]
    return hits[0] if len(hits) == 1 else None


def grade_table(
    prompt: Prompt,
    response: str,
    elapsed_ms: int,
    hinted: bool = False,
    policy: GradingPolicy = DEFAULT_POLICY,
) -> GradeResult:
    """Grade a response to a table prompt and propose an SM-2 grade (see :func:`auto_grade`)."""
    if prompt.answer_mode == "choice":
        index = _choice_index(prompt.options, response)
        correct = index is not None and index == prompt.correct_option
        if index is None and response.strip():
            feedback = f"不是选项：{response.strip()}；正确答案：{prompt.expected}"
        else:
            feedback = "" if correct else f"正确答案：{prompt.expected}"
    else:
        correct = answers_match(prompt.expected, response)
        feedback = "" if correct else f"正确答案：{prompt.expected}"
    return GradeResult(
        correct=correct,
        grade=auto_grade(correct, elapsed_ms, hinted, policy),
        expected=prompt.expected,
        feedback=feedback,
    )
