"""Building engine inputs from catalog entries: one scenario, or a whole sweep as arrays.

Per-entity figures (parameter counts, bits per weight, device memory...) are computed
once into small tables; a sweep then gathers them with integer index arrays, so even
the set-up of thousands of scenarios is a handful of numpy operations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from studyapp.core.sizing.catalog import Device, Format, Model, load_catalog
from studyapp.core.sizing.engine import Arr, Scenario
from studyapp.core.sizing.gguf import gguf_size
from studyapp.core.sizing.params import count_params

__all__ = [
    "Sweep",
    "device_fields",
    "effective_bpw",
    "format_fields",
    "model_fields",
    "one",
    "peak_for",
    "sweep",
]

_MODEL_KEYS = (
    "p_total",
    "p_active",
    "p_embed",
    "p_experts",
    "layers",
    "n_q",
    "n_kv",
    "kv_heads",
    "kv_elems",
    "window",
    "local_layers",
    "head_dim",
    "hidden",
    "inter_active",
    "vocab",
    "extra_kv",
    "experts",
    "top_k",
)
_FORMAT_KEYS = ("bpw", "embed_bpw", "kv_bytes")
_DEVICE_KEYS = (
    "mem_bytes",
    "usable_fraction",
    "overhead_bytes",
    "chunk",
    "bw",
    "price",
    "watts",
    "max_tp",
    "layer_split",
    "mbu_low",
    "mbu_high",
)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _inter_active(model: Model) -> float:
    """MLP rows a token materialises: gate and up (2*I) for a gated MLP, times the experts it uses."""
    a = model.arch
    factor = 2 if a.get("mlp", "gated") == "gated" else 1
    dense = int(a["intermediate_size"])
    if a.get("moe_intermediate_size"):
        per_token = int(a["moe_intermediate_size"]) * (
            model.top_k + int(a.get("shared_experts", 0))
        )
        return float(factor * max(dense, per_token))
    return float(factor * dense * model.top_k)


@cache
def model_fields(model: Model) -> dict[str, float]:
    counts = count_params(model)
    return {
        "p_total": float(counts.total),
        "p_active": float(counts.active),
        "p_embed": float(counts.embedding),
        "p_experts": float(counts.experts),
        "layers": float(model.num_layers),
        "n_q": float(model.n_q),
        "n_kv": float(model.n_kv),
        "kv_heads": float(model.kv_heads),
        "kv_elems": float(model.kv_elems_per_head),
        "window": float(model.window),
        "local_layers": float(model.local_layers),
        "head_dim": float(model.head_dim),
        "hidden": float(model.hidden),
        "inter_active": _inter_active(model),
        "vocab": float(model.vocab),
        "extra_kv": float(model.extra_kv_tokens),
        "experts": float(model.experts),
        "top_k": float(model.top_k),
    }


def format_fields(fmt: Format) -> dict[str, float]:
    return {"bpw": fmt.bpw, "embed_bpw": fmt.embed_bpw, "kv_bytes": fmt.kv_bits / 8.0}


@cache
def effective_bpw(model: Model, fmt: Format) -> tuple[float, float]:
    """(bpw, embed_bpw) of ``fmt`` on ``model``: GGUF types are sized tensor by tensor (gguf.py)."""
    if fmt.per_tensor:
        bpw = gguf_size(model, fmt.id).bpw
        return bpw, bpw
    return fmt.bpw, fmt.embed_bpw


def peak_for(device: Device, fmt: Format) -> float:
    """Dense peak FLOP/s the format's matmuls run at: INT8/FP8 tensor cores for W8A8, else FP16.

    A device without the format's tensor cores (FP8 on an A100) runs it weight-only at FP16.
    """
    fp16 = _nan(device.peak_flops)
    if fmt.compute == "int8" and device.int8_dense_tops is not None:
        return device.int8_dense_tops * 1e12
    if fmt.compute == "fp8" and device.fp8_peak_flops is not None:
        return device.fp8_peak_flops
    return fp16


def device_fields(device: Device) -> dict[str, float]:
    from studyapp.core.sizing.mbu import mbu_range  # derived from measurements sized by this module

    profile = device.profile
    mbu = mbu_range(profile.id)
    return {
        "layer_split": 1.0 if profile.multi_gpu == "layer" else 0.0,
        "mbu_low": mbu.low,
        "mbu_high": mbu.high,
        "mem_bytes": device.mem_bytes,
        "usable_fraction": profile.usable_fraction,
        "overhead_bytes": profile.overhead_bytes,
        "chunk": float(profile.prefill_chunk_tokens),
        "bw": device.bw_bytes_per_s,
        "price": _nan(device.price_usd_per_gpu_hour),
        "watts": _nan(device.tdp_w),
        "max_tp": float(profile.max_tp),
    }


def one(
    model: Model, fmt: Format, device: Device, *, context: int, batch: int = 1, tp: int = 1
) -> Scenario[float]:
    """A single scenario of Python floats (for :mod:`studyapp.core.sizing.scalar`)."""
    values = {**model_fields(model), **format_fields(fmt), **device_fields(device)}
    values["bpw"], values["embed_bpw"] = effective_bpw(model, fmt)
    values["peak_flops"] = peak_for(device, fmt)
    return Scenario(context=float(context), batch=float(batch), tp=float(tp), **values)


@dataclass(frozen=True)
class Sweep:
    """A flattened grid of scenarios and, per scenario, the index of each coordinate."""

    scenario: Scenario[Arr]
    model_ids: tuple[str, ...]
    format_ids: tuple[str, ...]
    device_ids: tuple[str, ...]
    model_index: Arr
    format_index: Arr
    device_index: Arr

    def __len__(self) -> int:
        return int(self.model_index.shape[0])

    def scalar(self, i: int) -> Scenario[float]:
        """Scenario ``i`` as Python floats (what a plain loop would compute with)."""
        values = {name: float(getattr(self.scenario, name)[i]) for name in Scenario.field_names()}
        return Scenario(**values)


def _table(rows: Sequence[dict[str, float]], keys: Sequence[str]) -> dict[str, Arr]:
    return {k: np.array([row[k] for row in rows], dtype=np.float64) for k in keys}


def sweep(
    model_ids: Sequence[str] | None = None,
    format_ids: Sequence[str] | None = None,
    device_ids: Sequence[str] | None = None,
    contexts: Sequence[int] = (512, 2048, 8192, 32768),
    batches: Sequence[int] = (1,),
    tps: Sequence[int] = (1,),
) -> Sweep:
    """Every combination of the given ids (default: the whole catalog) as one :class:`Scenario` of arrays."""
    cat = load_catalog()
    models = [cat.model(m) for m in (model_ids or list(cat.models))]
    formats = [cat.format(f) for f in (format_ids or list(cat.formats))]
    devices = [cat.device(d) for d in (device_ids or list(cat.devices))]
    mt = _table([model_fields(m) for m in models], _MODEL_KEYS)
    ft = _table([format_fields(f) for f in formats], _FORMAT_KEYS)
    dt = _table([device_fields(d) for d in devices], _DEVICE_KEYS)
    grids = np.meshgrid(
        np.arange(len(models)),
        np.arange(len(formats)),
        np.arange(len(devices)),
        np.asarray(contexts, dtype=np.float64),
        np.asarray(batches, dtype=np.float64),
        np.asarray(tps, dtype=np.float64),
        indexing="ij",
    )
    mi, fi, di, ctx, bat, tpa = (g.ravel().astype(np.float64) for g in grids)
    mi, fi, di = mi.astype(np.intp), fi.astype(np.intp), di.astype(np.intp)
    values: dict[str, Arr] = {k: v[mi] for k, v in mt.items()}
    values.update({k: v[fi] for k, v in ft.items()})
    values.update({k: v[di] for k, v in dt.items()})
    pairs = [[effective_bpw(m, f) for f in formats] for m in models]
    values["bpw"] = np.array([[p[0] for p in row] for row in pairs], dtype=np.float64)[mi, fi]
    values["embed_bpw"] = np.array([[p[1] for p in row] for row in pairs], dtype=np.float64)[mi, fi]
    peaks = np.array([[peak_for(d, f) for d in devices] for f in formats], dtype=np.float64)
    values["peak_flops"] = peaks[fi, di]
    scenario = Scenario(context=ctx, batch=bat, tp=tpa, **values)
    return Sweep(
        scenario=scenario,
        model_ids=tuple(m.id for m in models),
        format_ids=tuple(f.id for f in formats),
        device_ids=tuple(d.id for d in devices),
        model_index=mi.astype(np.float64),
        format_index=fi.astype(np.float64),
        device_index=di.astype(np.float64),
    )
