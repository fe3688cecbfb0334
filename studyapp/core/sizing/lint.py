"""Fact-checking the numbers in a note against the sizing engine.

Verdicts: "consistent" (within tolerance of what the engine computes), "inconsistent"
(with the reason), or "cannot check" (the claim depends on something the engine does
not model, e.g. the size after unstructured pruning).  Tolerances: sizes ±10% (notes
round, and "INT4" covers several layouts, so a size matching any INT4 layout counts),
parameter counts ±5%.  Speed claims are checked against the *bound* (100% of bandwidth,
KV cache ignored), so a claim is only called inconsistent when no runtime could reach it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from studyapp.core.model import NoteError
from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.claims import Claim, LineContext, scan_text
from studyapp.core.sizing.params import count_params
from studyapp.core.sizing.scalar import evaluate_one
from studyapp.core.sizing.scenarios import one
from studyapp.core.sizing.units import GB, fmt_bytes, fmt_num

__all__ = ["Finding", "lint_note", "lint_text"]

Verdict = Literal["consistent", "inconsistent", "cannot check"]
SIZE_TOL = 0.10
PARAMS_TOL = 0.05
#: Formats a precision word in a note may mean.
_VARIANTS = {
    "fp32": ("fp32",),
    "fp16": ("fp16",),
    "int8": ("int8", "q8_0"),
    "int4": ("int4", "int4-e16", "q4_0", "q4_k_m"),
    "int2": ("int2",),
}


@dataclass(frozen=True)
class Finding:
    """One checked claim.  ``line`` is 1-based in the file (frontmatter included)."""

    line: int
    claim: str
    engine: str
    verdict: Verdict
    detail: str


def _sizes(ctx: LineContext, family: str) -> list[tuple[str, float]]:
    """(format id, weight bytes) for each layout ``family`` may mean."""
    cat = load_catalog()
    out = []
    for fmt_id in _VARIANTS[family]:
        fmt = cat.formats[fmt_id]
        if ctx.model_id is not None:
            s = one(cat.models[ctx.model_id], fmt, cat.device("a100-80gb"), context=1)
            out.append((fmt_id, evaluate_one(s)["weights_bytes"]))
        elif ctx.params is not None and fmt.embed_bits is None:
            out.append((fmt_id, ctx.params * fmt.bpw / 8.0))
    return out


def _who(ctx: LineContext) -> str:
    if ctx.model_id is not None:
        return load_catalog().models[ctx.model_id].name
    return f"{fmt_num((ctx.params or 0) / 1e9)}B params"


def _check_size(c: Claim) -> tuple[str, Verdict, str]:
    families = [c.ctx.precision or "fp16"]
    if c.before_arrow:
        families += [f for f in ("fp16", "fp32") if f not in families]
    candidates = [pair for fam in families for pair in _sizes(c.ctx, fam)]
    best_id, best = min(candidates, key=lambda pair: abs(pair[1] - c.value) / pair[1])
    error = abs(best - c.value) / best
    engine = f"{_who(c.ctx)} {best_id}: {fmt_bytes(best)}"
    assumed = " (no precision stated: FP16 assumed)" if c.precision_assumed else ""
    if error <= SIZE_TOL:
        return engine, "consistent", f"{c.text} is within {error:.1%} of {fmt_bytes(best)}{assumed}"
    if c.ctx.mentions_pruning:
        return (
            engine,
            "cannot check",
            (
                f"{c.text} differs from the dense {best_id} size {fmt_bytes(best)} by {error:.0%}; the note mentions"
                " pruning/distillation, whose stored size depends on the sparse format"
            ),
        )
    return (
        engine,
        "inconsistent",
        f"{c.text} vs {fmt_bytes(best)} at {best_id} ({error:.0%} off){assumed}",
    )


def _check_params(c: Claim) -> tuple[str, Verdict, str]:
    model = load_catalog().models[c.ctx.model_id or ""]
    total = count_params(model).total
    error = abs(total - c.value) / total
    engine = f"{model.name}: {total:,} parameters (counted from its config)"
    verdict: Verdict = "consistent" if error <= PARAMS_TOL else "inconsistent"
    stated = f"{fmt_num(c.value / 1e9)}B" if c.value >= 1e9 else f"{fmt_num(c.value / 1e6)}M"
    return engine, verdict, f"stated {stated} is {error:.1%} from the count"


def _check_fits(c: Claim) -> tuple[str, Verdict, str]:
    cat = load_catalog()
    device = cat.device(c.extra["device"])
    usable = device.profile.usable_fraction * device.mem_bytes
    sizes = _sizes(c.ctx, c.ctx.precision or "fp16")
    fmt_id, weights = min(sizes, key=lambda pair: pair[1])
    need = weights + device.profile.overhead_bytes
    fits = need <= usable
    gpus = next(
        (tp for tp in (2, 4, 8) if weights / tp + device.profile.overhead_bytes <= usable), None
    )
    engine = (
        f"{_who(c.ctx)} {fmt_id} weights {fmt_bytes(weights)} + runtime {fmt_num(device.profile.overhead_gib)} GiB"
        f" vs usable {device.profile.usable_fraction:g} x {device.mem_gb:g} GB = {fmt_num(usable / GB)} GB"
        f" on one {device.name}"
    )
    claimed = c.value == 1.0
    if fits == claimed:
        return engine, "consistent", "fits" if fits else "does not fit, as the note says"
    if not fits:
        more = f"; needs at least {gpus} GPUs with tensor parallelism" if gpus else ""
        return (
            engine,
            "inconsistent",
            (
                f"{fmt_num(weights / GB)} GB of weights alone > {fmt_num(usable / GB)} GB usable"
                f" ({device.mem_gb:g} GB card){more}"
            ),
        )
    return (
        engine,
        "inconsistent",
        f"it does fit: {fmt_num(need / GB)} GB <= {fmt_num(usable / GB)} GB",
    )


def _check_rate(c: Claim) -> tuple[str, Verdict, str]:
    cat = load_catalog()
    device = cat.device(c.ctx.device_id or "")
    if c.ctx.model_id is None:
        return "needs a named model", "cannot check", "only a parameter count is given"
    model = cat.models[c.ctx.model_id]
    tp, batch = c.ctx.gpus or 1, c.ctx.batch or 1
    best_rate, best_fmt, best_read = 0.0, "", 0.0
    for fmt_id in _VARIANTS[c.ctx.precision or "fp16"]:
        f = evaluate_one(one(model, cat.formats[fmt_id], device, context=0, batch=batch, tp=tp))
        if f["tokens_per_s_bound"] > best_rate:
            best_rate, best_fmt, best_read = (
                f["tokens_per_s_bound"],
                fmt_id,
                f["weights_read_bytes"],
            )
    estimate = " (bandwidth is an estimate)" if device.bw_is_estimate else ""
    engine = (
        f"{model.name} {best_fmt} on {tp} x {device.name}, batch {batch}: bound = {fmt_num(best_rate)} tokens/s"
        f" ({fmt_num(best_read / GB)} GB read per step, {device.bw_gbps:g} GB/s{estimate}, KV ignored)"
    )
    if c.value <= best_rate:
        return engine, "consistent", f"{fmt_num(c.value)} tokens/s <= bound {fmt_num(best_rate)}"
    extra = ""
    if c.ctx.mentions_pruning:
        extra = "; unstructured pruning does not speed up decode without sparse kernels"
    return (
        engine,
        "inconsistent",
        (
            f"{fmt_num(c.value)} tokens/s exceeds the memory-bandwidth bound {fmt_num(best_rate)} tokens/s{extra}"
        ),
    )


_CHECKS = {"size": _check_size, "params": _check_params, "fits": _check_fits, "rate": _check_rate}


def lint_text(text: str, line_offset: int = 0) -> list[Finding]:
    """Check every claim in plain text; ``line_offset`` lines precede it in the file."""
    findings = []
    for claim in scan_text(text):
        engine, verdict, detail = _CHECKS[claim.kind](claim)
        findings.append(Finding(claim.line + line_offset + 1, claim.text, engine, verdict, detail))
    return findings


def lint_note(rel_path: str, data: bytes) -> list[Finding]:
    """Parse a note (raises :class:`NoteError`) and check the numeric claims in its body."""
    from studyapp.core.notefile import parse_note

    parsed = parse_note(rel_path, data)
    return lint_text(parsed.body, parsed.body_line_offset)


# Re-exported so callers can catch parse failures without importing the model module.
NoteError = NoteError
