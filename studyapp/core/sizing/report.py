"""One sizing answer with its working: what ``studyapp size`` prints and the calculator shows.

Each step is a line "formula with the numbers substituted = result unit", so a learner
can redo the arithmetic by hand and see where a wrong answer went wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from studyapp.core.sizing.catalog import Device, Format, Model, load_catalog
from studyapp.core.sizing.engine import MFU_PREFILL, Scenario
from studyapp.core.sizing.fit import FitVerdict, fit_verdict, verdict_text
from studyapp.core.sizing.params import count_params
from studyapp.core.sizing.scalar import evaluate_one, min_tp_one
from studyapp.core.sizing.scenarios import one
from studyapp.core.sizing.units import GB, GIB, fmt_bytes, fmt_num
from studyapp.core.sizing.vllm import VllmMemory, vllm_memory

__all__ = ["SizingReport", "default_context", "size_report"]


def default_context(model: Model) -> int:
    """A context the question usually means: the model's window, capped at 8192 tokens."""
    return min(model.max_context, 8192)


@dataclass(frozen=True)
class SizingReport:
    """Every figure of one scenario plus the worked steps; ``to_dict`` is the ``--json`` shape."""

    model: Model
    fmt: Format
    device: Device
    context: int
    batch: int
    gpus: int
    gpus_min: int  # smallest tp that fits (0: none up to the profile's max)
    params_total: int
    params_active: int
    figures: dict[str, float]
    steps: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def fits(self) -> bool:
        return self.figures["fits"] == 1.0

    @property
    def mbu(self) -> tuple[float, float]:
        """The realistic decode range's MBU (low, high), measured on this device's class (mbu.py)."""
        from studyapp.core.sizing.mbu import mbu_range

        r = mbu_range(self.device.profile.id)
        return r.low, r.high

    @property
    def verdict(self) -> FitVerdict:
        """ "fits" / "does not fit", or "borderline" within 3% of the usable memory."""
        return fit_verdict(self.figures["need_per_gpu_bytes"], self.figures["usable_bytes"])

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model.id,
            "format": self.fmt.id,
            "device": self.device.id,
            "context": self.context,
            "batch": self.batch,
            "gpus": self.gpus,
            "gpus_min": self.gpus_min or None,
            "params_total": self.params_total,
            "params_active": self.params_active,
            "bits_per_weight": self.fmt.bpw,
            "usable_fraction": self.device.profile.usable_fraction,
            "device_memory": self.device.mem_label,
            "device_memory_bytes": self.device.mem_bytes,
            "bandwidth_is_estimate": self.device.bw_is_estimate,
            "price_usd_per_gpu_hour": self.device.price_usd_per_gpu_hour,
        }
        for key, value in self.figures.items():
            if key in {"fits", "memory_bound"}:
                continue
            out[key] = None if math.isnan(value) else value
        out["fits"] = self.fits
        out["verdict"] = self.verdict
        ridge = self.figures["ridge_flop_per_byte"]
        out["memory_bound"] = None if math.isnan(ridge) else self.figures["memory_bound"] == 1.0
        out["steps"] = list(self.steps)
        out["notes"] = list(self.notes)
        return out


def size_report(
    model_id: str,
    format_id: str = "fp16",
    device_id: str = "a100-80gb",
    *,
    gpus: int | None = None,
    context: int | None = None,
    batch: int = 1,
) -> SizingReport:
    """Size one scenario.  ``gpus=None`` picks the smallest tensor-parallel degree that fits."""
    cat = load_catalog()
    model, fmt, device = cat.model(model_id), cat.format(format_id), cat.device(device_id)
    ctx = default_context(model) if context is None else context
    probe = one(model, fmt, device, context=ctx, batch=batch, tp=1)
    tp_min = min_tp_one(probe)
    tp = gpus if gpus is not None else (tp_min or device.profile.max_tp)
    s = one(model, fmt, device, context=ctx, batch=batch, tp=tp)
    figures = evaluate_one(s)
    counts = count_params(model)
    notes = _notes(model, device, ctx, tp, tp_min)
    vllm = None
    if device.profile.id == "cloud-vllm" and tp_min and model.kv_elems_per_head:
        vllm = vllm_memory(model.id, fmt.id, device.id, tp=tp)
    return SizingReport(
        model=model,
        fmt=fmt,
        device=device,
        context=ctx,
        batch=batch,
        gpus=tp,
        gpus_min=tp_min,
        params_total=counts.total,
        params_active=counts.active,
        figures=figures,
        steps=tuple(counts.steps[-1:]) + _steps(s, figures, fmt, device, tp_min, vllm),
        notes=notes,
    )


