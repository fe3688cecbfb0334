"""The merge driver's core: schedule lines masked, everything else merged by git (issue 15)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from studyapp.cli.main import main as cli_main
from studyapp.core.schedule_merge import conflict_original, mask, newer_schedule, same_but_schedule

BASE = (
    "---\r\n"
    "created: '2025-10-19'\r\n"
    "last_reviewed: null\r\n"
    "next_review: '2025-10-19'   # 下次\r\n"
    "review_count: 0\r\n"
    "difficulty: medium\r\n"
    "mastery_level: 0.0\r\n"
    "tags:\r\n- 压缩\r\n"
    "---\r\n"
    "# 问题\r\n\r\n## 面试标准答案\r\n第一行\r\n第二行\r\n第三行\r\n"
).encode()


def version(base: bytes, day: str, count: int, body: tuple[bytes, bytes] | None = None) -> bytes:
    data = base.replace(b"last_reviewed: null", f"last_reviewed: '{day}'".encode())
    data = data.replace(b"next_review: '2025-10-19'", f"next_review: '{day[:-1]}9'".encode())
    data = data.replace(b"review_count: 0", f"review_count: {count}".encode())
    data = data.replace(b"mastery_level: 0.0", f"mastery_level: 0.{count}".encode())
    if body:
        data = data.replace(*body)
    return data


def test_mask_copies_only_the_schedule_lines() -> None:
    ours = version(BASE, "2026-12-01", 2)
    theirs = version(BASE, "2026-12-02", 3, (b"\xe7\xac\xac\xe4\xb8\x89", "第3".encode()))
    masked = mask(theirs, ours)
    assert masked.split(b"---\r\n# ")[1] == theirs.split(b"---\r\n# ")[1]  # body kept
    assert b"last_reviewed: '2026-12-01'\r\n" in masked and b"review_count: 2\r\n" in masked
    assert b"tags:\r\n- \xe5\x8e\x8b\xe7\xbc\xa9\r\n" in masked
    assert same_but_schedule(version(BASE, "2026-12-05", 9), BASE)
    assert not same_but_schedule(theirs, ours)
    assert newer_schedule("a.md", ours, theirs) and not newer_schedule("a.md", theirs, ours)


def test_conflict_copy_names() -> None:
    assert conflict_original("a/b.sync-conflict-20261201-101010-ABCDEFG.md") == "a/b.md"
    assert conflict_original("a/b.md") is None


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_driver_merges_bodies_and_never_conflicts_on_schedule(tmp_path: Path) -> None:
    base = tmp_path / "O"
    ours = tmp_path / "A"
    theirs = tmp_path / "B"
    base.write_bytes(BASE)
    ours.write_bytes(
        version(BASE, "2026-12-01", 2, ("第一行".encode(), "第一行（笔记本）".encode()))
    )
    theirs.write_bytes(
        version(BASE, "2026-12-02", 3, ("第三行".encode(), "第三行（台式机）".encode()))
    )
    code = cli_main(["git", "merge-driver", str(base), str(ours), str(theirs), "x.md"])
    merged = ours.read_bytes()
    assert code == 0
    assert "第一行（笔记本）\r\n第二行\r\n第三行（台式机）".encode() in merged
    assert b"last_reviewed: '2026-12-02'\r\n" in merged  # the side that studied last
    assert b"review_count: 3\r\n" in merged and b"# \xe4\xb8\x8b\xe6\xac\xa1" in merged
    # the same line edited on both sides: git's usual markers in the body only
    ours.write_bytes(version(BASE, "2026-12-01", 2, ("第二行".encode(), "A 的第二行".encode())))
    theirs.write_bytes(version(BASE, "2026-12-02", 3, ("第二行".encode(), "B 的第二行".encode())))
    code = cli_main(["git", "merge-driver", str(base), str(ours), str(theirs), "x.md"])
    merged = ours.read_bytes()
    head, body = merged.split(b"---\r\n# ", 1)
    assert code == 1
    assert b"<<<<<<< ours" in body and b">>>>>>> theirs" in body
    assert b"<<<<<<<" not in head and b"=======" not in head
    assert b"review_count: 3\r\n" in head
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0
