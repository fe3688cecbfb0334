"""Table cards: which tables qualify, answers, distractors, anchors, prompts and grading."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import studyapp.core.table_cards as table_cards_module
from studyapp.core.grading import GradingPolicy, normalize
from studyapp.core.model import CardSpec, ParsedNote, Table
from studyapp.core.table_cards import (
    GRID_MAX_ROWS,
    POOL_LIMIT,
    grade_table,
    limit_per_note,
    table_cards,
    table_prompt,
    typed_ok,
)
from tests.unit.test_tables import DATA, fixture_text, parse_text

#: Cards of the seed note and of every tests/data/tables fixture as generated before card
#: generation was optimised and the payload windowed (12 distractors, 30-row grid with
#: display copies).  Everything but the grid and the pool's length must be unchanged.
SNAPSHOT = Path(__file__).parents[1] / "data" / "table_cards_snapshot.json"


def seed_parsed(seed_note: Path) -> ParsedNote:
    return parse_text(seed_note.read_text(encoding="utf-8"), seed_note.name)


def table_at(parsed: ParsedNote, card: CardSpec) -> Table:
    return next(t for t in parsed.tables if t.start_line == card.payload["table_line"])


def by_mode(cards: list[CardSpec], mode: str) -> list[CardSpec]:
    return [c for c in cards if c.payload["mode"] == mode]


# --- the user's note -------------------------------------------------------------------


def test_every_seed_table_and_row_yields_cards(seed_note: Path) -> None:
    parsed = seed_parsed(seed_note)
    cards = table_cards(parsed)
    assert all(c.kind == "table" for c in cards)
    assert {c.payload["table_line"] for c in cards} == {t.start_line for t in parsed.tables}
    rows = {(c.payload["table_line"], c.payload["row"]) for c in cards}
    assert len(rows) == 23
    # Every comparison table has two value columns: a cell and a side card per value cell.
    assert Counter(c.payload["mode"] for c in cards) == {"cell": 46, "side": 46}
    assert len({c.anchor for c in cards}) == len(cards)


def test_no_card_comes_from_a_code_fence(seed_note: Path) -> None:
    parsed = seed_parsed(seed_note)
    fence_lines = {i for i, line in enumerate(parsed.body.splitlines()) if line.startswith("```")}
    for card in table_cards(parsed):
        table = table_at(parsed, card)
        assert not any(table.start_line <= f < table.end_line for f in fence_lines)
    assert table_cards(parse_text(fixture_text("fenced.md"))) == []


def test_answers_are_exact_cells_and_distractors_come_from_the_same_table(
    seed_note: Path,
) -> None:
    parsed = seed_parsed(seed_note)
    for card in by_mode(table_cards(parsed), "cell"):
        p = card.payload
        table = table_at(parsed, card)
        assert p["answer"] == table.rows[p["row"]][p["col"]]
        assert p["answer_display"] == table.rows_display[p["row"]][p["col"]]
        assert p["row_label"] == table.rows[p["row"]][0]
        assert p["column_label"] == table.header[p["col"]]
        cells = {cell for row in table.rows for cell in row[1:]}
        assert p["distractors"]
        assert set(p["distractors"]) <= cells
        norms = [normalize(d) for d in p["distractors"]]
        assert len(set(norms)) == len(norms)
        assert normalize(p["answer"]) not in norms
        other_col = 3 - p["col"]  # value columns are 1 and 2
        assert p["row_distractors"] == 1
        assert p["distractors"][0] == table.rows[p["row"]][other_col]


def test_example_anchor_and_prompt(seed_note: Path) -> None:
    cards = table_cards(seed_parsed(seed_note))
    anchor = "table|详细讲解/1. 核心差异对比|维度,边缘设备部署,云端部署|精度容忍|边缘设备部署|cell"
    card = next(c for c in cards if c.anchor == anchor)
    assert card.payload["answer"] == "3-5% 损失可接受"
    prompt = table_prompt(card.payload, seed=7)
    assert prompt.question == "精度容忍 — 边缘设备部署?"
    assert prompt.answer_mode == "choice"
    assert prompt.options[prompt.correct_option or 0] == "3-5% 损失可接受"
    assert "1-2% 损失为上限" in prompt.options
    assert prompt.context.endswith("详细讲解 / 1. 核心差异对比")
    assert prompt.data["row"] == card.payload["row"]


def test_anchors_survive_editing_another_cell(seed_note: Path) -> None:
    text = seed_note.read_text(encoding="utf-8")
    before = table_cards(parse_text(text, seed_note.name))
    edited = text.replace("3-5% 损失可接受", "2-6% 损失通常可接受").replace(
        "INT4量化、知识蒸馏、激进剪枝", "INT4量化、蒸馏、剪枝"
    )
    assert edited != text
    after = table_cards(parse_text(edited, seed_note.name))
    assert [c.anchor for c in before] == [c.anchor for c in after]
    changed = {c.anchor: c.payload["answer"] for c in after}
    anchor = "table|详细讲解/1. 核心差异对比|维度,边缘设备部署,云端部署|精度容忍|边缘设备部署|cell"
    assert changed[anchor] == "2-6% 损失通常可接受"


def test_renaming_a_row_label_retires_only_that_rows_cards(seed_note: Path) -> None:
    text = seed_note.read_text(encoding="utf-8")
    before = {c.anchor for c in table_cards(parse_text(text, seed_note.name))}
    after = {
        c.anchor
        for c in table_cards(
            parse_text(text.replace("**精度容忍**", "**精度要求**"), seed_note.name)
        )
    }
    assert {a for a in before - after} == {a for a in before if "|精度容忍|" in a}
    assert len(before - after) == 4


def test_payload_is_json_serialisable_and_carries_its_table(seed_note: Path) -> None:
    parsed = seed_parsed(seed_note)
    for card in table_cards(parsed):
        p = card.payload
        assert json.loads(json.dumps(p, ensure_ascii=False)) == p
        grid = p["grid"]
        table = table_at(parsed, card)
        assert grid["header"] == list(table.header)
        assert grid["n_rows"] == len(table.rows)
        first = grid["first_row"]
        assert grid["rows"] == [list(r) for r in table.rows[first : first + GRID_MAX_ROWS]]
        assert grid["rows"][p["row"] - first][p["col"]] == p["cell"]
        assert grid["rows"][p["row"] - first][0] == p["row_label"]
        assert len(p["distractors"]) <= POOL_LIMIT


def test_sibling_key_groups_one_row(seed_note: Path) -> None:
    cards = table_cards(seed_parsed(seed_note))
    groups: dict[str, set[tuple[int, int]]] = {}
    for card in cards:
        groups.setdefault(card.payload["sibling_key"], set()).add(
            (card.payload["table_line"], card.payload["row"])
        )
    assert len(groups) == 23
    assert all(len(rows) == 1 for rows in groups.values())
    assert "note" not in next(iter(groups))  # no note path in it


# --- fixtures ---------------------------------------------------------------------------


def test_side_cards_offer_the_value_headers(seed_note: Path) -> None:
    card = by_mode(table_cards(seed_parsed(seed_note)), "side")[0]
    prompt = table_prompt(card.payload, seed=1, typed=True)  # typed is ignored for side cards
    assert prompt.answer_mode == "choice"
    assert set(prompt.options) == {"边缘设备部署", "云端部署"}
    assert prompt.expected == "边缘设备部署"
    assert card.payload["cell"] in prompt.question


def test_key_value_table_gives_kv_cards_only() -> None:
    cards = table_cards(parse_text(fixture_text("kv.md")))
    assert [c.payload["mode"] for c in cards] == ["kv"] * 3
    assert cards[0].anchor == "table|常用数字|指标,数值|手机 RAM|数值|kv"
    assert cards[0].payload["answer"] == "4-12GB"
    assert set(cards[0].payload["distractors"]) == {"< 5W", "< 100ms"}
    prompt = table_prompt(cards[0].payload, seed=3, typed=True)
    assert (prompt.answer_mode, prompt.options, prompt.expected) == ("typed", (), "4-12GB")
    assert grade_table(prompt, "4~12 GB", 1000).correct
    assert not grade_table(prompt, "4-8GB", 1000).correct


def test_one_row_table_gives_no_cards() -> None:
    assert table_cards(parse_text(fixture_text("one_row.md"))) == []


def test_empty_identical_and_placeholder_cells_give_no_card() -> None:
    cards = by_mode(table_cards(parse_text(fixture_text("empty_cells.md"))), "cell")
    asked = {(c.payload["row_label"], c.payload["column_label"]) for c in cards}
    assert asked == {("精度", "边缘"), ("占位", "云端"), ("成本", "边缘"), ("成本", "云端")}
    assert not any(c.payload["row_label"] == "" for c in cards)
    for card in cards:
        assert "" not in card.payload["distractors"]
        assert "-" not in card.payload["distractors"]


def test_escaped_pipes_and_cjk_cells_are_answers_verbatim() -> None:
    cards = table_cards(parse_text(fixture_text("escaped_pipes.md")))
    answers = {c.payload["answer"] for c in by_mode(cards, "cell")}
    assert answers == {"a | b", "x | y", "甲｜乙", "丙｜丁"}
    cjk = table_cards(parse_text(fixture_text("cjk.md")))
    card = next(c for c in cjk if c.payload["row_label"] == "压缩比" and c.payload["col"] == 1)
    assert card.payload["answer"] == "１０－１００×"
    prompt = table_prompt(card.payload, seed=0, typed=True)
    assert grade_table(prompt, "10-100倍", 1000).correct
    assert not grade_table(prompt, "2-5×", 1000).correct


def test_ragged_rows_still_give_cards() -> None:
    cards = table_cards(parse_text(fixture_text("ragged.md")))
    assert ("长行", "甲") in {(c.payload["row_label"], c.payload["answer"]) for c in cards}
    assert "多余一" not in {d for c in cards for d in c.payload["distractors"]}


def test_duplicate_row_labels_get_numbered_anchors() -> None:
    cards = table_cards(parse_text(fixture_text("hostile.md")))
    anchors = [c.anchor for c in cards if c.payload["row_label"] == "重复"]
    assert "table|Markup|标签,边缘,云端|重复|边缘|cell" in anchors
    assert "table|Markup|标签,边缘,云端|重复#2|边缘|cell" in anchors
    assert len(set(anchors)) == len(anchors) == 8


def test_duplicate_tables_and_separator_characters_keep_anchors_unique() -> None:
    table = "| a/b | x,y | p\\|q |\n|---|---|---|\n| r#1 | 1 | 2 |\n| s | 3 | 4 |\n"
    cards = table_cards(parse_text("# T\n\n## H/1\n\n" + table + "\n" + table))
    anchors = [c.anchor for c in cards]
    assert len(set(anchors)) == len(anchors) == 16
    assert anchors[0] == "table|H\\/1|a\\/b,x\\,y,p\\|q|r\\#1|x\\,y|cell"
    assert anchors[8].startswith("table|H\\/1|a\\/b,x\\,y,p\\|q#2|")


def test_hostile_cells_pass_through_literally() -> None:
    cards = table_cards(parse_text(fixture_text("hostile.md")))
    answers = {c.payload["answer"] for c in by_mode(cards, "cell")}
    assert {"[bold]粗[/bold]", "[@click=app.quit]退出[/]", "$(rm -rf ~)"} <= answers
    # "[/]" is punctuation only: no card asks for it, but it is shown verbatim in the grid.
    assert "[/]" not in answers
    assert cards[0].payload["grid"]["rows"][0] == ["[bold]", "[bold]粗[/bold]", "[/]"]
    card = next(c for c in cards if c.payload["answer"] == "$(rm -rf ~)")
    prompt = table_prompt(card.payload, seed=5)
    assert prompt.question == "[@click=app.quit] — 云端?"
    assert "[@click=app.quit]退出[/]" in prompt.options
    assert grade_table(prompt, "$(rm -rf ~)", 500).correct
    displays = {c.payload["cell_display"] for c in cards}
    assert "<script>alert(1)</script>x" in displays


def test_long_cell_and_large_table() -> None:
    long_cell = "长" * 2000
    rows = "".join(f"| 行{i} | 边{i}值 | 云{i}值 |\n" for i in range(200))
    body = f"# T\n\n## 大表\n\n| 维度 | 边缘 | 云端 |\n|---|---|---|\n| 长格 | {long_cell} | 短 |\n{rows}"
    started = time.perf_counter()
    cards = table_cards(parse_text(body))
    assert time.perf_counter() - started < 5
    assert len(cards) == 201 * 4
    long_card = next(c for c in cards if c.payload["answer"] == long_cell)
    assert not typed_ok(long_card.payload)
    assert long_cell in table_prompt(long_card.payload, seed=1).options
    last = by_mode(cards, "cell")[-1]
    grid = last.payload["grid"]
    assert len(grid["rows"]) == GRID_MAX_ROWS
    assert grid["n_rows"] == 201
    assert grid["first_row"] == 201 - GRID_MAX_ROWS
    assert grid["rows"][last.payload["row"] - grid["first_row"]][2] == last.payload["answer"]
    assert len(last.payload["distractors"]) == POOL_LIMIT


def test_grid_is_a_window_around_the_row() -> None:
    rows = "".join(f"| 行{i} | 边{i} | 云{i} |\n" for i in range(9))
    cards = by_mode(
        table_cards(parse_text(f"# T\n\n| 维度 | 边缘 | 云端 |\n|---|---|---|\n{rows}")), "cell"
    )
    windows = {}
    for card in cards:
        p = card.payload
        grid = p["grid"]
        assert grid["n_rows"] == 9 and len(grid["rows"]) == GRID_MAX_ROWS == 5
        assert grid["rows"][p["row"] - grid["first_row"]][p["col"]] == p["answer"]
        windows[p["row"]] = grid["first_row"]
    # Centred (two rows either side) where the table allows, clamped at both ends.
    assert windows == {0: 0, 1: 0, 2: 0, 3: 1, 4: 2, 5: 3, 6: 4, 7: 4, 8: 4}


def test_table_cards_is_fast_on_a_typical_note(seed_note: Path) -> None:
    parsed = seed_parsed(seed_note)
    best = float("inf")
    for _ in range(10):
        started = time.perf_counter()
        table_cards(parsed)
        best = min(best, time.perf_counter() - started)
    # ~1.6 ms on a 2-core box; ~16 ms when every pair of cells was re-normalised.
    assert best < 0.008


# --- unchanged against the snapshot ----------------------------------------------------


def _expected(old: dict[str, Any], pool_limit: int) -> dict[str, Any]:
    """A snapshot card as the windowed payload states it: the same card and pool order,
    the pool cut at ``pool_limit`` and the grid a ``GRID_MAX_ROWS`` window."""
    payload = dict(old["payload"])
    payload["distractors"] = payload["distractors"][:pool_limit]
    payload["row_distractors"] = min(payload["row_distractors"], pool_limit)
    grid = payload["grid"]
    assert grid["first_row"] == 0  # the snapshot holds whole tables (< 30 rows)
    n = len(grid["rows"])
    lo = max(0, min(payload["row"] - GRID_MAX_ROWS // 2, n - GRID_MAX_ROWS))
    payload["grid"] = {
        "header": grid["header"],
        "rows": grid["rows"][lo : lo + GRID_MAX_ROWS],
        "first_row": lo,
        "n_rows": n,
    }
    return {"kind": old["kind"], "anchor": old["anchor"], "title": old["title"], "payload": payload}


def _check_snapshot(key: str, text: str, rel_path: str, pool_limit: int) -> None:
    entry = json.loads(SNAPSHOT.read_text(encoding="utf-8"))[key]
    if entry["sha256"] != hashlib.sha256(text.encode("utf-8")).hexdigest():
        pytest.skip(f"{key} changed since the snapshot was taken")
    got = [
        {"kind": c.kind, "anchor": c.anchor, "title": c.title, "payload": c.payload}
        for c in table_cards(parse_text(text, rel_path))
    ]
    want = [_expected(old, pool_limit) for old in entry["cards"]]
    assert [c["anchor"] for c in got] == [c["anchor"] for c in want]
    for g, w in zip(got, want, strict=True):
        assert g == w, w["anchor"]


@pytest.mark.parametrize("pool_limit", [POOL_LIMIT, 12])
@pytest.mark.parametrize("name", sorted(p.name for p in (DATA).glob("*.md")))
def test_fixture_cards_match_the_snapshot(
    name: str, pool_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With the old limit of 12 the whole former pool comes back, in the same order.
    monkeypatch.setattr(table_cards_module, "POOL_LIMIT", pool_limit)
    _check_snapshot(f"tables/{name}", fixture_text(name), "note.md", pool_limit)


@pytest.mark.parametrize("pool_limit", [POOL_LIMIT, 12])
def test_seed_cards_match_the_snapshot(
    seed_note: Path, pool_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(table_cards_module, "POOL_LIMIT", pool_limit)
    text = seed_note.read_text(encoding="utf-8")
    _check_snapshot(f"seed:{seed_note.name}", text, seed_note.name, pool_limit)


# --- prompts and grading --------------------------------------------------------------


@pytest.fixture
def cell_card(seed_note: Path) -> CardSpec:
    return by_mode(table_cards(seed_parsed(seed_note)), "cell")[4]


def test_prompt_is_deterministic_per_seed_and_keeps_the_row_distractor(cell_card: CardSpec) -> None:
    p = cell_card.payload
    prompts = [table_prompt(p, seed) for seed in range(40)]
    assert table_prompt(p, 11) == prompts[11]
    assert len({pr.options for pr in prompts}) > 5
    for prompt in prompts:
        assert len(prompt.options) == 4
        assert prompt.options[prompt.correct_option or 0] == p["answer"]
        assert p["distractors"][0] in prompt.options
        assert set(prompt.options) - {p["answer"]} <= set(p["distractors"])


def test_grade_choice_by_number_letter_and_text(cell_card: CardSpec) -> None:
    prompt = table_prompt(cell_card.payload, seed=2)
    right = (prompt.correct_option or 0) + 1
    wrong = right % len(prompt.options) + 1
    for response in (
        str(right),
        "abcd"[right - 1],
        "ABCD"[right - 1],
        f" {right}. ",
        "１２３４"[right - 1],
    ):
        assert grade_table(prompt, response, 1000).correct, response
    assert grade_table(prompt, "【" + prompt.expected + "】", 1000).correct
    assert not grade_table(prompt, str(wrong), 1000).correct
    assert not grade_table(prompt, prompt.options[wrong - 1], 1000).correct
    unknown = grade_table(prompt, "9", 1000)
    assert not unknown.correct and "不是选项" in unknown.feedback
    assert not grade_table(prompt, "", 1000).correct


def test_grade_maps_time_and_hints(cell_card: CardSpec) -> None:
    prompt = table_prompt(cell_card.payload, seed=2)
    right = str((prompt.correct_option or 0) + 1)
    assert grade_table(prompt, right, 3000).grade == 5
    assert grade_table(prompt, right, 12_000).grade == 4
    assert grade_table(prompt, right, 45_000).grade == 3
    assert grade_table(prompt, right, 3000, hinted=True).grade == 3
    assert grade_table(prompt, right, 3000, policy=GradingPolicy(fast_ms=1000)).grade == 4
    wrong = grade_table(prompt, "x", 3000)
    assert (wrong.correct, wrong.grade, wrong.expected) == (False, 1, prompt.expected)
    assert prompt.expected in wrong.feedback


def test_typed_prompt_uses_answers_match(seed_note: Path) -> None:
    cards = table_cards(seed_parsed(seed_note))
    card = next(c for c in cards if c.payload["answer"] == "3-5% 损失可接受")
    assert typed_ok(card.payload)
    prompt = table_prompt(card.payload, seed=9, typed=True)
    assert prompt.answer_mode == "typed" and prompt.correct_option is None
    assert grade_table(prompt, "3~5%", 2000).correct
    assert grade_table(prompt, "３到５％", 2000).correct
    assert not grade_table(prompt, "1-2%", 2000).correct


def test_limit_per_note_is_order_preserving() -> None:
    items = [("a", 1), ("b", 1), ("a", 2), ("a", 3), ("b", 2), ("c", 1)]
    assert limit_per_note(items, lambda i: i[0], 2) == [
        ("a", 1),
        ("b", 1),
        ("a", 2),
        ("b", 2),
        ("c", 1),
    ]
    assert limit_per_note(items, lambda i: i[0], 2, used={"a": 2}) == [
        ("b", 1),
        ("b", 2),
        ("c", 1),
    ]
    assert limit_per_note(items, lambda i: i[0], 0) == []
    with pytest.raises(ValueError):
        limit_per_note(items, lambda i: i[0], -1)
