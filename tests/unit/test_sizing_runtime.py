"""Runtime behaviour the engine must match: the measured MBU range, llama.cpp's layer split
versus tensor parallelism."""

from __future__ import annotations

import pytest

from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.mbu import mbu_range, measurements
from studyapp.core.sizing.report import size_report
from studyapp.core.sizing.scalar import evaluate_one
from studyapp.core.sizing.scenarios import one

CAT = load_catalog()


def test_every_cited_measurement_lies_in_its_class_range() -> None:
    assert len(measurements()) >= 10
    for m in measurements():
        r = mbu_range(CAT.device(m.device_id).profile.id)
        assert r.low <= m.mbu <= r.high, m


def test_ranges_per_device_class() -> None:
    gpu, apple = mbu_range("desktop-gpu"), mbu_range("apple-unified")
    assert (gpu.low, gpu.high) == (0.25, 0.88)  # A100 7B Q4_0 0.258 ... RTX 4090 8B F16 0.876
    assert (apple.low, apple.high) == (
        0.48,
        0.89,
    )  # M2 Ultra 8B Q4_K_M 0.487 ... M3 Max 8B F16 0.887
    phone = mbu_range("phone")
    assert phone.basis.startswith("all")  # no phone measurement cited: the union, and it says so
    assert phone.low == 0.25 and phone.high == 0.89


@pytest.mark.parametrize("index", range(11))
def test_realistic_range_contains_the_measured_speed(index: int) -> None:
    m = measurements()[index]
    generated = 512 if "tg 512" in m.table else 128
    s = one(
        CAT.model(m.model_id),
        CAT.format(m.format_id),
        CAT.device(m.device_id),
        context=generated // 2,
    )
    f = evaluate_one(s)
    assert f["tokens_per_s_low"] <= m.tokens_per_s <= f["tokens_per_s_high"], (
        m,
        f["tokens_per_s_bound"],
    )


def test_llama_cpp_layer_split_gives_no_decode_speed_up() -> None:
    model, fmt, card = CAT.model("llama-3-8b"), CAT.format("q4_k_m"), CAT.device("rtx-4090")
    one_gpu = evaluate_one(one(model, fmt, card, context=256, tp=1))
    two_gpus = evaluate_one(one(model, fmt, card, context=256, tp=2))
    assert two_gpus["weights_per_gpu_bytes"] == pytest.approx(one_gpu["weights_bytes"] / 2)
    assert two_gpus["tokens_per_s_bound"] == pytest.approx(one_gpu["tokens_per_s_bound"])
    # measured (XiongjieDai, tg 512): 1 x 4090 130.58, 2 x 4090 124.65 tokens/s
    assert two_gpus["tokens_per_s_low"] <= 124.65 <= two_gpus["tokens_per_s_high"]
    steps = size_report("llama-3-8b", "q4_k_m", "rtx-4090", gpus=2, context=256).steps
    assert any("splits the layers" in step and "no speed-up" in step for step in steps)


def test_vllm_tensor_parallelism_divides_the_bytes_read() -> None:
    model, fmt, h100 = CAT.model("llama-3-70b"), CAT.format("fp16"), CAT.device("h100-sxm")
    four = evaluate_one(one(model, fmt, h100, context=0, tp=4))
    eight = evaluate_one(one(model, fmt, h100, context=0, tp=8))
    assert eight["tokens_per_s_bound"] == pytest.approx(2 * four["tokens_per_s_bound"])
    steps = size_report("llama-3-70b", "fp16", "h100-sxm", gpus=4, context=4096).steps
    assert any("tensor parallelism over 4 GPUs" in step for step in steps)
