"""Syncthing conflict copies of notes (``*.sync-conflict-*.md``).

When two machines change a note before syncing, Syncthing keeps one version and saves
the other as a conflict copy.  A copy that differs only in the schedule lines carries
nothing the event log does not already have (each device's answers are in its own log
file, which never conflicts), so it can be removed; any other copy holds an edit only
the user can merge and is listed as an import problem.  The import never reads them
as notes (two note cards writing one file's schedule would be wrong).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from studyapp.core.schedule_merge import conflict_original, same_but_schedule


@dataclass(frozen=True)
class ConflictCopy:
    rel_path: str
    original: str
    resolvable: bool

    def problem(self) -> str:
        if self.resolvable:
            return f"conflict copy of {self.original}, only schedule lines differ: can be removed"
        return (
            f"conflict copy of {self.original} with other changes: merge it by hand, then delete it"
        )


def find_conflict_copies(root: Path) -> list[ConflictCopy]:
    found: list[ConflictCopy] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        # Names first: the relative path (``relpath`` is the walk's dearest step, ~30 ms
        # at 10,000 notes at every start) only for the rare conflict copy.
        for name in sorted(n for n in files if conflict_original(n) is not None):
            rel = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
            original = conflict_original(rel)
            if original is None:
                continue
            try:
                copy = (root / rel).read_bytes()
                base = (root / original).read_bytes()
            except OSError:
                found.append(ConflictCopy(rel, original, False))
                continue
            found.append(ConflictCopy(rel, original, same_but_schedule(copy, base)))
    return found
