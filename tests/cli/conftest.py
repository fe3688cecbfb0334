"""CLI fixtures: a temp collection addressed through --db/--notes and a runner."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from studyapp.cli.main import main


@dataclass
class Result:
    code: int
    out: str
    err: str


Runner = Callable[..., Result]


@pytest.fixture
def cli(
    tmp_path: Path,
    notes_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Runner:
    """Run ``studyapp --db tmp --notes tmp --today 2026-11-25 ARGS`` in-process."""
    monkeypatch.delenv("STUDYAPP_DB", raising=False)
    monkeypatch.delenv("STUDYAPP_NOTES", raising=False)
    monkeypatch.delenv("STUDYAPP_TODAY", raising=False)

    def run(*args: str, stdin: str = "", today: str = "2026-11-25") -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(
            [
                "--db",
                str(tmp_path / "db.sqlite3"),
                "--notes",
                str(notes_dir),
                "--today",
                today,
                *args,
            ]
        )
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    run.db = tmp_path / "db.sqlite3"  # type: ignore[attr-defined]
    run.notes = notes_dir  # type: ignore[attr-defined]
    return run
