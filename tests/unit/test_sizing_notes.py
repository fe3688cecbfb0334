"""The bundled notes' corrected figures, recomputed by the engine for the conditions they state.

Each row names a note, the text it must contain, and the engine figure that text rounds.
If the engine or a note changes, this says which number drifted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.mbu import mbu_range, measurements
from studyapp.core.sizing.scalar import evaluate_one
from studyapp.core.sizing.scenarios import one
from studyapp.core.sizing.vllm import VllmMemory, vllm_memory

NOTES = Path(__file__).resolve().parents[2] / "notes"
CAT = load_catalog()
GB = 1e9


def _f(model: str, fmt: str, device: str, *, context: int = 0, tp: int = 1) -> dict[str, float]:
    return evaluate_one(
        one(CAT.model(model), CAT.format(fmt), CAT.device(device), context=context, tp=tp)
    )


def _w(model: str, fmt: str) -> float:
    """Weights in GB (GGUF types sized tensor by tensor)."""
    return _f(model, fmt, "a100-80gb")["weights_bytes"] / GB


def _mbu(format_id: str) -> float:
    """MBU of the cited RTX 4090 Llama-3-8B measurement in ``format_id`` (mbu.py)."""
    return next(
        m.mbu for m in measurements() if m.device_id == "rtx-4090" and m.format_id == format_id
    )


def _vllm() -> VllmMemory:
    return vllm_memory("llama-3-8b", "fp16", "a100-80gb")


def _rows() -> list[tuple[str, str, float, float, float]]:
    tp2 = _f("llama-3-70b", "fp16", "a100-80gb", context=8192, tp=2)
    tp4 = _f("llama-3-70b", "fp16", "a100-80gb", context=0, tp=4)
    budget = tp4["usable_bytes"] - tp4["weights_per_gpu_bytes"] - tp4["activation_bytes"]
    budget -= tp4["overhead_bytes"]
    int4 = _f("llama-3-70b", "int4-e16", "a100-80gb", context=8192)
    usable_8b = _f("llama-3-8b", "fp16", "a100-80gb")["usable_bytes"]
    return [
        ("部署/张量并行与多卡部署.md", "= 77.3 GB", 77.3, usable_8b / GB, 0.05),
        (
            "部署/张量并行与多卡部署.md",
            "= 73.6 GB，剩 3.7 GB",
            73.6,
            tp2["need_per_gpu_bytes"] / GB,
            0.05,
        ),
        ("部署/张量并行与多卡部署.md", "剩 3.7 GB", 3.7, tp2["headroom_bytes"] / GB, 0.05),
        ("部署/张量并行与多卡部署.md", "/ 81,920 B ≈ 499,979", 499_979, budget / 81920, 1.0),
        ("部署/张量并行与多卡部署.md", "≈ 32.6 GB", 32.6, int4["headroom_bytes"] / GB, 0.05),
        (
            "部署/张量并行与多卡部署.md",
            "可用 135.7 GB",
            135.7,
            0.9 * CAT.device("h200").mem_gb,
            0.05,
        ),
        ("推理优化/continuous-batching-吞吐与延迟.md", "= 77.31 GB", 77.31, usable_8b / GB, 0.005),
        ("推理优化/continuous-batching-吞吐与延迟.md", "→ 27,724 块", 27_724, _vllm().blocks, 0.0),
        (
            "推理优化/continuous-batching-吞吐与延迟.md",
            "KV 预算 54.15 GiB",
            54.15,
            _vllm().kv_budget / 2**30,
            0.005,
        ),
        ("压缩/知识蒸馏.md", "= 0.64 GB", 0.64, _w("tinyllama-1.1b", "q4_0"), 0.005),
        ("部署/边缘硬件选型与内存带宽.md", "= 42.5 GB", 42.5, _w("llama-3-70b", "q4_k_m"), 0.05),
        ("部署/边缘硬件选型与内存带宽.md", "= 2.18 GB", 2.18, _w("phi-3-mini", "q4_0"), 0.005),
        (
            "部署/边缘硬件选型与内存带宽.md",
            "= 76.8 GB/s",
            76.8,
            CAT.device("snapdragon-8-gen3-phone").bw_gbps,
            0.0,
        ),
        ("压缩/gguf-量化等级.md", "| 4.65 GB | 4.33 GiB |", 4.65, _w("llama-3-8b", "q4_0"), 0.005),
        ("压缩/int8-vs-int4-量化.md", "= 9.08 GB", 9.08, _w("llama-3-8b", "int8-e16"), 0.005),
        ("压缩/gguf-量化等级.md", "约为上限的 64%", 64, 100 * _mbu("q4_k_m"), 0.5),
        ("压缩/gguf-量化等级.md", "54.84 tokens/s，约 88%", 88, 100 * _mbu("fp16"), 0.5),
        (
            "部署/边缘硬件选型与内存带宽.md",
            "25%-88%（NVIDIA GPU）、48%-89%（Apple 芯片）",
            25,
            100 * mbu_range("desktop-gpu").low,
            0.0,
        ),
        (
            "部署/边缘硬件选型与内存带宽.md",
            "Apple 芯片约 48%-89%",
            89,
            100 * mbu_range("apple-unified").high,
            0.0,
        ),
    ]


@pytest.mark.parametrize(("note", "text", "stated", "value", "tol"), _rows())
def test_note_figure_is_the_engine_figure(
    note: str, text: str, stated: float, value: float, tol: float
) -> None:
    assert text in (NOTES / note).read_text("utf-8"), (note, text)
    assert abs(stated - value) <= tol, (note, text, value)


def test_raspberry_pi_5_memory_options() -> None:
    body = (NOTES / "部署/边缘硬件选型与内存带宽.md").read_text("utf-8")
    assert "2/4/8/16 GB" in body and "4/8/16 GB LPDDR4X" not in body.replace("2/4/8/16", "")
