"""The event log in the notes folder, ``rebuild`` and the start-up merge (issue 15)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from studyapp.core.frontmatter_io import load_meta
from studyapp.services import eventlog, eventsync
from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes
from studyapp.services.review import ReviewService, new_session_id

START = date(2026, 11, 25)


class Clock:
    """An injected clock that advances a few seconds per reading (never the real date)."""

    def __init__(self, day: date, hour: int = 10) -> None:
        self.now = datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=7, microseconds=1)
        return self.now

    def set_day(self, day: date, hour: int = 10) -> None:
        self.now = datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def open_at(db: Path, notes: Path, day: date, clock: Clock) -> Collection:
    coll = Collection.open(db, notes, today_override=day, clock=clock)
    coll.acquire_writer()
    return coll


def start(coll: Collection) -> eventsync.SyncReport:
    """What every start does: owed write-backs, the incremental import, the merge."""
    from studyapp.services.writeback import finish_pending

    finish_pending(coll)
    import_notes(coll)
    return eventsync.merge(coll)


LOG_EXCLUDED = {"fm_before", "fm_after", "writeback", "writeback_error"}


def snapshot(coll: Collection, *, with_ids: bool = True) -> dict[str, Any]:
    """Every column of cards and review_log (review_log keyed by card identity too)."""
    with coll.session() as s:
        conn = s.connection()
        card_cols = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(cards)")]
        card_cols.remove("id")
        cards = conn.exec_driver_sql(
            "SELECT cards.id, notes.path, "
            + ", ".join(f"cards.{c}" for c in card_cols if c != "note_id" or with_ids)
            + " FROM cards "
            "LEFT JOIN notes ON notes.id = cards.note_id ORDER BY notes.path, cards.kind, cards.anchor"
        ).all()
        cols = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(review_log)")]
        keep = [c for c in cols if c not in LOG_EXCLUDED]
        logs = conn.exec_driver_sql(
            "SELECT " + ", ".join(f"review_log.{c}" for c in keep) + ", notes.path, cards.kind, "
            "cards.anchor, review_log.writeback FROM review_log JOIN cards ON cards.id = "
            "review_log.card_id LEFT JOIN notes ON notes.id = cards.note_id ORDER BY "
            "review_log.reviewed_at, review_log.id"
        ).all()
        notes = conn.exec_driver_sql(
            "SELECT path, last_reviewed, next_review, review_count, mastery_level FROM notes "
            "ORDER BY path"
        ).all()
    if not with_ids:
        cards = [r[1:] for r in cards]
        drop = {keep.index(c) for c in ("id", "card_id", "note_id")}
        logs = [tuple(v for i, v in enumerate(r) if i not in drop) for r in logs]
    return {"cards": cards, "review_log": logs, "notes": notes, "log_columns": keep}


def study(coll: Collection, rng: random.Random, answers: int, *, cram_every: int = 0) -> None:
    """Answer today's queue (and some relearning), with undo, bury and suspend mixed in."""
    service = ReviewService(coll)
    session = new_session_id()
    items = service.due_items()[:answers] + service.due_items(kind="calc")[:3]
    for i, item in enumerate(items):
        grade = rng.choice([1, 3, 4, 4, 5, 5])
        service.record(item.card_id, grade, session_id=session, duration_ms=1000 + i)
        if grade < 3:  # the same-session relearning answer: logged, not rescheduled
            service.record(item.card_id, 4, session_id=session, rescheduled=False)
        if i % 7 == 3:
            service.undo_last(session)
        if i % 11 == 5:
            service.bury(item.card_id)
        if cram_every and i % cram_every == 0:
            service.record(item.card_id, 5, session_id=session, cram=True)
    if items:
        service.set_suspended(items[-1].card_id, True)


def note_schedule(notes: Path, rel: str) -> tuple[Any, ...]:
    meta, _w, _p = load_meta(rel, (notes / rel).read_bytes())
    return meta.last_reviewed, meta.next_review, meta.review_count, meta.mastery_level


