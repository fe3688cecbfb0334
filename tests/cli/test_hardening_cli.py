"""Regression tests of issue 10 for the command line: one clear line, or a quiet exit."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from studyapp.cli.main import main
from tests.conftest import REPO


class _ClosedPipe(io.StringIO):
    """stdout of ``cmd | head -2`` once head has exited."""

    def __init__(self, lines_before_close: int) -> None:
        super().__init__()
        self.left = lines_before_close

    def write(self, text: str) -> int:
        if self.left <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.left -= text.count("\n")
        return super().write(text)


@pytest.mark.parametrize("command", [["history"], ["cards"], ["due"], ["notes"]])
def test_a_closed_pipe_ends_the_command_quietly(
    cli, command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    assert (
        cli(
            "review", "--plain", "--kind", "note", "--limit", "3", stdin="\n4\n\n4\n\n3\n\n4\n"
        ).code
        == 0
    )
    monkeypatch.setattr(sys, "stdout", _ClosedPipe(2))
    code = main(["--db", str(cli.db), "--notes", str(cli.notes), "--today", "2026-11-25", *command])
    assert code == 141
    assert capsys.readouterr().err == ""


def test_cards_piped_into_head_prints_no_traceback(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("import").code == 0
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studyapp.cli.main",
            "--db",
            str(cli.db),
            "--notes",
            str(cli.notes),
            "cards",
        ],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.readline()
    proc.stdout.close()  # what head -2 does
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert err == "" and proc.returncode in (0, 141), err


@pytest.mark.parametrize(
    "command",
    [
        ["due"],
        ["review", "--plain"],
        ["notes"],
        ["stats"],
        ["history"],
        ["cards"],
        ["undo"],
        ["import"],
    ],
)
def test_a_missing_notes_folder_is_one_line_and_exit_2(
    command: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    missing = tmp_path / "does" / "not" / "exist"
    code = main(["--db", str(tmp_path / "db.sqlite3"), "--notes", str(missing), *command])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == f"studyapp: notes folder not found: {missing}\n"
    assert "Nothing due" not in captured.out
    assert not missing.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="newlines in file names are POSIX-only")
def test_a_bad_notes_name_with_a_newline_is_printed_escaped_on_one_line(
    cli, notes_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    (notes_dir / "bad\nname\x1b[31m.md").write_bytes(b"---\nreview_count: !!int abc\n---\n# B\n")
    result = cli("import")
    assert result.code == 1
    bad = [line for line in result.err.splitlines() if "bad" in line]
    assert bad == [
        "bad\\nname\\x1b[31m.md: invalid YAML value (ValueError: invalid literal for int() "
        "with base 10: 'abc')"
    ]
    report = json.loads(cli("import", "--json").out)
    assert [r["exception"] for r in report["rejected"]] == ["NoteError"]
