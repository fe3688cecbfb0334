"""Finding the notes of a folder.

Recursive ``*.md``, hidden folders and files skipped, symlinks followed only while
they stay inside the notes folder, and each real directory visited once (so a
symlink loop ends).  A note reached through a symlink *and* directly is one note:
it is listed once, under its own path (two entries would be two note cards
writing the same file).  Stale temp files of an interrupted write-back are removed when
the caller holds the writer lock (nobody else can be writing one).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import NamedTuple

from studyapp.core.atomic import is_own_temp_name


class FoundNote(NamedTuple):
    """One note file found (immutable; a named tuple: 10,000 frozen dataclasses cost
    8 ms to build at every start, a sixth of the scan)."""

    rel_path: str  # posix, relative to the root
    abs_path: str  # a plain string: 10,000 Path objects cost more than the scan itself
    mtime_ns: int
    size: int


def scan_notes(
    root: Path, *, remove_stale_temps: bool = False, irregular: list[str] | None = None
) -> list[FoundNote]:
    """Every note under ``root``, sorted by relative path.

    ``irregular`` collects the relative paths of ``*.md`` entries that are not regular
    files (a FIFO, socket or device): they are never opened, and the caller reports them.
    """
    root_real = os.path.realpath(root)
    prefix_len = len(root_real.rstrip(os.sep)) + 1
    found: dict[str, tuple[bool, FoundNote]] = {}  # real file path -> (via a link?, note)
    seen_dirs: set[str] = set()
    stack = [root_real]
    while stack:
        current = stack.pop()
        if current in seen_dirs:
            continue
        seen_dirs.add(current)
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                if (
                    remove_stale_temps
                    and is_own_temp_name(name)
                    and entry.is_file(follow_symlinks=False)
                ):
                    _unlink_quietly(entry.path)
                continue
            try:
                real = os.path.realpath(entry.path) if entry.is_symlink() else entry.path
                if real != entry.path and not _inside(real, root_real):
                    continue  # a link out of the notes folder
                if entry.is_dir(follow_symlinks=True):
                    stack.append(real)
                    continue
                if not name.lower().endswith(".md"):
                    continue
                if not entry.is_file(follow_symlinks=True):
                    if irregular is not None and os.path.exists(real):
                        irregular.append(entry.path[prefix_len:].replace(os.sep, "/"))
                    continue
                if ".sync-conflict-" in name:  # issue 15: services/conflicts.py handles them
                    continue
                st = entry.stat(follow_symlinks=True)
            except OSError:
                continue
            # entry.path is current + sep + name, and current is root_real or a real
            # folder inside it, so the relative path is a slice.
            path = entry.path
            rel = path[prefix_len:]
            if os.sep != "/":
                rel = rel.replace(os.sep, "/")
            note = FoundNote(rel, path, st.st_mtime_ns, st.st_size)
            linked = real != entry.path
            known = found.get(real)
            if known is None or (known[0], known[1].rel_path) > (linked, rel):
                found[real] = (linked, note)  # prefer the file itself, then the first path
    return sorted((note for _, note in found.values()), key=lambda f: f.rel_path)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
