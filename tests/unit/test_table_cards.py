"""Table cards: one card per fact, presentations per review, anchors, prompts and grading."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from studyapp.core.grading import GradingPolicy
from studyapp.core.model import CardSpec, ParsedNote, Table
from studyapp.core.notefile import parse_note
from studyapp.core.table_cards import GRID_MAX_ROWS, POOL_LIMIT, is_comparison, table_cards
from studyapp.core.table_prompts import grade_table, presentation_of, table_prompt, typed_ok
from studyapp.core.value_kind import classify, looks_alike, option_problems
from tests.conftest import REPO
from tests.unit.table_work import counted_table_cards, value_cells
from tests.unit.test_tables import fixture_text, parse_text

BUNDLED = sorted((REPO / "notes").rglob("*.md"))


def seed_parsed(seed_note: Path) -> ParsedNote:
    return parse_text(seed_note.read_text(encoding="utf-8"), seed_note.name)


def bundled(path: Path) -> ParsedNote:
    return parse_note(path.relative_to(REPO / "notes").as_posix(), path.read_bytes())


def table_at(parsed: ParsedNote, card: CardSpec) -> Table:
    return next(t for t in parsed.tables if t.start_line == card.payload["table_line"])


def by_mode(cards: list[CardSpec], mode: str) -> list[CardSpec]:
    return [c for c in cards if c.payload["mode"] == mode]


# --- card counts per table kind -----------------------------------------------------------

#: Cards per note of the bundled notes: (row cards, cell cards).  Before issue 11 each value
#: cell gave a ``cell`` and a ``side`` card: 366 table cards over these eight notes.
BUNDLED_COUNTS = {
    "压缩/gguf-量化等级.md": (0, 22),
    "压缩/int8-vs-int4-量化.md": (6, 12),
    "压缩/剪枝-非结构化-结构化-2比4.md": (0, 26),
    "压缩/知识蒸馏.md": (4, 8),
    "推理优化/continuous-batching-吞吐与延迟.md": (5, 12),
    "推理优化/kv-cache-估算.md": (0, 30),
    "部署/张量并行与多卡部署.md": (4, 9),
    "部署/边缘硬件选型与内存带宽.md": (0, 23),
}


def test_seed_yields_one_row_card_per_row_and_covers_every_table(seed_note: Path) -> None:
    parsed = seed_parsed(seed_note)
    cards = table_cards(parsed)
    # 46 data cells in 23 rows of five two-column comparison tables: one card per row
    # (before: 92 cards, four per row).
    assert all(is_comparison(t) for t in parsed.tables)
    assert Counter(c.payload["mode"] for c in cards) == {"row": 23}
    assert len(cards) <= 46
    assert {c.payload["table_line"] for c in cards} == {t.start_line for t in parsed.tables}
    assert len({c.anchor for c in cards}) == len(cards)
    assert len({c.payload["sibling_key"] for c in cards}) == 23


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_note_card_counts(path: Path) -> None:
    parsed = bundled(path)
    cards = table_cards(parsed)
    counts = Counter(c.payload["mode"] for c in cards)
    assert (counts["row"], counts["cell"]) == BUNDLED_COUNTS[parsed.path]
    cells = sum(len(t.rows) * (len(t.header) - 1) for t in parsed.tables)
    assert len(cards) <= cells  # never more than one card per data cell
    assert {c.payload["table_line"] for c in cards} == {t.start_line for t in parsed.tables}


def test_two_column_tables_that_are_not_comparisons_get_cell_cards() -> None:
    parsed = bundled(REPO / "notes/压缩/剪枝-非结构化-结构化-2比4.md")
    methods = next(t for t in parsed.tables if t.header[0] == "方法")
    assert not is_comparison(methods)
    cards = [c for c in table_cards(parsed) if c.payload["table_line"] == methods.start_line]
    assert {c.payload["mode"] for c in cards} == {"cell"}
    assert len(cards) == 8


def test_key_value_table_gives_kv_cards_only() -> None:
    cards = table_cards(parse_text(fixture_text("kv.md")))
    assert [c.payload["mode"] for c in cards] == ["kv"] * 3
    assert cards[0].anchor == "table|常用数字|指标,数值|手机 RAM|数值"
    assert cards[0].payload["answer"] == "4-12GB"
    assert cards[0].payload["presentations"] == ["recall"]
    prompt = table_prompt(cards[0].payload, seed=3, typed=True)
    assert (prompt.answer_mode, prompt.options, prompt.expected) == ("typed", (), "4-12GB")
    assert grade_table(prompt, "4~12 GB", 1000).correct
    assert not grade_table(prompt, "4-8GB", 1000).correct


def test_one_row_table_gives_no_cards() -> None:
    assert table_cards(parse_text(fixture_text("one_row.md"))) == []


def test_no_card_comes_from_a_code_fence(seed_note: Path) -> None:
    parsed = seed_parsed(seed_note)
    fence_lines = {i for i, line in enumerate(parsed.body.splitlines()) if line.startswith("```")}
    for card in table_cards(parsed):
        table = table_at(parsed, card)
        assert not any(table.start_line <= f < table.end_line for f in fence_lines)
    assert table_cards(parse_text(fixture_text("fenced.md"))) == []


# --- presentations share one schedule ---------------------------------------------------


def test_row_card_presentations_cover_both_sides_and_the_pair(seed_note: Path) -> None:
    cards = table_cards(seed_parsed(seed_note))
    anchor = "table|详细讲解/1. 核心差异对比|维度,边缘设备部署,云端部署|精度容忍"
    card = next(c for c in cards if c.anchor == anchor)
    p = card.payload
    assert p["presentations"] == ["recall:1", "recall:2", "pair"]
    assert [e["cell"] for e in p["cells"]] == ["3-5% 损失可接受", "1-2% 损失为上限"]
    seen = {presentation_of(p, seed) for seed in range(30)}
    assert seen == {"recall:1", "recall:2", "pair"}
    seed = next(s for s in range(30) if presentation_of(p, s) == "recall:1")
    prompt = table_prompt(p, seed)
    assert prompt.question == "精度容忍 — 边缘设备部署?"
    assert prompt.expected == "3-5% 损失可接受"
    assert prompt.options == tuple(sorted(prompt.options, key=prompt.options.index))
    assert set(prompt.options) <= {"3-5% 损失可接受", "1-2% 损失为上限"}  # the only percents
    seed = next(s for s in range(30) if presentation_of(p, s) == "pair")
    pair = table_prompt(p, seed)
    assert pair.expected == "边缘设备部署: 3-5% 损失可接受 ／ 云端部署: 1-2% 损失为上限"
    assert "边缘设备部署: 1-2% 损失为上限 ／ 云端部署: 3-5% 损失可接受" in pair.options
    assert pair.context.endswith("详细讲解 / 1. 核心差异对比")


def test_cell_card_offers_recall_and_side_only_with_same_kind_columns() -> None:
    parsed = bundled(REPO / "notes/推理优化/kv-cache-估算.md")
    cards = table_cards(parsed)
    per_token = next(c for c in cards if c.title == "Llama-2-7B — 每 token")
    assert per_token.payload["presentations"] == ["recall", "side"]
    assert per_token.payload["side_distractors"] == ["4096 token"]  # bytes too; 结构 is not
    structure = next(c for c in cards if c.title == "Llama-2-7B — 结构")
    assert structure.payload["presentations"] == ["recall"]  # no other column of 层
    seed = next(s for s in range(30) if presentation_of(per_token.payload, s) == "side")
    side = table_prompt(per_token.payload, seed, typed=False)
    assert side.expected == "每 token" and set(side.options) == {"每 token", "4096 token"}
    assert side.data["mode"] == "side"


def test_no_side_question_when_the_header_spells_the_unit() -> None:
    gguf = table_cards(bundled(REPO / "notes/压缩/gguf-量化等级.md"))
    size = next(c for c in gguf if c.title == "F16 — 大小（GB）")
    assert size.payload["presentations"] == ["recall"]  # 大小（GB） vs 大小（GiB）: read the unit


def test_header_that_states_the_answer_is_not_asked() -> None:
    parsed = bundled(REPO / "notes/压缩/知识蒸馏.md")
    titles = {c.title for c in table_cards(parsed)}
    # 教师 Llama-3-70B / 学生 Llama-3-8B give 70,553,706,496 / 8,030,261,248 away.
    assert not any(t.startswith("参数量") for t in titles)
    assert any(t.startswith("FP16 权重") for t in titles)


def test_typed_recall_is_a_presentation_of_the_same_card(seed_note: Path) -> None:
    cards = table_cards(seed_parsed(seed_note))
    card = next(c for c in cards if c.payload["row_label"] == "精度容忍")
    assert typed_ok(card.payload)
    for seed in range(10):
        prompt = table_prompt(card.payload, seed=seed, typed=True)
        assert prompt.answer_mode == "typed" and prompt.correct_option is None
    prompt = next(
        table_prompt(card.payload, s, typed=True)
        for s in range(20)
        if table_prompt(card.payload, s, typed=True).expected == "3-5% 损失可接受"
    )
    assert grade_table(prompt, "3~5%", 2000).correct
    assert grade_table(prompt, "３到５％", 2000).correct
    assert not grade_table(prompt, "1-2%", 2000).correct


# --- distractors of the same kind (every MC card of the bundled notes and the seed) -----


def _all_notes(seed_note_paths: list[Path]) -> list[ParsedNote]:
    notes = [bundled(p) for p in BUNDLED]
    notes += [parse_text(p.read_text(encoding="utf-8"), p.name) for p in seed_note_paths]
    return notes


def _check_card(card: CardSpec) -> list[str]:
    problems: list[str] = []
    p = card.payload
    for seed in range(24):
        prompt = table_prompt(p, seed)
        if prompt.answer_mode != "choice":
            continue
        options = list(prompt.options)
        pres = prompt.data["presentation"]
        if pres == "side":
            headers = set(p["header"][1:])
            problems += [f"{o!r} is not a header" for o in options if o not in headers]
            problems += [f"{o!r} repeated" for o in options if options.count(o) > 1]
            continue
        if pres == "pair":
            # Each option pairs one value per side, each of the answer's kind for that side.
            answer_values = [e["cell"] for e in p["cells"]]
            for option in options:
                sides = option.split(" ／ ")
                labels = [e["column_label"] + ": " for e in p["cells"]]
                values = [s.removeprefix(lab) for s, lab in zip(sides, labels, strict=True)]
                for value, want in zip(values, answer_values, strict=True):
                    if classify(value) != classify(want):
                        problems.append(f"pair {option!r}: {value!r} is not of {want!r}'s kind")
            problems += [f"{o!r} repeated" for o in options if options.count(o) > 1]
            continue
        label = next(e for e in p.get("cells", [p]) if e["col"] == prompt.data["col"])
        problems += option_problems(
            prompt.expected, options, (p["row_label"], label["column_label"])
        )
    return [f"{card.title}: {x}" for x in problems]


def test_every_option_of_every_choice_card_is_of_the_answers_kind() -> None:
    from tests.conftest import seed_paths

    problems: list[str] = []
    checked = 0
    for parsed in _all_notes(seed_paths()):
        for card in table_cards(parsed):
            problems += _check_card(card)
            checked += 1
    assert checked >= 161
    assert problems == []


def test_issue_examples_are_now_same_kind() -> None:
    gguf = table_cards(bundled(REPO / "notes/压缩/gguf-量化等级.md"))
    # "F16 — bpw?" is not asked at all: the label F16 states the answer 16.
    assert not any(c.title == "F16 — bpw" for c in gguf)
    q8_bpw = next(c for c in gguf if c.title == "Q8_0 — bpw")
    assert q8_bpw.payload["distractors"]
    assert all(classify(d) == classify("8.5") for d in q8_bpw.payload["distractors"])
    assert "8.53 GB" not in q8_bpw.payload["distractors"]


def test_seed_compression_ratio_offers_only_ratios(seed_note: Path) -> None:
    cards = table_cards(seed_parsed(seed_note))
    card = next(c for c in cards if c.payload["row_label"] == "压缩比")
    for entry in card.payload["cells"]:
        assert entry["distractors"]
        assert all(classify(d).tag == "ratio" for d in entry["distractors"]), entry
        assert "非常常用" not in entry["distractors"]
        assert not any(looks_alike(d, entry["cell"]) for d in entry["distractors"])


# --- anchors ------------------------------------------------------------------------------


def test_anchors_survive_editing_another_cell(seed_note: Path) -> None:
    text = seed_note.read_text(encoding="utf-8")
    before = table_cards(parse_text(text, seed_note.name))
    edited = text.replace("3-5% 损失可接受", "2-6% 损失通常可接受")
    assert edited != text
    after = table_cards(parse_text(edited, seed_note.name))
    assert [c.anchor for c in before] == [c.anchor for c in after]
    anchor = "table|详细讲解/1. 核心差异对比|维度,边缘设备部署,云端部署|精度容忍"
    card = next(c for c in after if c.anchor == anchor)
    assert card.payload["cells"][0]["cell"] == "2-6% 损失通常可接受"


def test_renaming_a_row_label_retires_only_that_rows_card(seed_note: Path) -> None:
    text = seed_note.read_text(encoding="utf-8")
    before = {c.anchor for c in table_cards(parse_text(text, seed_note.name))}
    renamed = text.replace("**精度容忍**", "**精度要求**")
    after = {c.anchor for c in table_cards(parse_text(renamed, seed_note.name))}
    assert before - after == {a for a in before if a.endswith("|精度容忍")}
    assert len(before - after) == 1


def test_duplicate_row_labels_get_numbered_anchors() -> None:
    cards = table_cards(parse_text(fixture_text("hostile.md")))
    anchors = [c.anchor for c in cards if c.payload["row_label"] == "重复"]
    assert "table|Markup|标签,边缘,云端|重复|边缘" in anchors
    assert "table|Markup|标签,边缘,云端|重复#2|边缘" in anchors
    assert len(set(anchors)) == len(anchors) == 4


def test_duplicate_tables_and_separator_characters_keep_anchors_unique() -> None:
    table = "| a/b | x,y | p\\|q |\n|---|---|---|\n| r#1 | 1 | 2 |\n| s | 3 | 4 |\n"
    cards = table_cards(parse_text("# T\n\n## H/1\n\n" + table + "\n" + table))
    anchors = [c.anchor for c in cards]
    assert len(set(anchors)) == len(anchors) == 8
    assert anchors[0] == "table|H\\/1|a\\/b,x\\,y,p\\|q|r\\#1|x\\,y"
    assert anchors[4].startswith("table|H\\/1|a\\/b,x\\,y,p\\|q#2|")


# --- fixtures -----------------------------------------------------------------------------


def test_payload_is_json_serialisable_and_carries_its_table(seed_note: Path) -> None:
    parsed = seed_parsed(seed_note)
    for card in table_cards(parsed):
        p = card.payload
        assert json.loads(json.dumps(p, ensure_ascii=False)) == p
        grid = p["grid"]
        table = table_at(parsed, card)
        assert grid["header"] == list(table.header)
        first = grid["first_row"]
        assert grid["rows"] == [list(r) for r in table.rows[first : first + GRID_MAX_ROWS]]
        for entry in p["cells"]:
            assert grid["rows"][p["row"] - first][entry["col"]] == entry["cell"]
            assert len(entry["distractors"]) <= POOL_LIMIT


def test_empty_identical_and_placeholder_cells_give_no_recall() -> None:
    cards = table_cards(parse_text(fixture_text("empty_cells.md")))
    asked = {
        (c.payload["row_label"], e["column_label"])
        for c in cards
        for e in c.payload["cells"]
        if f"recall:{e['col']}" in c.payload["presentations"]
    }
    assert asked <= {("精度", "边缘"), ("占位", "云端"), ("成本", "边缘"), ("成本", "云端")}
    assert ("成本", "边缘") in asked
    assert not any(c.payload["row_label"] == "" for c in cards)
    assert not any(c.payload["row_label"] == "同值" for c in cards)


def test_escaped_pipes_and_cjk_cells_are_answers_verbatim() -> None:
    cards = table_cards(parse_text(fixture_text("escaped_pipes.md")))
    answers = {e["cell"] for c in cards for e in c.payload.get("cells", [c.payload])}
    assert answers == {"a | b", "x | y", "甲｜乙", "丙｜丁"}
    cjk = table_cards(parse_text(fixture_text("cjk.md")))
    card = next(c for c in cjk if c.payload["row_label"] == "压缩比")
    seed = next(
        s
        for s in range(40)
        if table_prompt(card.payload, s, typed=True).expected == "１０－１００×"
    )
    prompt = table_prompt(card.payload, seed, typed=True)
    assert grade_table(prompt, "10-100倍", 1000).correct
    assert not grade_table(prompt, "2-5×", 1000).correct


def test_ragged_rows_still_give_cards() -> None:
    cards = table_cards(parse_text(fixture_text("ragged.md")))
    entries = [(c, e) for c in cards for e in c.payload.get("cells", [c.payload])]
    assert ("长行", "甲") in {(c.payload["row_label"], e["cell"]) for c, e in entries}
    assert "多余一" not in {d for _c, e in entries for d in e["distractors"]}


def test_hostile_cells_pass_through_literally() -> None:
    cards = table_cards(parse_text(fixture_text("hostile.md")))
    answers = {c.payload["answer"] for c in cards}
    assert {"[bold]粗[/bold]", "$(rm -rf ~)"} <= answers
    assert "[/]" not in answers  # punctuation only: never asked, but shown in the grid
    assert cards[0].payload["grid"]["rows"][0] == ["[bold]", "[bold]粗[/bold]", "[/]"]
    card = next(c for c in cards if c.payload["answer"] == "$(rm -rf ~)")
    seed = next(s for s in range(30) if presentation_of(card.payload, s) == "recall")
    prompt = table_prompt(card.payload, seed)
    assert prompt.question == "[@click=app.quit] — 云端?"
    assert grade_table(prompt, "$(rm -rf ~)", 500).correct


def test_long_cell_and_large_table() -> None:
    def table(rows: int, long_cell: str) -> ParsedNote:
        body = "".join(f"| 行{i} | 边{i}值 | 云{i}值 |\n" for i in range(rows))
        head = "# T\n\n## 大表\n\n| 维度 | 边缘 | 云端 |\n|---|---|---|\n"
        return parse_text(f"{head}| 长格 | {long_cell} | 短 |\n{body}")

    long_cell = "长" * 2000
    parsed = table(200, long_cell)
    cards, lines, seen = counted_table_cards(parsed)
    # Counted, not timed (speed is measured in bench/): every cell, the long one too, is
    # analysed and classified once; twice the rows, at most 2.2x the lines run (pools
    # compare cells pairwise, so a lost memo or a scan per pair grows 4x); a cell 10x
    # longer adds at most a quarter.
    assert seen["normalize"] == seen["kind_of"] == value_cells(parsed)
    assert set(seen["AnswerForm"]) <= set(value_cells(parsed))
    assert max(seen["AnswerForm"].values()) == 1
    assert lines <= 2.2 * counted_table_cards(table(100, long_cell))[1]
    assert lines <= 1.25 * counted_table_cards(table(200, "长" * 200))[1]
    assert len(cards) == 201  # one row card per row
    long_card = cards[0]
    assert long_card.payload["cells"][0]["cell"] == long_cell
    assert typed_ok(long_card.payload)  # its short side (短) can be typed
    for seed in range(10):
        prompt = table_prompt(long_card.payload, seed, typed=True)
        assert prompt.expected != long_cell or prompt.answer_mode == "choice"
    grid = cards[-1].payload["grid"]
    assert len(grid["rows"]) == GRID_MAX_ROWS and grid["n_rows"] == 201
    assert grid["first_row"] == 201 - GRID_MAX_ROWS


def test_grid_is_a_window_around_the_row() -> None:
    rows = "".join(f"| 行{i} | 边{i} | 云{i} |\n" for i in range(9))
    cards = table_cards(parse_text(f"# T\n\n| 维度 | 边缘 | 云端 |\n|---|---|---|\n{rows}"))
    windows = {c.payload["row"]: c.payload["grid"]["first_row"] for c in cards}
    assert windows == {0: 0, 1: 0, 2: 0, 3: 1, 4: 2, 5: 3, 6: 4, 7: 4, 8: 4}


def test_table_cards_is_fast_on_a_typical_note(seed_note: Path) -> None:
    """Counted, not timed (the bench times it): each value cell is analysed and classified
    once, and the lines run stay within a bound per value cell (about 500 measured)."""
    parsed = seed_parsed(seed_note)
    cards, lines, seen = counted_table_cards(parsed)
    cells = value_cells(parsed)
    assert cards and seen["normalize"] == seen["kind_of"] == cells
    assert seen["AnswerForm"] and max(seen["AnswerForm"].values()) == 1
    assert lines <= 1_500 * cells.total(), (lines, cells.total())


# --- prompts and grading ------------------------------------------------------------------


@pytest.fixture
def cell_card() -> CardSpec:
    cards = table_cards(bundled(REPO / "notes/推理优化/kv-cache-估算.md"))
    return next(c for c in cards if c.title == "Llama-2-7B — 每 token")


def _choice_seed(card: CardSpec) -> int:
    return next(s for s in range(40) if presentation_of(card.payload, s) == "recall")


def test_prompt_is_deterministic_per_seed_and_draws_same_column_first(cell_card: CardSpec) -> None:
    p = cell_card.payload
    prompts = [table_prompt(p, seed) for seed in range(40)]
    assert table_prompt(p, 11) == prompts[11]
    recalls = [pr for pr in prompts if pr.data["presentation"] == "recall"]
    assert len({pr.options for pr in recalls}) > 3
    in_col = set(p["distractors"][: p["column_distractors"]])
    assert p["column_distractors"] >= 3
    for prompt in recalls:
        assert len(prompt.options) == 4
        assert prompt.options[prompt.correct_option or 0] == p["answer"]
        assert set(prompt.options) - {p["answer"]} <= in_col


def test_grade_choice_by_number_letter_and_text(cell_card: CardSpec) -> None:
    prompt = table_prompt(cell_card.payload, seed=_choice_seed(cell_card))
    right = (prompt.correct_option or 0) + 1
    wrong = right % len(prompt.options) + 1
    for response in (str(right), "abcd"[right - 1], "ABCD"[right - 1], f" {right}. "):
        assert grade_table(prompt, response, 1000).correct, response
    assert not grade_table(prompt, str(wrong), 1000).correct
    unknown = grade_table(prompt, "9", 1000)
    assert not unknown.correct and "不是选项" in unknown.feedback


def test_grade_maps_time_and_hints(cell_card: CardSpec) -> None:
    prompt = table_prompt(cell_card.payload, seed=_choice_seed(cell_card))
    right = str((prompt.correct_option or 0) + 1)
    assert grade_table(prompt, right, 3000).grade == 5
    assert grade_table(prompt, right, 12_000).grade == 4
    assert grade_table(prompt, right, 3000, hinted=True).grade == 3
    assert grade_table(prompt, right, 3000, policy=GradingPolicy(fast_ms=1000)).grade == 4
    wrong = grade_table(prompt, "x", 3000)
    assert (wrong.correct, wrong.grade, wrong.expected) == (False, 1, prompt.expected)


def test_pool_alike_is_looks_alike_for_cells_of_one_kind() -> None:
    """The pools test look-alikes on precomputed skeletons and numbers (``_alike``); for two
    cells of one kind that must be exactly :func:`looks_alike`."""
    from studyapp.core.table_pools import _alike
    from studyapp.core.value_kind import numbers_of, skeleton

    values = [
        "INT8", "**INT8**", "int8", "INT4", "1 张", "实际需 1 张", "≈4.0039 bpw", "4.0039 bpw",
        "16", "1606 GB", "16.06 GB", "16 GB", "3-5", "3 5", "5%", "5", "-", "", "70B", "70 B",
        "延迟", "延迟低", "高", "低", "1,024", "1024", "x", "xy", "A100", "A100 80GB", "2×", "2倍",
    ]  # fmt: skip
    for a in values:
        for b in values:
            if classify(a) == classify(b):
                got = _alike(skeleton(a), skeleton(b), numbers_of(a), numbers_of(b))
                assert got == looks_alike(a, b), (a, b)


def test_kinds_that_skip_the_header_unit_check_have_no_unit() -> None:
    """_side_options skips header_names_unit for text, model and percent cells: their
    unit_of is always "" (no leading number, or "%").  Checked on random strings of
    numbers, units, separators and CJK."""
    import random

    from studyapp.core.table_cards import _NO_UNIT_TAGS
    from studyapp.core.value_kind import unit_of

    rng = random.Random(5)
    alphabet = "0123456789 .,%×x倍gbGBms/:-~<>约≈ab中（(*_`"
    checked = 0
    for _ in range(50_000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
        if classify(value).tag in _NO_UNIT_TAGS:
            checked += 1
            assert unit_of(value) == "", value
    assert checked > 10_000
