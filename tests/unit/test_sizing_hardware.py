"""Device memory as the vendor/driver states it (GiB vs GB), the verdicts that flip with it,
the added devices and the borderline band."""

from __future__ import annotations

import pytest

from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.fit import fit_verdict
from studyapp.core.sizing.report import size_report
from studyapp.core.sizing.units import GB, GIB, MIB

CAT = load_catalog()

#: (device, value, unit) pinned to the sources in hardware.json (driver-reported MiB where known).
PINNED = [
    ("a100-40gb", 40960, "MiB"),  # nvidia-smi, catalog.json
    ("a100-80gb", 81920, "MiB"),  # nvidia-smi, modal-client PR #2797
    ("h100-sxm", 81559, "MiB"),  # nvidia-smi, modal-client PR #2797
    ("h200", 143771, "MiB"),  # nvidia-smi, catalog.json
    ("rtx-4090", 24564, "MiB"),  # nvidia-smi, vLLM issue #7768
    ("l4", 23034, "MiB"),  # catalog.json: 'about 23034 MiB reported'
    ("h100-pcie", 80, "GiB"),
    ("apple-m2-ultra", 192, "GiB"),
    ("apple-m3-max", 128, "GiB"),
    ("pixel-8", 8, "GiB"),
    ("iphone-15-pro", 8, "GiB"),
    ("jetson-agx-orin-64gb", 64, "GiB"),
    ("raspberry-pi-5", 8, "GiB"),
]


@pytest.mark.parametrize(("device_id", "value", "unit"), PINNED)
def test_memory_is_the_stated_figure_in_its_unit(device_id: str, value: float, unit: str) -> None:
    device = CAT.device(device_id)
    assert (device.mem_value, device.mem_unit) == (value, unit)
    assert device.mem_bytes == value * {"MiB": MIB, "GiB": GIB, "GB": GB}[unit]
    assert device.mem_source
    assert "GiB" in device.mem_label and "GB" in device.mem_label


def test_a100_80gb_is_80_gib_and_vllm_gets_72_gib() -> None:
    device = CAT.device("a100-80gb")
    assert device.mem_bytes == 80 * GIB
    usable = device.profile.usable_fraction * device.mem_bytes
    assert usable == pytest.approx(72 * GIB)  # vLLM PR #2031: "72 GiB"


def test_verdicts_that_flipped_with_gib() -> None:
    # Llama-3-70B INT8 fits one A100-80GB at 4K context (it was "does not fit" with 80e9 bytes).
    assert size_report("llama-3-70b", "int8", "a100-80gb", gpus=1, context=4096).fits
    # Llama-2-7B INT4 on an iPhone 15 Pro at 512 tokens: ExecuTorch runs it there
    # (pytorch/executorch Llama example); the engine said "does not fit" by 0.06 GB.
    phone = size_report("llama-2-7b", "int4", "iphone-15-pro", context=512)
    assert phone.fits
    assert phone.figures["usable_bytes"] == pytest.approx(4 * GIB)


def test_borderline_within_three_percent() -> None:
    assert fit_verdict(97.5, 100.0) == "borderline"
    assert fit_verdict(102.9, 100.0) == "borderline"
    assert fit_verdict(96.0, 100.0) == "fits"
    assert fit_verdict(104.0, 100.0) == "does not fit"
    # 70B INT8 at 8K on one A100: 75.5 GB of 77.3 GB usable -> borderline, and the steps say so
    r = size_report("llama-3-70b", "int8", "a100-80gb", gpus=1, context=8192)
    assert r.verdict == "borderline"
    assert any("borderline" in step for step in r.steps)


def test_estimates_are_marked_and_snapdragon_uses_its_source() -> None:
    sd = CAT.device("snapdragon-8-gen3-phone")
    assert sd.bw_gbps == 76.8 and sd.bw_is_estimate  # 4800 MHz DDR x 64-bit bus
    assert "4800" in sd.source and "ESTIMATE" in sd.source
    for device_id in ("iphone-15-pro", "pixel-8", "jetson-agx-orin-64gb"):
        device = CAT.device(device_id)
        assert device.bw_is_estimate and "ESTIMATE" in device.source


def test_added_devices_have_sources() -> None:
    for device_id in (
        "h100-pcie",
        "h200",
        "apple-m2-ultra",
        "apple-m3-max",
        "pixel-8",
        "jetson-agx-orin-64gb",
        "desktop-ddr5-2ch",
    ):
        device = CAT.device(device_id)
        assert device.source and device.mem_source and device.bw_gbps > 0
    assert CAT.device("i9-13900k").bw_gbps == 89.6  # LLM-Viewer 'intel_13900k'
    assert "ASSUMPTION" in CAT.device("desktop-ddr5-2ch").mem_source
    assert CAT.device("raspberry-pi-5").extra["mem_options_gib"] == [2, 4, 8, 16]


def test_outputs_name_both_units() -> None:
    r = size_report("llama-3-8b", "fp16", "a100-80gb", context=4096)
    need_step = next(step for step in r.steps if step.startswith("need per GPU"))
    assert "GiB" in need_step and "GB" in need_step
    assert "80 GiB" in need_step or "81920 MiB" in need_step
