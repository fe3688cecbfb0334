"""The realistic decode range, derived from measured speeds instead of asserted.

Single-stream decode reads every weight once per token, so a measured speed gives the
memory-bandwidth utilisation it reached: ``MBU = tokens/s x bytes per token / BW``.
``data/measurements.json`` lists public llama.cpp measurements (each with its table and
source); the range a device class is quoted with is the lowest and highest MBU measured on
that class (discrete GPUs, Apple silicon), and the union of all of them for classes with no
measurement of their own (phones, boards, CPUs), which the report then says.  So the range
always contains the measurements the app cites, by construction, and moves when they do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.scenarios import effective_bpw, model_fields

__all__ = ["MbuRange", "Measurement", "mbu_range", "measurements"]

#: Device classes by runtime profile: whose measurements a profile's range comes from.
_CLASS = {
    "cloud-vllm": "gpu",
    "desktop-gpu": "gpu",
    "apple-unified": "apple",
}


@dataclass(frozen=True)
class Measurement:
    """One measured decode speed and the MBU it implies."""

    runtime: str
    device_id: str
    model_id: str
    format_id: str
    tokens_per_s: float
    table: str
    bytes_per_token: float
    mbu: float

    @property
    def device_class(self) -> str:
        return _CLASS.get(load_catalog().devices[self.device_id].profile.id, "other")


@dataclass(frozen=True)
class MbuRange:
    low: float
    high: float
    basis: str  # which measurements: "gpu", "apple" or "all (no measurement for this class)"


def _bytes_per_token(model_id: str, format_id: str, generated: int) -> float:
    """Weights plus the FP16 KV read at the average cached length (half the generated tokens)."""
    cat = load_catalog()
    model, fmt = cat.model(model_id), cat.format(format_id)
    f = model_fields(model)
    bpw, embed_bpw = effective_bpw(model, fmt)
    weights = ((f["p_total"] - f["p_embed"]) * bpw + f["p_embed"] * embed_bpw) / 8.0
    kv_per_token = f["kv_heads"] * f["kv_elems"] * 2.0 * f["layers"]
    return weights + kv_per_token * generated / 2.0


@cache
def measurements() -> tuple[Measurement, ...]:
    text = resources.files("studyapp.core.sizing").joinpath("data", "measurements.json")
    doc = json.loads(text.read_text("utf-8"))
    cat = load_catalog()
    out = []
    for row in doc["measurements"]:
        bpt = _bytes_per_token(row["model"], row["format"], int(row["generated"]))
        bw = cat.devices[row["device"]].bw_bytes_per_s
        out.append(
            Measurement(
                runtime=row["runtime"],
                device_id=row["device"],
                model_id=row["model"],
                format_id=row["format"],
                tokens_per_s=float(row["tokens_per_s"]),
                table=row["table"],
                bytes_per_token=bpt,
                mbu=float(row["tokens_per_s"]) * bpt / bw,
            )
        )
    return tuple(out)


@cache
def mbu_range(profile_id: str) -> MbuRange:
    """Lowest and highest measured MBU for the profile's device class (rounded outward to 0.01)."""
    cls = _CLASS.get(profile_id)
    rows = [m for m in measurements() if cls is not None and m.device_class == cls]
    basis = f"{cls}: {len(rows)} llama.cpp measurements" if cls else ""
    if not rows:
        rows = list(measurements())
        basis = "all (no measurement for this device class)"
    low = min(m.mbu for m in rows)
    high = max(m.mbu for m in rows)
    return MbuRange(low=int(low * 100) / 100, high=-(-int(high * 1000) // 10) / 100, basis=basis)
