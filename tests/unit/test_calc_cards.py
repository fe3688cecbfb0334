"""Calc cards: templates, replayable prompts, unit-aware parsing and grading."""

from __future__ import annotations

import pytest

from studyapp.core.model import NoteMeta, ParsedNote
from studyapp.core.sizing.calc_cards import (
    TEMPLATES,
    calc_card_specs,
    calc_note_link,
    calc_prompt,
    grade_calc,
    parse_quantity,
)
from studyapp.core.sizing.units import GB, GIB


def test_specs_one_per_template() -> None:
    specs = calc_card_specs()
    assert {s.anchor for s in specs} == set(TEMPLATES)
    assert all(s.kind == "calc" and s.payload == {"template": s.anchor} for s in specs)
    assert {
        "weights-at-format",
        "fits-phone",
        "gpus-needed",
        "decode-bound",
        "cost-per-1k",
        "pruning-savings",
        "edge-or-cloud",
    } <= set(TEMPLATES)


@pytest.mark.parametrize("template_id", sorted(TEMPLATES))
def test_prompts_are_replayable_and_self_consistent(template_id: str) -> None:
    for seed in range(40):
        p = calc_prompt(template_id, seed)
        assert p == calc_prompt(template_id, seed)
        assert p.kind == "calc" and p.worked and p.expected
        assert p.data["template"] == template_id
        if p.answer_mode == "choice":
            answer = str((p.correct_option or 0) + 1)
        elif p.answer_mode == "yesno":
            answer = "是" if p.data["value"] else "否"
        else:
            answer = p.expected
        result = grade_calc(p, answer, 5_000)
        assert result.correct, (seed, p.question, p.expected)
        assert result.grade == 5


def test_different_seeds_draw_different_questions() -> None:
    questions = {calc_prompt("weights-at-format", seed).question for seed in range(20)}
    assert len(questions) > 5


def test_weights_question_value_is_engine_value() -> None:
    for seed in range(200):
        p = calc_prompt("weights-at-format", seed)
        if p.data["params"] == {"model": "llama-3-8b", "format": "int4"}:
            assert p.data["value"] == pytest.approx(8_030_261_248 * 4.15625 / 8)
            assert "INT4" in p.question and "GB" in p.question
            return
    pytest.skip("combination not drawn in 200 seeds")


@pytest.mark.parametrize(
    ("text", "kind", "default", "expected"),
    [
        ("140GB", "bytes", "GB", 140 * GB),
        ("140 GiB", "bytes", "GB", 140 * GIB),
        ("1.4e11", "bytes", "GB", 1.4e11),
        ("140", "bytes", "GB", 140 * GB),
        ("16 G", "bytes", "GB", 16 * GB),
        ("650MB", "bytes", "GB", 650e6),
        ("8,030,261,248 bytes", "bytes", "GB", 8_030_261_248),
        ("30 tokens/s", "tokens_per_s", None, 30.0),
        ("1.2k tok/s", "tokens_per_s", None, 1200.0),
        ("$0.002", "usd", None, 0.002),
        ("0.2¢", "usd", None, 0.002),
        ("2 GPUs", "count", None, 2.0),
        ("4张", "count", None, 4.0),
    ],
)
def test_parse_quantity(text: str, kind: str, default: str | None, expected: float) -> None:
    assert parse_quantity(text, kind, default) == pytest.approx(expected)  # type: ignore[arg-type]


def test_parse_quantity_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        parse_quantity("lots", "bytes", "GB")
    with pytest.raises(ValueError):
        parse_quantity("5 parsecs", "bytes", "GB")


def test_grading_tolerance_speed_and_wrong_unit() -> None:
    p = next(
        calc_prompt("weights-at-format", s)
        for s in range(100)
        if calc_prompt("weights-at-format", s).data["value"] > 10 * GB
    )
    value_gb = p.data["value"] / GB
    assert grade_calc(p, f"{value_gb * 1.04:.4f}", 5_000).grade == 5
    assert grade_calc(p, f"{value_gb:.4f} GB", 30_000).grade == 4
    assert grade_calc(p, f"{value_gb:.4f} GB", 90_000).grade == 3
    assert not grade_calc(p, f"{value_gb * 1.2:.4f} GB", 5_000).correct
    # the same number in GiB is 7% smaller: outside ±5%
    assert not grade_calc(p, f"{value_gb:.4f} GiB", 5_000).correct
    bad = grade_calc(p, "no idea", 5_000)
    assert not bad.correct and bad.grade == 1 and "could not read" in bad.feedback


def test_yesno_accepts_chinese_and_english() -> None:
    p = calc_prompt("fits-phone", 0)
    right = "yes" if p.data["value"] else "no"
    wrong = "不能" if p.data["value"] else "是"
    assert grade_calc(p, right, 1_000).correct
    assert not grade_calc(p, wrong, 1_000).correct


def _note(title: str, body: str, tags: tuple[str, ...] = ()) -> ParsedNote:
    return ParsedNote(
        path="n.md",
        meta=NoteMeta(tags=tags),
        title=title,
        sections=(),
        answer=None,
        tables=(),
        body=body,
        body_line_offset=0,
    )


def test_calc_note_link() -> None:
    assert calc_note_link(_note("边缘部署", "INT4 量化"))
    assert calc_note_link(_note("x", "about the KV cache"))
    assert not calc_note_link(_note("SM-2 算法", "间隔重复的调度"))
