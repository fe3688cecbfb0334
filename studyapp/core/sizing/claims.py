"""Finding checkable numbers in note text: sizes, parameter counts, fit claims, tokens/s.

Notes state numbers in context: "原始：70B FP32模型，需要 280GB" names the model and the
precision on the same line, while "FP16混合精度 → 140GB → 单卡A100部署 ✓" relies on the
line above it in the same code block.  So the scanner keeps a small context per code
block (the last model, precision, device, GPU count and batch mentioned) and prefers
what is on the claim's own line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache

from studyapp.core.sizing.catalog import load_catalog

__all__ = ["Claim", "LineContext", "scan_text"]

_BYTES = re.compile(r"(\d+(?:\.\d+)?)\s*(TB|GB|MB|TiB|GiB|MiB)(?![A-Za-z])")
_PARAMS = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)\s*([BM])(?![A-Za-z])")
_RATE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:tokens?|tok)\s*/\s*s", re.IGNORECASE)
_PRECISION = re.compile(
    r"(?<![A-Za-z0-9])(FP32|FP16|BF16|FP8|INT8|INT4|INT2|Q4_K_M|Q4_0|Q8_0|GPTQ|AWQ)(?![A-Za-z0-9])|(\d)-?bit",
    re.IGNORECASE,
)
_GPUS = re.compile(r"(\d+)\s*[×xX*]\s*(?=[A-Za-z])")
_BATCH = re.compile(r"batch\S*?\D{0,3}(\d+)(?:\s*-\s*(\d+))?", re.IGNORECASE)
_FIT = re.compile(
    r"(单卡|单张|一张|1\s*张|one|single)\s*(?:GPU\s*)?(?:\S{0,3}?)(A100|H100|H200|L4|4090)",
    re.IGNORECASE,
)
_PRUNE = ("剪枝", "裁剪", "蒸馏", "prun", "distill", "sparse", "稀疏")
_DEVICE_WORDS = {
    "a100 80gb": "a100-80gb",
    "a100-80gb": "a100-80gb",
    "a100 40gb": "a100-40gb",
    "a100": "a100-80gb",
    "h100": "h100-sxm",
    "h200": "h200",
    "l4": "l4",
    "4090": "rtx-4090",
    "iphone 15 pro": "iphone-15-pro",
    "raspberry pi": "raspberry-pi-5",
    "树莓派": "raspberry-pi-5",
    "jetson": "jetson-orin-nano",
}
_FAMILY = {
    "fp32": "fp32",
    "fp16": "fp16",
    "bf16": "fp16",
    "fp8": "int8",
    "int8": "int8",
    "int4": "int4",
    "int2": "int2",
    "q4_k_m": "int4",
    "q4_0": "int4",
    "q8_0": "int8",
    "gptq": "int4",
    "awq": "int4",
}


@dataclass(frozen=True)
class LineContext:
    """What the surrounding text says: model id or bare parameter count, precision family, hardware."""

    model_id: str | None = None
    params: float | None = None  # stated parameter count when no catalog model is named
    precision: str | None = None  # fp32 | fp16 | int8 | int4 | int2
    device_id: str | None = None
    gpus: int | None = None
    batch: int | None = None
    mentions_pruning: bool = False


@dataclass(frozen=True)
class Claim:
    """One number to check, with the context it was stated in."""

    kind: str  # size | params | fits | rate
    line: int  # 0-based line in the scanned text
    text: str  # the claim as written (the matched span)
    value: float  # bytes, parameters, tokens/s; fits: 1.0 claimed fits, 0.0 claimed does not
    ctx: LineContext
    before_arrow: bool = False  # "A → B": A is the uncompressed figure
    precision_assumed: bool = False
    extra: dict[str, str] = field(default_factory=dict)


@cache
def _model_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    cat = load_catalog()
    names: list[tuple[str, str]] = []
    for model in cat.models.values():
        for name in (model.id, *model.aliases):
            names.append((name, model.id))
    names.sort(key=lambda pair: len(pair[0]), reverse=True)
    out = []
    for name, model_id in names:
        body = re.escape(name).replace(r"\-", r"[-\s]?").replace(r"\ ", r"[-\s]?")
        out.append((re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])", re.IGNORECASE), model_id))
    return tuple(out)


def _unit_bytes(unit: str) -> float:
    return {"TB": 1e12, "GB": 1e9, "MB": 1e6, "TiB": 2.0**40, "GiB": 2.0**30, "MiB": 2.0**20}[unit]


def _strip_hardware(line: str) -> str:
    """Blank out device capacities ("8× A100 80GB", ">40GB显存") so they are not read as model sizes."""
    line = re.sub(
        r"(A100|H100|H200|L4|4090|RTX\s*\d+)\s*\d+\s*GB", lambda m: " " * len(m.group()), line
    )
    return re.sub(r"[<>＜＞≤≥]\s*\d+(?:\.\d+)?\s*[GMT]i?B", lambda m: " " * len(m.group()), line)


def _line_context(line: str) -> LineContext:
    """Everything the line itself says (None where it says nothing)."""
    model_id = None
    for pattern, mid in _model_patterns():
        if pattern.search(line):
            model_id = mid
            break
    params = None
    stripped = _strip_hardware(line)
    if model_id is None:
        m = _PARAMS.search(stripped)
        if m:
            params = float(m.group(1)) * (1e9 if m.group(2) == "B" else 1e6)
    precision = _pick_precision(list(_PRECISION.finditer(line)), first=True)
    low = line.lower()
    device_id = next((dev for word, dev in _DEVICE_WORDS.items() if word in low), None)
    gm = _GPUS.search(line)
    bm = _BATCH.search(line)
    batch = int(bm.group(2) or bm.group(1)) if bm else None
    return LineContext(
        model_id=model_id,
        params=params,
        precision=precision,
        device_id=device_id,
        gpus=int(gm.group(1)) if gm and device_id else None,
        batch=batch,
        mentions_pruning=any(word in low for word in _PRUNE),
    )


def _merge(block: LineContext, here: LineContext) -> LineContext:
    """The line's own facts win; the block fills the gaps (a named model replaces a bare count)."""
    has_model = here.model_id is not None or here.params is not None
    return LineContext(
        model_id=here.model_id if has_model else block.model_id,
        params=here.params if has_model else block.params,
        precision=here.precision or block.precision,
        device_id=here.device_id or block.device_id,
        gpus=here.gpus or block.gpus,
        batch=here.batch or block.batch,
        mentions_pruning=here.mentions_pruning or block.mentions_pruning,
    )


