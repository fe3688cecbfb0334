"""The vectorised sizing formulas: one numpy pass over thousands of scenarios.

A scenario is a model x format x device x context x batch x tensor-parallel degree.  Its
inputs are flattened into a :class:`Scenario` of equal-length float arrays (see
:mod:`studyapp.core.sizing.scenarios` for building them from catalog ids) and
:func:`evaluate` returns every figure as an array.  The same formulas are written out in
plain Python in :mod:`studyapp.core.sizing.scalar`; the tests and the benchmark assert
the two agree, which is the cheapest guard against a typo in either.

Conventions (all documented in /work/shared/reference/sizing.md):

* bytes and bytes/s throughout; GB = 1e9 bytes.
* KV cache is GQA-correct: ``2 * L * n_kv * d * bytes * S * B``; each tensor-parallel
  rank holds ``max(n_kv / tp, 1)`` heads (KV heads are replicated when tp > n_kv).
  Sliding-window layers cache at most the window (Mistral-7B-v0.1: every layer, 4096;
  Gemma-2: every other layer); MLA caches one latent of ``kv_lora_rank + rope`` elements
  per layer and token, replicated on every rank (``kv_heads = 1``).
* Activations materialise gate *and* up of a gated MLP (``inter_active = 2*I*k``).
* The compute peak is the format's: W8A8 runs on INT8 tensor cores, FP8 on FP8 ones
  (Hopper/Ada), weight-only formats at the FP16 peak.
* Decode is bounded by ``max(bytes read / BW, FLOPs / peak)`` per step.  The *bound*
  uses 100% of peak; the realistic range uses the MBU range measured on the device's
  class (``mbu_low``/``mbu_high``, derived in :mod:`studyapp.core.sizing.mbu` from cited
  llama.cpp measurements) and MFU 0.5-0.7.
* Several GPUs: vLLM / TensorRT-LLM use tensor parallelism (each rank reads W/tp per
  step, in parallel); llama.cpp splits the layers (``layer_split = 1``): each GPU holds
  W/n and its layers' KV, but a token passes the GPUs one after another, so batch-1
  decode reads all W per step at one GPU's bandwidth and gets no faster (measured:
  2 x RTX 4090 124.65 vs 1 x 130.58 tokens/s, data/measurements.json).
* An MoE decode step reads only the experts its batch touches: with uniform routing the
  expected fraction of experts hit per layer is ``1 - (1 - k/E)^B``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MFU_HIGH",
    "MFU_LOW",
    "MFU_PREFILL",
    "TP_CHOICES",
    "Arr",
    "Scenario",
    "evaluate",
    "min_tp",
]

Arr = NDArray[np.float64]
T = TypeVar("T")

#: Model FLOPs utilisation for compute-bound phases; TTFT is quoted at the conservative end.
MFU_LOW = 0.5
MFU_HIGH = 0.7
MFU_PREFILL = 0.5
#: Tensor-parallel degrees considered (attention heads must split evenly).
TP_CHOICES: tuple[int, ...] = (1, 2, 4, 8)


@dataclass(frozen=True)
class Scenario(Generic[T]):
    """Inputs of one scenario (``T = float``) or of many (``T = Arr``, equal-length arrays)."""

    # model
    p_total: T
    p_active: T
    p_embed: T  # embeddings + untied lm_head: may be stored at embed_bpw
    p_experts: T  # all expert MLP parameters (0 for dense models)
    layers: T
    n_q: T
    n_kv: T
    kv_heads: T  # split across ranks: n_kv, or 1 for MLA
    kv_elems: T  # cached elements per head, layer, token: 2*d, or the MLA latent
    window: T  # sliding window (0: none)
    local_layers: T  # layers that use the window
    head_dim: T
    hidden: T
    inter_active: (
        T  # MLP rows materialised per token: 2*I for gated (gate and up), times experts per token
    )
    vocab: T
    extra_kv: T  # cross-attention positions cached per decoder layer (Whisper: 1500)
    experts: T
    top_k: T
    # format
    bpw: T
    embed_bpw: T
    kv_bytes: T
    # device and runtime profile
    mem_bytes: T
    usable_fraction: T
    overhead_bytes: T
    chunk: T  # prompt tokens processed at once
    bw: T  # bytes/s
    peak_flops: T  # dense FLOP/s at the format's compute precision; NaN when unknown
    price: T  # USD per GPU-hour; NaN when unknown
    watts: T  # TDP; NaN when unknown
    max_tp: T
    layer_split: T  # 1: the runtime splits layers across GPUs (llama.cpp), 0: tensor parallelism
    mbu_low: T  # realistic decode range: lowest / highest MBU measured on this device class
    mbu_high: T
    # workload
    context: T
    batch: T
    tp: T

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def weight_bytes(s: Scenario[Arr]) -> Arr:
    """``((P - P_embed) * bpw + P_embed * embed_bpw) / 8``."""
    return ((s.p_total - s.p_embed) * s.bpw + s.p_embed * s.embed_bpw) / 8.0


def layer_positions(s: Scenario[Arr]) -> Arr:
    """Cached positions summed over layers: global layers hold S (+ cross), window layers min(S, W)."""
    full = (s.layers - s.local_layers) * (s.context + s.extra_kv)
    return full + s.local_layers * np.minimum(s.context, s.window)


def kv_bytes_per_gpu(s: Scenario[Arr]) -> Arr:
    """``max(n_kv/tp, 1) * 2d * bytes * B * sum over layers of cached positions`` on one rank."""
    split = s.layer_split > 0.5
    heads = np.where(split, s.kv_heads / s.tp, np.maximum(s.kv_heads / s.tp, 1.0))
    return heads * s.kv_elems * s.kv_bytes * s.batch * layer_positions(s)


def activation_bytes(s: Scenario[Arr]) -> Arr:
    """Transient prefill working set per rank: 16-bit hidden + MLP rows for one chunk, FP32 logits per sequence."""
    tokens = np.minimum(s.batch * s.context, s.chunk)
    ranks = np.where(s.layer_split > 0.5, 1.0, s.tp)  # a layer split keeps whole rows per GPU
    return 2.0 * tokens * (2.0 * s.hidden + s.inter_active) / ranks + 4.0 * s.batch * s.vocab


def evaluate(s: Scenario[Arr]) -> dict[str, Arr]:
    """Every figure of every scenario; booleans come back as float arrays of 0/1 (``fits``, ``memory_bound``)."""
    w = weight_bytes(s)
    kv_gpu = kv_bytes_per_gpu(s)
    act = activation_bytes(s)
    need = w / s.tp + kv_gpu + act + s.overhead_bytes
    usable = s.usable_fraction * s.mem_bytes
    fits = (need <= usable).astype(np.float64)

    moe = s.experts > 1.0
    touched = np.where(moe, 1.0 - (1.0 - s.top_k / s.experts) ** s.batch, 1.0)
    w_experts = s.p_experts * s.bpw / 8.0
    w_read = w - w_experts * (1.0 - touched)
    split = s.layer_split > 0.5
    par = np.where(split, 1.0, s.tp)  # GPUs working on a step at the same time
    bytes_step = np.where(split, w_read + kv_gpu * s.tp, w_read / s.tp + kv_gpu)
    t_mem = bytes_step / s.bw
    flops_step = (
        2.0 * s.p_active * s.batch + 4.0 * s.n_q * s.head_dim * layer_positions(s) * s.batch
    )
    t_comp = flops_step / (s.peak_flops * par)
    tok_bound = s.batch / np.fmax(t_mem, t_comp)
    tok_high = s.batch / np.fmax(t_mem / s.mbu_high, t_comp / MFU_HIGH)
    tok_low = s.batch / np.fmax(t_mem / s.mbu_low, t_comp / MFU_LOW)
    intensity = flops_step / (bytes_step * par)
    ridge = s.peak_flops / s.bw
    prefill = 2.0 * s.p_active * s.context * s.batch
    # attention over the cached positions of each layer (a sliding window caps local layers)
    prefill = prefill + 2.0 * s.n_q * s.head_dim * s.context * layer_positions(s) * s.batch
    ttft = np.maximum(prefill / (MFU_PREFILL * s.peak_flops * par), w / (s.bw * par))
    hourly = s.price * s.tp
    power = s.watts * s.tp
    return {
        "weights_bytes": w,
        "weights_per_gpu_bytes": w / s.tp,
        "kv_per_gpu_bytes": kv_gpu,
        "kv_total_bytes": kv_gpu * s.tp,
        "activation_bytes": act,
        "overhead_bytes": s.overhead_bytes + 0.0 * w,
        "need_per_gpu_bytes": need,
        "usable_bytes": usable,
        "fits": fits,
        "headroom_bytes": usable - need,
        "weights_read_bytes": w_read,
        "decode_memory_s": t_mem,
        "decode_compute_s": t_comp,
        "tokens_per_s_bound": tok_bound,
        "tokens_per_s_high": tok_high,
        "tokens_per_s_low": tok_low,
        "intensity_flop_per_byte": intensity,
        "ridge_flop_per_byte": ridge,
        "memory_bound": (intensity < ridge).astype(np.float64),
        "ttft_s": ttft,
        "cost_per_1k_usd_bound": 1000.0 * hourly / (3600.0 * tok_bound),
        "cost_per_1k_usd_high": 1000.0 * hourly / (3600.0 * tok_high),
        "cost_per_1k_usd_low": 1000.0 * hourly / (3600.0 * tok_low),
        "energy_j_per_token_bound": power / tok_bound,
        "energy_j_per_token_high": power / tok_high,
        "energy_j_per_token_low": power / tok_low,
    }


def min_tp(s: Scenario[Arr]) -> Arr:
    """Smallest GPU count in {1, 2, 4, 8} (within the profile's max) that fits; 0 if none does.

    Tensor parallelism must split the query heads evenly; a layer split need not.

    ``s.tp`` is ignored: every candidate is tried.
    """
    best = np.zeros_like(s.p_total)
    for tp in reversed(TP_CHOICES):
        trial = Scenario(**{**s.__dict__, "tp": np.full_like(s.p_total, float(tp))})
        w = weight_bytes(trial)
        need = w / tp + kv_bytes_per_gpu(trial) + activation_bytes(trial) + trial.overhead_bytes
        ok = (
            (need <= trial.usable_fraction * trial.mem_bytes)
            & ((np.mod(s.n_q, tp) == 0) | (s.layer_split > 0.5))
            & (tp <= s.max_tp)
        )
        best = np.where(ok, float(tp), best)
    return best
