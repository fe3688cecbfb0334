"""Shared pieces of the calc-card templates: units of answers, tolerances, fit verdict lines.

Kept apart from :mod:`studyapp.core.sizing.calc_templates` so each template reads as the
question it asks; these helpers encode the rules every card follows (the answer is in the
question's unit, "1 GPU" not "1 GPUs", no yes/no within 3% of the limit).
"""

from __future__ import annotations

from typing import Any

from studyapp.core.sizing.catalog import Device, Format, Model
from studyapp.core.sizing.fit import fit_verdict
from studyapp.core.sizing.scalar import need_per_gpu
from studyapp.core.sizing.scenarios import effective_bpw
from studyapp.core.sizing.units import GB, GIB, MB, fmt_bytes, fmt_num

__all__ = [
    "OVERHEAD_TOLERANCE",
    "bytes_answer",
    "bytes_unit",
    "clear_verdict",
    "fmt_desc",
    "gpus_text",
    "min_tp_clear",
    "need_lines",
]

#: Relative tolerance of a weights card whose format has a group/tensor-mix overhead: the
#: overhead (3.8% for INT4 g128) is the lesson, so the naive 4.0-bpw answer must fail.
OVERHEAD_TOLERANCE = 0.02


def bytes_unit(value: float) -> tuple[str, float]:
    """The unit a bytes question asks in, and the answer uses: GB from 1 GB up, else MB."""
    return ("GB", GB) if value >= GB else ("MB", MB)


def bytes_answer(value: float) -> str:
    """The expected answer in the question's unit (GB with its GiB beside it, or MB)."""
    unit, scale = bytes_unit(value)
    if unit == "GB":
        return f"{fmt_num(value / GB)} GB ({fmt_num(value / GIB)} GiB)"
    return f"{fmt_num(value / scale)} MB"


def gpus_text(n: int) -> str:
    return f"{n} GPU" if n == 1 else f"{n} GPUs"


def fmt_desc(fmt: Format, model: Model | None = None) -> str:
    if fmt.per_tensor and model is not None:
        bpw, _ = effective_bpw(model, fmt)
        return f"GGUF 按张量混合, 本模型有效 {bpw:.4f} bpw"
    if fmt.group_size and fmt.scale_bits is not None:
        text = (
            f"{fmt.bits} bit + ({fmt.scale_bits}-bit scale + {fmt.zero_bits}-bit zero) / {fmt.group_size}"
            f" = {fmt.bpw:g} bpw"
        )
    else:
        text = f"{fmt.bpw:g} bpw"
    if fmt.embed_bits is not None:
        text += f"; embeddings/lm_head {fmt.embed_bits:g} bit"
    return text


def need_lines(s: Any, f: dict[str, float], device: Device) -> list[str]:
    need, usable = f["need_per_gpu_bytes"], f["usable_bytes"]
    return [
        f"weights = {fmt_bytes(f['weights_per_gpu_bytes'])}; KV = {fmt_bytes(f['kv_per_gpu_bytes'])};"
        f" activations = {fmt_bytes(f['activation_bytes'])}; runtime = {fmt_bytes(s.overhead_bytes)}",
        f"need = {fmt_num(need / GB)} GB vs usable = {s.usable_fraction:g} x {device.mem_label}"
        f" = {fmt_num(usable / GB)} GB -> {fit_verdict(need, usable)}",
    ]


def clear_verdict(need: float, usable: float) -> bool:
    """A verdict far enough from the limit (3%) to be taught as a plain yes or no."""
    return fit_verdict(need, usable) != "borderline"


def min_tp_clear(s: Any) -> int:
    """The smallest tp that fits, or 0 when none does or any candidate is borderline."""
    usable = s.usable_fraction * s.mem_bytes
    for tp in (1, 2, 4, 8):
        if tp > s.max_tp or s.n_q % tp:
            continue
        need = need_per_gpu(s, tp)
        if not clear_verdict(need, usable):
            return 0
        if need <= usable:
            return tp
    return 0