def scan_text(text: str) -> list[Claim]:
    """Claims in ``text``, line by line; context carries over inside a fenced code block only."""
    claims: list[Claim] = []
    block = LineContext()
    in_fence = False
    for index, line in enumerate(text.splitlines()):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            block = LineContext()
            continue
        here = _line_context(line)
        ctx = _merge(block, here)
        claims.extend(_claims_on_line(index, line, here, ctx))
        block = ctx if in_fence else LineContext()
    return claims


def _claims_on_line(index: int, line: str, here: LineContext, ctx: LineContext) -> list[Claim]:
    out: list[Claim] = []
    has_model = ctx.model_id is not None or ctx.params is not None
    stripped = _strip_hardware(line)
    if here.model_id is not None:
        pm = _PARAMS.search(line)
        if pm:
            stated = float(pm.group(1)) * (1e9 if pm.group(2) == "B" else 1e6)
            out.append(Claim("params", index, pm.group(0), stated, ctx))
    if has_model and not re.search(r"内存占用|memory use|RAM", line, re.IGNORECASE):
        sizes = list(_BYTES.finditer(stripped))
        for i, m in enumerate(sizes):
            arrow_after = "→" in stripped[m.end() :] or "->" in stripped[m.end() :]
            before = i == 0 and len(sizes) > 1 and arrow_after
            precision = _precision_near(line, m.start()) or ctx.precision
            out.append(
                Claim(
                    "size",
                    index,
                    m.group(0).strip(),
                    float(m.group(1)) * _unit_bytes(m.group(2)),
                    replace(ctx, precision=precision or "fp16"),
                    before_arrow=before,
                    precision_assumed=precision is None,
                )
            )
    fit = _FIT.search(line)
    if fit and has_model:
        negative = "❌" in line or "✗" in line or "无法" in line or "不能" in line
        out.append(
            Claim(
                "fits",
                index,
                fit.group(0),
                0.0 if negative else 1.0,
                replace(ctx, precision=ctx.precision or "fp16"),
                extra={"device": fit.group(2)},
            )
        )
    rate = _RATE.search(line)
    if rate and has_model and ctx.device_id:
        out.append(
            Claim(
                "rate",
                index,
                rate.group(0),
                float(rate.group(1)),
                replace(ctx, precision=ctx.precision or "fp16"),
            )
        )
    return out


def _family(match: re.Match[str]) -> str | None:
    if match.group(1):
        return _FAMILY[match.group(1).lower()]
    return {"2": "int2", "4": "int4", "8": "int8"}.get(match.group(2) or "")


def _pick_precision(found: list[re.Match[str]], *, first: bool) -> str | None:
    """Explicit widths (INT8, FP16, 4-bit) beat method names (GPTQ/AWQ imply INT4 only when alone)."""
    explicit = [m for m in found if not (m.group(1) and m.group(1).lower() in {"gptq", "awq"})]
    pool = explicit or found
    if not pool:
        return None
    return _family(pool[0] if first else pool[-1])


def _precision_near(line: str, pos: int) -> str | None:
    """The precision mentioned last before ``pos`` on the line, else the first after it."""
    found = list(_PRECISION.finditer(line))
    before = [m for m in found if m.start() < pos]
    if before:
        return _pick_precision(before, first=False)
    return _pick_precision(found, first=True)
