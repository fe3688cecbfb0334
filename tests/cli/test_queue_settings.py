"""The queue's settings (bury_siblings, calc_new_share, new_per_note) from the command line."""

from __future__ import annotations

import json


def test_queue_settings_are_validated(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("config", "bury_siblings", "note").code == 0
    assert json.loads(cli("config", "bury_siblings", "--json").out) == {"bury_siblings": "note"}
    assert cli("config", "bury_siblings", "sometimes").code != 0
    assert cli("config", "calc_new_share", "1").code == 0
    assert cli("config", "calc_new_share", "1.5").code != 0
    assert cli("config", "new_per_note", "3").code == 0
    assert cli("due", "--json").code == 0


def test_plain_review_shows_every_presentation_of_a_row_card(  # type: ignore[no-untyped-def]
    cli, monkeypatch, notes_dir
) -> None:
    import studyapp.cli.plain as plain

    # Only the INT8/INT4 note: its first table is a comparison (row cards), with or
    # without ../shared present.
    for path in notes_dir.rglob("*.md"):
        if path.name != "int8-vs-int4-量化.md":
            path.unlink()
    cli("import")
    seen = set()
    questions: list[str] = []
    for seed in range(12):
        monkeypatch.setattr(plain, "new_seed", lambda seed=seed: seed)
        out = cli("review", "--plain", "--kind", "table", "--limit", "1", stdin="1\n").out
        question = next((line for line in out.splitlines() if line.startswith("Q: ")), out)
        questions.append(question)
        seen.add("pair" if "哪一组对应正确" in question else "recall")
        cli("undo")
    assert all(q.startswith("Q: ") for q in questions), questions
    assert seen == {"pair", "recall"}, questions
