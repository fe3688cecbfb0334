"""Calculation cards: interview arithmetic drawn fresh at every review from a seed.

A calc card stores only its template id; each review draws a model, format, device,
context and batch from ``random.Random(seed)``, so the learner practises the method
rather than memorising one answer, and a review can be replayed from its seed.
Expected values come from the sizing engine (never typed in by hand).

Tolerances (relative, stored in ``Prompt.data["tolerance"]``):

* ``weights-at-format``, ``kv-cache``, ``pruning-savings``, ``cost-per-1k``: 5%
  (rounding the parameter count to 3 digits stays inside it), except weights cards of
  formats with a group or tensor-mix overhead: 2%, so the naive answer (INT4 g128 at
  4.0 bpw is 3.8% low) fails and the overhead is learnt;
* ``decode-bound``: 10% (people round bandwidth and size);
* ``gpus-needed``: exact; ``fits-phone`` (yes/no) and ``edge-or-cloud`` (choice): exact.

Draws that would teach a false certainty are redrawn: a yes/no or GPU-count verdict
within 3% of the memory limit (see :mod:`studyapp.core.sizing.fit`), and a decode
speed for a configuration that does not fit the device.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from studyapp.core.model import AnswerMode, CardSpec, Prompt
from studyapp.core.sizing.calc_grade import calc_note_link, grade_calc
from studyapp.core.sizing.units import parse_quantity

__all__ = [
    "TEMPLATES",
    "Template",
    "calc_card_specs",
    "calc_note_link",
    "calc_prompt",
    "grade_calc",
    "parse_quantity",
]


@dataclass(frozen=True)
class Template:
    id: str
    title: str
    answer_mode: AnswerMode
    tolerance: float
    build: Callable[[random.Random], dict[str, Any]]


def _lazy(name: str) -> Callable[[random.Random], dict[str, Any]]:
    """The template builder ``calc_templates.<name>``, imported at its first draw.

    The builders need the sizing engine (numpy and the catalog, ~55 ms to import);
    every import of the notes lists the templates (``calc_card_specs``), so the list
    must not pay for it, at start-up least of all.
    """

    def build(rng: random.Random) -> dict[str, Any]:
        from studyapp.core.sizing import calc_templates

        builder: Callable[[random.Random], dict[str, Any]] = getattr(calc_templates, name)
        return builder(rng)

    build.__name__ = build.__qualname__ = name
    return build


build_weights_at_format = _lazy("build_weights_at_format")
build_kv_cache = _lazy("build_kv_cache")
build_fits_phone = _lazy("build_fits_phone")
build_gpus_needed = _lazy("build_gpus_needed")
build_decode_bound = _lazy("build_decode_bound")
build_cost_per_1k = _lazy("build_cost_per_1k")
build_pruning_savings = _lazy("build_pruning_savings")
build_edge_or_cloud = _lazy("build_edge_or_cloud")

TEMPLATES: dict[str, Template] = {
    t.id: t
    for t in (
        Template(
            "weights-at-format",
            "权重大小: 参数量 x 每权重比特数",
            "numeric",
            0.05,
            build_weights_at_format,
        ),
        Template("kv-cache", "KV cache 大小 (GQA)", "numeric", 0.05, build_kv_cache),
        Template("fits-phone", "能否在端侧设备上运行", "yesno", 0.0, build_fits_phone),
        Template("gpus-needed", "云端需要几张 GPU (张量并行)", "numeric", 0.0, build_gpus_needed),
        Template("decode-bound", "decode 速度的带宽上限", "numeric", 0.10, build_decode_bound),
        Template("cost-per-1k", "每 1K tokens 成本", "numeric", 0.05, build_cost_per_1k),
        Template(
            "pruning-savings", "非结构化剪枝真正省多少", "numeric", 0.05, build_pruning_savings
        ),
        Template("edge-or-cloud", "端侧还是云端", "choice", 0.0, build_edge_or_cloud),
    )
}


def calc_card_specs() -> list[CardSpec]:
    """One card per template; the parameters are drawn at review time."""
    return [
        CardSpec(kind="calc", anchor=t.id, title=t.title, payload={"template": t.id})
        for t in TEMPLATES.values()
    ]


def calc_prompt(template_id: str, seed: int) -> Prompt:
    """A fresh question for ``template_id``: same seed, same question (replayable from the review log)."""
    template = TEMPLATES[template_id]
    built = template.build(random.Random(seed))
    options = tuple(built.get("options", ()))
    data: dict[str, Any] = {
        "template": template.id,
        "params": built["params"],
        "value": built["value"],
        "tolerance": built.get("tolerance") or template.tolerance,
    }
    if template.answer_mode == "numeric":
        data["unit_kind"] = built["unit_kind"]
        data["unit"] = built["unit"]
    return Prompt(
        kind="calc",
        question=built["question"],
        answer_mode=template.answer_mode,
        expected=built["expected"],
        seed=seed,
        context=template.title,
        options=options,
        correct_option=int(built["value"]) if template.answer_mode == "choice" else None,
        worked=tuple(built["worked"]),
        data=data,
    )
