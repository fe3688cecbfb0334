"""Template builders for calc cards: each draws its parameters from a ``random.Random``.

Every builder returns the question, the engine's value, the expected display, the worked
steps and the drawn parameters; :mod:`studyapp.core.sizing.calc_cards` wraps them into
:class:`~studyapp.core.model.Prompt` objects.
"""

from __future__ import annotations

import math
import random
from typing import Any

from studyapp.core.sizing.calc_common import (
    OVERHEAD_TOLERANCE,
    bytes_answer,
    bytes_unit,
    clear_verdict,
    fmt_desc,
    gpus_text,
    min_tp_clear,
    need_lines,
)
from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.fit import fit_verdict
from studyapp.core.sizing.gguf import gguf_size
from studyapp.core.sizing.params import count_params
from studyapp.core.sizing.scalar import evaluate_one, min_tp_one
from studyapp.core.sizing.scenarios import one
from studyapp.core.sizing.units import GB, fmt_bytes, fmt_num
from studyapp.core.sizing.whatif import IndexScheme, pruning


def build_weights_at_format(rng: random.Random) -> dict[str, Any]:
    cat = load_catalog()
    model = cat.models[rng.choice(sorted(cat.models))]
    fmt = cat.formats[
        rng.choice(["fp32", "fp16", "int8", "int4", "int4-e16", "q8_0", "q4_0", "q4_k_m"])
    ]
    counts = count_params(model)
    s = one(model, fmt, cat.device("a100-80gb"), context=1)
    w = evaluate_one(s)["weights_bytes"]
    unit, scale = bytes_unit(w)
    question = (
        f"{model.name} (P = {counts.total:,}, embeddings+lm_head {counts.embedding:,}) 用 {fmt.name}"
        f" ({fmt_desc(fmt, model)}) 存储权重需要多少 {unit}? ({unit} = 1e{round(math.log10(scale))} bytes)"
    )
    steps = [counts.steps[-1]]
    if fmt.per_tensor:
        steps.append(gguf_size(model, fmt.id).step())
        steps.append(
            f"weights = P x {s.bpw:.4f} / 8 = {counts.total:,} x {s.bpw:.4f} / 8 = {bytes_answer(w)}"
        )
    elif fmt.embed_bits is None:
        steps.append(
            f"weights = P x bpw / 8 = {counts.total:,} x {fmt.bpw:g} / 8 = {bytes_answer(w)}"
        )
    else:
        steps.append(
            f"weights = (P - P_embed) x {fmt.bpw:g} / 8 + P_embed x {fmt.embed_bits:g} / 8"
            f" = {counts.total - counts.embedding:,} x {fmt.bpw:g} / 8 + {counts.embedding:,} x"
            f" {fmt.embed_bits:g} / 8 = {bytes_answer(w)}"
        )
    overhead = fmt.per_tensor or fmt.group_size is not None or fmt.embed_bits is not None
    return {
        "question": question,
        "value": w,
        "unit_kind": "bytes",
        "unit": unit,
        "expected": bytes_answer(w),
        "worked": steps,
        "tolerance": OVERHEAD_TOLERANCE if overhead else None,
        "params": {"model": model.id, "format": fmt.id},
    }


#: KV-cache card models: GQA ones and MHA ones (Llama-2-7B, Phi-3.5-mini) for contrast.
_KV_MODELS = (
    "llama-2-7b",
    "llama-3-8b",
    "llama-3-70b",
    "mistral-7b",
    "mixtral-8x7b",
    "qwen2.5-7b",
    "tinyllama-1.1b",
    "phi-3.5-mini",
    "llama-2-70b",
)


