"""Cram answers are practice: logged as cram, never counted as reviews, undone separately."""

from __future__ import annotations

import json
from pathlib import Path


def test_cram_is_not_a_review_and_undo_skips_it(cli, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    cli("import")
    review = cli("review", "--plain", "--kind", "note", "--limit", "1", stdin="\n5\n")
    assert review.code == 0
    after_review = {p: p.read_bytes() for p in notes_dir.rglob("*.md")}
    stats = json.loads(cli("stats", "--json").out)
    assert stats["reviewed_today"] == 1 and stats["streak"] == 1
    forecast = stats["forecast_14d"]
    retention = stats["retention_30d"]

    quiz = cli(
        "quiz", "--plain", "--count", "2", "--kind", "note", "--seed", "3", stdin="\n1\n\n1\n"
    )
    assert quiz.code == 0
    stats = json.loads(cli("stats", "--json").out)
    assert stats["reviewed_today"] == 1  # the two cram answers are not reviews
    assert stats["streak"] == 1
    assert stats["forecast_14d"] == forecast
    assert stats["retention_30d"] == retention  # two grade-1 cram answers would lower it
    history = json.loads(cli("history", "--json").out)
    assert [h["mode"] for h in history] == ["cram", "cram", "review"]
    assert "(cram)" in cli("history").out.splitlines()[0]

    # undo (no flag) after the quiz undoes the last *review*, restoring the note bytes.
    undo = cli("undo")
    assert undo.code == 0 and "note restored" in undo.out
    assert {p: p.read_bytes() for p in notes_dir.rglob("*.md")} != after_review
    history = json.loads(cli("history", "--json").out)
    assert [(h["mode"], h["undone"]) for h in history] == [
        ("cram", False),
        ("cram", False),
        ("review", True),
    ]
    assert cli("undo", "--cram").code == 0
    history = json.loads(cli("history", "--json").out)
    assert [h["undone"] for h in history] == [True, False, True]


def test_a_cram_only_day_has_no_streak(cli) -> None:  # type: ignore[no-untyped-def]
    cli("import")
    cli("quiz", "--plain", "--count", "1", "--kind", "note", "--seed", "3", stdin="\n5\n")
    stats = json.loads(cli("stats", "--json").out)
    assert stats["reviewed_today"] == 0 and stats["streak"] == 0
    assert stats["reviews_per_day"] == {}
