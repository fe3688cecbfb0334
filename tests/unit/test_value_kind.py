"""The distractor kind classifier, the look-alike rule and the giveaway rule."""

from __future__ import annotations

import pytest

from studyapp.core.value_kind import (
    ValueKind,
    classify,
    gives_away,
    header_names_unit,
    looks_alike,
    option_problems,
    unit_of,
)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("16.06 GB", ValueKind("number", "bytes")),
        ("14.96 GiB", ValueKind("number", "bytes")),
        ("约 4.91 GB", ValueKind("number", "bytes")),
        ("4/8/16 GB LPDDR4X", ValueKind("number", "bytes")),
        ("4.5 bpw", ValueKind("number", "bits")),
        ("8.01 ms", ValueKind("number", "time")),
        ("约 125 tok/s", ValueKind("number", "tokens_rate")),
        ("400 GB/s", ValueKind("number", "bandwidth")),
        ("1.5W", ValueKind("number", "power")),
        ("7B", ValueKind("number", "params")),
        ("8.5", ValueKind("number", "count")),
        ("70,553,706,496", ValueKind("number", "count")),
        ("3-5% 损失可接受", ValueKind("percent")),
        ("50-90%（激进）", ValueKind("percent")),
        ("10-100×（大幅压缩）", ValueKind("ratio")),
        ("2-5x", ValueKind("ratio")),
        ("约 1/2", ValueKind("ratio")),
        ("2:4", ValueKind("ratio")),
        ("Llama-3-8B", ValueKind("model")),
        ("Phi-3-mini", ValueKind("model")),
        ("PaLM、Falcon-7B", ValueKind("model")),
        ("非常常用", ValueKind("text")),
        ("激进（10-100× 压缩）", ValueKind("text")),
        ("TP=4 约 95 tokens/s", ValueKind("text")),
        ("INT4/INT2（激进）", ValueKind("text")),
        ("**存储、内存、算力、功耗**", ValueKind("text")),
    ],
)
def test_classify(value: str, kind: ValueKind) -> None:
    assert classify(value) == kind


def test_issue_examples_are_of_different_kinds() -> None:
    # "F16 — bpw?" offered sizes; "压缩比?" offered 非常常用; "主要约束?" offered a percent.
    assert classify("16") != classify("16.06 GB")
    assert classify("10-100×") != classify("非常常用")
    assert classify("存储、内存、算力、功耗") != classify("3-5% 损失可接受")
    assert classify("70,553,706,496") != classify("16.06 GB")
    assert classify("70,553,706,496") != classify("TP=4 约 95 tokens/s")


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("**INT8**", "INT8", True),
        ("1 张", "实际需 1 张", True),
        ("≈4.0039 bpw", "4.0039 bpw", True),
        ("4.5 bpw", "4.625 bpw", False),
        ("常用（灵活）", "少用（批处理固定）", False),
        ("最小", "最大", False),
    ],
)
def test_looks_alike(a: str, b: str, alike: bool) -> None:
    assert looks_alike(a, b) is alike


def test_gives_away() -> None:
    assert gives_away("70,553,706,496", ["参数量", "教师 Llama-3-70B"])
    assert gives_away("8,030,261,248", ["参数量", "学生 Llama-3-8B 级"])
    assert gives_away("16", ["F16", "bpw"])
    assert gives_away("INT8", ["INT8 方案", "x"])
    assert not gives_away("16.06 GB", ["FP16 权重", "学生 Llama-3-8B 级"])
    assert not gives_away("8.5", ["Q8_0", "bpw"])


def test_option_problems_names_each_fault() -> None:
    assert option_problems("16", ["16", "8.5", "6.5625"], ["F8", "bpw"]) == []
    problems = option_problems("16", ["16", "16.06 GB", "14.96 GiB"], ["F8", "bpw"])
    assert len(problems) == 2 and all("number:bytes" in p for p in problems)
    assert option_problems("最小", ["最小", "**最小**"])[0].endswith("look alike")
    assert "gives" in option_problems("16", ["16", "8"], ["F16", "bpw"])[0]


def test_header_names_unit() -> None:
    assert header_names_unit("16.06 GB", "大小（GB）")
    assert not header_names_unit("16.06 GB", "大小（GiB，llama.cpp 打印值）")
    assert not header_names_unit("512 KiB", "每 token")
    assert not header_names_unit("存储、内存", "边缘设备部署")
    assert unit_of("约 4.91 GB") == "gb" and unit_of("8.5") == ""


def test_skeleton_keeps_exactly_what_isalnum_keeps() -> None:
    """``_skeleton`` drops characters with one regex (CPython's Unicode ``\\w`` is
    isalnum() plus ``_``); over every code point it keeps what the per-character
    ``ch.isalnum() or ch == "%"`` test it replaced kept."""
    import sys

    from studyapp.core.value_kind import _NOT_SKELETON_RE

    kept = "".join(chr(i) for i in range(sys.maxunicode + 1) if chr(i) not in "\r\n")
    expected = "".join(ch for ch in kept if ch.isalnum() or ch == "%")
    assert _NOT_SKELETON_RE.sub("", kept) == expected


def test_gives_away_by_magnitude_in_either_scale() -> None:
    assert gives_away("70,553,706,496", ("教师 Llama-3-70B", "参数量"))
    assert gives_away("70.6 B", ("教师 70B",))  # same scale: 70.6 vs 70
    assert not gives_away("8,030,261,248", ("教师 Llama-3-70B",))
    assert not gives_away("很多", ("70B",))  # no number in the answer
    assert gives_away("INT8", ("行", "精度 int8"))
