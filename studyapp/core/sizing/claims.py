"""Finding checkable numbers in note text, and only those whose meaning is resolved.

A number in a note is a claim the engine can check only when three things are known:
its *subject* (a catalog model, or a stated parameter count), its *quantity* (model
weights, a decode speed, a cost, a fit verdict) and its *conditions* (precision, device,
GPU count, batch).  Each must be stated on the claim's own line or on an explicit
definition line above it in the same fenced block ("模型：Phi-3.5-mini", "压缩：INT4",
"硬件：8× A100", "批处理：batch=32", "吞吐量：5000 tokens/s").  Anything else is returned
as ``resolved=False`` with the reason, and the lint keeps it silent by default: a lint
that cries wolf on "393,216 B" or on a bandwidth is a lint nobody runs.

Deliberately *not* read as weight sizes: lines about KV cache, activations, budgets,
per-GPU shares, embeddings or any other part of a model, bandwidths (GB/s), device
capacities and anything after pruning or distillation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from studyapp.core.sizing.catalog import load_catalog

__all__ = ["Claim", "ClaimKind", "Conditions", "scan_text"]

ClaimKind = Literal["weights", "params", "fits", "rate", "cost", "method"]

_BYTES = re.compile(r"(\d+(?:\.\d+)?)\s*(TB|GB|MB|TiB|GiB|MiB)(?![A-Za-z/])(?!\s*/\s*s)")
_PARAMS = re.compile(r"(?<![\w.,/×*])(\d+(?:\.\d+)?)([BM])(?![A-Za-z0-9/])")
_RATE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:tokens?|tok)\s*/\s*s", re.IGNORECASE)
_COST = re.compile(r"\$\s*(\d+(?:\.\d+)?)\s*/\s*1K\s*tokens?", re.IGNORECASE)
_PRECISION = re.compile(
    r"(?<![A-Za-z0-9])(FP32|FP16|BF16|FP8|INT8|INT4|INT2|W8A8|W4A16|Q4_K_M|Q4_0|Q8_0|Q6_K|GPTQ|AWQ)"
    r"(?![A-Za-z0-9])|(?<![\d.])([248])-?bit",
    re.IGNORECASE,
)
_GPUS = re.compile(r"(\d+)\s*[×xX*]\s*(?=A100|H100|H200|L4|RTX|4090|GPU)", re.IGNORECASE)
_BATCH = re.compile(r"batch\S*?\D{0,3}(\d+)(?:\s*-\s*(\d+))?", re.IGNORECASE)
_FIT = re.compile(
    r"(单卡|单张|一张|1\s*张|one|single)\s*(?:GPU\s*)?(A100|H100|H200|L4|4090)", re.IGNORECASE
)
_FIT_YES = ("✓", "✔", "✅")
_FIT_NO = ("❌", "✗", "✘", "放不下", "装不下", "无法", "不能")
#: "INT8 (AWQ)", "INT8量化（GPTQ/AWQ）", "AWQ INT8": AWQ is a 4-bit weight-only method.
_AWQ_8BIT = re.compile(
    r"(INT8|8-?bit|W8A8)[^|，,。；;（(]{0,6}[（(][^）)|]*\bAWQ\b|\bAWQ[\s\-_]*(INT8|8-?bit|W8A8)",
    re.IGNORECASE,
)
#: Words that make a size on the line something other than a whole model's weights.
_PARTIAL = re.compile(
    r"KV|cache|激活|activation|embedding|lm_head|线性层|MLP|每卡|/\s*卡|per[ -]GPU|剩|余|预算|budget|"
    r"logits|显存|内存|memory|RAM|token|上下文|context|scale|通信|all-reduce|索引|index|稀疏|剪枝|"
    r"prun|sparse|2:4|蒸馏|distill|可用|usable|最大|×\s*\d+\s*GB",
    re.IGNORECASE,
)
_PRUNE = re.compile(r"剪枝|裁剪|蒸馏|prun|distill|sparse|稀疏", re.IGNORECASE)
_THROUGHPUT = re.compile(r"吞吐|throughput|并发|concurren", re.IGNORECASE)
#: Definition labels: "模型：X", "- 硬件：8× A100 80GB", "压缩: INT4".
_LABEL = re.compile(r"^\s*(?:[-*]\s*)?([^\s:：]{1,8})\s*[:：]")
_LABELS = {
    "model": ("模型", "model", "原始", "基础模型", "教师", "学生"),
    "precision": ("压缩", "量化", "精度", "precision", "format", "格式"),
    "device": ("硬件", "设备", "device", "hardware"),
    "batch": ("批处理", "batch"),
    "rate": ("吞吐量", "吞吐", "throughput"),
}
_DEVICE_WORDS = {
    "a100 80gb": "a100-80gb",
    "a100-80gb": "a100-80gb",
    "a100 40gb": "a100-40gb",
    "a100-40gb": "a100-40gb",
    "a100": "a100-80gb",
    "h100 pcie": "h100-pcie",
    "h100": "h100-sxm",
    "h200": "h200",
    "l4": "l4",
    "4090": "rtx-4090",
    "iphone 15 pro": "iphone-15-pro",
    "pixel 8": "pixel-8",
    "raspberry pi": "raspberry-pi-5",
    "树莓派": "raspberry-pi-5",
    "jetson orin nano": "jetson-orin-nano",
    "agx orin": "jetson-agx-orin-64gb",
    "m2 max": "apple-m2-max",
    "m2 ultra": "apple-m2-ultra",
    "m3 max": "apple-m3-max",
    "m4 max": "apple-m4-max",
}
_FAMILY = {
    "fp32": "fp32",
    "fp16": "fp16",
    "bf16": "fp16",
    "fp8": "int8",
    "int8": "int8",
    "w8a8": "int8",
    "int4": "int4",
    "w4a16": "int4",
    "int2": "int2",
    "q4_k_m": "q4_k_m",
    "q4_0": "q4_0",
    "q8_0": "q8_0",
    "q6_k": "q6_k",
    "gptq": "int4",
    "awq": "int4",
}


@dataclass(frozen=True)
class Conditions:
    """What a claim is about, each field with where it was stated ("line" or "line N")."""

    model_id: str | None = None
    params: float | None = None  # a stated parameter count when no catalog model is named
    precisions: tuple[str, ...] = ()  # precision families (fp16, int8, int4, q4_k_m ...)
    device_id: str | None = None
    gpus: int | None = None
    batch: int | None = None
    rate: float | None = None  # a stated throughput (tokens/s) the claim builds on
    pruned: bool = False  # the precision definition mentions pruning/distillation
    where: dict[str, str] = field(default_factory=dict)

    @property
    def has_subject(self) -> bool:
        return self.model_id is not None or self.params is not None


@dataclass(frozen=True)
class Claim:
    """One number (or statement) in a note; ``resolved`` says whether it can be checked."""

    kind: ClaimKind
    line: int  # 0-based line in the scanned text
    text: str  # the claim as written (the matched span)
    value: float  # bytes, parameters, tokens/s, USD; fits: 1.0 claimed fits, 0.0 does not
    cond: Conditions
    resolved: bool = True
    why_not: str = ""  # for unresolved claims: what is missing


@cache
def _model_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    cat = load_catalog()
    names = [(name, m.id) for m in cat.models.values() for name in (m.id, *m.aliases, m.name)]
    names.sort(key=lambda pair: len(pair[0]), reverse=True)
    out = []
    for name, model_id in names:
        body = re.escape(name).replace(r"\-", r"[-\s]?").replace(r"\ ", r"[-\s]?")
        out.append(
            (re.compile(rf"(?<![A-Za-z0-9.]){body}(?![A-Za-z0-9])", re.IGNORECASE), model_id)
        )
    return tuple(out)


def _models_on(line: str) -> tuple[set[str], str]:
    """Catalog models named on the line, and the line with their names blanked out."""
    found: set[str] = set()
    for pattern, model_id in _model_patterns():
        for m in pattern.finditer(line):
            found.add(model_id)
            line = line[: m.start()] + " " * (m.end() - m.start()) + line[m.end() :]
    return found, line


def _unit_bytes(unit: str) -> float:
    return {"TB": 1e12, "GB": 1e9, "MB": 1e6, "TiB": 2.0**40, "GiB": 2.0**30, "MiB": 2.0**20}[unit]


def _family(match: re.Match[str]) -> str:
    if match.group(1):
        return _FAMILY[match.group(1).lower()]
    return {"2": "int2", "4": "int4", "8": "int8"}[match.group(2)]


def _precisions(line: str) -> tuple[str, ...]:
    """Precision families on the line; method names (GPTQ/AWQ) only count when no width is given."""
    found = list(_PRECISION.finditer(line))
    explicit = [m for m in found if not (m.group(1) and m.group(1).lower() in {"gptq", "awq"})]
    return tuple(dict.fromkeys(_family(m) for m in (explicit or found)))


def _device(line: str) -> tuple[str | None, int | None]:
    low = line.lower()
    device = next((dev for word, dev in _DEVICE_WORDS.items() if word in low), None)
    gm = _GPUS.search(line)
    return device, (int(gm.group(1)) if gm and device else None)


def _own(line: str) -> Conditions:
    """What the line itself states."""
    models, rest = _models_on(line)
    model_id = next(iter(models)) if len(models) == 1 else None
    params = None
    if not models:
        pm = _PARAMS.search(rest)
        if pm:
            params = float(pm.group(1)) * (1e9 if pm.group(2) == "B" else 1e6)
    device, gpus = _device(line)
    bm = _BATCH.search(line)
    rm = _RATE.search(line)
    return Conditions(
        model_id=model_id,
        params=params,
        precisions=_precisions(line),
        device_id=device,
        gpus=gpus,
        batch=int(bm.group(2) or bm.group(1)) if bm else None,
        rate=float(rm.group(1)) if rm else None,
        pruned=bool(_PRUNE.search(line)),
    )


def _label(line: str) -> str | None:
    m = _LABEL.match(line)
    if not m:
        return None
    word = m.group(1).lower()
    return next((kind for kind, words in _LABELS.items() if word in words), None)


def _with_definitions(own: Conditions, defs: dict[str, tuple[int, Conditions]]) -> Conditions:
    """The line's own facts win; explicit definition lines above it fill the gaps."""
    where: dict[str, str] = {}
    values: dict[str, object] = {}

    def take(key: str, kind: str, attrs: tuple[str, ...]) -> None:
        if any(getattr(own, a) for a in attrs):
            where[key] = "line"
            values.update({a: getattr(own, a) for a in attrs})
        elif kind in defs:
            n, d = defs[kind]
            if any(getattr(d, a) for a in attrs):
                where[key] = f"line {n + 1}"
                values.update({a: getattr(d, a) for a in attrs})

    take("subject", "model", ("model_id", "params"))
    take("precision", "precision", ("precisions", "pruned"))
    take("device", "device", ("device_id", "gpus"))
    take("batch", "batch", ("batch",))
    take("rate", "rate", ("rate",))
    if where.get("precision") == "line":
        values["pruned"] = own.pruned or ("precision" in defs and defs["precision"][1].pruned)
    return Conditions(
        model_id=values.get("model_id"),  # type: ignore[arg-type]
        params=values.get("params"),  # type: ignore[arg-type]
        precisions=values.get("precisions", ()),  # type: ignore[arg-type]
        device_id=values.get("device_id"),  # type: ignore[arg-type]
        gpus=values.get("gpus"),  # type: ignore[arg-type]
        batch=values.get("batch"),  # type: ignore[arg-type]
        rate=values.get("rate"),  # type: ignore[arg-type]
        pruned=bool(values.get("pruned", False)),
        where=where,
    )


