"""vLLM's start-up memory accounting: how many 16-token KV blocks it will allocate.

vLLM profiles one forward pass at ``max_num_batched_tokens`` tokens, then gives the KV
cache whatever is left of ``gpu_memory_utilization x total`` after the weights, the
memory PyTorch does not see (CUDA context, cuBLAS/NCCL workspaces: "non-torch") and the
activation peak of that profiling run, and cuts it into blocks of ``block_size`` tokens.
Its start-up log prints the result (``# GPU blocks: N``), so this module can be checked
against published logs: Llama-2-7B on one A100-80GB printed 7351 blocks (vLLM PR #2031).

The activation peak is estimated like the engine's: the profiled tokens times the hidden
state and the gated MLP's gate and up rows (2*I) in 16 bit, plus FP32 logits for
``max_num_seqs`` sequences.  Non-torch memory defaults to the runtime profile's overhead
(1 GiB for cloud-vllm); with tp > 1 NCCL and custom all-reduce buffers add several GiB
that this estimate does not model: for Llama-2-70B at TP=4 the same PR's log shows 20865
blocks where this gives about 31.7K (close to the 31615 vLLM printed before that fix).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.scalar import evaluate_one
from studyapp.core.sizing.scenarios import model_fields, one
from studyapp.core.sizing.units import GIB, fmt_num

__all__ = ["VllmMemory", "vllm_memory"]


@dataclass(frozen=True)
class VllmMemory:
    """The budget vLLM computes at start-up, per GPU, in bytes."""

    total: float
    utilization: float
    weights: float
    non_torch: float
    activation_peak: float
    kv_budget: float
    kv_per_token: float
    block_size: int
    blocks: int
    steps: tuple[str, ...]

    @property
    def tokens(self) -> int:
        return self.blocks * self.block_size


def vllm_memory(
    model_id: str,
    format_id: str,
    device_id: str,
    *,
    tp: int = 1,
    gpu_memory_utilization: float = 0.9,
    max_num_batched_tokens: int | None = None,
    max_num_seqs: int = 256,
    block_size: int = 16,
    non_torch_gib: float | None = None,
) -> VllmMemory:
    """KV blocks vLLM would allocate per GPU for this configuration."""
    cat = load_catalog()
    model, fmt, device = cat.model(model_id), cat.format(format_id), cat.device(device_id)
    tokens = max_num_batched_tokens or device.profile.prefill_chunk_tokens
    f = evaluate_one(one(model, fmt, device, context=1, tp=tp))
    weights = f["weights_per_gpu_bytes"]
    kv_per_token = f["kv_per_gpu_bytes"]
    m = model_fields(model)
    activation = 2.0 * tokens * (m["hidden"] + m["inter_active"]) / tp
    activation += 4.0 * max_num_seqs * m["vocab"]
    non_torch = (device.profile.overhead_gib if non_torch_gib is None else non_torch_gib) * GIB
    total = device.mem_bytes
    budget = gpu_memory_utilization * total - weights - non_torch - activation
    blocks = max(math.floor(budget / (block_size * kv_per_token)), 0) if kv_per_token else 0
    steps = (
        f"total = {device.mem_label}; x gpu_memory_utilization {gpu_memory_utilization:g}"
        f" = {fmt_num(gpu_memory_utilization * total / GIB)} GiB",
        f"weights/GPU = {fmt_num(weights / GIB)} GiB; non-torch = {fmt_num(non_torch / GIB)} GiB;"
        f" activation peak of a {tokens}-token profiling run ~= 2 x {tokens} x (h + 2I) / tp"
        f" + 4 x {max_num_seqs} x V = {fmt_num(activation / GIB)} GiB",
        f"KV budget = {fmt_num(budget / GIB)} GiB; block = {block_size} tokens x"
        f" {fmt_num(kv_per_token / 1024)} KiB = {fmt_num(block_size * kv_per_token / 2**20)} MiB",
        f"# GPU blocks = floor({fmt_num(budget / GIB)} GiB / block) = {blocks:,}"
        f" ({blocks * block_size:,} tokens)",
    )
    return VllmMemory(
        total=total,
        utilization=gpu_memory_utilization,
        weights=weights,
        non_torch=non_torch,
        activation_peak=activation,
        kv_budget=budget,
        kv_per_token=kv_per_token,
        block_size=block_size,
        blocks=blocks,
        steps=steps,
    )
