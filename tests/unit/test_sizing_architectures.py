"""Architectures beyond plain GQA: sliding windows, MLA + DeepSeek MoE, Llama-3.1, Gemma-2, encoders;
GGUF sizes per tensor; the format's compute peak; gated-MLP activations."""

from __future__ import annotations

import pytest

from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.gguf import gguf_size
from studyapp.core.sizing.params import count_params
from studyapp.core.sizing.scalar import evaluate_one
from studyapp.core.sizing.scenarios import model_fields, one
from studyapp.core.sizing.units import GB, GIB, KIB

CAT = load_catalog()


def _kv(model_id: str, context: int, *, tp: int = 1, batch: int = 1) -> float:
    s = one(
        CAT.model(model_id),
        CAT.format("fp16"),
        CAT.device("h100-sxm"),
        context=context,
        batch=batch,
        tp=tp,
    )
    return evaluate_one(s)["kv_per_gpu_bytes"]


def test_mistral_sliding_window_caps_kv_at_4096() -> None:
    # 32K context: 4096 x 128 KiB = 0.5 GiB (0.54 GB), not 4 GiB (4.29 GB).
    assert _kv("mistral-7b", 32768) == 4096 * 128 * KIB == 0.5 * GIB
    assert _kv("mistral-7b", 2048) == 2048 * 128 * KIB  # below the window nothing changes


def test_gemma2_alternates_local_and_global_layers() -> None:
    gemma = CAT.model("gemma-2-9b")
    assert gemma.head_dim == 256 != gemma.hidden // gemma.n_q  # 3584 / 16 = 224
    per_layer_token = 2 * 8 * 256 * 2  # K and V, 8 KV heads, head_dim 256, FP16
    assert _kv("gemma-2-9b", 8192) == per_layer_token * (21 * 8192 + 21 * 4096)


def test_deepseek_v3_mla_and_moe() -> None:
    model = CAT.model("deepseek-v3")
    counts = count_params(model)
    assert counts.total == 671_026_419_200  # report: 671B
    assert abs(counts.active - 37e9) / 37e9 < 0.02  # report: 37B activated
    # MLA caches kv_lora_rank + rope = 576 elements per layer and token, replicated across TP ranks
    assert _kv("deepseek-v3", 1) == 61 * 576 * 2 == 70_272
    assert _kv("deepseek-v3", 1024, tp=8) == 1024 * 70_272


def test_llama31_is_its_own_entry_with_128k_context() -> None:
    assert CAT.model("llama-3.1-8b").max_context == 131072
    assert CAT.model("llama-3-8b").max_context == 8192
    assert CAT.model("llama3.1-70b").id == "llama-3.1-70b"
    assert count_params(CAT.model("llama-3.1-405b")).total == 405_853_388_800
    # 128K context of Llama-3.1-8B: 16 GiB of FP16 KV
    assert _kv("llama-3.1-8b", 131072) == 16 * GIB


def test_encoders() -> None:
    assert count_params(CAT.model("bert-base-uncased")).total == 109_482_240
    assert _kv("bert-base-uncased", 512) == 0  # an encoder keeps no KV cache
    assert count_params(CAT.model("whisper-base")).total == 72_593_920
    assert count_params(CAT.model("whisper-tiny")).total == 37_760_640


@pytest.mark.parametrize(
    ("model_id", "format_id", "bpw"),
    [
        ("llama-3-8b", "q4_k_m", 4.89),  # XiongjieDai/GPU-Benchmarks-on-LLM-Inference load logs
        ("llama-3-70b", "q4_k_m", 4.82),  # issue 12 (llama.cpp load log figure)
        ("mistral-7b", "q4_k_m", 4.83),  # issue 12
        ("phi-3-mini", "q4_k_m", 5.0),  # issue 12: ~5.0 (fused qkv at Q5_K)
        ("llama-2-7b", "q4_0", 4.54),  # XiongjieDai load logs (catalog.json)
    ],
)
def test_gguf_effective_bpw_per_tensor(model_id: str, format_id: str, bpw: float) -> None:
    size = gguf_size(CAT.model(model_id), format_id)
    assert size.params == count_params(CAT.model(model_id)).total
    assert size.bpw == pytest.approx(bpw, abs=0.011)
    s = one(CAT.model(model_id), CAT.format(format_id), CAT.device("rtx-4090"), context=1)
    assert evaluate_one(s)["weights_bytes"] == pytest.approx(size.bits / 8)