def _notes(model: Model, device: Device, ctx: int, tp: int, tp_min: int) -> tuple[str, ...]:
    notes: list[str] = []
    if ctx > model.max_context:
        notes.append(f"context {ctx} exceeds {model.name}'s window of {model.max_context} tokens")
    if device.bw_is_estimate:
        notes.append(
            f"{device.name}: bandwidth {device.bw_gbps} GB/s is an estimate ({device.source})"
        )
    if device.price_usd_per_gpu_hour is None:
        notes.append(f"no price for {device.name}: cost per 1K tokens not computed")
    if device.tdp_w is None:
        notes.append(f"no power figure for {device.name}: energy per token not computed")
    if device.peak_flops is None:
        notes.append(f"no compute figure for {device.name}: TTFT and the roofline are not computed")
    if tp_min == 0:
        notes.append(f"does not fit on up to {device.profile.max_tp} x {device.name}")
    elif tp < tp_min:
        notes.append(f"{tp} device(s) is too few: needs at least {tp_min}")
    if model.extra_kv_tokens:
        notes.append(
            f"encoder-decoder: KV includes {model.extra_kv_tokens} cross-attention positions per decoder layer"
        )
    return tuple(notes)


def _mbu_basis(device: Device) -> str:
    from studyapp.core.sizing.mbu import mbu_range

    return mbu_range(device.profile.id).basis


