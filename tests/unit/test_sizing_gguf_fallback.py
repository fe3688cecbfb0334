"""llama.cpp's fallback for tensors whose rows are not whole 256-weight K-quant super-blocks.

Rule (ggml-org/llama.cpp src/llama-quant.cpp ``tensor_type_fallback``, commit 007dbbf):
``ne[0] % 256 != 0`` turns Q4_K into Q5_0, Q5_K into Q5_1, Q6_K into Q8_0, and anything whose
row is not a multiple of 32 into F16.  Qwen2.5-72B (I = 29568 = 115.5 x 256) and
Sheared-LLaMA-1.3B (I = 5504 = 21.5 x 256) hit it on every ``ffn_down``.
"""

from __future__ import annotations

import pytest

from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.gguf import fallback_type, gguf_size
from studyapp.core.sizing.params import count_params
from studyapp.core.sizing.units import GB

CAT = load_catalog()


@pytest.mark.parametrize(
    ("block", "row", "stored"),
    [
        ("Q4_K", 29568, "Q5_0"),
        ("Q6_K", 29568, "Q8_0"),
        ("Q5_K", 5504, "Q5_1"),
        ("Q4_K", 8192, "Q4_K"),  # a whole number of super-blocks: no fallback
        ("Q4_0", 29568, "Q4_0"),  # 32-weight blocks fit 29568 = 924 x 32
        ("Q6_K", 100, "F16"),  # not even a multiple of 32
        ("F32", 100, "F32"),
    ],
)
def test_fallback_rule(block: str, row: int, stored: str) -> None:
    assert fallback_type(block, row) == stored


def test_qwen25_72b_q4_k_m_matches_the_published_file() -> None:
    # bartowski/Qwen2.5-72B-Instruct-GGUF Qwen2.5-72B-Instruct-Q4_K_M.gguf: 47.4 GB (HF, 1e9 B).
    # Without the fallback the per-tensor mix gives 43.8 GB (-7.6%).
    size = gguf_size(CAT.model("qwen2.5-72b"), "q4_k_m")
    down = 80 * 29568 * 8192
    # use_more_bits picks 40 of 80 layers: their ffn_down Q6_K -> Q8_0, the other 40 Q4_K -> Q5_0
    assert size.by_type["Q8_0"] == size.by_type["Q5_0"] == down // 2
    assert size.params == count_params(CAT.model("qwen2.5-72b")).total
    assert size.bits / 8 / GB == pytest.approx(47.4, abs=0.05)  # engine 47.37


@pytest.mark.parametrize(
    ("format_id", "gb"),
    [
        # LakoMoor/Sheared-LLaMA-1.3B-ShareGPT-GGUF (same architecture): Q4_K_M 872 MB, Q6_K 1.17 GB
        ("q4_k_m", 0.872),
        ("q6_k", 1.17),
        # Aryanne/Sheared-LLaMA-1.3B-gguf: q4_0 775 MB, q8_0 1.43 GB (no fallback: 32-blocks fit)
        ("q4_0", 0.775),
        ("q8_0", 1.43),
    ],
)
def test_sheared_llama_13b_gguf_files(format_id: str, gb: float) -> None:
    size = gguf_size(CAT.model("sheared-llama-1.3b"), format_id)
    assert size.bits / 8 / GB == pytest.approx(gb, abs=0.005)
