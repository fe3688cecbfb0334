"""Engine formulas: exact reference values, vectorised == scalar, what-ifs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.engine import evaluate, min_tp
from studyapp.core.sizing.report import size_report
from studyapp.core.sizing.scalar import evaluate_one, min_tp_one
from studyapp.core.sizing.scenarios import one, sweep
from studyapp.core.sizing.units import GB, GIB
from studyapp.core.sizing.whatif import distillation, pruning, sparse_24

CAT = load_catalog()


def test_llama3_8b_fp16_kv_at_8192_is_one_gib() -> None:
    s = one(CAT.model("llama-3-8b"), CAT.format("fp16"), CAT.device("a100-80gb"), context=8192)
    assert evaluate_one(s)["kv_total_bytes"] == 2**30


def test_kv_uses_kv_heads_and_replicates_past_n_kv() -> None:
    model, fmt, dev = CAT.model("llama-3-70b"), CAT.format("fp16"), CAT.device("h100-sxm")
    per_tp = {
        tp: evaluate_one(one(model, fmt, dev, context=4096, tp=tp))["kv_per_gpu_bytes"]
        for tp in (1, 8)
    }
    full = 2 * 80 * 8 * 128 * 2 * 4096
    assert per_tp[1] == full  # n_kv = 8, not n_q = 64
    assert per_tp[8] == full / 8
    # tp=16 would keep one head per rank: max(n_kv/tp, 1)
    s16 = one(model, fmt, dev, context=4096, tp=16)
    assert evaluate_one(s16)["kv_per_gpu_bytes"] == full / 8


def test_weights_per_format() -> None:
    model, dev = CAT.model("llama-3-8b"), CAT.device("a100-80gb")
    w = {
        f: evaluate_one(one(model, CAT.format(f), dev, context=1))["weights_bytes"]
        for f in ("fp16", "int4", "int4-e16")
    }
    assert w["fp16"] == 8_030_261_248 * 2
    assert w["int4"] == pytest.approx(8_030_261_248 * 4.15625 / 8)
    embed = 2 * 128256 * 4096
    assert w["int4-e16"] == pytest.approx((8_030_261_248 - embed) * 4.15625 / 8 + embed * 2)


def test_gptq_llama2_7b_matches_published_file_size() -> None:
    # TheBloke/Llama-2-7B-GPTQ (g128) is 3.9 GB.
    s = one(CAT.model("llama-2-7b"), CAT.format("gptq"), CAT.device("a100-80gb"), context=1)
    assert evaluate_one(s)["weights_bytes"] / GB == pytest.approx(3.9, rel=0.02)


def test_70b_fp16_does_not_fit_one_a100_but_two_do_at_8k() -> None:
    # An A100-80GB is 80 GiB: 0.9 x 85.9 GB = 77.3 GB usable, not 72 GB.
    report = size_report("llama-3-70b", "fp16", "a100", gpus=1, context=8192)
    assert not report.fits
    assert report.gpus_min == 2
    two = size_report("llama-3-70b", "fp16", "a100", context=8192)
    assert two.gpus == 2 and two.verdict == "fits"
    assert two.figures["need_per_gpu_bytes"] / GB == pytest.approx(73.6, abs=0.1)
    assert two.figures["usable_bytes"] / GB == pytest.approx(77.31, abs=0.01)


def test_tp_must_divide_query_heads() -> None:
    # Phi-2 has 32 heads: tp in {1,2,4,8} all divide; GPT-3 has 96: all divide too. Use an odd-head model.
    s = one(CAT.model("qwen2.5-7b"), CAT.format("fp32"), CAT.device("l4"), context=32768, batch=8)
    assert s.n_q == 28
    assert min_tp_one(s) in (0, 1, 2, 4)  # 8 never: 28 % 8 != 0


def test_decode_bound_and_realistic_range() -> None:
    s = one(CAT.model("llama-3-8b"), CAT.format("fp16"), CAT.device("a100-80gb"), context=0)
    f = evaluate_one(s)
    assert f["tokens_per_s_bound"] == pytest.approx(2039e9 / (8_030_261_248 * 2))
    # MBU range of discrete GPUs, derived from the cited llama.cpp measurements (mbu.py)
    assert f["tokens_per_s_low"] == pytest.approx(0.25 * f["tokens_per_s_bound"])
    assert f["tokens_per_s_high"] == pytest.approx(0.88 * f["tokens_per_s_bound"])
    assert f["memory_bound"] == 1.0
    assert f["ridge_flop_per_byte"] == pytest.approx(312e12 / 2039e9)  # ~153


def test_moe_batch1_reads_only_active_experts() -> None:
    s = one(CAT.model("mixtral-8x7b"), CAT.format("fp16"), CAT.device("h100-sxm"), context=0, tp=2)
    f = evaluate_one(s)
    assert f["weights_read_bytes"] / 2 == pytest.approx(12_879_925_248)


def test_cost_and_energy_formulas() -> None:
    s = one(CAT.model("llama-3-8b"), CAT.format("fp16"), CAT.device("h100-sxm"), context=0)
    f = evaluate_one(s)
    tok = f["tokens_per_s_bound"]
    assert f["cost_per_1k_usd_bound"] == pytest.approx(1000 * 3.78 / (3600 * tok))
    assert f["energy_j_per_token_bound"] == pytest.approx(700 / tok)
    unpriced = evaluate_one(
        one(CAT.model("llama-3-8b"), CAT.format("fp16"), CAT.device("h200"), context=0)
    )
    assert math.isnan(unpriced["cost_per_1k_usd_bound"])


def test_vectorised_equals_scalar_on_a_sweep() -> None:
    grid = sweep(contexts=(0, 2048, 32768), batches=(1, 16))
    figures = evaluate(grid.scenario)
    tps = min_tp(grid.scenario)
    for i in range(0, len(grid), 7):
        s = grid.scalar(i)
        expected = evaluate_one(s)
        for key, value in expected.items():
            assert np.isclose(figures[key][i], value, rtol=1e-12, equal_nan=True), key
        assert tps[i] == min_tp_one(s)


def test_pruning_int8_half_with_16bit_indices_saves_nothing() -> None:
    result = pruning(7e9, 8, 0.5, index="csr", index_bits=16)
    assert result.bytes_after == 7e9 * 0.5 * 24 / 8
    assert result.saving_fraction < 0
    assert "no saving" in result.steps[-1]
    bitmask = pruning(7e9, 16, 0.5, index="bitmask")
    assert bitmask.bytes_after == 7e9 * 0.5 * 2 + 7e9 / 8


def test_sparse_24_and_distillation() -> None:
    assert sparse_24(1e9, 16).bytes_after == 1e9 * 0.5 * 18 / 8
    d = distillation(70e9, 7e9, 16)
    assert d.bytes_after == 14e9
    assert d.bytes_after / d.bytes_before == pytest.approx(0.1)


def test_report_json_shape() -> None:
    data = size_report("llama-3-8b", "int4", "iphone-15-pro", context=8192).to_dict()
    assert data["fits"] is False
    assert data["memory_bound"] is None  # no compute figure for the phone
    assert data["cost_per_1k_usd_bound"] is None
    assert data["kv_total_bytes"] == GIB
    assert data["device_memory"] == "8 GiB (8.59 GB)"
    assert data["verdict"] == "does not fit"
    assert all(isinstance(step, str) and "=" in step for step in data["steps"])