def _steps(
    s: Scenario[float],
    f: dict[str, float],
    fmt: Format,
    device: Device,
    tp_min: int,
    vllm: VllmMemory | None = None,
) -> tuple[str, ...]:
    tp = int(s.tp)
    p_rest = s.p_total - s.p_embed
    if s.embed_bpw == s.bpw:
        weights = f"weights = P x bpw / 8 = {s.p_total:,.0f} x {s.bpw:g} / 8"
    else:
        weights = (
            f"weights = (P - P_embed) x bpw / 8 + P_embed x {s.embed_bpw:g} / 8"
            f" = {p_rest:,.0f} x {s.bpw:g} / 8 + {s.p_embed:,.0f} x {s.embed_bpw:g} / 8"
        )
    heads = max(s.n_kv / tp, 1.0)
    positions = f"({s.context:.0f} + {s.extra_kv:.0f})" if s.extra_kv else f"{s.context:.0f}"
    steps = [
        f"{weights} = {fmt_bytes(f['weights_bytes'])}",
        f"KV per GPU = 2 x L x max(n_kv/tp, 1) x d x bytes x S x B = 2 x {s.layers:.0f} x {fmt_num(heads, 4)}"
        f" x {s.head_dim:.0f} x {s.kv_bytes:g} x {positions} x {s.batch:.0f} = {fmt_bytes(f['kv_per_gpu_bytes'])}",
        f"activations ~= 2 x min(B*S, {s.chunk:.0f}) x (2h + {'2I' if s.inter_active else 'I'}) / tp + 4 x B x V"
        f" = {fmt_bytes(f['activation_bytes'])}",
    ]
    usable = f["usable_bytes"]
    need = f["need_per_gpu_bytes"]
    steps.append(
        f"need per GPU = W/tp + KV + activations + overhead = {fmt_num(f['weights_bytes'] / GB)}/{tp}"
        f" + {fmt_num(f['kv_per_gpu_bytes'] / GB)} + {fmt_num(f['activation_bytes'] / GB)}"
        f" + {fmt_num(s.overhead_bytes / GB)} = {fmt_num(need / GB)} GB ({fmt_num(need / GIB)} GiB)"
        f" {'<=' if f['fits'] == 1.0 else '>'} usable = {s.usable_fraction:g} x {device.mem_label}"
        f" = {fmt_num(usable / GB)} GB ({fmt_num(usable / GIB)} GiB) -> {verdict_text(need, usable)}"
    )
    if tp_min:
        steps.append(f"minimum GPUs (tp in 1,2,4,8 with n_q % tp == 0 that fits) = {tp_min}")
    if vllm is not None:
        v = vllm
        steps.append(
            f"vLLM start-up: # GPU blocks = (0.9 x total - weights - non-torch - activation peak)"
            f" / (16 x KV per token) = {fmt_num(v.kv_budget / GIB)} GiB / block = {v.blocks:,} blocks"
            f" ({v.kv_tokens:,} tokens of KV per GPU)"
        )
    if tp > 1 and s.layer_split > 0.5:
        steps.append(
            f"multi-GPU: {device.profile.name} splits the layers over {tp} GPUs (pipeline): each holds W/{tp},"
            f" but a token passes them one after another, so decode reads all W per step at one GPU's"
            f" bandwidth: no speed-up from more GPUs"
        )
    elif tp > 1:
        steps.append(
            f"multi-GPU: tensor parallelism over {tp} GPUs: each reads W/{tp} per step in parallel"
            f" (plus 2 all-reduces per layer, ignored here)"
        )
    if s.layer_split > 0.5:
        steps.append(
            f"decode time/token >= (W_read + KV)/BW = ({fmt_num(f['weights_read_bytes'] / GB)}"
            f" + {fmt_num(f['kv_total_bytes'] / GB)}) GB / {device.bw_gbps:g} GB/s"
            f" = {fmt_num(f['decode_memory_s'] * 1e3)} ms"
        )
    else:
        steps.append(
            f"decode time/token >= (W_read/tp + KV)/BW = ({fmt_num(f['weights_read_bytes'] / GB)}/{tp}"
            f" + {fmt_num(f['kv_per_gpu_bytes'] / GB)}) GB / {device.bw_gbps:g} GB/s"
            f" = {fmt_num(f['decode_memory_s'] * 1e3)} ms"
        )
    if not math.isnan(f["decode_compute_s"]):
        steps.append(
            f"compute/step = (2 x P_active x B + attention) / (peak x tp) = {fmt_num(f['decode_compute_s'] * 1e3)} ms"
        )
    steps.append(
        f"tokens/s bound = B / max(memory, compute) = {s.batch:.0f} / max(...) = "
        f"{fmt_num(f['tokens_per_s_bound'])} tokens/s; realistic (MBU {s.mbu_low:g}-{s.mbu_high:g}, measured on {_mbu_basis(device)}) "
        f"{fmt_num(f['tokens_per_s_low'])}-{fmt_num(f['tokens_per_s_high'])} tokens/s"
    )
    if not math.isnan(f["ridge_flop_per_byte"]):
        regime = "memory-bound" if f["memory_bound"] == 1.0 else "compute-bound"
        steps.append(
            f"roofline: ridge = peak / BW = {fmt_num(s.peak_flops / 1e12)} TFLOPS / {device.bw_gbps:g} GB/s"
            f" = {fmt_num(f['ridge_flop_per_byte'])} FLOP/byte; decode intensity"
            f" = {fmt_num(f['intensity_flop_per_byte'])} FLOP/byte -> {regime}"
        )
        steps.append(
            f"TTFT ~= max(2 x P x S x B + attention) / ({MFU_PREFILL} x peak x tp), W / (BW x tp))"
            f" = {fmt_num(f['ttft_s'] * 1e3)} ms"
        )
    if not math.isnan(s.price):
        steps.append(
            f"$/1K tokens = 1000 x $/h x n / (3600 x tokens/s) = 1000 x {s.price:g} x {tp} / (3600 x"
            f" {fmt_num(f['tokens_per_s_bound'])}) = ${fmt_num(f['cost_per_1k_usd_bound'])} at the bound"
            f" (${fmt_num(f['cost_per_1k_usd_high'])}-${fmt_num(f['cost_per_1k_usd_low'])} realistic; list price)"
        )
    if not math.isnan(s.watts):
        steps.append(
            f"J/token = watts x n / tokens/s = {s.watts:g} x {tp} / {fmt_num(f['tokens_per_s_bound'])}"
            f" = {fmt_num(f['energy_j_per_token_bound'])} J at the bound (TDP is an upper bound on power)"
        )
    del fmt
    return tuple(steps)