def scan_text(text: str) -> list[Claim]:
    """Claims in ``text``, line by line; definitions carry over inside a fenced block only."""
    claims: list[Claim] = []
    defs: dict[str, tuple[int, Conditions]] = {}
    in_fence = False
    for index, line in enumerate(text.splitlines()):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            defs = {}
            continue
        own = _own(line)
        cond = _with_definitions(own, defs)
        claims.extend(_claims_on_line(index, line, cond))
        kind = _label(line) if in_fence else None
        if kind is not None:
            defs[kind] = (index, own)
        if not in_fence:
            defs = {}
    return claims


def _claims_on_line(index: int, line: str, c: Conditions) -> list[Claim]:
    out: list[Claim] = []
    out += _param_claims(index, line, c)
    out += _weight_claims(index, line, c)
    fit = _FIT.search(line)
    if fit:
        yes, no = any(m in line for m in _FIT_YES), any(m in line for m in _FIT_NO)
        ok = c.has_subject and bool(c.precisions) and yes != no
        why = "" if ok else "needs a subject, a precision and one ✓/✗ verdict"
        out.append(Claim("fits", index, fit.group(0), 1.0 if yes else 0.0, c, ok, why))
    rate = _RATE.search(line)
    if rate and _COST.search(line) is None:
        batch_known = c.batch is not None or not _THROUGHPUT.search(line)
        ok = c.model_id is not None and c.device_id is not None and bool(c.precisions)
        ok = ok and batch_known
        why = (
            ""
            if ok
            else "needs a catalog model, a device, a precision and (for throughput) a batch"
        )
        out.append(Claim("rate", index, rate.group(0), float(rate.group(1)), c, ok, why))
    cost = _COST.search(line)
    if cost:
        ok = c.device_id is not None and c.rate is not None
        why = "" if ok else "needs a device with a list price and a stated throughput"
        out.append(Claim("cost", index, cost.group(0), float(cost.group(1)), c, ok, why))
    awq = _AWQ_8BIT.search(line)
    if awq:
        out.append(Claim("method", index, awq.group(0), 0.0, c))
    return out


