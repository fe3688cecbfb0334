"""Lint of numeric claims: the seed note's verdicts and the claim extractor on plain text."""

from __future__ import annotations

from pathlib import Path

from studyapp.core.sizing.lint import lint_note, lint_text


def _by_claim(findings: list, claim: str):  # type: ignore[no-untyped-def]
    return [f for f in findings if f.claim == claim]


def test_seed_verdicts(seed_note: Path) -> None:
    data = seed_note.read_bytes()
    lines = data.decode("utf-8").splitlines()
    findings = lint_note(seed_note.name, data)
    fit = _by_claim(findings, "单卡A100")
    assert len(fit) == 1 and fit[0].verdict == "inconsistent"
    assert "140" in fit[0].detail and "72" in fit[0].detail
    assert "单卡A100部署" in lines[fit[0].line - 1]  # 1-based line in the file, frontmatter counted
    gpt3 = _by_claim(findings, "350GB")
    assert gpt3[0].verdict == "consistent" and "fp16" in gpt3[0].engine
    assert _by_claim(findings, "280GB")[0].verdict == "consistent"
    assert _by_claim(findings, "140GB")[0].verdict == "consistent"
    assert _by_claim(findings, "1.4GB")[0].verdict == "consistent"
    assert _by_claim(findings, "152MB")[0].verdict == "consistent"
    rate = _by_claim(findings, "30 tokens/s")[0]
    assert rate.verdict == "inconsistent" and "iPhone 15 Pro" in rate.engine
    assert "bound" in rate.detail
    assert not any(f.claim == "80GB" for f in findings)  # "8× A100 80GB" is hardware, not a size


def test_plain_text_claims() -> None:
    text = "\n".join(
        [
            "Llama-3-8B INT4 needs 4.2GB",
            "Llama-3-8B FP16 needs 8GB",
            "```",
            "model: 13B",
            "FP16 → 26GB → fits on one H100 ✓",
            "```",
            "unrelated 80GB line",
        ]
    )
    findings = lint_text(text, line_offset=10)
    verdicts = {(f.line, f.claim): f.verdict for f in findings}
    assert verdicts[(11, "4.2GB")] == "consistent"
    assert verdicts[(12, "8GB")] == "inconsistent"  # 16.1 GB at FP16
    assert verdicts[(15, "26GB")] == "consistent"
    assert verdicts[(15, "one H100")] == "consistent"  # 26 GB + 1 GiB <= 72 GB
    assert all(f.line != 17 for f in findings)  # no model in context: not a claim


def test_fit_claim_negative_and_pruning_cannot_check() -> None:
    findings = lint_text("70B FP16 → 140GB，单卡A100 ❌\n")
    assert _by_claim(findings, "单卡A100")[0].verdict == "consistent"
    findings = lint_text("```\nLlama-2-7B INT4 + 50%剪枝\n大小：500MB\n```\n")
    assert _by_claim(findings, "500MB")[0].verdict == "cannot check"
