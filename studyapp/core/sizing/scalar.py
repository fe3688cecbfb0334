"""The sizing formulas for one scenario in plain Python floats.

This is a deliberate second implementation of :func:`studyapp.core.sizing.engine.evaluate`:
the interactive ``studyapp size`` and the calc cards use it (no array set-up for one
answer), the worked steps are written from its numbers, and the tests and benchmark
check that both implementations give the same figures for every scenario of the sweep.
"""

from __future__ import annotations

import math

from studyapp.core.sizing.engine import (
    MFU_HIGH,
    MFU_LOW,
    MFU_PREFILL,
    TP_CHOICES,
    Scenario,
)

__all__ = ["evaluate_one", "layer_positions", "min_tp_one", "need_per_gpu"]

NAN = math.nan


def _fmax(a: float, b: float) -> float:
    """numpy.fmax semantics: ignore a NaN operand (an unknown compute peak bounds nothing)."""
    if math.isnan(a):
        return b
    if math.isnan(b):
        return a
    return max(a, b)


def _weights(s: Scenario[float]) -> float:
    return ((s.p_total - s.p_embed) * s.bpw + s.p_embed * s.embed_bpw) / 8.0


def layer_positions(s: Scenario[float]) -> float:
    """Cached positions summed over layers (window layers hold at most the window)."""
    full = (s.layers - s.local_layers) * (s.context + s.extra_kv)
    return full + s.local_layers * min(s.context, s.window)


def _kv_gpu(s: Scenario[float], tp: float) -> float:
    heads = s.kv_heads / tp if s.layer_split > 0.5 else max(s.kv_heads / tp, 1.0)
    return heads * s.kv_elems * s.kv_bytes * s.batch * layer_positions(s)


def _activations(s: Scenario[float], tp: float) -> float:
    tokens = min(s.batch * s.context, s.chunk)
    ranks = 1.0 if s.layer_split > 0.5 else tp
    return 2.0 * tokens * (2.0 * s.hidden + s.inter_active) / ranks + 4.0 * s.batch * s.vocab


def need_per_gpu(s: Scenario[float], tp: float) -> float:
    """Bytes one rank needs: weights/tp + KV on the rank + activations + runtime overhead."""
    return _weights(s) / tp + _kv_gpu(s, tp) + _activations(s, tp) + s.overhead_bytes


def min_tp_one(s: Scenario[float]) -> int:
    """Smallest GPU count in {1, 2, 4, 8} allowed by the profile that fits (tensor parallelism
    must also split the query heads; a layer split need not); 0 if none."""
    usable = s.usable_fraction * s.mem_bytes
    for tp in TP_CHOICES:
        splits = s.layer_split > 0.5 or s.n_q % tp == 0
        if tp <= s.max_tp and splits and need_per_gpu(s, tp) <= usable:
            return tp
    return 0


def evaluate_one(s: Scenario[float]) -> dict[str, float]:
    """The figures of :func:`engine.evaluate` for one scenario, same keys, same formulas."""
    tp = s.tp
    w = _weights(s)
    kv_gpu = _kv_gpu(s, tp)
    act = _activations(s, tp)
    need = w / tp + kv_gpu + act + s.overhead_bytes
    usable = s.usable_fraction * s.mem_bytes
    touched = 1.0 - (1.0 - s.top_k / s.experts) ** s.batch if s.experts > 1.0 else 1.0
    w_read = w - s.p_experts * s.bpw / 8.0 * (1.0 - touched)
    split = s.layer_split > 0.5
    par = 1.0 if split else tp  # GPUs working on a step at the same time
    bytes_step = w_read + kv_gpu * tp if split else w_read / tp + kv_gpu
    t_mem = bytes_step / s.bw
    flops_step = (
        2.0 * s.p_active * s.batch + 4.0 * s.n_q * s.head_dim * layer_positions(s) * s.batch
    )
    peak = s.peak_flops
    t_comp = NAN if math.isnan(peak) else flops_step / (peak * par)
    tok_bound = s.batch / _fmax(t_mem, t_comp)
    tok_high = s.batch / _fmax(t_mem / s.mbu_high, t_comp / MFU_HIGH)
    tok_low = s.batch / _fmax(t_mem / s.mbu_low, t_comp / MFU_LOW)
    intensity = flops_step / (bytes_step * par)
    ridge = peak / s.bw
    prefill = 2.0 * s.p_active * s.context * s.batch
    # attention over the cached positions of each layer (a sliding window caps local layers)
    prefill = prefill + 2.0 * s.n_q * s.head_dim * s.context * layer_positions(s) * s.batch
    ttft = NAN if math.isnan(peak) else max(prefill / (MFU_PREFILL * peak * par), w / (s.bw * par))
    hourly = s.price * tp
    power = s.watts * tp
    return {
        "weights_bytes": w,
        "weights_per_gpu_bytes": w / tp,
        "kv_per_gpu_bytes": kv_gpu,
        "kv_total_bytes": kv_gpu * tp,
        "activation_bytes": act,
        "overhead_bytes": s.overhead_bytes,
        "need_per_gpu_bytes": need,
        "usable_bytes": usable,
        "fits": 1.0 if need <= usable else 0.0,
        "headroom_bytes": usable - need,
        "weights_read_bytes": w_read,
        "decode_memory_s": t_mem,
        "decode_compute_s": t_comp,
        "tokens_per_s_bound": tok_bound,
        "tokens_per_s_high": tok_high,
        "tokens_per_s_low": tok_low,
        "intensity_flop_per_byte": intensity,
        "ridge_flop_per_byte": ridge,
        "memory_bound": 1.0 if intensity < ridge else 0.0,
        "ttft_s": ttft,
        "cost_per_1k_usd_bound": 1000.0 * hourly / (3600.0 * tok_bound),
        "cost_per_1k_usd_high": 1000.0 * hourly / (3600.0 * tok_high),
        "cost_per_1k_usd_low": 1000.0 * hourly / (3600.0 * tok_low),
        "energy_j_per_token_bound": power / tok_bound,
        "energy_j_per_token_high": power / tok_high,
        "energy_j_per_token_low": power / tok_low,
    }
