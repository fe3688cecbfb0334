"""200 calc cards per template, fixed seeds: each answer follows from its own worked steps,
is in the unit the question asks for, and only asks what the engine can stand behind."""

from __future__ import annotations

import re

import pytest

from studyapp.core.model import Prompt
from studyapp.core.sizing.calc_cards import TEMPLATES, calc_prompt, grade_calc
from studyapp.core.sizing.calc_templates import DECODE_FIT_CONTEXT
from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.fit import fit_verdict
from studyapp.core.sizing.params import count_params
from studyapp.core.sizing.scalar import evaluate_one, min_tp_one, need_per_gpu
from studyapp.core.sizing.scenarios import one
from studyapp.core.sizing.units import parse_quantity

CAT = load_catalog()
SEEDS = range(200)
_QUESTION_UNIT = {
    "GB": "多少 GB",
    "MB": "多少 MB",
    "tokens/s": "tokens/s",
    "usd": "美元",
    "GPUs": "几张卡",
}


def _cards(template_id: str) -> list[Prompt]:
    return [calc_prompt(template_id, seed) for seed in SEEDS]


def _rhs(step: str) -> str:
    return step.rsplit("=", 1)[-1].strip()


@pytest.mark.parametrize("template_id", sorted(TEMPLATES))
def test_answers_follow_from_their_worked_steps(template_id: str) -> None:
    for p in _cards(template_id):
        assert grade_calc(p, p.expected if p.answer_mode == "numeric" else _right(p), 1_000).correct
        text = " ".join((p.question, p.expected, *p.worked))
        assert not re.search(r"(?<!\d)1 GPUs", text), text
        if p.answer_mode != "numeric":
            continue
        kind, unit = p.data["unit_kind"], p.data["unit"]
        assert _QUESTION_UNIT[unit] in p.question, (p.question, unit)  # question unit = answer unit
        default = unit if kind == "bytes" else None
        value = float(p.data["value"])
        from_steps = parse_quantity(_rhs(p.worked[-1]), kind, default)
        assert from_steps == pytest.approx(value, rel=0.005), (p.worked[-1], value)
        from_expected = parse_quantity(p.expected, kind, default)
        assert from_expected == pytest.approx(value, rel=0.005), (p.expected, value)
        if kind == "bytes":
            assert p.expected.split()[1] == unit


def _right(p: Prompt) -> str:
    if p.answer_mode == "choice":
        return str((p.correct_option or 0) + 1)
    return "是" if p.data["value"] else "否"


def test_decode_cards_only_for_configurations_that_fit() -> None:
    for p in _cards("decode-bound"):
        prm = p.data["params"]
        model = CAT.model(prm["model"])
        s = one(
            model,
            CAT.format(prm["format"]),
            CAT.device(prm["device"]),
            context=min(DECODE_FIT_CONTEXT, model.max_context),
        )
        f = evaluate_one(s)
        assert fit_verdict(f["need_per_gpu_bytes"], f["usable_bytes"]) == "fits", prm


def test_yes_no_and_gpu_counts_are_never_borderline() -> None:
    for p in _cards("fits-phone"):
        prm = p.data["params"]
        f = evaluate_one(
            one(
                CAT.model(prm["model"]),
                CAT.format(prm["format"]),
                CAT.device(prm["device"]),
                context=prm["context"],
            )
        )
        assert fit_verdict(f["need_per_gpu_bytes"], f["usable_bytes"]) != "borderline"
        assert bool(p.data["value"]) == (f["fits"] == 1.0)
        assert p.worked[-1].endswith("fits") == bool(p.data["value"])
    for p in _cards("gpus-needed"):
        prm = p.data["params"]
        s = one(
            CAT.model(prm["model"]),
            CAT.format(prm["format"]),
            CAT.device(prm["device"]),
            context=prm["context"],
            batch=prm["batch"],
        )
        tp = int(p.data["value"])
        assert tp == min_tp_one(s)
        usable = s.usable_fraction * s.mem_bytes
        assert fit_verdict(need_per_gpu(s, tp), usable) == "fits"


def test_gqa_hint_only_for_gqa_models() -> None:
    for p in _cards("kv-cache"):
        model = CAT.model(p.data["params"]["model"])
        hint = any("GQA" in step for step in p.worked)
        assert hint == (model.n_kv < model.n_q), (model.id, p.worked)


def test_int4_g128_card_rejects_the_naive_four_bits() -> None:
    seen = 0
    for p in _cards("weights-at-format"):
        if p.data["params"]["format"] != "int4":
            continue
        seen += 1
        total = count_params(CAT.model(p.data["params"]["model"])).total
        naive = total * 4.0 / 8.0
        assert not grade_calc(
            p, f"{naive:.0f} bytes" if naive >= 1e6 else f"{naive} B", 1_000
        ).correct
        assert grade_calc(p, p.expected, 1_000).correct
    assert seen > 5


def test_edge_or_cloud_answer_matches_the_engine() -> None:
    for p in _cards("edge-or-cloud"):
        prm = p.data["params"]
        model, fmt = CAT.model(prm["model"]), CAT.format(prm["format"])
        phone = evaluate_one(one(model, fmt, CAT.device("iphone-15-pro"), context=prm["context"]))
        tp = min_tp_one(one(model, fmt, CAT.device("a100-80gb"), context=prm["context"]))
        expected = 0 if phone["fits"] == 1.0 else 1 if tp == 1 else 2 if tp else 3
        assert p.correct_option == expected
        assert fit_verdict(phone["need_per_gpu_bytes"], phone["usable_bytes"]) != "borderline"
