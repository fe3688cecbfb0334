"""vLLM's start-up memory accounting: how many 16-token KV blocks it will allocate per GPU.

vLLM (V0 worker, ``determine_num_available_blocks``) runs one dummy forward pass, the
*profile run*, then gives the KV cache whatever is left of ``gpu_memory_utilization x
total`` after three things, and cuts it into blocks of ``block_size`` tokens:

* the weights of this rank (``W / tp`` under tensor parallelism);
* the **activation peak** of the profile run, which PyTorch's allocator sees.  The dummy
  batch is ``max_num_batched_tokens`` tokens (``max(max_model_len, 2048)`` without chunked
  prefill) split over ``max_num_seqs`` sequences (256).  Two phases peak:
  the forward pass holds the hidden state and residual (2 x T x h in 16 bit) plus the
  MLP's gate and up output and the activation output (3 x T x I / tp for a gated MLP,
  2 x T x I / tp for a plain one); the sampler holds, for the last token of each of the
  S sequences, the logits over the whole vocabulary in FP32 and the buffers of its
  top-k/top-p pass (the profile run sets ``top_k = vocab - 1`` so the sort always runs):
  FP32 logits, sorted values, int64 sort indices, int64 inverse indices, softmax and
  cumulative sum = 32 bytes per logit.  The vocabulary is gathered on every rank, so the
  sampler phase does not shrink with tp; the peak is the larger phase;
* the **non-torch memory** PyTorch does not see: CUDA context, cuBLAS workspaces and, with
  tp > 1, NCCL and custom all-reduce buffers.  vLLM PR #10511 (v0.6.5, H100-80GB) logged
  ``non_torch_memory 1.79GiB`` for Llama-3-8B at TP=1 and ``3.58GiB`` per rank at TP=2,
  so the default is 1.79 GiB plus 1.79 GiB per additional rank (two points: linear in tp
  is the simplest fit, not a law; other versions and GPUs differ, e.g. vLLM PR #14447's
  24 GB GPUs logged 0.20 GiB per rank at TP=4).

Checked against published logs (tests/unit/test_sizing_vllm.py): vLLM PR #2031 printed,
before its fix (torch-visible memory only), 7449 blocks for Llama-2-7B on one A100-80GB
and 31615 for Llama-2-70B at TP=4, which this model reproduces with non-torch = 0; after
the fix (7351 and 20865 blocks) the difference is that version's non-torch memory:
0.77 GiB at TP=1 and 13.4 GiB per rank at TP=4.  No independent source pins the latter, so
the default (7.16 GiB at TP=4) gives ~25.9K blocks there, 24% above the fixed log.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.scalar import evaluate_one
from studyapp.core.sizing.scenarios import model_fields, one
from studyapp.core.sizing.units import GIB, fmt_num

__all__ = [
    "NON_TORCH_BASE_GIB",
    "NON_TORCH_PER_EXTRA_RANK_GIB",
    "SAMPLER_BYTES_PER_LOGIT",
    "VllmMemory",
    "default_batched_tokens",
    "implied_non_torch",
    "vllm_memory",
]

#: vLLM PR #10511 (v0.6.5, H100-80GB, Llama-3-8B): "non_torch_memory 1.79GiB" at TP=1.
NON_TORCH_BASE_GIB = 1.79
#: Same PR, ``-tp 2``: 3.58 GiB per rank, i.e. 1.79 GiB more for the second rank (NCCL,
#: custom all-reduce); extrapolated linearly to larger tp (an estimate).
NON_TORCH_PER_EXTRA_RANK_GIB = 1.79
#: Sampler buffers per (sequence, vocabulary entry) in the V0 profile run: FP32 logits 4,
#: sorted values 4, int64 sort indices 8, int64 inverse indices 8, softmax 4, cumsum 4.
SAMPLER_BYTES_PER_LOGIT = 32
#: vLLM V0 SchedulerConfig: without chunked prefill max_num_batched_tokens = max(max_model_len, 2048).
_MIN_BATCHED_TOKENS = 2048
#: V0 turns chunked prefill on by default above a 32K context; the chunk is then the profile's.
_CHUNKED_PREFILL_ABOVE = 32768


@dataclass(frozen=True)
class VllmMemory:
    """The budget vLLM computes at start-up, per GPU, in bytes."""

    total: float
    utilization: float
    weights: float
    non_torch: float
    activation_peak: float
    forward_peak: float
    sampler_peak: float
    tokens: int  # of the profile run (max_num_batched_tokens)
    seqs: int
    kv_budget: float
    kv_per_token: float
    block_size: int
    blocks: int
    steps: tuple[str, ...]

    @property
    def kv_tokens(self) -> int:
        return self.blocks * self.block_size

    @property
    def block_bytes(self) -> float:
        return self.block_size * self.kv_per_token


def default_batched_tokens(max_model_len: int, chunk_tokens: int) -> int:
    """The profile run's token count vLLM V0 picks when ``max_num_batched_tokens`` is not given."""
    if max_model_len > _CHUNKED_PREFILL_ABOVE:
        return chunk_tokens
    return max(max_model_len, _MIN_BATCHED_TOKENS)