def _param_claims(index: int, line: str, c: Conditions) -> list[Claim]:
    models, rest = _models_on(line)
    if len(models) != 1:
        return []
    out = []
    for pm in _PARAMS.finditer(rest):
        tail = rest[pm.end() : pm.end() + 12].lower()
        head = rest[max(0, pm.start() - 1) : pm.start()]
        # only a count attached to the name, "Phi-2（2.7B）", or one called a parameter count
        if not (head in {"（", "("} or re.match(r"\s*(参数|params?\b|parameters)", tail)):
            continue
        stated = float(pm.group(1)) * (1e9 if pm.group(2) == "B" else 1e6)
        out.append(Claim("params", index, pm.group(0), stated, c))
    return out


def _strip_hardware(line: str) -> str:
    """Blank out device capacities ("8× A100 80GB", ">40GB显存") so they are not read as model sizes."""
    line = re.sub(
        r"(A100|H100|H200|L4|4090|RTX\s*\d+|GPU|卡)\s*[(（]?\d+\s*Gi?B",
        lambda m: " " * len(m.group()),
        line,
    )
    return re.sub(r"[<>＜＞≤≥]\s*\d+(?:\.\d+)?\s*[GMT]i?B", lambda m: " " * len(m.group()), line)


def _weight_claims(index: int, line: str, c: Conditions) -> list[Claim]:
    """The first size after each precision word on the line: 'FP16 → 140GB', 'Q4_0 | 0.62 GB'."""
    line = _strip_hardware(line)
    sizes = list(_BYTES.finditer(line))
    if not sizes:
        return []
    partial = _PARTIAL.search(line)
    reason = ""
    if not c.has_subject:
        reason = "no model or parameter count on the line or in a 模型： definition"
    elif partial:
        reason = f"the line is about {partial.group(0)!r}, not a whole model's weights"
    elif c.pruned:
        reason = "pruned/distilled sizes depend on the sparse format"
    own = list(_PRECISION.finditer(line))
    widths = [m for m in own if not (m.group(1) and m.group(1).lower() in {"gptq", "awq"})]
    own = widths or own
    picked: list[tuple[re.Match[str], tuple[str, ...]]] = []
    if own:
        for i, pm in enumerate(own):
            end = own[i + 1].start() if i + 1 < len(own) else len(line)
            after = [m for m in sizes if pm.end() <= m.start() < end]
            if after:
                picked.append((after[0], (_family(pm),)))
    elif c.precisions and len(sizes) == 1:
        picked.append((sizes[0], c.precisions))
    elif not reason:
        reason = "no precision stated for this size"
    out = []
    chosen = {m.start() for m, _ in picked}
    for m, fams in picked:
        value = float(m.group(1)) * _unit_bytes(m.group(2))
        cond = Conditions(**{**c.__dict__, "precisions": fams})
        out.append(Claim("weights", index, m.group(0), value, cond, not reason, reason))
    for m in sizes:
        if m.start() not in chosen:
            why = reason or "not the size right after a precision"
            out.append(Claim("weights", index, m.group(0), 0.0, c, False, why))
    return out
