"""Fact-checking the numbers in a note against the sizing engine, precision first.

Only claims whose subject, quantity and conditions are resolved (see
:mod:`studyapp.core.sizing.claims`) are checked; the rest are "not checked" and stay
silent unless asked for (``studyapp lint --all``).  A checked claim is "inconsistent"
only when no reasonable reading of it holds:

* weights: no storage layout of the stated precision is within 10% (notes round, and
  "INT4" covers g128 with or without 16-bit embeddings);
* parameter counts: neither the total nor the active count is within 5%;
* fits on one GPU: the weights alone (plus the runtime) exceed the usable memory while
  the note says it fits; "does not fit" is only confirmed, never refuted without a context;
* decode speed: above the memory-bandwidth bound of the most favourable stated precision
  (100% of bandwidth, KV ignored);
* cost per 1K tokens: more than 2x away from the note's own throughput at list price
  (prices differ between providers by about that much);
* AWQ with INT8: AWQ is a 4-bit weight-only method.

Every finding carries the engine's figure, the worked steps and the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from studyapp.core.model import NoteError
from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.claims import Claim, Conditions, scan_text
from studyapp.core.sizing.params import count_params
from studyapp.core.sizing.scalar import evaluate_one
from studyapp.core.sizing.scenarios import effective_bpw, one
from studyapp.core.sizing.units import GB, fmt_bytes, fmt_num

__all__ = ["Finding", "Verdict", "lint_note", "lint_text"]

Verdict = Literal["consistent", "inconsistent", "not checked"]
SIZE_TOL = 0.10
PARAMS_TOL = 0.05
COST_FACTOR = 2.0
#: Formats a precision family in a note may mean.
_VARIANTS = {
    "fp32": ("fp32",),
    "fp16": ("fp16",),
    "int8": ("int8",),
    "int4": ("int4", "int4-e16"),
    "int2": ("int2",),
    "q4_k_m": ("q4_k_m",),
    "q4_0": ("q4_0",),
    "q8_0": ("q8_0",),
    "q6_k": ("q6_k",),
}


@dataclass(frozen=True)
class Finding:
    """One claim and its verdict.  ``line`` is 1-based in the file (frontmatter included)."""

    line: int
    claim: str
    engine: str
    verdict: Verdict
    detail: str
    steps: tuple[str, ...] = ()
    source: str = ""
    kind: str = ""
    extra: dict[str, str] = field(default_factory=dict)


Result = tuple[str, Verdict, str, tuple[str, ...], str]


def _formats(c: Conditions) -> list[str]:
    return [f for fam in c.precisions for f in _VARIANTS.get(fam, ())]


def _weights(c: Conditions, fmt_id: str) -> tuple[float, str]:
    """(bytes, formula) of the subject's weights in ``fmt_id``."""
    cat = load_catalog()
    fmt = cat.formats[fmt_id]
    if c.model_id is not None:
        model = cat.models[c.model_id]
        bpw, _ = effective_bpw(model, fmt)
        w = evaluate_one(one(model, fmt, cat.device("a100-80gb"), context=1))["weights_bytes"]
        p = count_params(model).total
        return (
            w,
            f"{model.name} {fmt_id}: {p:,} params x {bpw:.4g} bpw (effective) / 8 = {fmt_bytes(w)}",
        )
    params = c.params or 0.0
    w = params * fmt.bits / 8.0 if fmt.bits >= 8 else params * fmt.bpw / 8.0
    bits = fmt.bits if fmt.bits >= 8 else fmt.bpw
    return w, f"{fmt_num(params / 1e9)}B params x {bits:g} bits / 8 = {fmt_bytes(w)}"


def _who(c: Conditions) -> str:
    if c.model_id is not None:
        return load_catalog().models[c.model_id].name
    return f"{fmt_num((c.params or 0) / 1e9)}B params"


def _src(c: Conditions) -> str:
    cat = load_catalog()
    parts = []
    if c.model_id is not None:
        parts.append(cat.models[c.model_id].config_source)
    if c.device_id is not None:
        device = cat.device(c.device_id)
        parts.append(f"{device.name}: {device.source}; memory: {device.mem_source}")
    return " | ".join(parts) or "formats.json (bits per weight)"