def build_kv_cache(rng: random.Random) -> dict[str, Any]:
    cat = load_catalog()
    model = cat.model(rng.choice(_KV_MODELS))
    ctx = rng.choice([c for c in (2048, 4096, 8192, 32768) if c <= model.max_context])
    batch = rng.choice((1, 4, 8, 16))
    s = one(model, cat.format("fp16"), cat.device("a100-80gb"), context=ctx, batch=batch)
    kv = evaluate_one(s)["kv_total_bytes"]
    L, nkv, d = model.num_layers, model.n_kv, model.head_dim
    unit, _ = bytes_unit(kv)
    window = f", sliding window {model.window}" if model.window else ""
    question = (
        f"{model.name} (L={L}, n_q={model.n_q}, n_kv={nkv}, head_dim={d}{window}) FP16 KV cache,"
        f" 上下文 {ctx} tokens, batch {batch}: KV cache 占多少 {unit}?"
    )
    cached = min(ctx, model.window) if model.local_layers == L else ctx
    steps = [
        f"KV = 2 x L x n_kv x d x 2 bytes x S x B = 2 x {L} x {nkv} x {d} x 2 x {cached} x {batch}"
        f" = {bytes_answer(kv)}"
    ]
    if model.window and cached < ctx:
        steps.insert(
            0,
            f"sliding window: every layer caches at most {model.window} tokens, S = min({ctx}, {model.window}) = {cached}",
        )
    hint = (
        f"(GQA: use n_kv = {nkv}, not n_q = {model.n_q})"
        if nkv < model.n_q
        else f"(MHA: n_kv = n_q = {nkv})"
    )
    steps.insert(len(steps) - 1, hint)
    return {
        "question": question,
        "value": kv,
        "unit_kind": "bytes",
        "unit": unit,
        "expected": bytes_answer(kv),
        "worked": steps,
        "params": {"model": model.id, "context": ctx, "batch": batch},
    }


_EDGE_DEVICES = ("iphone-15-pro", "snapdragon-8-gen3-phone", "raspberry-pi-5", "jetson-orin-nano")
_SMALL_MODELS = (
    "tinyllama-1.1b",
    "phi-2",
    "phi-3.5-mini",
    "llama-3-8b",
    "mistral-7b",
    "qwen2.5-7b",
    "llama-2-7b",
)


def build_fits_phone(rng: random.Random) -> dict[str, Any]:
    cat = load_catalog()
    for _ in range(100):
        model = cat.model(rng.choice(_SMALL_MODELS))
        fmt = cat.format(rng.choice(("int4", "q4_k_m", "int8", "fp16")))
        device = cat.device(rng.choice(_EDGE_DEVICES))
        ctx = rng.choice([c for c in (512, 2048, 4096) if c <= model.max_context])
        s = one(model, fmt, device, context=ctx)
        f = evaluate_one(s)
        if clear_verdict(f["need_per_gpu_bytes"], f["usable_bytes"]):
            break
    fits = f["fits"] == 1.0
    question = (
        f"{model.name} ({fmt_num(count_params(model).total / 1e9)}B) 用 {fmt.name} ({fmt_desc(fmt, model)}),"
        f" 上下文 {ctx} tokens (FP16 KV), 能在 {device.name} 上运行吗?"
        f" (可用内存 = {device.profile.usable_fraction:g} x {device.mem_label},"
        f" runtime {device.profile.overhead_gib:g} GiB) 回答 是/否"
    )
    return {
        "question": question,
        "value": fits,
        "expected": "是 (fits)" if fits else "否 (does not fit)",
        "worked": need_lines(s, f, device),
        "params": {"model": model.id, "format": fmt.id, "device": device.id, "context": ctx},
    }


