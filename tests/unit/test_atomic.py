"""atomic_write: conflict detection, symlinks, modes, and no damage on failure."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from studyapp.core.atomic import (
    DiskFullError,
    ReadOnlyNoteError,
    WriteConflict,
    atomic_write,
    cleanup_temp_files,
)
from studyapp.core.frontmatter_io import sha256_hex


def _temps(folder: Path) -> list[Path]:
    return sorted(folder.glob(".studyapp-*.tmp"))


def test_replaces_content(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_bytes(b"old\r\n")
    atomic_write(note, b"new\r\n", sha256_hex(b"old\r\n"))
    assert note.read_bytes() == b"new\r\n" and _temps(tmp_path) == []


def test_new_file_without_expected_hash(tmp_path: Path) -> None:
    atomic_write(tmp_path / "fresh.md", b"x", None)
    assert (tmp_path / "fresh.md").read_bytes() == b"x"


def test_conflict_when_user_edited(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_bytes(b"edited by the user")
    with pytest.raises(WriteConflict, match="changed since it was read"):
        atomic_write(note, b"ours", sha256_hex(b"what we read"))
    assert note.read_bytes() == b"edited by the user" and _temps(tmp_path) == []


def test_conflict_when_file_deleted(tmp_path: Path) -> None:
    with pytest.raises(WriteConflict, match="deleted"):
        atomic_write(tmp_path / "gone.md", b"x", sha256_hex(b"x"))
    assert not (tmp_path / "gone.md").exists()


def test_symlink_target_written_and_link_kept(tmp_path: Path) -> None:
    real_dir = tmp_path / "vault"
    real_dir.mkdir()
    target = real_dir / "real.md"
    target.write_bytes(b"a")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    atomic_write(link, b"b", sha256_hex(b"a"))
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"b"
    assert _temps(tmp_path) == [] and _temps(real_dir) == []


def test_mode_preserved(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_bytes(b"a")
    note.chmod(0o640)
    atomic_write(note, b"b", None)
    assert stat.S_IMODE(note.stat().st_mode) == 0o640


def test_read_only_note_refused(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_bytes(b"a")
    note.chmod(0o444)
    with pytest.raises(ReadOnlyNoteError, match="read-only") as info:
        atomic_write(note, b"b", sha256_hex(b"a"))
    assert isinstance(info.value, OSError) and info.value.errno == errno.EACCES
    assert note.read_bytes() == b"a"


def test_read_only_folder_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    note = tmp_path / "n.md"
    note.write_bytes(b"a")

    def denied(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("studyapp.core.atomic._make_temp", denied)
    with pytest.raises(ReadOnlyNoteError, match="read-only"):
        atomic_write(note, b"b", None)
    assert note.read_bytes() == b"a"


@pytest.mark.parametrize("failing", ["write", "fsync"])
def test_disk_full_leaves_original_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    note = tmp_path / "n.md"
    note.write_bytes(b"original")

    def enospc(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, failing, enospc)
    with pytest.raises(DiskFullError, match="disk full") as info:
        atomic_write(note, b"new content", sha256_hex(b"original"))
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert note.read_bytes() == b"original" and _temps(tmp_path) == []


def test_partial_writes_are_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write

    def short_write(fd: int, data: bytes) -> int:
        return real_write(fd, bytes(data[:3]))

    monkeypatch.setattr(os, "write", short_write)
    atomic_write(tmp_path / "n.md", b"0123456789", None)
    monkeypatch.undo()
    assert (tmp_path / "n.md").read_bytes() == b"0123456789"


def test_keyboard_interrupt_removes_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    note = tmp_path / "n.md"
    note.write_bytes(b"original")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(note, b"new", None)
    monkeypatch.undo()
    assert note.read_bytes() == b"original" and _temps(tmp_path) == []


def test_cleanup_temp_files(tmp_path: Path) -> None:
    sub = tmp_path / "子目录"
    sub.mkdir()
    stale = [tmp_path / f".studyapp-{'a' * 32}.tmp", sub / f".studyapp-{'0f' * 16}.tmp"]
    for p in stale:
        p.write_bytes(b"partial")
    keep = [tmp_path / "note.md", tmp_path / ".studyapp-notes.md", tmp_path / "x.tmp"]
    keep += [tmp_path / ".studyapp-my-backup.tmp", tmp_path / ".studyapp-abc.tmp"]  # not ours
    for p in keep:
        p.write_bytes(b"keep")
    (tmp_path / f".studyapp-{'d' * 32}.tmp").mkdir()
    assert sorted(cleanup_temp_files(tmp_path)) == sorted(stale)
    assert all(p.exists() for p in keep) and not any(p.exists() for p in stale)
    assert cleanup_temp_files(tmp_path) == []


def test_cleanup_non_recursive(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / f".studyapp-{'1' * 32}.tmp").write_bytes(b"")
    assert cleanup_temp_files(tmp_path, recursive=False) == []