def vllm_memory(
    model_id: str,
    format_id: str,
    device_id: str,
    *,
    tp: int = 1,
    gpu_memory_utilization: float = 0.9,
    max_model_len: int | None = None,
    max_num_batched_tokens: int | None = None,
    max_num_seqs: int = 256,
    block_size: int = 16,
    non_torch_gib: float | None = None,
    total_gib: float | None = None,
) -> VllmMemory:
    """KV blocks vLLM would allocate per GPU for this configuration.

    ``total_gib`` replaces the catalog capacity by what ``torch.cuda.mem_get_info`` reports
    when a log states it (an H100-80GB shows 79.22 GiB there, nvidia-smi 81559 MiB).
    """
    cat = load_catalog()
    model, fmt, device = cat.model(model_id), cat.format(format_id), cat.device(device_id)
    model_len = max_model_len or model.max_context
    tokens = max_num_batched_tokens or default_batched_tokens(
        model_len, device.profile.prefill_chunk_tokens
    )
    seqs = min(max_num_seqs, tokens)
    f = evaluate_one(one(model, fmt, device, context=1, tp=tp))
    weights = f["weights_per_gpu_bytes"]
    kv_per_token = f["kv_per_gpu_bytes"]
    m = model_fields(model)
    h, vocab = m["hidden"], m["vocab"]
    # inter_active already counts gate+up (2I) for a gated MLP; the activation output adds I
    gated = model.get("mlp", "gated") == "gated"
    mlp_rows = m["inter_active"] * (1.5 if gated else 2.0)
    hidden_states = 2.0 * 2 * tokens * h  # hidden state + residual, 16 bit
    forward = hidden_states + 2.0 * tokens * mlp_rows / tp
    sampler = hidden_states + SAMPLER_BYTES_PER_LOGIT * seqs * vocab
    activation = max(forward, sampler)
    if non_torch_gib is None:
        non_torch_gib = NON_TORCH_BASE_GIB + NON_TORCH_PER_EXTRA_RANK_GIB * (tp - 1)
    non_torch = non_torch_gib * GIB
    total = device.mem_bytes if total_gib is None else total_gib * GIB
    budget = gpu_memory_utilization * total - weights - non_torch - activation
    block = block_size * kv_per_token
    blocks = max(math.floor(budget / block), 0) if kv_per_token else 0
    total_label = device.mem_label if total_gib is None else f"{total_gib:g} GiB (as logged)"
    steps = (
        f"total = {total_label}; x gpu_memory_utilization {gpu_memory_utilization:g}"
        f" = {fmt_num(gpu_memory_utilization * total / GIB)} GiB",
        f"weights/GPU = {fmt_num(weights / GIB)} GiB; non-torch (CUDA context, cuBLAS"
        + (", NCCL/all-reduce" if tp > 1 else "")
        + f") = {fmt_num(non_torch_gib)} GiB",
        f"profile run: {tokens} tokens in {seqs} sequences; forward = 2 B x {tokens} x"
        f" (2h + {'3' if gated else '2'}I/tp) = {fmt_num(forward / GIB)} GiB; sampler ="
        f" {SAMPLER_BYTES_PER_LOGIT} B x {seqs} x V {int(vocab)} (FP32 logits + top-k/p buffers)"
        f" + hidden = {fmt_num(sampler / GIB)} GiB; activation peak = the larger ="
        f" {fmt_num(activation / GIB)} GiB",
        f"KV budget = {fmt_num(budget / GIB)} GiB; block = {block_size} tokens x"
        f" {fmt_num(kv_per_token / 1024)} KiB = {fmt_num(block / 2**20)} MiB",
        f"# GPU blocks = floor({fmt_num(budget / GIB)} GiB / block) = {blocks:,}"
        f" ({blocks * block_size:,} tokens)",
    )
    return VllmMemory(
        total=total,
        utilization=gpu_memory_utilization,
        weights=weights,
        non_torch=non_torch,
        activation_peak=activation,
        forward_peak=forward,
        sampler_peak=sampler,
        tokens=tokens,
        seqs=seqs,
        kv_budget=budget,
        kv_per_token=kv_per_token,
        block_size=block_size,
        blocks=blocks,
        steps=steps,
    )


def implied_non_torch(memory: VllmMemory, logged_blocks: int) -> float:
    """Bytes a logged ``# GPU blocks`` count implies vLLM reserved beyond weights and activations.

    Reading a log backwards this way separates what the engine models (weights, profile-run
    activations) from the runtime's own memory, which differs between vLLM versions.
    """
    used = memory.utilization * memory.total - logged_blocks * memory.block_bytes
    return used - memory.weights - memory.activation_peak