def build_gpus_needed(rng: random.Random) -> dict[str, Any]:
    cat = load_catalog()
    for _ in range(100):
        model = cat.model(
            rng.choice(
                (
                    "llama-3-70b",
                    "llama-2-70b",
                    "mixtral-8x7b",
                    "gpt-3-175b",
                    "llama-2-13b",
                    "qwen2.5-7b",
                    "llama-3-8b",
                )
            )
        )
        fmt = cat.format(rng.choice(("fp16", "int8", "int4")))
        device = cat.device(rng.choice(("a100-80gb", "a100-40gb", "h100-sxm", "h200", "l4")))
        ctx = rng.choice([c for c in (2048, 4096, 8192) if c <= model.max_context])
        batch = rng.choice((1, 8, 32))
        probe = one(model, fmt, device, context=ctx, batch=batch)
        tp = min_tp_clear(probe)
        if tp:
            break
    assert tp == min_tp_one(probe)
    at_tp = one(model, fmt, device, context=ctx, batch=batch, tp=tp)
    f = evaluate_one(at_tp)
    question = (
        f"{model.name} {fmt.name}, 上下文 {ctx}, batch {batch}, 用 vLLM (gpu_memory_utilization 0.9,"
        f" 1 GiB runtime) 部署在 {device.name} ({device.mem_label}) 上, 张量并行最少需要几张卡? (tp ∈ 1,2,4,8)"
    )
    steps = [
        f"try tp = 1, 2, 4, 8 (n_q = {model.n_q} must divide): smallest that fits = {tp}",
        *need_lines(at_tp, f, device),
        f"minimum = {gpus_text(tp)}",
    ]
    return {
        "question": question,
        "value": float(tp),
        "unit_kind": "count",
        "unit": "GPUs",
        "expected": gpus_text(tp),
        "worked": steps,
        "params": {
            "model": model.id,
            "format": fmt.id,
            "device": device.id,
            "context": ctx,
            "batch": batch,
        },
    }


#: Context at which a decode card's configuration must fit: asking for the speed of a
#: model the device cannot hold would teach a number no one can measure.
DECODE_FIT_CONTEXT = 2048


def build_decode_bound(rng: random.Random) -> dict[str, Any]:
    cat = load_catalog()
    for _ in range(200):
        model = cat.model(rng.choice((*_SMALL_MODELS, "llama-3-70b", "mixtral-8x7b")))
        fmt = cat.format(rng.choice(("fp16", "int8", "int4", "q4_k_m")))
        device = cat.device(rng.choice(sorted(cat.devices)))
        ctx = min(DECODE_FIT_CONTEXT, model.max_context)
        fit = evaluate_one(one(model, fmt, device, context=ctx))
        if fit_verdict(fit["need_per_gpu_bytes"], fit["usable_bytes"]) == "fits":
            break
    f = evaluate_one(one(model, fmt, device, context=0))
    read = f["weights_read_bytes"]
    rate = device.bw_bytes_per_s / read
    moe = f" (MoE: batch 1 只读 top-{model.top_k} 专家)" if model.experts > 1 else ""
    estimate = ", 带宽为估算值" if device.bw_is_estimate else ""
    question = (
        f"{model.name} 用 {fmt.name} ({fmt_desc(fmt, model)}), batch 1, 忽略 KV cache, 在 {device.name}"
        f" (带宽 {device.bw_gbps:g} GB/s{estimate}) 上 decode 速度的带宽上限是多少 tokens/s?{moe}"
    )
    steps = [
        f"fits first: need {fmt_num(fit['need_per_gpu_bytes'] / GB)} GB at {ctx} tokens <= usable"
        f" {fmt_num(fit['usable_bytes'] / GB)} GB",
        f"bytes read per token = {fmt_bytes(read)}",
        "real single-stream decode reaches only part of this bound (MBU, see the engine's range)",
        f"tokens/s <= BW / bytes = {device.bw_gbps:g} GB/s / {fmt_num(read / GB)} GB = {fmt_num(rate)} tokens/s",
    ]
    return {
        "question": question,
        "value": rate,
        "unit_kind": "tokens_per_s",
        "unit": "tokens/s",
        "expected": f"{fmt_num(rate)} tokens/s",
        "worked": steps,
        "params": {"model": model.id, "format": fmt.id, "device": device.id},
    }


