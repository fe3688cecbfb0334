"""Typed-answer normalisation, number/range equivalence and the grade mapping."""

from __future__ import annotations

import math

import pytest

from studyapp.core.grading import (
    GradingPolicy,
    analyse_answer,
    answers_match,
    auto_grade,
    forms_match,
    key_tokens,
    normalize,
    parse_numbers,
)

INF = math.inf


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ＩＮＴ４ 量化", "int4量化"),
        ("存储、内存、算力、功耗", "存储,内存,算力,功耗"),
        ("“实时”！", '"实时"!'),
        ("（激进）【注】《书》", "激进注书"),
        ("**加粗** `code` _em_", "加粗code em"),
        ("Deep   Learning\t", "deep learning"),
        ("Per-channel（精确）", "per channel精确"),
    ],
)
def test_normalize_folds_equivalent_spellings(a: str, b: str) -> None:
    assert normalize(a) == normalize(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("5%", "5"), ("deep learning", "deeplearning"), ("10×", "10")],
)
def test_normalize_keeps_meaningful_differences(a: str, b: str) -> None:
    assert normalize(a) != normalize(b)


def test_normalize_of_only_punctuation_is_empty() -> None:
    assert normalize(" - ，。 ") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Outputs of the original character-by-character implementation.
        ("Deep   Learning\t", "deep learning"),
        ("INT4 量化", "int4量化"),
        ("a。b", "a b"),
        (" x - y ", "x y"),
        ("Straße", "strasse"),
        ("\u00a0A\u3000b ", "a b"),
        ("*a* _b_ `c`", "a b c"),
        ("中 文 a b 1", "中文a b 1"),
        ("KV Cache（2-4×）", "kv cache 2 4×"),
        ("5 %", "5%"),
        ("a\u2028b", "a b"),
        ("ﬁ½", "fi1⁄2"),
        ("【注】 x", "注x"),
        ("x -", "x"),
        ("", ""),
    ],
)
def test_normalize_exact_output(text: str, expected: str) -> None:
    assert normalize(text) == expected


_CELLS = [
    "3-5% 损失可接受",
    "1-2% 损失为上限",
    "3~5%",
    "３到５％",
    "<8GB",
    "8GB",
    "8 GB",
    "> 200W",
    "存储、内存、算力、功耗",
    "内存，存储，功耗，算力",
    "INT4量化、知识蒸馏、激进剪枝",
    "激进（10-100× 压缩）",
    "10-100倍",
    "延迟优先（29.4美元/小时）",
    "29.4",
    "约6-16tokens/s",
    "6-16",
    "-",
    "",
]


def test_forms_are_analysed_once_and_match_like_answers_match() -> None:
    forms = {text: analyse_answer(text) for text in _CELLS}
    for text, form in forms.items():
        assert form.norm == normalize(text)
        assert [(q.low, q.high) for q in form.quantities] == parse_numbers(text)
        assert form.token_norms == tuple(normalize(t) for t in key_tokens(text))
    matches = 0
    for a in _CELLS:
        for b in _CELLS:
            same = forms_match(forms[a], forms[b])
            assert same == answers_match(a, b), (a, b)
            matches += same
    assert matches > sum(1 for c in _CELLS if normalize(c))  # not only the diagonal


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("3-5%", [(3, 5)]),
        ("3~5 %", [(3, 5)]),
        ("3～5%", [(3, 5)]),
        ("3到5%", [(3, 5)]),
        ("3%-5%", [(3, 5)]),
        ("３－５％", [(3, 5)]),
        ("1-2% 损失为上限", [(1, 2)]),
        ("10-100×", [(10, 100)]),
        ("<8GB", [(-INF, 8)]),
        ("＜2s可接受", [(-INF, 2)]),
        (">40GB显存，>200W功耗", [(40, INF), (200, INF)]),
        ("1B-7B", [(1, 7)]),
        ("1.5W", [(1.5, 1.5)]),
        ("15,000 tokens/s", [(15000, 15000)]),
        ("INT4量化、FP16、A100、P99、GPT-3、LLaMA-3-70B", []),
        ("没有数字", []),
    ],
)
def test_parse_numbers(text: str, numbers: list[tuple[float, float]]) -> None:
    assert parse_numbers(text) == numbers


