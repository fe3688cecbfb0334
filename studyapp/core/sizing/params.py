"""Parameter counts from a model's config: total, active (MoE), and the parts formats treat apart.

Counting from the config (instead of trusting the "8B" in a name) is what makes the
weight sizes right: Llama-3-8B is 8.03e9 parameters because of its 128K vocabulary, and
Mixtral-8x7B is 46.7e9 (not 56e9) because the experts share attention and embeddings.
Every model in the catalog carries a published count and the tests check this module
against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from studyapp.core.sizing.catalog import Model

__all__ = ["ParamCount", "count_params"]


@dataclass(frozen=True)
class ParamCount:
    """Parameter counts of one model, split the way the formulas need them."""

    total: int
    active: int  # per token: MoE counts top-k experts instead of all of them
    embedding: int  # token (+ position) embeddings and an untied lm_head: kept 16-bit by GPTQ/AWQ
    experts: int  # all expert MLP weights (0 for dense): what a batch-1 MoE decode does not read
    steps: tuple[str, ...]


def _norm_params(model: Model) -> int:
    return model.hidden * (2 if model.get("norm") == "layer" else 1)


def _mla_attention(model: Model) -> int:
    """DeepSeek MLA: low-rank q (q_a, norm, q_b), joint latent kv (kv_a with the rope key, norm, kv_b), output."""
    a = model.arch
    h, nq = model.hidden, model.n_q
    q_rank, kv_rank = int(a["q_lora_rank"]), int(a["kv_lora_rank"])
    nope, rope, v = int(a["qk_nope_head_dim"]), int(a["qk_rope_head_dim"]), int(a["v_head_dim"])
    q = h * q_rank + q_rank + q_rank * nq * (nope + rope)
    kv = h * (kv_rank + rope) + kv_rank + kv_rank * nq * (nope + v)
    return q + kv + nq * v * h


def _attention(model: Model) -> tuple[int, int]:
    """(weights, biases) of one self-attention block: q/k/v projections plus the output projection."""
    if model.get("attention") == "mla":
        return _mla_attention(model), 0
    h, d, nq, nkv = model.hidden, model.head_dim, model.n_q, model.n_kv
    weights = h * d * (nq + 2 * nkv) + nq * d * h
    bias = model.get("bias", "none")
    if bias == "qkv":
        biases = d * (nq + 2 * nkv)
    elif bias == "all":
        biases = d * (nq + 2 * nkv) + h
    elif bias == "whisper":  # Whisper: q, v and out have biases, k does not
        biases = d * nq + d * nkv + h
    else:
        biases = 0
    return weights, biases


def _mlp(model: Model, inter: int | None = None) -> int:
    """One expert's MLP: gated (gate, up, down) = 3*h*I, plain (fc1, fc2) = 2*h*I, plus biases if any."""
    h = model.hidden
    inter = int(model.arch["intermediate_size"]) if inter is None else inter
    gated = model.get("mlp", "gated") == "gated"
    weights = (3 if gated else 2) * h * inter
    if model.get("bias", "none") in {"all", "whisper"}:
        weights += inter + h
    return weights


