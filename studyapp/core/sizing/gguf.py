"""GGUF file sizes per tensor: llama.cpp's K-quant mixes are not one bits-per-weight figure.

``Q4_K_M`` keeps some tensors at higher precision (llama.cpp ``llama_tensor_get_type``):
the output matrix at Q6_K, ``attn_v`` and ``ffn_down`` at Q6_K on "more bits" layers
(the first and last eighth and every third layer between), a fused ``attn_qkv`` at Q5_K,
norms at F32, everything else at Q4_K.  The effective bpw therefore depends on the
model: 4.89 for Llama-3-8B, 4.82 for Llama-3-70B, 4.83 for Mistral-7B, 5.0 for
Phi-3-mini.  The tests pin these against the published llama.cpp load logs.

K-quant super-blocks hold 256 weights of one row, so a tensor whose rows (``ne[0]``,
the input dimension) are not a multiple of 256 cannot take a K type: llama.cpp
(``tensor_type_fallback`` in ggml-org/llama.cpp src/llama-quant.cpp, commit 007dbbf)
falls back Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, and to F16 if the row is not even a
multiple of 32.  Qwen2.5-72B's ``ffn_down`` has 29568-wide rows (115.5 super-blocks), so
in Q4_K_M its 80 down projections are Q8_0 / Q5_0 instead of Q6_K / Q4_K: 47.4 GB, as
bartowski/Qwen2.5-72B-Instruct-GGUF lists its Q4_K_M file, instead of 43.8 GB.

Block sizes (bits per weight incl. scales) come from the llama.cpp block structs
(formats.json; Q5_0 = 22 bytes / 32 weights, Q5_1 = 24 bytes / 32).  Architectures whose tensors this module does not enumerate (MLA,
encoders) fall back to the base type for every matrix, which the step text says.
"""

from __future__ import annotations

from dataclasses import dataclass

from studyapp.core.sizing.catalog import Model

__all__ = ["BLOCK_BPW", "GgufSize", "fallback_type", "gguf_size", "is_per_tensor"]

#: Bits per weight of each llama.cpp block type (formats.json / catalog.json quant_formats).
BLOCK_BPW: dict[str, float] = {
    "F32": 32.0,
    "F16": 16.0,
    "Q8_0": 8.5,
    "Q6_K": 6.5625,
    "Q5_K": 5.5,
    "Q5_1": 6.0,
    "Q5_0": 5.5,
    "Q4_K": 4.5,
    "Q4_0": 4.5,
}
#: llama.cpp ``tensor_type_fallback``: K types need rows that are whole 256-weight super-blocks.
_K_FALLBACK = {"Q4_K": "Q5_0", "Q5_K": "Q5_1", "Q6_K": "Q8_0"}
_QK_K = 256
_QK_LEGACY = 32  # block size of Q4_0/Q5_0/Q5_1/Q8_0
#: Base block type of each GGUF format id.
_BASE = {"q4_k_m": "Q4_K", "q4_0": "Q4_0", "q8_0": "Q8_0", "q6_k": "Q6_K"}


def is_per_tensor(format_id: str) -> bool:
    """Whether a format id is a GGUF type whose size this module computes tensor by tensor."""
    return format_id in _BASE


@dataclass(frozen=True)
class GgufSize:
    """Total bits of a GGUF file's tensors (metadata ignored), split by block type."""

    bits: float
    params: int
    by_type: dict[str, int]  # block type -> number of weights stored in it

    @property
    def bpw(self) -> float:
        return self.bits / self.params

    def step(self) -> str:
        parts = " + ".join(
            f"{n:,} x {BLOCK_BPW[t]:g} ({t})" for t, n in sorted(self.by_type.items()) if n
        )
        return f"GGUF per tensor: ({parts}) / 8 = {self.bits / 8e9:.3g} GB -> {self.bpw:.3f} bpw effective"


def _more_bits(layer: int, layers: int) -> bool:
    """llama.cpp ``use_more_bits``: first/last eighth of the layers and every third one between."""
    return layer < layers // 8 or layer >= 7 * layers // 8 or (layer - layers // 8) % 3 == 2