def test_safetensors_checkpoint_sizes() -> None:
    # BF16 safetensors = 2 bytes per parameter (headers are a few hundred KB).
    for model_id, gb in (("llama-3-8b", 16.06), ("mistral-7b", 14.48), ("qwen2.5-72b", 145.41)):
        s = one(CAT.model(model_id), CAT.format("bf16"), CAT.device("h200"), context=1)
        assert evaluate_one(s)["weights_bytes"] / GB == pytest.approx(gb, abs=0.01)


def test_fp8_and_w8a8_use_their_tensor_cores() -> None:
    model, h100, a100 = CAT.model("llama-3-70b"), CAT.device("h100-sxm"), CAT.device("a100-80gb")
    fp16 = one(model, CAT.format("int8"), h100, context=1)
    fp8 = one(model, CAT.format("fp8"), h100, context=1)
    w8a8 = one(model, CAT.format("w8a8"), a100, context=1)
    assert fp16.peak_flops == 989.4e12  # weight-only INT8 computes at the FP16 peak
    assert fp8.peak_flops == pytest.approx(2 * 989.4e12, rel=1e-3)
    assert w8a8.peak_flops == 624e12  # INT8 tensor cores on the A100
    assert one(model, CAT.format("fp8"), a100, context=1).peak_flops == 312e12  # no FP8 cores


def test_gated_mlp_materialises_gate_and_up() -> None:
    assert model_fields(CAT.model("llama-3-8b"))["inter_active"] == 2 * 14336
    assert model_fields(CAT.model("phi-2"))["inter_active"] == 10240  # plain fc1/fc2
    assert model_fields(CAT.model("mixtral-8x7b"))["inter_active"] == 2 * 2 * 14336


@pytest.mark.parametrize(
    ("model_id", "gb"),
    [
        # Q4_K_M file sizes as listed on Hugging Face (GB = 1e9 bytes; metadata adds < 0.01 GB)
        ("llama-2-7b", 4.08),  # TheBloke/Llama-2-7B-GGUF llama-2-7b.Q4_K_M.gguf
        ("mistral-7b", 4.37),  # TheBloke/Mistral-7B-v0.1-GGUF mistral-7b-v0.1.Q4_K_M.gguf
        ("phi-2", 1.79),  # TheBloke/phi-2-GGUF phi-2.Q4_K_M.gguf (fused qkv at Q5_K, biases F32)
        ("tinyllama-1.1b", 0.67),  # TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF ...Q4_K_M.gguf
        ("qwen2.5-7b", 4.68),  # Qwen/Qwen2.5-7B-Instruct-GGUF qwen2.5-7b-instruct-q4_k_m.gguf
        ("llama-3.1-8b", 4.92),  # bartowski/Meta-Llama-3.1-8B-Instruct-GGUF ...Q4_K_M.gguf
        (
            "gemma-2-9b",
            5.76,
        ),  # bartowski/gemma-2-9b-it-GGUF: tied token_embd stored as output (Q6_K)
    ],
)
def test_gguf_q4_k_m_file_sizes(model_id: str, gb: float) -> None:
    assert gguf_size(CAT.model(model_id), "q4_k_m").bits / 8 / GB == pytest.approx(gb, abs=0.01)


def test_sliding_window_also_caps_prefill_attention() -> None:
    card = CAT.device("rtx-4090")
    mistral = one(CAT.model("mistral-7b"), CAT.format("fp16"), card, context=32768)
    llama = one(CAT.model("llama-3.1-8b"), CAT.format("fp16"), card, context=32768)
    # same attention shape (32 layers, 32 x 128 query heads): 32K x 4096 vs 32K x 32K per layer
    f_m, f_l = evaluate_one(mistral), evaluate_one(llama)
    attn_m = f_m["ttft_s"] * 0.5 * card.peak_flops - 2 * mistral.p_active * 32768
    attn_l = f_l["ttft_s"] * 0.5 * card.peak_flops - 2 * llama.p_active * 32768
    assert attn_m / attn_l == pytest.approx(4096 / 32768, rel=1e-6)
