"""vLLM's start-up KV block count against published start-up logs.

Logs used (all vllm-project/vllm):
* PR #2031 "Fix peak memory profiling" (Dec 2023, v0.2.4): Llama2-7B TP=1 1xA100-80GB
  "# GPU blocks: 7449" before the fix (torch-visible memory only) and 7351 after it;
  Llama2-70B TP=4 4xA100-80GB 31615 before, 20865 after.  max_model_len 4096 for both,
  so the profile run was max(4096, 2048) = 4096 tokens.
* PR #10511 "overhaul memory profiling" (Dec 2024, v0.6.5): Meta-Llama-3-8B on H100-80GB,
  total_gpu_memory 79.22GiB, weights 14.96GiB, non_torch_memory 1.79GiB, activation
  peak 1.26GiB, available_kv_cache_memory 53.29GiB; with -tp 2: weights 7.48GiB,
  non_torch 3.58GiB, activation 1.26GiB (KV not shown: 71.29 - 7.48 - 3.58 - 1.26 = 58.97).
"""

from __future__ import annotations

import pytest

from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.report import size_report
from studyapp.core.sizing.units import GIB
from studyapp.core.sizing.vllm import implied_non_torch, vllm_memory

CAT = load_catalog()


def _err(engine: float, logged: float) -> float:
    return abs(engine - logged) / logged


def test_llama2_7b_a100_block_count_matches_the_published_log() -> None:
    # PR #2031 after the fix: "# GPU blocks: 7351" (engine 7340, -0.15%)
    v = vllm_memory("llama-2-7b", "fp16", "a100-80gb")
    assert v.tokens == 4096 and v.seqs == 256  # max(max_model_len 4096, 2048)
    assert _err(v.blocks, 7351) <= 0.05
    assert v.utilization * v.total == pytest.approx(72 * GIB)  # "0.9 ... (72 GiB)"
    assert v.block_bytes == 8 * 2**20  # 16 tokens x 512 KiB (MHA, 32 layers)
    assert v.steps[-1].startswith("# GPU blocks")


@pytest.mark.parametrize(
    ("model_id", "tp", "logged"),
    [("llama-2-7b", 1, 7449), ("llama-2-70b", 4, 31615)],  # PR #2031, before the fix
)
def test_weights_plus_profiled_activations_match_the_torch_only_logs(
    model_id: str, tp: int, logged: int
) -> None:
    # Before PR #2031 vLLM subtracted only what PyTorch allocated (weights + activation
    # peak), so these logs check the weight and activation model without non-torch memory.
    v = vllm_memory(model_id, "fp16", "a100-80gb", tp=tp, non_torch_gib=0)
    assert _err(v.blocks, logged) <= 0.05  # engine 7569 (+1.6%) and 32367 (+2.4%)


def test_tp4_llama2_70b_gap_is_that_versions_non_torch_memory() -> None:
    # After the fix the same run printed 20865 blocks: 10,750 blocks x 1.25 MiB = 13.1 GiB
    # per rank that PyTorch did not see (NCCL, CUDA context, allocator).  No other log pins
    # v0.2.4's TP=4 non-torch memory, so the engine's default (1.79 + 3 x 1.79 GiB, from
    # PR #10511) leaves it 27% above the fixed count: a known, documented gap, not fitted.
    v = vllm_memory("llama-2-70b", "fp16", "a100-80gb", tp=4)
    assert v.block_bytes == 1.25 * 2**20  # 16 x 2 x 80 layers x (8/4) kv heads x 128 x 2 B
    assert v.non_torch == pytest.approx(4 * 1.79 * GIB)
    assert 0.20 < (v.blocks - 20865) / 20865 < 0.35
    between_logs = (31615 - 20865) * v.block_bytes
    assert _err(implied_non_torch(v, 20865), between_logs) <= 0.10  # 14.0 vs 13.1 GiB


