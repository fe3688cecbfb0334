"""The FSRS and exam commands from the command line."""

from __future__ import annotations

import json

from tests.cli.conftest import Runner


def test_config_scheduler_switches_and_validates(cli: Runner) -> None:
    assert cli("import").code == 0
    r = cli("config", "scheduler", "fsrs")
    assert r.code == 0 and 'scheduler = "fsrs"' in r.out and "cards rescheduled" in r.out
    assert json.loads(cli("config", "scheduler", "--json").out) == {"scheduler": "fsrs"}
    bad = cli("config", "scheduler", "anki")
    assert bad.code == 2 and "unknown scheduler" in bad.err
    assert cli("config", "desired_retention", "0.85").code == 0
    assert json.loads(cli("config", "desired_retention", "--json").out) == {
        "desired_retention": 0.85
    }
    assert cli("config", "desired_retention", "1.2").code == 2
    assert 'scheduler = "sm2"' in cli("config", "scheduler", "sm2").out


def test_review_under_fsrs_then_evaluate_and_optimize_say_why_not(cli: Runner) -> None:
    cli("config", "scheduler", "fsrs")
    r = cli("review", "--plain", stdin="4\n4\n4\n")
    assert r.code == 0
    history = json.loads(cli("history", "--json").out)
    assert history
    ev = cli("scheduler", "evaluate", "--json")
    assert ev.code == 1 and "Not enough history" in json.loads(ev.out)["error"]
    opt = cli("scheduler", "optimize")
    assert opt.code == 1 and "at least 400" in opt.out and "keeping" in opt.out


def test_exam_add_list_status_remove(cli: Runner) -> None:
    cli("import")
    r = cli("exam", "add", "2026-12-20", "--name", "字节二面")
    assert r.code == 0 and "字节二面" in r.out
    assert cli("exam", "add", "2026-12-20", "--name", "字节二面").code == 2  # duplicate
    assert cli("exam", "add", "2026-11-20").code == 2  # in the past
    listed = json.loads(cli("exam", "list", "--json").out)
    assert listed == [{"name": "字节二面", "date": "2026-12-20", "scope": "all notes"}]
    status = json.loads(cli("exam", "status", "--json").out)
    assert status[0]["days_left"] == 25 and status[0]["readiness"] == 0.0
    assert status[0]["cards"] == status[0]["new_cards"] > 0
    quiz = cli("quiz", "--plain", "--exam", "字节二面", "--count", "2", stdin="")
    assert quiz.code == 0 and "Cram quiz: 2 cards" in quiz.out
    assert cli("quiz", "--plain", "--exam", "nope").code == 2
    assert cli("exam", "remove", "字节二面").code == 0
    assert cli("exam", "remove", "字节二面").code == 2
    assert json.loads(cli("exam", "list", "--json").out) == []


def test_evaluate_and_optimize_on_a_simulated_log(cli: Runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from studyapp.services.collection import Collection
    from tests.sim_log import write_simulated_log

    assert cli("import").code == 0
    coll = Collection.open(
        tmp_path / "db.sqlite3", tmp_path / "notes", today_override=date(2026, 11, 25)
    )
    write_simulated_log(coll, date(2026, 11, 25))
    coll.close()
    text = cli("scheduler", "evaluate")
    assert text.code == 0 and "FSRS optimized" in text.out and "log loss" in text.out
    report = json.loads(cli("scheduler", "evaluate", "--json").out)
    losses = {m["model"]: m["log_loss"] for m in report["models"]}
    assert losses["FSRS default"] < losses["SM-2"]
    opt = json.loads(cli("scheduler", "optimize", "--json").out)
    assert opt["ok"] and opt["review_count"] >= 400 and len(opt["params"]) == 21
    assert "from their review log" in cli("config", "scheduler", "fsrs").out
