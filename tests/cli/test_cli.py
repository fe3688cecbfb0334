"""The CLI contract that scripts and later issues rely on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import DATA


def test_import_json_and_exit_status(cli, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("import", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert set(report) >= {"imported", "updated", "unchanged", "missing", "rejected"}
    assert report["imported"] == len(list(notes_dir.rglob("*.md")))
    again = json.loads(cli("import", "--json").out)
    assert again["imported"] == 0 and again["unchanged"] == report["imported"]


def test_rejected_notes_one_line_each_and_exit_1(cli, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copytree(DATA / "notes_bad", notes_dir / "bad")
    result = cli("import", "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert report["rejected"]
    for item in report["rejected"]:
        assert item["path"].startswith("bad/")
        assert f"{item['path']}: {item['error']}" in result.err.splitlines()


def test_due_json_fields(cli) -> None:  # type: ignore[no-untyped-def]
    cli("import")
    result = cli("due", "--json")
    assert result.code == 0
    due = json.loads(result.out)
    assert due
    assert set(due[0]) >= {"card_id", "note", "kind", "title", "due", "interval", "ease", "reps"}
    assert due[0]["kind"] == "note" and due[0]["note"].endswith(".md")


def test_notes_json(cli, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    cli("import")
    rows = json.loads(cli("notes", "--json").out)
    assert {r["path"] for r in rows} == {
        p.relative_to(notes_dir).as_posix() for p in notes_dir.rglob("*.md")
    }


def test_plain_review_driven_by_a_pipe(cli, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    before = {p: p.read_bytes() for p in notes_dir.rglob("*.md")}
    # first card: a note card -> empty answer, grade 4; then end of input
    result = cli("review", "--plain", "--kind", "note", "--limit", "2", stdin="\n4\n\n5\n")
    assert result.code == 0, result.err
    assert "Q: " in result.out and "Session over: 2 cards answered" in result.out
    changed = [p for p in before if p.read_bytes() != before[p]]
    assert len(changed) == 2
    history = json.loads(cli("history", "--json").out)
    assert [h["grade"] for h in history] == [5, 4]
    stats = json.loads(cli("stats", "--json").out)
    assert stats["reviewed_today"] == 2 and len(stats["forecast_14d"]) == 14
    assert stats["hardest"] == []  # only failed cards are "hard", and nothing was failed


def test_plain_review_ends_cleanly_at_eof(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("review", "--plain", stdin="")
    assert result.code == 0
    assert "Session over: 0 cards answered" in result.out


def test_plain_relearning_card_comes_back(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("review", "--plain", "--kind", "note", "--limit", "1", stdin="\n2\n\n4\n")
    assert result.out.count("Q: ") == 2
    assert "comes back later" in result.out
    history = json.loads(cli("history", "--json").out)
    assert [h["rescheduled"] for h in history] == [False, True]


def test_plain_table_cards_auto_graded(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("review", "--plain", "--kind", "table", "--limit", "3", stdin="1\n2\n3\n")
    assert result.code == 0
    assert result.out.count("grade ") >= 3
    assert "✓ correct" in result.out or "✗ wrong" in result.out


def test_quiz_never_touches_schedule_or_notes(cli, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    cli("import")
    before = {p: p.read_bytes() for p in notes_dir.rglob("*.md")}
    due_before = cli("due", "--json").out
    result = cli(
        "quiz", "--plain", "--count", "3", "--kind", "note", "--seed", "7", stdin="\n5\n\n1\n\n3\n"
    )
    assert result.code == 0 and "Score: 2/3" in result.out
    assert {p: p.read_bytes() for p in notes_dir.rglob("*.md")} == before
    assert cli("due", "--json").out == due_before
    history = json.loads(cli("history", "--json").out)
    assert all(h["cram"] and not h["rescheduled"] for h in history)


def test_undo_restores_bytes(cli, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    cli("import")
    before = {p: p.read_bytes() for p in notes_dir.rglob("*.md")}
    cli("review", "--plain", "--kind", "note", "--limit", "1", stdin="\n5\n")
    assert {p: p.read_bytes() for p in notes_dir.rglob("*.md")} != before
    result = cli("undo")
    assert result.code == 0 and "note restored" in result.out
    assert {p: p.read_bytes() for p in notes_dir.rglob("*.md")} == before
    assert cli("undo").code == 1


def test_cards_json_lists_prompt_options_answer(cli) -> None:  # type: ignore[no-untyped-def]
    cli("import")
    cards = json.loads(cli("cards", "--kind", "table", "--json").out)
    assert cards
    card = cards[0]
    assert card["options"] and card["answer"] in card["options"]


def test_bad_today_is_a_clear_error(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("due", today="2025-13-45")
    assert result.code == 2 and "--today" in result.err


def test_every_command_is_documented_in_readme() -> None:
    from studyapp.cli.main import build_parser
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    missing = [name for name in commands if f"studyapp {name}" not in readme]
    assert missing == []


def test_config_show_and_change(cli) -> None:  # type: ignore[no-untyped-def]
    shown = json.loads(cli("config", "--json").out)
    assert shown["new_per_day"] == 20 and shown["rollover_hour"] == 4
    assert cli("config", "new_per_day", "3").code == 0
    assert json.loads(cli("config", "new_per_day", "--json").out) == {"new_per_day": 3}
    cli("import")
    due = json.loads(cli("due", "--json").out)
    assert len([c for c in due if c["due"] is None]) == 3
    bad = cli("config", "rollover_hour", "25")
    assert bad.code == 2 and "rollover_hour" in bad.err
    assert cli("config", "nope", "1").code == 2