def count_params(model: Model) -> ParamCount:
    """Count parameters layer by layer, with worked steps that show each term."""
    h, L, V = model.hidden, model.num_layers, model.vocab
    attn_w, attn_b = _attention(model)
    attn = attn_w + attn_b
    mlp = _mlp(model)
    norm = _norm_params(model)
    norms = int(model.get("norms_per_layer", 2)) * norm
    E, k = model.experts, model.top_k
    router = h * E if E > 1 else 0
    if model.get("router_bias"):
        router += E  # DeepSeek-V3's e_score_correction_bias
    tied = bool(model.get("tie_word_embeddings", False))
    embed = V * h
    lm_head = 0 if tied else V * h
    lm_head_bias = V if model.get("lm_head_bias") else 0
    positions = int(model.get("learned_positions", 0)) * h
    cross = 0
    encoder_total = 0
    encoder = model.get("encoder")
    if encoder:
        cross = attn  # decoder layers also have a cross-attention block of the same shape
        encoder_total = _encoder_params(model, attn, mlp, norm)
    dense_layers = int(model.get("first_dense_layers", 0))
    shared = 0
    if model.get("moe_intermediate_size"):
        dense_mlp = mlp
        mlp = _mlp(model, int(model.arch["moe_intermediate_size"]))
        shared = int(model.get("shared_experts", 0)) * mlp
    else:
        dense_mlp = mlp
    moe_layers = L - dense_layers
    per_layer_total = attn + cross + E * mlp + shared + router + norms
    per_layer_active = attn + cross + k * mlp + shared + router + norms
    dense_extra = dense_layers * (attn + cross + dense_mlp + norms)
    emb_total = embed + lm_head + positions
    tail = lm_head_bias + encoder_total + _bert_extras(model)
    if not model.get("encoder_only"):
        tail += norm  # final norm (BERT normalises the embeddings instead, counted in the extras)
    total = moe_layers * per_layer_total + dense_extra + emb_total + tail
    active = moe_layers * per_layer_active + dense_extra + emb_total + tail
    experts = moe_layers * E * mlp if E > 1 else 0
    steps = [
        f"attention/layer = h*d*(n_q+2*n_kv) + n_q*d*h = {h}*{model.head_dim}*({model.n_q}+2*{model.n_kv})"
        f" + {model.n_q}*{model.head_dim}*{h} = {attn_w:,}"
        + (f" (+{attn_b:,} biases)" if attn_b else ""),
        f"MLP/expert = {'3' if model.get('mlp', 'gated') == 'gated' else '2'}*h*I"
        f" = {mlp:,}" + (f" x {E} experts (top-{k} active)" if E > 1 else ""),
        f"embeddings = V*h = {V}*{h} = {embed:,}"
        + (" (tied lm_head)" if tied else f"; lm_head = {lm_head:,}"),
        f"total = L*(attention + MLP + norms{' + router' if router else ''}) + embeddings + final norm"
        + (f" (first {dense_layers} layers dense: {dense_extra:,})" if dense_layers else "")
        + f" = {moe_layers}*{per_layer_total:,} + {total - moe_layers * per_layer_total:,} = {total:,}",
    ]
    if encoder:
        steps.insert(
            3,
            f"encoder (conv stem + positions + {encoder['num_layers']} layers) = {encoder_total:,}",
        )
    if model.get("attention") == "mla":
        steps.insert(0, f"MLA attention/layer (low-rank q and latent kv) = {attn_w:,}")
    if E > 1:
        what = f"{k}*MLP" + (" + shared expert" if shared else "")
        steps.append(f"active = L*(attention + {what} + norms + router) + embeddings = {active:,}")
    return ParamCount(
        total=total,
        active=active,
        embedding=emb_total + lm_head_bias,
        experts=experts,
        steps=tuple(steps),
    )


def _bert_extras(model: Model) -> int:
    """BERT: token-type embeddings, the embedding LayerNorm and the pooler (h*h + h)."""
    if not model.get("encoder_only"):
        return 0
    h = model.hidden
    extras = int(model.get("token_types", 0)) * h + 2 * h
    if model.get("pooler"):
        extras += h * h + h
    return extras


def _encoder_params(model: Model, attn: int, mlp: int, norm: int) -> int:
    """Whisper-style audio encoder: two 1-D convolutions (kernel 3), learned positions, pre-LN blocks."""
    encoder = model.arch["encoder"]
    h = model.hidden
    mels = int(encoder["num_mel_bins"])
    conv = (mels * h * 3 + h) + (h * h * 3 + h)
    positions = int(encoder["source_positions"]) * h
    layers = int(encoder["num_layers"]) * (attn + mlp + 2 * norm)
    return conv + positions + layers + norm