def db_schedules(snap: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    day = lambda v: None if v is None else date.fromisoformat(v)  # noqa: E731
    return {p: (day(lr), day(nr), rc, ml) for p, lr, nr, rc, ml in snap["notes"]}


@pytest.fixture
def session_days(notes_dir: Path, tmp_path: Path) -> Callable[[Path, int], Collection]:
    """Study on ``days`` simulated days into ``db``; returns the collection still open."""

    def run(db: Path, days: int) -> Collection:
        rng = random.Random(15)
        clock = Clock(START)
        coll: Collection | None = None
        for offset in range(days):
            day = START + timedelta(days=offset)
            clock.set_day(day)
            if coll is not None:
                coll.close()
            coll = open_at(db, notes_dir, day, clock)
            start(coll)
            study(coll, rng, 12, cram_every=5)
        assert coll is not None
        return coll

    return run


def test_every_action_is_one_fsynced_json_line(coll: Collection, notes_dir: Path) -> None:
    import_notes(coll)
    eventsync.merge(coll)
    device = eventlog.device_id(coll)
    assert device and len(device) == 12
    service = ReviewService(coll)
    item = service.due_items()[0]
    sid = new_session_id()
    service.record(item.card_id, 4, session_id=sid)
    service.record(item.card_id, 5, session_id=sid, cram=True)
    service.undo_last(sid)
    service.bury(item.card_id)
    service.set_suspended(item.card_id, True)
    from dataclasses import replace

    coll.save_settings(replace(coll.settings, new_per_day=7))
    path = notes_dir / ".studyapp" / "log" / f"{device}.jsonl"
    lines = path.read_bytes().splitlines()
    types = [json.loads(line)["type"] for line in lines]
    assert types == ["answer", "answer", "undo", "bury", "suspend", "setting"]
    first = json.loads(lines[0])
    assert first["id"] == f"{device}-1" and first["n"] == 1
    assert first["note"] is None or first["note"].endswith(".md")
    assert "card_id" not in first and isinstance(first["anchor"], str)
    assert json.loads(lines[1])["cram"] is True and json.loads(lines[0])["cram"] is False
    # undo_last skips cram answers (issue 11): it undoes the review, not the cram answer
    assert json.loads(lines[2])["target"] == json.loads(lines[0])["id"]
    # the import skips the hidden folder: no note, no problem from it
    report = import_notes(coll)
    assert not any(".studyapp" in p.path for p in [*report.rejected, *report.warnings])


def test_log_in_notes_false_writes_nothing(coll: Collection, notes_dir: Path) -> None:
    from dataclasses import replace

    import_notes(coll)
    coll.save_settings(replace(coll.settings, log_in_notes=False))
    service = ReviewService(coll)
    service.record(service.due_items()[0].card_id, 4, session_id=new_session_id())
    assert not (notes_dir / ".studyapp").exists()
    with pytest.raises(eventsync.RebuildError):
        eventsync.rebuild(coll)
    # turning it back on puts the missed answer into the log
    coll.save_settings(replace(coll.settings, log_in_notes=True))
    lines = next(iter((notes_dir / ".studyapp" / "log").glob("*.jsonl"))).read_bytes().splitlines()
    assert [json.loads(x)["type"] for x in lines] == ["answer"]


def test_rebuild_gives_back_every_column(session_days, tmp_path: Path, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    coll = session_days(tmp_path / "a.sqlite3", 6)
    before = snapshot(coll)
    assert len(before["review_log"]) > 40
    kinds = {row[-3] for row in before["review_log"]}
    assert {"note", "table", "calc"} <= kinds
    files_before = {p: note_schedule(notes_dir, p) for p, *_ in before["notes"]}
    report = eventsync.rebuild(coll)
    assert report.unresolved == 0
    after = snapshot(coll)
    assert after["cards"] == before["cards"]
    assert after["notes"] == before["notes"]
    for a, b in zip(after["review_log"], before["review_log"], strict=True):
        assert dict(
            zip([*after["log_columns"], "path", "kind", "anchor", "wb"], a, strict=True)
        ) == dict(zip([*after["log_columns"], "path", "kind", "anchor", "wb"], b, strict=True))
    # the dates and counts in the files stay; mastery_level now equals the database's
    # (the live path writes it only with a note-card answer, table answers move it)
    files_after = {p: note_schedule(notes_dir, p) for p, *_ in before["notes"]}
    assert {p: v[:3] for p, v in files_after.items()} == {p: v[:3] for p, v in files_before.items()}
    assert files_after == db_schedules(after)

    coll.close()


def test_deleted_database_is_rebuilt_on_next_start(
    session_days, tmp_path: Path, notes_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "b.sqlite3"
    coll = session_days(db, 5)
    before = snapshot(coll, with_ids=False)
    day = coll.today()
    coll.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    coll = open_at(db, notes_dir, day, Clock(day, 20))
    report = start(coll)
    assert report.rebuilt
    assert report.line() is not None and report.line().startswith("rebuilt the database")
    after = snapshot(coll, with_ids=False)
    assert after["cards"] == before["cards"]
    assert after["review_log"] == before["review_log"]
    assert after["notes"] == before["notes"]
    coll.close()


def test_a_line_lost_before_its_fsync_is_appended_again(coll: Collection, notes_dir: Path) -> None:
    import_notes(coll)
    service = ReviewService(coll)
    sid = new_session_id()
    for item in service.due_items()[:3]:
        service.record(item.card_id, 4, session_id=sid)
    eventlog.SYNCER.flush()
    path = next((notes_dir / ".studyapp" / "log").glob("*.jsonl"))
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:1]))  # what a power cut can leave
    eventsync.merge(coll)
    assert path.read_bytes().splitlines(keepends=True) == lines


