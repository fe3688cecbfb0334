"""The CLI under faults, a second process and hostile text (issue "Proof").

* ``studyapp import`` of a missing folder: exit 2 and one line;
* a second writer (``review``, ``import``, ``undo``) while another studyapp holds the lock:
  exit 2 and one line naming the lock, nothing changed; readers (``due --json``,
  ``notes --json``) keep working;
* ``review --plain`` while the notes folder is gone: answers kept, write-back deferred
  with a message, done by the next command once the folder is back;
* a database locked by another program: exit 2 and one line, no traceback;
* Rich/Textual markup in note text reaches ``review --plain`` and ``cards --json`` literally.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import studyapp.db.engine as db_engine
from tests.conftest import DATA, REPO

HOLDER = textwrap.dedent(
    """
    import sys
    from studyapp.services.collection import Collection
    from studyapp.services.importer import import_notes

    coll = Collection.open(sys.argv[1], sys.argv[2])
    coll.acquire_writer()
    import_notes(coll)
    print("held", flush=True)
    sys.stdin.readline()
    """
)


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.md"))}


# --------------------------------------------------------------------- missing folder


def test_import_of_a_missing_folder_exits_2_with_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "no-such-notes"
    result = cli("import", str(missing))
    assert result.code == 2
    line = _one_line(result.err)
    assert line.startswith("studyapp: ") and str(missing) in line and "not found" in line
    assert not missing.exists()  # not created as an empty folder either


def test_review_with_the_notes_folder_gone_says_so_and_records_nothing(
    cli,
    notes_dir: Path,  # type: ignore[no-untyped-def]
) -> None:
    """Issue 10: an unmounted notes folder is ``notes folder not found``, exit 2 (it used to
    run the review and defer every write; answers made then are still kept, see
    tests/db/test_reliability_faults.py for a folder that vanishes mid-session)."""
    assert cli("import").code == 0
    before = _snapshot(notes_dir)
    away = notes_dir.with_name("unmounted")
    notes_dir.rename(away)
    try:
        result = cli("review", "--plain", "--kind", "note", "--limit", "2", stdin="\n4\n\n5\n")
        assert result.code == 2
        assert _one_line(result.err) == f"studyapp: notes folder not found: {notes_dir}"
        assert not notes_dir.exists()
    finally:
        away.rename(notes_dir)
    assert _snapshot(notes_dir) == before
    assert json.loads(cli("history", "--json").out) == []


# --------------------------------------------------------------------- a second studyapp


@pytest.fixture
def holder(cli, tmp_path: Path, notes_dir: Path) -> Iterator[subprocess.Popen[str]]:  # type: ignore[no-untyped-def]
    """Another studyapp process that holds the writer lock of the CLI's database."""
    assert cli("import").code == 0
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "db.sqlite3"), str(notes_dir)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream:
            stream.close()


WRITERS = [("review", "--plain"), ("import",), ("undo",), ("quiz", "--plain")]


def test_second_writer_exits_2_naming_the_lock_and_readers_work(
    cli,
    holder,
    tmp_path: Path,
    notes_dir: Path,  # type: ignore[no-untyped-def]
) -> None:
    """One other studyapp holds the lock (started once: a process start costs a second)."""
    before = _snapshot(notes_dir)
    for args in WRITERS:
        result = cli(*args, stdin="\n4\n")
        assert result.code == 2, (args, result.out, result.err)
        line = _one_line(result.err)
        assert "in use by another studyapp" in line and f"pid {holder.pid}" in line, args
        assert str(tmp_path / "db.sqlite3") in line
    assert _snapshot(notes_dir) == before
    due = cli("due", "--json")
    assert due.code == 0, due.err
    assert json.loads(due.out)
    notes = cli("notes", "--json")
    assert notes.code == 0 and len(json.loads(notes.out)) == len(before)
    assert cli("stats", "--json").code == 0
    assert _snapshot(notes_dir) == before


def test_database_locked_by_another_program_exits_2_with_one_line(
    cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    assert cli("import").code == 0
    monkeypatch.setattr(db_engine, "BUSY_TIMEOUT_MS", 300)
    con = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
    try:
        result = cli("review", "--plain", "--kind", "note", "--limit", "1", stdin="\n4\n")
    finally:
        con.rollback()
        con.close()
    assert result.code == 2
    assert "locked" in _one_line(result.err)


# --------------------------------------------------------------------- markup stays text

MARKUP = [
    "[bold]量化[/]",
    "[@click=app.quit]x[/]",
    "[/bold]",
    "\\[escaped]",
    "[red]KV cache[/red]",
    "[link=https://evil.example]点这里[/link]",
    ":warning:",
]


def test_markup_in_notes_is_printed_literally_by_review_plain(cli, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(DATA / "hostile" / "markup.md", notes_dir / "markup.md")
    assert cli("import").code == 0
    result = cli("review", "--plain", "--tag", "markup", "--kind", "note", stdin="\n4\n")
    assert result.code == 0, result.err
    for text in MARKUP:
        assert text in result.out, text
    assert "Session over: 1 card answered" in result.out


def test_markup_in_notes_is_kept_literally_by_cards_json(cli, notes_dir: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(DATA / "hostile" / "markup.md", notes_dir / "markup.md")
    assert cli("import").code == 0
    result = cli("cards", "--json", "--note", "markup.md")
    assert result.code == 0, result.err
    cards = json.loads(result.out)
    note_card = next(c for c in cards if c["kind"] == "note")
    assert note_card["prompt"] == "[bold]量化[/] 与 [@click=app.quit]x[/] 的区别"
    for text in MARKUP[2:]:
        assert text in note_card["answer"], text
    table_text = json.dumps([c for c in cards if c["kind"] == "table"], ensure_ascii=False)
    assert "[@click=app.quit]GPTQ[/]" in table_text or "4 [i]bit[/i]" in table_text
