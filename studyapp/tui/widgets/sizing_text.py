"""The sizing calculator's figures as short text: numbers, units and the side-by-side rows.

Pure formatting of a :class:`~studyapp.core.sizing.report.SizingReport` (Rich ``Text``
and ``str`` only, no widgets); ``n/a`` stands in for figures the catalog cannot give.
"""

from __future__ import annotations

import math

from rich.text import Text

from studyapp.core.sizing.catalog import Device
from studyapp.core.sizing.report import SizingReport
from studyapp.core.sizing.units import GB, fmt_num

__all__ = [
    "compare_rows",
    "cost_text",
    "device_label",
    "energy_text",
    "estimate_note",
    "gb_text",
    "min_gpus_text",
    "num_text",
    "short_cost",
    "short_energy",
    "short_memory",
    "short_name",
    "tps_range",
    "ttft_text",
]


def short_name(device: Device) -> str:
    """'iPhone 15 Pro (A17 Pro, 8 GB)' -> 'iPhone 15 Pro'; column headers are narrow."""
    return device.name.split(" (")[0].removeprefix("NVIDIA ")


def device_label(device: Device) -> Text:
    """A device option: dim 'edge'/'cloud', its short name and memory.

    The full name ("iPhone 15 Pro (A17 Pro, 8 GB)") was cut to "iPhone 15 Pro (A17"
    in the 28-column select at 80 columns; the verdict line names the device in full.
    """
    where = "edge " if device.is_edge else "cloud"
    name = short_name(device)
    memory = "" if "GB" in name else f" {short_memory(device)}"
    return Text.assemble((where, "dim"), " ", name, (memory, "dim"))


def short_memory(device: Device) -> str:
    """The device's memory in the vendor's binary or decimal unit, short: '8 GiB', '79.6 GiB'.

    NVIDIA's "80 GB" and Apple's "8 GB" are GiB (the driver reports MiB): printing them as
    decimal GB would repeat the mistake the catalog was fixed for.
    """
    if device.mem_unit in ("GiB", "MiB"):
        return f"{device.mem_gib:.3g} GiB"
    return f"{device.mem_gb:.3g} GB"


def num_text(value: float, unit: str = "", digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{fmt_num(value, digits)}{unit}"


def gb_text(value: float) -> str:
    """Bytes as decimal gigabytes (GB = 1e9 bytes)."""
    return "n/a" if math.isnan(value) else f"{fmt_num(value / GB)} GB"


def tps_range(r: SizingReport) -> str:
    """Realistic decode speed, low–high."""
    f = r.figures
    return f"{num_text(f['tokens_per_s_low'])}–{num_text(f['tokens_per_s_high'])}"


def cost_text(r: SizingReport) -> str:
    """Cost per 1K tokens at the bound, with the realistic range."""
    f = r.figures
    if r.device.price_usd_per_gpu_hour is None:
        return "no public price"
    return f"${num_text(f['cost_per_1k_usd_bound'])} (${num_text(f['cost_per_1k_usd_high'])}–${num_text(f['cost_per_1k_usd_low'])})"


def energy_text(r: SizingReport) -> str:
    if r.device.tdp_w is None:
        return "no power figure"
    return f"{num_text(r.figures['energy_j_per_token_bound'])} J (TDP bound)"


def ttft_text(r: SizingReport) -> str:
    """Time to first token, in ms below a second."""
    ttft = r.figures["ttft_s"]
    if math.isnan(ttft):
        return "n/a (no FLOPS figure)"
    return f"{fmt_num(ttft * 1e3)} ms" if ttft < 1 else f"{fmt_num(ttft)} s"


def min_gpus_text(r: SizingReport) -> str:
    if r.gpus_min:
        return f"{r.gpus_min} (tensor parallel)" if r.gpus_min > 1 else "1"
    return f"none ≤ {r.device.profile.max_tp}"


def estimate_note(note: str) -> str:
    """'X (long source): bandwidth 51.2 GB/s is an estimate (...)' -> 'bandwidth 51.2 GB/s is an estimate'."""
    _, _, rest = note.partition("): ")
    return (rest or note).split(" (")[0]


def short_cost(r: SizingReport) -> str:
    """Cost per 1K tokens at the bound only (table cells are narrow)."""
    if r.device.price_usd_per_gpu_hour is None:
        return "no public price"
    return f"${num_text(r.figures['cost_per_1k_usd_bound'])}"


def short_energy(r: SizingReport) -> str:
    if r.device.tdp_w is None:
        return "n/a"
    return num_text(r.figures["energy_j_per_token_bound"])


def _fits_cell(r: SizingReport) -> Text:
    if r.fits:
        return Text(f"✓ on {r.gpus}", style="bold green")
    return Text(f"✗ on {r.gpus}", style="bold red")


def compare_rows(a: SizingReport, b: SizingReport) -> list[tuple[Text, Text, Text]]:
    """The side-by-side table's rows: (metric, device a, device b)."""
    rows: list[tuple[str, Text | str, Text | str]] = [
        ("memory", short_memory(a.device), short_memory(b.device)),
        ("usable", gb_text(a.figures["usable_bytes"]), gb_text(b.figures["usable_bytes"])),
        (
            "needs/device",
            gb_text(a.figures["need_per_gpu_bytes"]),
            gb_text(b.figures["need_per_gpu_bytes"]),
        ),
        ("fits", _fits_cell(a), _fits_cell(b)),
        ("min GPUs", min_gpus_text(a), min_gpus_text(b)),
        (
            "tok/s bound",
            num_text(a.figures["tokens_per_s_bound"]),
            num_text(b.figures["tokens_per_s_bound"]),
        ),
        ("tok/s real", tps_range(a), tps_range(b)),
        ("first token", ttft_text(a).split(" (")[0], ttft_text(b).split(" (")[0]),
        ("$ / 1K tok", short_cost(a), short_cost(b)),
        ("J / tok", short_energy(a), short_energy(b)),
    ]
    return [
        (
            Text(name, style="dim"),
            x if isinstance(x, Text) else Text(x),
            y if isinstance(y, Text) else Text(y),
        )
        for name, x, y in rows
    ]