def build_cost_per_1k(rng: random.Random) -> dict[str, Any]:
    cat = load_catalog()
    priced = sorted(d for d, dev in cat.devices.items() if dev.price_usd_per_gpu_hour is not None)
    device = cat.device(rng.choice(priced))
    gpus = rng.choice((1, 2, 4, 8))
    tok_s = float(rng.choice((25, 40, 60, 120, 300, 800, 1500, 3000, 5000, 15000)))
    price = device.price_usd_per_gpu_hour or 0.0
    cost = 1000.0 * price * gpus / (3600.0 * tok_s)
    question = (
        f"{gpus} x {device.name} (list price ${price:g}/GPU·h) 的总吞吐为 {tok_s:g} tokens/s,"
        f" 每 1K tokens 的成本是多少美元?"
    )
    steps = [
        f"price source: {device.price_source}",
        f"$/1K tokens = 1000 x $/h x n / (3600 x tokens/s) = 1000 x {price:g} x {gpus} / (3600 x {tok_s:g})"
        f" = ${fmt_num(cost)}",
    ]
    return {
        "question": question,
        "value": cost,
        "unit_kind": "usd",
        "unit": "usd",
        "expected": f"${fmt_num(cost)}",
        "worked": steps,
        "params": {"device": device.id, "gpus": gpus, "tokens_per_s": tok_s},
    }


def build_pruning_savings(rng: random.Random) -> dict[str, Any]:
    cat = load_catalog()
    model = cat.model(rng.choice(_SMALL_MODELS))
    params = float(round(count_params(model).total, -7))
    bits = rng.choice((16, 8, 4))
    sparsity = rng.choice((0.5, 0.6, 0.7, 0.9))
    index: IndexScheme = "csr" if rng.random() < 0.5 else "bitmask"
    result = pruning(params, bits, sparsity, index=index, index_bits=16)
    scheme = (
        "每个非零值带 16-bit 列索引 (CSR)"
        if index == "csr"
        else "非零值 + 每个原始权重 1 bit 的 bitmask"
    )
    unit, _ = bytes_unit(result.bytes_after)
    question = (
        f"{model.name} 约 {fmt_num(params / 1e9)}B 参数, {bits}-bit 权重, 非结构化剪枝 {sparsity:.0%},"
        f" 稀疏存储 ({scheme}): 存储需要多少 {unit}? (稠密 {bits}-bit 为 {fmt_bytes(result.bytes_before)})"
    )
    return {
        "question": question,
        "value": result.bytes_after,
        "unit_kind": "bytes",
        "unit": unit,
        "expected": bytes_answer(result.bytes_after),
        "worked": [*result.steps, f"stored = {bytes_answer(result.bytes_after)}"],
        "params": {"model": model.id, "bits": bits, "sparsity": sparsity, "index": index},
    }


_TIERS = (
    "手机端 (iPhone 15 Pro, 8 GiB)",
    "单卡 A100-80GB",
    "多卡 A100-80GB (张量并行 2-8 卡)",
    "8 x A100-80GB 也放不下",
)


def build_edge_or_cloud(rng: random.Random) -> dict[str, Any]:
    cat = load_catalog()
    for _ in range(100):
        model = cat.models[rng.choice(sorted(cat.models))]
        fmt = cat.format(rng.choice(("fp16", "int8", "int4", "q4_k_m")))
        ctx = min(4096, model.max_context)
        phone = evaluate_one(one(model, fmt, cat.device("iphone-15-pro"), context=ctx))
        cloud = one(model, fmt, cat.device("a100-80gb"), context=ctx)
        tp = min_tp_one(cloud)
        if clear_verdict(phone["need_per_gpu_bytes"], phone["usable_bytes"]) and (
            tp == 0 or min_tp_clear(cloud) == tp
        ):
            break
    answer = 0 if phone["fits"] == 1.0 else 1 if tp == 1 else 2 if tp else 3
    question = (
        f"{model.name} 用 {fmt.name}, 上下文 {ctx}, batch 1: 最小可行的部署位置是? "
        f"(手机可用 0.5 x 8 GiB = 4.29 GB; A100 可用 0.9 x 80 GiB = 77.3 GB)"
    )
    steps = [
        f"phone: need {fmt_num(phone['need_per_gpu_bytes'] / GB)} GB vs {fmt_num(phone['usable_bytes'] / GB)} GB usable",
        f"A100-80GB: smallest tp that fits = {tp or 'none up to 8'}",
    ]
    return {
        "question": question,
        "value": answer,
        "options": _TIERS,
        "expected": _TIERS[answer],
        "worked": steps,
        "params": {"model": model.id, "format": fmt.id, "context": ctx},
    }