def _check_weights(c: Claim) -> Result:
    options = [(f, *_weights(c.cond, f)) for f in _formats(c.cond)]
    if not options:
        return "", "not checked", "precision not modelled", (), ""
    fmt_id, best, _ = min(options, key=lambda o: abs(o[1] - c.value) / o[1])
    error = abs(best - c.value) / best
    engine = f"{_who(c.cond)} {fmt_id}: {fmt_bytes(best)}"
    steps = tuple(o[2] for o in options)
    if error <= SIZE_TOL:
        return (
            engine,
            "consistent",
            f"{c.text} is within {error:.1%} of {fmt_bytes(best)}",
            steps,
            _src(c.cond),
        )
    return (
        engine,
        "inconsistent",
        f"{c.text} vs {fmt_bytes(best)} at {fmt_id} ({error:.0%} off)",
        steps,
        _src(c.cond),
    )


def _check_params(c: Claim) -> Result:
    model = load_catalog().models[c.cond.model_id or ""]
    counts = count_params(model)
    candidates = {"total": counts.total, "active": counts.active}
    name, best = min(candidates.items(), key=lambda kv: abs(kv[1] - c.value) / kv[1])
    error = abs(best - c.value) / best
    engine = f"{model.name}: {counts.total:,} parameters" + (
        f" ({counts.active:,} active)" if counts.active != counts.total else ""
    )
    verdict: Verdict = "consistent" if error <= PARAMS_TOL else "inconsistent"
    stated = f"{fmt_num(c.value / 1e9)}B" if c.value >= 1e9 else f"{fmt_num(c.value / 1e6)}M"
    detail = f"stated {stated} is {error:.1%} from the {name} count"
    return engine, verdict, detail, counts.steps, f"{model.published_source}; {model.config_source}"


def _check_fits(c: Claim, device_word: str) -> Result:
    cat = load_catalog()
    device = cat.device(device_word)
    profile = device.profile
    usable = profile.usable_fraction * device.mem_bytes
    fmt_id, weights, formula = min(
        ((f, *_weights(c.cond, f)) for f in _formats(c.cond)), key=lambda o: o[1]
    )
    need = weights + profile.overhead_bytes
    gpus = next((tp for tp in (2, 4, 8) if weights / tp + profile.overhead_bytes <= usable), None)
    steps = (
        formula,
        f"usable = {profile.usable_fraction:g} x {device.mem_label} = {fmt_num(usable / GB)} GB",
        f"weights + runtime = {fmt_num(weights / GB)} + {fmt_num(profile.overhead_bytes / GB)}"
        f" = {fmt_num(need / GB)} GB (KV cache and activations come on top)",
    )
    engine = f"{_who(c.cond)} {fmt_id} needs >= {fmt_num(need / GB)} GB vs {fmt_num(usable / GB)} GB usable on one {device.name}"
    src = _src(Conditions(**{**c.cond.__dict__, "device_id": device.id}))
    claimed = c.value == 1.0
    if claimed and need > usable:
        more = f"; needs at least {gpus} GPUs with tensor parallelism" if gpus else ""
        detail = (
            f"{fmt_num(weights / GB)} GB of weights alone + runtime > {fmt_num(usable / GB)} GB usable"
            f" ({device.mem_label} x {profile.usable_fraction:g}){more}"
        )
        return engine, "inconsistent", detail, steps, src
    if not claimed and need <= usable:
        return (
            engine,
            "not checked",
            "the weights fit; whether KV cache fits depends on a context the note does not state",
            steps,
            src,
        )
    return engine, "consistent", "fits" if claimed else "does not fit, as the note says", steps, src