def fallback_type(block_type: str, row: int) -> str:
    """The type llama.cpp stores a tensor in when its rows (``ne[0]``) do not fit ``block_type``."""
    if block_type in _K_FALLBACK and row % _QK_K:
        block_type = _K_FALLBACK[block_type]
    if block_type not in {"F32", "F16"} and row % _QK_LEGACY:
        return "F16"
    return block_type


def _tensors(model: Model) -> tuple[list[tuple[str, int, int, int]], int, int, int] | None:
    """Per layer (role, weights, layer index, row length); token embedding; output; F32 vectors.

    The row length is the tensor's ``ne[0]`` (its input dimension), which decides whether a
    K-quant fits; embeddings and the output matrix have rows of ``hidden_size``.

    None for architectures whose tensor list is not enumerated here.
    """
    a = model.arch
    if a.get("attention") == "mla" or a.get("encoder") or a.get("encoder_only"):
        return None
    h, d, nq, nkv, L = model.hidden, model.head_dim, model.n_q, model.n_kv, model.num_layers
    inter, experts = int(a["intermediate_size"]), model.experts
    up = 2 if a.get("mlp", "gated") == "gated" else 1  # gate + up, or a plain fc1
    rows: list[tuple[str, int, int, int]] = []
    for i in range(L):
        if a.get("fused_qkv"):
            rows.append(("attn_qkv", h * d * (nq + 2 * nkv), i, h))
        else:
            rows += [
                ("attn_q", h * nq * d, i, h),
                ("attn_k", h * nkv * d, i, h),
                ("attn_v", h * nkv * d, i, h),
            ]
        rows.append(("attn_output", nq * d * h, i, nq * d))
        rows.append(("ffn_gate_up", up * h * inter * experts, i, h))
        rows.append(("ffn_down", inter * h * experts, i, inter))
        if experts > 1:
            rows.append(("ffn_gate_inp", h * experts, i, h))  # router: llama.cpp keeps it F32
    embed = model.vocab * h
    output = 0 if a.get("tie_word_embeddings") else model.vocab * h
    from studyapp.core.sizing.params import count_params

    # everything else (norms, biases, learned positions) is stored as F32 vectors
    rest = count_params(model).total - sum(n for _, n, _, _ in rows) - embed - output
    return rows, embed, output, rest


def _type_for(format_id: str, role: str, layer: int, model: Model) -> str:
    base = _BASE[format_id]
    if role == "ffn_gate_inp":
        return "F32"
    if format_id != "q4_k_m":
        return base
    if role in {"attn_v", "ffn_down"} and _more_bits(layer, model.num_layers):
        return "Q6_K"
    if role == "attn_qkv":
        return "Q5_K"
    return base


def gguf_size(model: Model, format_id: str) -> GgufSize:
    """Bits of every tensor at the type llama.cpp gives it for ``format_id``."""
    base = _BASE[format_id]
    listed = _tensors(model)
    by_type: dict[str, int] = {}

    def add(kind: str, n: int) -> None:
        by_type[kind] = by_type.get(kind, 0) + n

    if listed is None:
        from studyapp.core.sizing.params import count_params

        add(base, count_params(model).total)  # MLA/encoders: not enumerated, base type throughout
    else:
        rows, embed, output, norms = listed
        for role, n, layer, row in rows:
            add(fallback_type(_type_for(format_id, role, layer, model), row), n)
        # the output matrix goes to Q6_K unless the base type is already 8 bits; with tied
        # embeddings llama.cpp uses token_embd as the output and quantises it that way
        h = model.hidden
        out_type = fallback_type("Q8_0" if base == "Q8_0" else "Q6_K", h)
        add(fallback_type(base, h) if output else out_type, embed)
        if output:
            add(out_type, output)
        add("F32", norms)
    bits = sum(BLOCK_BPW[t] * n for t, n in by_type.items())
    return GgufSize(bits=bits, params=sum(by_type.values()), by_type=by_type)
