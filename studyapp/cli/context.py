"""Where the CLI's collection lives: notes folder, database path and study day.

Resolution order for each: command-line option, environment variable, default.
The default notes folder is ``<user data dir>/notes``, filled with a copy of the
bundled sample notes on first use: the app never writes into its installed files.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studyapp.services.collection import Collection

APP_NAME = "studyapp"


class NotesFolderMissing(Exception):
    """The notes folder given (``--notes``, ``STUDYAPP_NOTES``) does not exist: exit 2."""

    def __init__(self, path: Path) -> None:
        from studyapp.core.printable import printable

        super().__init__(f"notes folder not found: {printable(str(path))}")
        self.path = path


def user_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def bundled_notes_dir() -> Path:
    """The sample notes: inside the installed package, or the repo's ``notes/`` in a checkout."""
    package_dir = Path(__file__).resolve().parent.parent
    installed = package_dir / "_sample_notes"
    if installed.is_dir():
        return installed
    return package_dir.parent / "notes"


def ensure_default_notes(target: Path) -> Path:
    """Create ``target`` with a copy of the sample notes if it does not exist yet."""
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(bundled_notes_dir(), target)
    return target


def parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what}: expected YYYY-MM-DD, got {text!r}") from None


@dataclass
class CliContext:
    """Lazily opened collection for one CLI invocation."""

    notes_option: str | None = None
    db_option: str | None = None
    today_override: date | None = None
    _collection: Any = field(default=None, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CliContext:
        today_text = args.today or os.environ.get("STUDYAPP_TODAY") or None
        return cls(
            notes_option=args.notes or os.environ.get("STUDYAPP_NOTES") or None,
            db_option=args.db or os.environ.get("STUDYAPP_DB") or None,
            today_override=parse_day(today_text, "--today") if today_text else None,
        )

    @property
    def notes_dir(self) -> Path:
        if self.notes_option:
            return Path(self.notes_option).expanduser()
        return ensure_default_notes(user_data_dir() / "notes")

    @property
    def db_path(self) -> Path:
        if self.db_option:
            return Path(self.db_option).expanduser()
        return user_data_dir() / "studyapp.sqlite3"

    def collection(self) -> Collection:
        """Open (and migrate) the database once per invocation (raises :class:`NotesFolderMissing`)."""
        if self._collection is None:
            from studyapp.services.collection import Collection

            if not self.notes_dir.is_dir():
                # Every command reads or writes the notes: a typo in --notes must not
                # look like "nothing due".
                raise NotesFolderMissing(self.notes_dir)

            self._collection = Collection.open(
                self.db_path, self.notes_dir, today_override=self.today_override
            )
        return self._collection  # type: ignore[no-any-return]

    def close(self) -> None:
        """End of the session: write what is still owed to the notes, then close.

        A write-back deferred during the session (the note was being saved by an
        editor, or was read-only for a moment) gets its next chance here; what still
        cannot be written stays owed for the next start.
        """
        if self._collection is not None:
            coll, self._collection = self._collection, None
            try:
                if coll.is_writer:
                    from studyapp.services.writeback import finish_pending

                    # closing must still release the lock, whatever this raises
                    with contextlib.suppress(Exception):
                        finish_pending(coll)
            finally:
                coll.close()