@pytest.mark.parametrize(
    ("expected", "response"),
    [
        ("3-5%", "3-5%"),
        ("3-5%", "3~5 %"),
        ("3-5%", "3到5%"),
        ("3-5%", "３－５％"),
        ("3-5% 损失可接受", "3-5"),
        ("3-5% 损失可接受", "3~5%损失可接受"),
        ("激进（10-100× 压缩）", "10-100倍"),
        ("激进（10-100× 压缩）", "10-100x"),
        ("8GB", "8 GB"),
        ("INT4量化、知识蒸馏、激进剪枝", "ｉｎｔ４量化，知识蒸馏，激进剪枝"),
        ("存储、内存、算力、功耗", "内存 存储 功耗 算力"),
        ("CPU/NPU，<8GB RAM，<10W功耗", "cpu npu <8gb ram <10w 功耗"),
        ("Per-tensor（快速）", "per tensor 快速"),
    ],
)
def test_answers_match_accepts_the_same_fact(expected: str, response: str) -> None:
    assert answers_match(expected, response)


@pytest.mark.parametrize(
    ("expected", "response"),
    [
        ("3-5%", "1-2%"),
        ("3-5% 损失可接受", "1-2%"),
        ("1-2% 损失为上限", "3-5%"),
        ("3-5%", "35%"),
        ("3-5%", "3 5%"),
        ("3-5%", "3-6%"),
        ("<8GB", "8GB"),
        (">40GB", "<40GB"),
        ("10-100×", "10-100%"),
        ("8GB", "8MB"),
        ("INT4量化", "4"),
        ("INT4量化", "INT8量化"),
        ("存储、内存、算力、功耗", "存储、内存、算力"),
        ("CPU/NPU，<8GB RAM，<10W功耗", "<8GB <10W"),
        ("存储、内存", "存储、内存" + "、其他" * 20),
        ("激进", ""),
        ("激进", "  ，。 "),
        ("非结构化（压缩比高）", "结构化（硬件友好）"),
        ("1.5", "1 5"),
    ],
)
def test_answers_match_rejects_wrong_or_partial_answers(expected: str, response: str) -> None:
    assert not answers_match(expected, response)


def test_key_tokens_split_list_cells_and_drop_numbers() -> None:
    assert key_tokens("存储、内存、算力、功耗") == ["存储", "内存", "算力", "功耗"]
    assert key_tokens("激进（10-100× 压缩）") == ["激进", "压缩"]


def test_policy_defaults_and_validation() -> None:
    policy = GradingPolicy()
    assert (policy.fast_ms, policy.slow_ms) == (8000, 30000)
    with pytest.raises(ValueError):
        GradingPolicy(fast_ms=10_000, slow_ms=5_000)
    with pytest.raises(ValueError):
        GradingPolicy(fast_ms=-1)


@pytest.mark.parametrize(
    ("correct", "elapsed", "hinted", "grade"),
    [
        (True, 0, False, 5),
        (True, 8000, False, 5),
        (True, 8001, False, 4),
        (True, 29_999, False, 4),
        (True, 30_000, False, 3),
        (True, 1000, True, 3),
        (True, -50, False, 5),
        (False, 1000, False, 1),
        (False, 60_000, True, 1),
    ],
)
def test_auto_grade_thresholds(correct: bool, elapsed: int, hinted: bool, grade: int) -> None:
    assert auto_grade(correct, elapsed, hinted) == grade


def test_auto_grade_uses_the_given_policy() -> None:
    policy = GradingPolicy(fast_ms=2000, slow_ms=4000)
    assert auto_grade(True, 2500, policy=policy) == 4
    assert auto_grade(True, 4000, policy=policy) == 3
    assert auto_grade(True, 2500) == 5


def test_normalize_collapses_whitespace_like_the_regex_it_replaced() -> None:
    """normalize joins str.split() instead of substituting ``\\s+`` and stripping: over
    every code point, ``\\s`` matches exactly what str.isspace() accepts, and on random
    strings of spaces of every kind the two give the same result."""
    import random
    import re
    import sys
    import unicodedata

    from studyapp.core import grading

    space = re.compile(r"\s")
    assert all(
        (space.match(chr(i)) is not None) == chr(i).isspace() for i in range(sys.maxunicode + 1)
    )

    def by_regex(text: str) -> str:
        folded = unicodedata.normalize("NFKC", text).casefold()
        collapsed = re.sub(r"\s+", " ", folded.translate(grading._PUNCT_TO_SPACE)).strip()
        return grading._LONE_SPACE_RE.sub("", collapsed)

    rng = random.Random(1)
    alphabet = "ab 1\t\n\u3000\u00a0\x1c\x85\u2028中，。-*_()%AZ"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        assert normalize(text) == by_regex(text), repr(text)