@pytest.mark.parametrize(("tp", "weights", "kv"), [(1, 14.96, 53.29), (2, 7.48, 58.97)])
def test_llama3_8b_h100_matches_the_profiling_breakdown(tp: int, weights: float, kv: float) -> None:
    v = vllm_memory("llama-3-8b", "fp16", "h100-sxm", tp=tp, total_gib=79.22)
    assert v.tokens == 8192  # max(max_model_len 8192, 2048)
    assert v.weights / GIB == pytest.approx(weights, abs=0.01)
    assert v.non_torch / GIB == pytest.approx(1.79 * tp)  # the constants come from this log
    # activation peak logged 1.26 GiB at both TP=1 and TP=2: the sampler phase (FP32 logits
    # and top-k/p buffers over 256 x 128256 entries, gathered on every rank) dominates
    assert v.activation_peak == v.sampler_peak
    assert _err(v.activation_peak / GIB, 1.26) <= 0.15  # engine 1.10 GiB
    assert _err(v.kv_budget / GIB, kv) <= 0.02  # engine 53.45 / 59.14 GiB


def test_forward_phase_counts_gate_up_and_activation_rows() -> None:
    # Llama-3-8B at 8192 tokens: 2 B x 8192 x (2 x 4096 + 3 x 14336) = 0.78 GiB
    v = vllm_memory("llama-3-8b", "fp16", "a100-80gb")
    assert v.forward_peak == 2 * 8192 * (2 * 4096 + 3 * 14336)
    # a longer profile run makes the forward phase the peak, and leaves less for the KV cache
    big = vllm_memory("llama-3-8b", "fp16", "a100-80gb", max_num_batched_tokens=32768)
    assert big.activation_peak == big.forward_peak > v.activation_peak
    assert big.blocks < v.blocks


def test_budget_is_what_is_left_after_weights_non_torch_and_activations() -> None:
    v = vllm_memory("llama-3-8b", "fp16", "a100-80gb")
    left = 0.9 * v.total - v.weights - v.non_torch - v.activation_peak
    assert v.kv_budget == pytest.approx(left)
    assert v.blocks == int(left // (16 * 128 * 1024))


#: Decoder models added in issue 12 that vLLM serves.  NO published vLLM start-up log with
#: "# GPU blocks" was found for any of them (searched vllm-project/vllm issues and PRs), so
#: these checks are internal only: the block is 16 x the KV per token of the config, and the
#: count is what the budget divides into.  BERT (encoder, no KV cache) and Whisper
#: (encoder-decoder) are not in this list: vLLM's decoder block count does not describe them.
NO_PUBLISHED_LOG = [
    ("llama-3.1-8b", "fp16", "h100-sxm", 1),
    ("llama-3.1-70b", "fp16", "h100-sxm", 4),
    ("llama-3.1-405b", "fp8", "h200", 8),
    ("qwen2.5-7b", "fp16", "a100-80gb", 1),
    ("qwen2.5-72b", "fp16", "h100-sxm", 4),
    ("gemma-2-9b", "fp16", "a100-80gb", 1),
    ("deepseek-v3", "fp8", "h200", 8),
    ("sheared-llama-1.3b", "fp16", "a100-40gb", 1),
    ("sheared-llama-2.7b", "fp16", "a100-40gb", 1),
    ("minitron-4b", "fp16", "a100-40gb", 1),
    ("minitron-8b", "fp16", "a100-80gb", 1),
]


@pytest.mark.parametrize(("model_id", "fmt", "device", "tp"), NO_PUBLISHED_LOG)
def test_block_count_for_models_without_a_published_log(
    model_id: str, fmt: str, device: str, tp: int
) -> None:
    model = CAT.model(model_id)
    v = vllm_memory(model_id, fmt, device, tp=tp)
    if model.get("attention") == "mla":  # latent (kv_lora_rank + rope) per layer, every rank
        per_token = model.num_layers * (512 + 64) * 2
    else:
        per_token = 2 * model.num_layers * max(model.n_kv // tp, 1) * model.head_dim * 2
    # (formats.json: fp8 weights keep a 16-bit KV cache, as vLLM's default kv_cache_dtype auto)
    assert v.kv_per_token == per_token
    assert v.blocks == int(v.kv_budget // (16 * per_token)) > 0


def test_size_report_shows_the_vllm_block_count() -> None:
    steps = size_report("llama-3-8b", "fp16", "a100-80gb", context=4096).steps
    assert any(step.startswith("vLLM start-up: # GPU blocks") for step in steps)