def _check_rate(c: Claim) -> Result:
    cat = load_catalog()
    device = cat.device(c.cond.device_id or "")
    model = cat.models[c.cond.model_id or ""]
    tp, batch = c.cond.gpus or 1, c.cond.batch or 1
    best = max(
        (
            (evaluate_one(one(model, cat.formats[f], device, context=0, batch=batch, tp=tp)), f)
            for f in _formats(c.cond)
        ),
        key=lambda pair: pair[0]["tokens_per_s_bound"],
    )
    f, fmt_id = best
    bound = f["tokens_per_s_bound"]
    estimate = " (bandwidth is an ESTIMATE)" if device.bw_is_estimate else ""
    steps = (
        f"bytes read per step per GPU = W_read/tp = {fmt_num(f['weights_read_bytes'] / GB)} GB / {tp}",
        f"bound = B x tp x BW / W_read = {batch} / ({fmt_num(f['decode_memory_s'] * 1e3)} ms) ="
        f" {fmt_num(bound)} tokens/s at {device.bw_gbps:g} GB/s{estimate}, KV ignored",
    )
    engine = f"{model.name} {fmt_id} on {tp} x {device.name}, batch {batch}: bound {fmt_num(bound)} tokens/s"
    if c.value <= bound * 1.02:
        return (
            engine,
            "consistent",
            f"{fmt_num(c.value)} tokens/s <= bound {fmt_num(bound)}",
            steps,
            _src(c.cond),
        )
    extra = (
        "; unstructured pruning does not cut the bytes read without sparse kernels"
        if c.cond.pruned
        else ""
    )
    detail = f"{fmt_num(c.value)} tokens/s exceeds the memory-bandwidth bound {fmt_num(bound)} tokens/s{extra}"
    return engine, "inconsistent", detail, steps, _src(c.cond)


def _check_cost(c: Claim) -> Result:
    cat = load_catalog()
    device = cat.device(c.cond.device_id or "")
    price = device.price_usd_per_gpu_hour
    if price is None:
        return "", "not checked", f"no list price for {device.name}", (), device.price_source
    gpus, rate = c.cond.gpus or 1, c.cond.rate or 0.0
    cost = 1000.0 * price * gpus / (3600.0 * rate)
    steps = (
        f"$/1K tokens = 1000 x $/h x n / (3600 x tokens/s) = 1000 x {price:g} x {gpus} / (3600 x {rate:g})"
        f" = ${fmt_num(cost)}",
    )
    engine = f"{gpus} x {device.name} at ${price:g}/GPU-hour and {rate:g} tokens/s: ${fmt_num(cost)}/1K tokens"
    ratio = max(cost / c.value, c.value / cost)
    if ratio <= COST_FACTOR:
        return (
            engine,
            "consistent",
            f"within {ratio:.1f}x of its own arithmetic at list price",
            steps,
            device.price_source,
        )
    detail = f"${fmt_num(c.value)} is {ratio:.1f}x the note's own throughput at list price (${fmt_num(cost)})"
    return engine, "inconsistent", detail, steps, device.price_source


def _check_method(c: Claim) -> Result:
    detail = (
        "AWQ is a 4-bit weight-only method (W4A16); INT8 deployments use SmoothQuant / W8A8, LLM.int8() or"
        " FP8 instead"
    )
    src = "AWQ: Lin et al. 2023 (arXiv:2306.00978), INT4 weight-only; formats.json int4-e16"
    return (
        "AWQ -> INT4 g128",
        "inconsistent",
        detail,
        ("AWQ stores 4-bit weights: ~4.16 bpw at g128",),
        src,
    )


def _check(c: Claim) -> Result:
    if not c.resolved:
        return "", "not checked", c.why_not, (), ""
    if c.kind == "weights":
        return _check_weights(c)
    if c.kind == "params":
        return _check_params(c)
    if c.kind == "fits":
        device = re.search(r"A100|H100|H200|L4|4090", c.text, re.IGNORECASE)
        return _check_fits(c, device.group(0) if device else "a100")
    if c.kind == "rate":
        return _check_rate(c)
    if c.kind == "cost":
        return _check_cost(c)
    return _check_method(c)


def lint_text(text: str, line_offset: int = 0) -> list[Finding]:
    """Check every claim in plain text; ``line_offset`` lines precede it in the file."""
    findings = []
    for claim in scan_text(text):
        engine, verdict, detail, steps, source = _check(claim)
        findings.append(
            Finding(
                claim.line + line_offset + 1,
                claim.text,
                engine,
                verdict,
                detail,
                steps,
                source,
                claim.kind,
            )
        )
    return findings


def lint_note(rel_path: str, data: bytes) -> list[Finding]:
    """Parse a note (raises :class:`NoteError`) and check the numeric claims in its body."""
    from studyapp.core.notefile import parse_note

    parsed = parse_note(rel_path, data)
    return lint_text(parsed.body, parsed.body_line_offset)


# Re-exported so callers can catch parse failures without importing the model module.
NoteError = NoteError
