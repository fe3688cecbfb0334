"""Lint of numeric claims: precision first (no false alarms), the seed's real errors found."""

from __future__ import annotations

from pathlib import Path

import pytest

from studyapp.core.sizing.lint import Finding, lint_note, lint_text

REPO = Path(__file__).resolve().parents[2]

#: The seed note's verified errors the lint must flag (1-based lines, frontmatter counted):
#: 120 140 GB "on one A100"; 121 and 190 AWQ called INT8; 168 30 tok/s on an iPhone 15 Pro
#: above the bandwidth bound; 212 $0.002/1K tokens at 15,000 tok/s on 4x H100 (7x its own arithmetic).
SEED_TARGETS = {120, 121, 168, 190, 212}


def _by_claim(findings: list[Finding], claim: str) -> list[Finding]:
    return [f for f in findings if f.claim == claim]


def _inconsistent(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.verdict == "inconsistent"]


def test_seed_flags_exactly_the_verified_errors(seed_note: Path) -> None:
    findings = lint_note(seed_note.name, seed_note.read_bytes())
    assert {f.line for f in _inconsistent(findings)} == SEED_TARGETS
    for f in _inconsistent(findings):
        assert f.engine and f.steps and f.source, f  # engine figure, worked steps, source


def test_seed_details(seed_note: Path) -> None:
    lines = seed_note.read_text("utf-8").splitlines()
    findings = lint_note(seed_note.name, seed_note.read_bytes())
    fit = _by_claim(findings, "单卡A100")[0]
    assert fit.verdict == "inconsistent" and "单卡A100部署" in lines[fit.line - 1]
    assert "77.3 GB usable" in fit.detail and "2 GPUs" in fit.detail
    rate = _by_claim(findings, "30 tokens/s")[0]
    assert rate.verdict == "inconsistent" and "iPhone 15 Pro" in rate.engine
    assert "ESTIMATE" in " ".join(rate.steps)
    cost = next(f for f in findings if f.kind == "cost")
    assert cost.line == 212 and "7.1x" in cost.detail
    assert all(
        f.kind == "method" for f in findings if f.line in {121, 190} and f.verdict == "inconsistent"
    )
    # correct seed lines that resolve are confirmed, not flagged
    assert _by_claim(findings, "140GB")[0].verdict == "consistent"
    assert _by_claim(findings, "70GB")[0].verdict == "consistent"
    assert _by_claim(findings, "5000 tokens/s")[0].verdict == "consistent"  # 8x A100, batch 32


def test_bundled_notes_have_no_inconsistent_claim() -> None:
    for path in sorted((REPO / "notes").rglob("*.md")):
        bad = _inconsistent(lint_note(path.name, path.read_bytes()))
        assert not bad, (path.name, [(f.line, f.claim, f.detail) for f in bad])


@pytest.mark.parametrize(
    "line",
    [
        "Phi-3-mini 每 token: 2 × 32 × 32 × 96 × 2 B = 393,216 B = 384 KiB",  # bytes, not "216B" params
        "Llama-3-8B Q4_K_M 在树莓派 5 上 17 GB/s",  # a bandwidth, not a size
        "Llama-3-8B FP16 的 KV cache 4096 token 为 0.54 GB",  # a part of the model
        "Llama-3-70B FP16 两卡时每卡 70.55 GB",  # a per-GPU share
        "8× A100 80GB 跑 Llama-3-70B INT8",  # a device capacity
        "Llama-3-8B 的 embedding + lm_head FP16 占 2.10 GB",  # a part again
        "FP16 → 140GB",  # no subject
        "Llama-3-8B 是 16.06 GB",  # no precision
    ],
)
def test_unresolved_or_partial_numbers_are_not_checked(line: str) -> None:
    findings = lint_text(line)
    assert all(f.verdict == "not checked" for f in findings), findings


def test_resolved_claims_on_their_own_line() -> None:
    text = "\n".join(
        [
            "Llama-3-8B INT4 needs 4.2GB",
            "Llama-3-8B FP16 needs 8GB",
            "Phi-2（2.7B）用 INT4 → 1.4GB",
        ]
    )
    verdicts = {(f.line, f.claim): f.verdict for f in lint_text(text, line_offset=10)}
    assert verdicts[(11, "4.2GB")] == "consistent"
    assert verdicts[(12, "8GB")] == "inconsistent"  # 16.1 GB at FP16
    assert verdicts[(13, "2.7B")] == "consistent"
    assert verdicts[(13, "1.4GB")] == "consistent"


def test_definitions_resolve_inside_a_block_only() -> None:
    block = "```\n模型：Llama-3-8B\n压缩：FP16\n硬件：1× RTX 4090\n速度：500 tokens/s\n```\n"
    rate = next(f for f in lint_text(block) if f.kind == "rate")
    assert rate.verdict == "inconsistent" and "bound" in rate.detail  # 1008 / 16.06 = 62.8
    # the same speed outside the block, with the device on the previous line, is not checked
    loose = "Llama-3-8B FP16 on an RTX 4090\n速度：500 tokens/s\n"
    assert all(f.verdict == "not checked" for f in lint_text(loose) if f.kind == "rate")


def test_fit_verdicts() -> None:
    assert (
        _by_claim(lint_text("```\n原始：70B\nFP16 → 140GB，单卡A100 ❌\n```\n"), "单卡A100")[
            0
        ].verdict
        == "consistent"
    )
    ok = lint_text("Llama-3-70B INT4 g128 → 39.8 GB → 单卡A100 ✓\n")
    assert _by_claim(ok, "单卡A100")[0].verdict == "consistent"
    pruned = lint_text("```\n模型：Llama-2-7B\n压缩：INT4 + 50%剪枝\n大小：500MB\n```\n")
    assert _by_claim(pruned, "500MB")[0].verdict == "not checked"
