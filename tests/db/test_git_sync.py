"""Two machines, one study history: a real git repository, two clones, two databases (issue 15).

Each clone is a notes folder with its own database and its own simulated clock (the
study days are injected, never the real date).  Both review different and overlapping
note, table and calc cards on the same days, then commit, pull and push, in both orders.
Afterwards both databases hold the same schedule for every card and the same history,
no frontmatter has a conflict marker, a body edit made on one machine survives, and every
note's schedule lines equal the database's.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from studyapp.cli.main import main as cli_main
from studyapp.core.frontmatter_io import load_meta, split_note
from studyapp.services.collection import Collection
from studyapp.services.review import ReviewService, new_session_id
from tests.db.test_eventlog import Clock, open_at, start

REPO = Path(__file__).resolve().parents[2]
START = date(2026, 11, 25)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


class Machine:
    def __init__(self, name: str, folder: Path, db: Path, hour: int) -> None:
        self.name, self.folder, self.db, self.hour = name, folder, db, hour
        self.messages: list[str] = []
        self.driven: set[str] = set()  # notes git merged through the driver

    def open(self, day: date) -> Collection:
        return open_at(self.db, self.folder, day, Clock(day, self.hour))

    def sync(self, day: date) -> None:
        """What the user does: commit, pull, start studyapp (merge), commit, push."""
        self.commit(f"{self.name} {day}")
        git(self.folder, "fetch", "-q", "origin")
        driven = differing_on_both_sides(self.folder, "HEAD", "origin/main")
        git(self.folder, "merge", "--no-edit", "-q", "origin/main")  # what `git pull` does
        pulled = file_schedules(self.folder)
        coll = self.open(day)
        line = start(coll).line()
        coll.close()
        # where git ran the merge driver, it already set the dates and count the merged
        # log gives (mastery_level needs every card: the start writes it)
        started = file_schedules(self.folder)
        assert {p: pulled[p][:3] for p in driven} == {p: started[p][:3] for p in driven}
        self.driven |= driven
        if line:
            self.messages.append(line)
        self.commit(f"{self.name} {day}: schedule from the merged log")
        git(self.folder, "push", "-q", "origin", "main")

    def commit(self, message: str) -> None:
        git(self.folder, "add", "-A")
        if git(self.folder, "status", "--porcelain").strip():
            git(self.folder, "commit", "-q", "-m", message)


def clone(origin: Path, target: Path, name: str) -> None:
    git(target.parent, "clone", "-q", str(origin), target.name)
    git(target, "config", "user.name", name)
    git(target, "config", "user.email", f"{name}@example.invalid")
    git(target, "checkout", "-q", "-B", "main")
    assert cli_main(["--notes", str(target), "git", "setup"]) == 0


def study(coll: Collection, rng: random.Random, picks: slice) -> None:
    service = ReviewService(coll)
    session = new_session_id()
    items = service.due_items()
    calc = service.due_items(kind="calc")
    # the daily queue interleaves kinds (issue 11): take some of each kind explicitly
    notes = service.due_items(kind="note")
    table = service.due_items(kind="table")
    extra = slice(picks.start // 2, picks.start // 2 + 2)
    chosen = list(
        {i.card_id: i for i in items[picks] + notes[extra] + table[extra] + calc[extra]}.values()
    )
    # every day has table and calc cards; note cards only while some are due (the whole
    # run covers all three kinds: see the assertion on ``kinds`` below)
    assert {item.kind for item in chosen} >= {"table", "calc"} or len(items) < 4
    for i, item in enumerate(chosen):
        grade = rng.choice([2, 3, 4, 5, 5])
        service.record(item.card_id, grade, session_id=session, duration_ms=900 + i)
        if i == 2:
            service.undo_last(session)


def schedules(coll: Collection) -> dict[str, Any]:
    with coll.session() as s:
        conn = s.connection()
        cards = sorted(
            conn.exec_driver_sql(
                "SELECT notes.path, cards.kind, cards.anchor, ef_milli, interval, reps, lapses, "
                "due, last_review, first_seen, suspended, buried_until, retired FROM cards "
                "LEFT JOIN notes ON notes.id = cards.note_id"
            ).all(),
            key=repr,
        )
        history = sorted(
            conn.exec_driver_sql(
                "SELECT notes.path, cards.kind, cards.anchor, session_id, reviewed_at, "
                "study_day, grade, review_log.kind, cram, rescheduled, duration_ms, seed, "
                "response, correct, ef_before, ef_after, interval_before, interval_after, "
                "reps_before, reps_after, lapses_before, lapses_after, due_before, due_after, "
                "last_review_before, first_seen_before, note_values_before, "
                "note_values_after, undone FROM review_log JOIN cards ON cards.id = "
                "review_log.card_id LEFT JOIN notes ON notes.id = cards.note_id"
            ).all(),
            key=repr,
        )
        notes = {
            path: (lr, nr, rc, ml)
            for path, lr, nr, rc, ml in conn.exec_driver_sql(
                "SELECT path, last_reviewed, next_review, review_count, mastery_level FROM notes"
            )
        }
    return {"cards": cards, "history": history, "notes": notes}


def file_schedules(folder: Path) -> dict[str, tuple[Any, ...]]:
    out = {}
    for path in sorted(folder.rglob("*.md")):
        rel = path.relative_to(folder).as_posix()
        if rel.startswith("."):
            continue
        data = path.read_bytes()
        parts = split_note(data)
        assert b"<<<<<<<" not in parts.block and b">>>>>>>" not in parts.block, rel
        meta, _w, _p = load_meta(rel, data)
        out[rel] = (
            meta.last_reviewed.isoformat() if meta.last_reviewed else None,
            meta.next_review.isoformat() if meta.next_review else None,
            meta.review_count,
            meta.mastery_level,
        )
    return out


@pytest.fixture
def two_machines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Machine, Machine]:
    # git runs the merge driver as `python -m studyapp`: it must import this checkout
    monkeypatch.setenv("PYTHONPATH", str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path))  # no user-level git config leaks in
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    seed = tmp_path / "seed"
    shutil.copytree(REPO / "notes", seed)
    git(seed, "init", "-q", "-b", "main")
    git(seed, "config", "user.name", "seed")
    git(seed, "config", "user.email", "seed@example.invalid")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "notes")
    git(seed, "push", "-q", str(origin), "main")
    a = Machine("laptop", tmp_path / "laptop", tmp_path / "laptop.sqlite3", 8)
    b = Machine("desktop", tmp_path / "desktop", tmp_path / "desktop.sqlite3", 19)
    clone(origin, a.folder, "laptop")
    a.commit("studyapp git setup")
    git(a.folder, "push", "-q", "origin", "main")
    clone(origin, b.folder, "desktop")  # .gitattributes comes with the clone
    assert not git(b.folder, "status", "--porcelain").strip()
    return a, b


def test_two_clones_converge_on_one_history(two_machines: tuple[Machine, Machine]) -> None:
    a, b = two_machines
    rng = random.Random(15)
    body_note = "压缩/知识蒸馏.md"
    edited_line = "\nA line written on the laptop, which the merge must keep.\n"
    for offset in range(4):
        day = START + timedelta(days=offset)
        for machine, picks in ((a, slice(0, 9)), (b, slice(5, 14))):  # 5..8 overlap
            coll = machine.open(day)
            start(coll)
            study(coll, rng, picks)
            coll.close()
        if offset == 1:  # a body edit on the laptop, in a note both machines study
            with open(a.folder / body_note, "a", encoding="utf-8", newline="") as handle:
                handle.write(edited_line)
        first, second = (a, b) if offset % 2 == 0 else (b, a)
        first.sync(day)
        second.sync(day)  # pulls first's commits: the merge driver meets both schedules
        first.sync(day)  # fast-forward, then merge the other's log
    for _ in range(2):  # until nothing changes: each side has merged the other's last start
        a.sync(START + timedelta(days=4))
        b.sync(START + timedelta(days=4))
    assert git(a.folder, "rev-parse", "HEAD") == git(b.folder, "rev-parse", "HEAD")
    assert not git(a.folder, "status", "--porcelain").strip()

    coll_a, coll_b = a.open(START + timedelta(days=4)), b.open(START + timedelta(days=4))
    sa, sb = schedules(coll_a), schedules(coll_b)
    coll_a.close()
    coll_b.close()
    assert sa["cards"] == sb["cards"]
    assert sa["history"] == sb["history"]
    kinds = {row[1] for row in sa["history"]}
    assert kinds == {"note", "table", "calc"}
    devices = {row[3] for row in sa["history"]}
    assert len(devices) > 2  # sessions of both machines
    # every note's schedule lines equal the database's, on both machines
    for machine, snap in ((a, sa), (b, sb)):
        assert file_schedules(machine.folder) == snap["notes"]
    assert (a.folder / body_note).read_bytes() == (b.folder / body_note).read_bytes()
    assert (b.folder / body_note).read_text(encoding="utf-8").endswith(edited_line)
    # the merge driver really met notes whose schedule both machines had changed
    assert a.driven | b.driven
    assert any(m.startswith("merged ") and m.endswith("from 1 other device") for m in a.messages)
    assert any(m.startswith("merged ") and m.endswith("from 1 other device") for m in b.messages)


def differing_on_both_sides(folder: Path, ours: str, theirs: str) -> set[str]:
    """Notes a merge of ``theirs`` hands to the merge driver: changed on both sides, unequal."""
    base = git(folder, "merge-base", ours, theirs).strip()
    one = set(git(folder, "diff", "--name-only", "-z", base, ours).split("\0"))
    two = set(git(folder, "diff", "--name-only", "-z", base, theirs).split("\0"))
    return {
        p
        for p in one & two
        if p.endswith(".md")
        and git(folder, "rev-parse", f"{ours}:{p}") != git(folder, "rev-parse", f"{theirs}:{p}")
    }


def test_merge_driver_sets_the_schedule_lines_from_the_merged_log(
    two_machines: tuple[Machine, Machine],
) -> None:
    """Both machines answer one note card on the same day: neither side's lines are right."""
    a, b = two_machines
    note = "压缩/知识蒸馏.md"

    def answer(machine: Machine, day: date, grade: int) -> None:
        coll = machine.open(day)
        start(coll)
        with coll.session() as s:  # answered whether due or not, as a cram-free review
            card = (
                s.connection()
                .exec_driver_sql(
                    "SELECT cards.id FROM cards JOIN notes ON notes.id = cards.note_id "
                    "WHERE notes.path = ? AND cards.kind = 'note'",
                    (note,),
                )
                .scalar_one()
            )
        ReviewService(coll).record(card, grade, session_id=new_session_id())
        coll.close()

    day0, day1 = START, START + timedelta(days=1)
    answer(a, day0, 4)
    answer(b, day0, 4)
    a.sync(day0)
    b.sync(day0)
    a.sync(day0)
    answer(a, day1, 5)
    answer(b, day1, 1)
    a.sync(day1)
    ours_rc = file_schedules(b.folder)[note][2]
    b.commit("desktop studied")
    git(b.folder, "fetch", "-q", "origin")
    assert note in differing_on_both_sides(b.folder, "HEAD", "origin/main")
    git(b.folder, "merge", "--no-edit", "-q", "origin/main")
    merged = file_schedules(b.folder)[note]
    assert ours_rc == 3 and merged[2] == 4  # four answers in the merged log
    coll = b.open(day1)
    start(coll)
    values = schedules(coll)["notes"][note]
    coll.close()
    assert merged[:3] == values[:3]
    assert file_schedules(b.folder)[note] == values
