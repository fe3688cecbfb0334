"""vLLM's start-up KV block count against a published log."""

from __future__ import annotations

import pytest

from studyapp.core.sizing.report import size_report
from studyapp.core.sizing.units import GIB
from studyapp.core.sizing.vllm import vllm_memory


def test_llama2_7b_a100_block_count_matches_the_published_log() -> None:
    # vLLM PR #2031 ("Fix peak memory profiling", Dec 2023): Llama2-7B, TP=1, 1 x A100-80GB,
    # "# GPU blocks: 7351"; vLLM then profiled max(max_model_len, 2048) = 4096 tokens.
    v = vllm_memory("llama-2-7b", "fp16", "a100-80gb", max_num_batched_tokens=4096)
    assert abs(v.blocks - 7351) / 7351 <= 0.05
    assert v.utilization * v.total == pytest.approx(72 * GIB)  # "0.9 ... (72 GiB)"
    assert v.kv_per_token * v.block_size == 8 * 2**20  # 16 tokens x 512 KiB (MHA, 32 layers)
    assert v.steps[-1].startswith("# GPU blocks")


def test_budget_is_what_is_left_after_weights_non_torch_and_activations() -> None:
    v = vllm_memory("llama-3-8b", "fp16", "a100-80gb")
    left = 0.9 * v.total - v.weights - v.non_torch - v.activation_peak
    assert v.kv_budget == pytest.approx(left)
    assert v.blocks == int(left // (16 * 128 * 1024))
    # a larger profiling run leaves less for the KV cache
    assert (
        vllm_memory("llama-3-8b", "fp16", "a100-80gb", max_num_batched_tokens=32768).blocks
        < v.blocks
    )


def test_size_report_shows_the_vllm_block_count() -> None:
    steps = size_report("llama-3-8b", "fp16", "a100-80gb", context=4096).steps
    assert any(step.startswith("vLLM start-up: # GPU blocks") for step in steps)