def test_torn_last_line_is_not_consumed() -> None:
    from studyapp.core import events as ev

    good = ev.encode(
        {
            "id": "d-1",
            "dev": "d",
            "n": 1,
            "ts": "2026-12-01T10:00:00.000000",
            "type": "setting",
            "key": "new_per_day",
            "value": 5,
        }
    )
    events, errors, used = ev.parse_lines(good + b'{"id": "d-2", "dev"')
    assert [e["id"] for e in events] == ["d-1"] and errors == [] and used == len(good)
    events, errors, _used = ev.parse_lines(b"not json\n" + good)
    assert len(events) == 1 and errors and errors[0].startswith("line 1:")


def test_sync_conflict_copies(
    coll: Collection, notes_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from studyapp.cli.main import main as cli_main
    from studyapp.core.schedule_edit import write_schedule
    from studyapp.services.queries import import_problems

    original = notes_dir / "压缩/知识蒸馏.md"
    data = original.read_bytes()
    only_schedule = notes_dir / "压缩/知识蒸馏.sync-conflict-20261201-101010-ABCDEFG.md"
    only_schedule.write_bytes(
        write_schedule(data, {"review_count": 7, "next_review": date(2027, 1, 1)})
    )
    edited = notes_dir / "压缩/知识蒸馏.sync-conflict-20261201-111111-ABCDEFG.md"
    edited.write_bytes(data + "\n另一台机器写的一行\n".encode())
    report = import_notes(coll)
    assert report.imported and not any("sync-conflict" in p.path for p in report.rejected)
    eventsync.merge(coll)
    problems = {p["path"]: p for p in import_problems(coll)}
    assert set(problems) >= {
        "压缩/知识蒸馏.sync-conflict-20261201-101010-ABCDEFG.md",
        "压缩/知识蒸馏.sync-conflict-20261201-111111-ABCDEFG.md",
    }
    coll.close()
    args = ["--db", str(coll.db_path), "--notes", str(notes_dir), "git", "conflicts", "--yes"]
    assert cli_main(args) == 1  # one copy is left for the user
    assert not only_schedule.exists() and edited.exists()
    assert original.read_bytes() == data
    assert "merge it by hand" in capsys.readouterr().out


def test_a_line_appended_before_a_crash_is_merged_and_its_id_not_reused(
    coll: Collection, notes_dir: Path
) -> None:
    import_notes(coll)
    eventsync.merge(coll)
    service = ReviewService(coll)
    item = service.due_items()[0]
    with coll.session() as s, s.begin():  # the transaction that never commits
        from studyapp.db.models import Card, ReviewLog

        card = s.get(Card, item.card_id)
        assert card is not None
        log = ReviewLog(
            card_id=card.id,
            note_id=card.note_id,
            session_id="x",
            reviewed_at=datetime(2026, 11, 25, 12),
            study_day=START,
            grade=4,
            kind=card.kind,
            ef_before=2500,
            ef_after=2500,
            interval_before=0,
            interval_after=1,
            reps_before=0,
            reps_after=1,
            lapses_before=0,
            lapses_after=0,
        )
        s.add(log)
        s.flush()
        eventlog.log_answer(coll, s, card, log)
        s.rollback()
    report = eventsync.merge(coll)
    assert report.answers_from_others == 0  # our own line, now in the database
    with coll.session() as s:
        assert s.connection().exec_driver_sql("SELECT count(*) FROM review_log").scalar_one() == 1
    service.record(item.card_id, 5, session_id=new_session_id())
    ids = [
        json.loads(x)["id"]
        for x in next((notes_dir / ".studyapp/log").glob("*.jsonl")).read_bytes().splitlines()
    ]
    assert len(ids) == len(set(ids)) == 2


def test_a_log_that_arrives_before_its_note_is_replayed_when_the_note_does(
    tmp_path: Path, notes_dir: Path
) -> None:
    one = open_at(tmp_path / "one.sqlite3", notes_dir, START, Clock(START))
    import_notes(one)
    service = ReviewService(one)
    item = next(i for i in service.due_items() if i.kind == "note")
    service.record(item.card_id, 5, session_id=new_session_id())
    note_path = service.card(item.card_id).note_path
    assert note_path is not None
    one.close()
    other = tmp_path / "other"
    shutil_copy = __import__("shutil").copytree
    shutil_copy(notes_dir, other)
    held_back = (other / note_path).read_bytes()
    (other / note_path).unlink()  # the sync tool has delivered the log, not the note yet
    two = open_at(tmp_path / "two.sqlite3", other, START, Clock(START, 18))
    report = start(two)
    assert report.unresolved == 1
    (other / note_path).write_bytes(held_back)
    start(two)
    with two.session() as s:
        rows = (
            s.connection()
            .exec_driver_sql(
                "SELECT grade, reps_after FROM review_log JOIN cards ON cards.id = card_id "
                "JOIN notes ON notes.id = cards.note_id WHERE notes.path = ?",
                (note_path,),
            )
            .all()
        )
    assert rows == [(5, 1)]
    assert note_schedule(other, note_path)[2] == 1
    two.close()


def test_a_renamed_note_keeps_its_logged_history(tmp_path: Path, notes_dir: Path) -> None:
    db = tmp_path / "m.sqlite3"
    coll = open_at(db, notes_dir, START, Clock(START))
    import_notes(coll)
    eventsync.merge(coll)
    rng = random.Random(3)
    study(coll, rng, 10)
    old = "压缩/知识蒸馏.md"
    assert any(row[-3:-1] for row in snapshot(coll)["review_log"] if row[-4] == old)
    (notes_dir / "蒸馏.md").write_bytes((notes_dir / old).read_bytes())
    (notes_dir / old).unlink()
    assert import_notes(coll).moved == 1
    coll.close()
    day = START + timedelta(days=1)
    coll = open_at(db, notes_dir, day, Clock(day))
    start(coll)
    study(coll, rng, 10)
    before = snapshot(coll, with_ids=False)
    assert any(row[-4] == "蒸馏.md" for row in before["review_log"])
    eventsync.rebuild(coll)
    assert snapshot(coll, with_ids=False) == before
    coll.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    coll = open_at(db, notes_dir, day, Clock(day, 20))
    report = start(coll)
    assert report.rebuilt and report.unresolved == 0
    after = snapshot(coll, with_ids=False)
    assert after["cards"] == before["cards"] and after["review_log"] == before["review_log"]
    coll.close()


def test_another_devices_setting_change_is_adopted(tmp_path: Path, notes_dir: Path) -> None:
    from dataclasses import replace

    one = open_at(tmp_path / "one.sqlite3", notes_dir, START, Clock(START))
    start(one)
    two = open_at(tmp_path / "two.sqlite3", notes_dir, START, Clock(START, 12))
    start(two)
    one.save_settings(replace(one.settings, new_per_day=5, typed_recall=True))
    service = ReviewService(one)
    service.record(service.due_items()[0].card_id, 4, session_id=new_session_id())
    report = start(two)
    assert report.line() == "merged 1 answer from 1 other device"
    assert two.settings.new_per_day == 5
    assert two.settings.typed_recall is False  # not a scheduling setting: stays per machine
    one.close()
    two.close()


def test_answers_from_before_the_log_are_backfilled_and_rebuilt(
    tmp_path: Path, notes_dir: Path
) -> None:
    """An older database (or one with the log off) loses nothing to a rebuild."""
    from dataclasses import replace

    coll = open_at(tmp_path / "old.sqlite3", notes_dir, START, Clock(START))
    import_notes(coll)
    coll.save_settings(replace(coll.settings, log_in_notes=False))
    study(coll, random.Random(5), 12, cram_every=4)
    assert not (notes_dir / ".studyapp").exists()
    before = snapshot(coll)
    assert any(row[before["log_columns"].index("undone")] for row in before["review_log"])
    coll.save_settings(replace(coll.settings, log_in_notes=True))  # backfills the log
    eventsync.rebuild(coll)
    after = snapshot(coll)
    assert after["cards"] == before["cards"] and after["notes"] == before["notes"]
    assert after["review_log"] == before["review_log"]
    coll.close()


def test_a_note_the_merge_could_not_write_is_written_at_the_next_start(
    tmp_path: Path, notes_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studyapp.services import writeback

    one = open_at(tmp_path / "one.sqlite3", notes_dir, START, Clock(START))
    start(one)
    two = open_at(tmp_path / "two.sqlite3", notes_dir, START, Clock(START, 12))
    start(two)
    service = ReviewService(two)
    item = next(i for i in service.due_items() if i.kind == "note")
    service.record(item.card_id, 5, session_id=new_session_id())
    rel = service.card(item.card_id).note_path
    assert rel is not None
    two.close()
    (notes_dir / rel).write_bytes((notes_dir / rel).read_bytes())  # same bytes
    original = writeback.write_values

    def read_only(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", rel)

    monkeypatch.setattr(writeback, "write_values", read_only)
    # the other device's file was already written by it; undo that to see ours write it
    from studyapp.core.schedule_edit import write_schedule

    stale = write_schedule((notes_dir / rel).read_bytes(), {"review_count": 0})
    (notes_dir / rel).write_bytes(stale)
    report = start(one)
    assert report.answers_from_others == 1
    assert any("written at the next start" in m for m in report.messages)
    assert note_schedule(notes_dir, rel)[2] == 0
    monkeypatch.setattr(writeback, "write_values", original)
    with open(notes_dir / rel, "ab") as handle:  # the user edits the note meanwhile
        handle.write("\n用户在两次启动之间写的一行\n".encode())
    report = start(one)
    assert report.answers_from_others == 0
    assert note_schedule(notes_dir, rel)[2] == 1  # not the file's older 0
    assert (notes_dir / rel).read_bytes().endswith("用户在两次启动之间写的一行\n".encode())
    with one.session() as s:
        assert s.connection().exec_driver_sql("SELECT count(*) FROM notes_owed").scalar_one() == 0
    one.close()


def _schema(coll: Collection) -> list[tuple[Any, ...]]:
    with coll.session() as s:
        return [
            tuple(r)
            for r in s.connection().exec_driver_sql(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
            )
        ]


def test_rebuild_keeps_every_index_and_a_refused_one_changes_nothing(
    coll: Collection, notes_dir: Path
) -> None:
    """The schema and every row survive a rebuild, and a rebuild refused half-way."""
    import_notes(coll)
    eventsync.merge(coll)
    service = ReviewService(coll)
    sid = new_session_id()
    for item in service.due_items()[:5]:
        service.record(item.card_id, 4, session_id=sid)
    schema = _schema(coll)
    assert any(r[0] == "index" and r[2] == "review_log" and r[3] for r in schema)
    assert any(r[0] == "index" and r[2] == "events" and r[3] for r in schema)
    before = snapshot(coll)
    eventsync.rebuild(coll)
    assert _schema(coll) == schema
    assert snapshot(coll) == before
    # an answer for a card this database lacks: refused after the events were deleted
    stray = {
        "id": "0ther0device-1",
        "dev": "0ther0device",
        "n": 1,
        "ts": "2026-11-25T09:00:00.000000",
        "type": "answer",
        "note": "not/here.md",
        "kind": "note",
        "anchor": "",
        "day": "2026-11-25",
        "grade": 4,
    }
    log = notes_dir / ".studyapp" / "log" / "0ther0device.jsonl"
    log.write_text(json.dumps(stray) + "\n", encoding="utf-8")
    with pytest.raises(eventsync.RebuildError):
        eventsync.rebuild(coll)
    assert _schema(coll) == schema
    assert snapshot(coll) == before
