"""Writing a note card's schedule into its note, crash-consistently.

Order of operations for one answer (see :mod:`studyapp.services.review`):

1. one DB transaction records the answer and a ``pending`` write-back with the
   values to write (``note_values_after``);
2. the note file is rewritten atomically (only the schedule keys' lines change);
3. a second transaction marks the row ``done`` and stores the file's new hash and
   the exact frontmatter head before/after (for byte-exact undo); for a fresh answer
   that transaction is the next answer's (the writes are owed to the collection,
   :meth:`Collection.defer`, and any other session runs them first), so each answer
   pays one commit, not two.

A crash after 1 leaves a pending row; :func:`finish_pending` (run at start-up) rolls
it forward: it re-reads the note and applies the same values, which is idempotent,
so the answer ends up in both the database and the note.  A note that changed on
disk since it was read is re-imported first, then written: the user's edit survives.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from studyapp.core.atomic import (
    FileIdentity,
    WriteConflict,
    atomic_write,
    file_identity,
    read_regular,
)
from studyapp.core.frontmatter_io import WriteBackError, sha256_hex, split_note
from studyapp.core.printable import printable
from studyapp.core.schedule_edit import edit_schedule
from studyapp.db.models import Note, ReviewLog
from studyapp.services.collection import Collection

#: Statuses of ReviewLog.writeback that still owe the note a write.
OWED = ("pending", "deferred", "undo_pending")

#: A note saved less than this long ago may be half way through an editor's in-place
#: save (truncate, write 4 KB, pause, write the rest): an atomic replace landing
#: between those writes would send the rest of the user's text to an orphaned inode.
QUIET_SECONDS = 2.0
#: The pause between the two looks at a note's size and mtime before writing it.
SETTLE_PAUSE_S = 0.005
#: Test-only: the suite sets this to 0 so that notes it has just created can be written
#: at once; the in-place editor tests set the real period back.  Never set it for use.
QUIET_ENV = "STUDYAPP_TEST_WRITE_QUIET_S"


class NoteBusy(OSError):
    """The note is being (or was just) saved by another program; the write waits."""


def quiet_seconds() -> float:
    """The quiet period; read in this one place (``QUIET_ENV`` is for the test suite only)."""
    override = os.environ.get(QUIET_ENV)
    return float(override) if override else QUIET_SECONDS


def read_settled(path: Path) -> bytes:
    """The note's bytes, only if no other program is writing it right now.

    Raises :class:`NoteBusy` when its mtime is within the quiet period or its size or
    mtime moved while it was read (two looks, a moment apart): the answer then stays
    owed and is written at the next chance (end of session, next start).
    """
    quiet = quiet_seconds()
    before = os.stat(path)
    age = time.time() - before.st_mtime
    if quiet > 0 and -quiet < age < quiet:
        raise NoteBusy(errno.EBUSY, "the note was saved by another program moments ago", str(path))
    data = read_regular(path)
    if quiet > 0:
        time.sleep(SETTLE_PAUSE_S)
    after = os.stat(path)
    moved = (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns)
    if moved or len(data) != after.st_size:
        raise NoteBusy(errno.EBUSY, "the note is being saved by another program", str(path))
    return data


def read_for_write(path: Path) -> tuple[bytes, FileIdentity]:
    """The note's bytes and their file identity, for a write-back that replaces them.

    Like :func:`read_settled` (a note saved within the quiet period is
    :class:`NoteBusy`), but without the settle pause: the second look is taken by
    ``atomic_write(..., expected_identity=...)`` right before the swap, after the temp
    file is written and fsynced, so it is further apart than the pause was and costs
    no sleep on every answer.  Any write in between - an editor's in-place save
    included - makes the swap a :class:`WriteConflict` and the answer stays owed.
    """
    quiet = quiet_seconds()
    before = os.stat(path)
    age = time.time() - before.st_mtime
    if quiet > 0 and -quiet < age < quiet:
        raise NoteBusy(errno.EBUSY, "the note was saved by another program moments ago", str(path))
    data = read_regular(path, st=before)
    after = os.stat(path)
    identity = file_identity(after)
    if file_identity(before) != identity or len(data) != after.st_size:
        raise NoteBusy(errno.EBUSY, "the note is being saved by another program", str(path))
    return data, identity


@dataclass(frozen=True)
class WriteOutcome:
    status: str  # "done" | "deferred"
    message: str | None = None


#: What ``json.dumps(..., ensure_ascii=False)`` builds on every call, built once (two
#: encodings per answer).
_VALUES_ENCODER = json.JSONEncoder(ensure_ascii=False)


def encode_values(values: dict[str, Any]) -> str:
    return _VALUES_ENCODER.encode(
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}
    )


def decode_values(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    raw = json.loads(text)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("last_reviewed", "next_review", "created") and isinstance(value, str):
            out[key] = date.fromisoformat(value)
        else:
            out[key] = value
    return out


def head_of(data: bytes) -> bytes:
    """The bytes before the body: BOM and the whole frontmatter block with its fences."""
    parts = split_note(data)
    return data[: parts.body_start]


def resolve_note_path(coll: Collection, rel_path: str) -> Path:
    """The note's file, refusing any path that resolves outside the notes folder.

    A note replaced by a symlink to elsewhere, or a tampered database path such as
    ``../x.md``, must never be read or written.  Raised as an ``OSError`` so the
    review is deferred with a message like any other file fault.
    """
    return _resolve(coll, rel_path)[0]


def _resolve(coll: Collection, rel_path: str) -> tuple[Path, str]:
    """:func:`resolve_note_path` and the real path it checked (given to ``atomic_write``
    so the write replaces the very file that was checked, without a second walk)."""
    root = coll.notes_root()
    path = coll.notes_dir / rel_path
    real = _plain_real_path(coll, root, rel_path) or os.path.realpath(path)
    if not real.startswith(root.rstrip(os.sep) + os.sep):
        raise PermissionError(
            errno.EACCES, "note resolves outside the notes folder; not read or written", str(path)
        )
    return path, real


def _plain_real_path(coll: Collection, root: str, rel_path: str) -> str | None:
    """``os.path.realpath(notes_dir / rel_path)`` when it is provably ``root/rel_path``, else None.

    ``realpath`` walks every component of the whole path in Python (~50 us an answer,
    most of it above the notes folder).  The answer is plainly ``root/rel_path`` when
    the notes folder and its resolved root are still the directory resolved at open
    (one ``stat`` each, followed by the kernel) and no component of ``rel_path`` is a
    symlink, ``.``, ``..`` or empty (one ``lstat`` each).  Anything else - a link, a
    missing file, a retargeted folder, Windows - returns None and the caller walks with
    ``realpath`` as before, so what is refused stays refused.
    """
    if os.name == "nt":
        return None
    parts = rel_path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    identity = coll.notes_root_identity()
    if identity is None:
        return None
    try:
        for folder in {str(coll.notes_dir), root}:
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) != identity:
                return None
        current = root.rstrip(os.sep)
        for part in parts:
            current = current + os.sep + part
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return None
    except (OSError, ValueError):
        return None
    return current


def write_values(
    coll: Collection,
    note_id: int,
    values: dict[str, Any],
    *,
    known: tuple[str, str] | None = None,
    then: Callable[[sqlite3.Connection, bytes, bytes], None] | None = None,
    defer: bool = False,
) -> tuple[bytes, bytes]:
    """Apply ``values`` to the note's file; returns (head before, head after).

    Re-imports the note first when it changed on disk since it was read.
    Raises ``OSError`` (read-only, disk full, folder missing) for the caller to defer.
    ``known`` is the note's ``(path, content_sha256)`` as the caller just read them in
    its own transaction (saves a database round trip; later attempts re-read them).
    ``then(connection, head_before, head_after)`` runs in the transaction that records
    the file's new state, so the caller's bookkeeping commits together with it;
    ``defer``: that transaction is the next answer's (see :func:`_store_file_state`).
    """
    from studyapp.services.importer import reimport_one

    for attempt in range(3):
        if attempt == 0 and known is not None:
            rel_path, known_sha = known
        else:
            with coll.session() as session:
                note = session.get(Note, note_id)
                if note is None:
                    raise FileNotFoundError(f"note {note_id} is not in the database")
                rel_path, known_sha = note.path, note.content_sha256
        path, real = _resolve(coll, rel_path)
        data, identity = read_for_write(path)
        current_sha = sha256_hex(data)
        if current_sha != known_sha:
            reimport_one(coll, rel_path)  # the user's edit becomes what we write into
            continue
        edit = edit_schedule(data, values)
        new_data = edit.data
        written: os.stat_result | None = None
        if new_data != data:
            try:
                written = atomic_write(
                    real, new_data, None, expected_identity=identity, resolved=True
                )
            except WriteConflict:
                if attempt == 2:
                    raise
                continue
        heads = edit.head_before, edit.head_after
        bound = None if then is None else _bind(then, heads)
        _store_file_state(coll, note_id, path, new_data, values, bound, defer=defer, st=written)
        return heads
    raise WriteConflict(path, "the note keeps changing on disk; not written")


def _bind(
    then: Callable[[sqlite3.Connection, bytes, bytes], None], heads: tuple[bytes, bytes]
) -> Callable[[sqlite3.Connection], None]:
    return lambda conn: then(conn, *heads)


def _store_file_state(
    coll: Collection,
    note_id: int,
    path: Path,
    data: bytes,
    values: dict[str, Any],
    then: Callable[[sqlite3.Connection], None] | None = None,
    *,
    defer: bool = False,
    st: os.stat_result | None = None,
) -> None:
    """Record the note's new hash/mtime/size (and the values now in it) after a write.

    ``data`` is what was just written, so it is hashed in memory, never re-read.  The
    file's state is ``st`` (:func:`atomic_write`'s look at the file it wrote: the size
    and mtime of exactly the hashed bytes), else read now.  The UPDATE (and ``then``)
    either commits at once with
    ``synchronous = NORMAL`` (:meth:`Collection.flush_owed`) or, with ``defer``, is
    owed to the collection (:meth:`Collection.defer`) and commits inside the next
    answer's transaction.  Losing it to a crash or power cut leaves the row ``pending``
    and the start-up roll-forward redoes it (idempotent), so the fsync the answer's own
    commit pays is not paid twice.
    """
    if st is None:
        st = os.stat(path)
    columns = {k: v for k, v in values.items() if k in _NOTE_COLUMNS}
    sets = "".join(f", {k} = ?" for k in columns)
    sql = f"UPDATE notes SET content_sha256 = ?, mtime_ns = ?, size = ?{sets} WHERE id = ?"
    params = (
        sha256_hex(data),
        st.st_mtime_ns,
        st.st_size,
        *(v.isoformat() if isinstance(v, date) else v for v in columns.values()),
        note_id,
    )

    def write(conn: sqlite3.Connection) -> None:
        conn.execute(sql, params)
        if then is not None:
            then(conn)

    coll.defer(write)
    if not defer:
        coll.flush_owed()


_NOTE_COLUMNS = {"last_reviewed", "next_review", "review_count", "mastery_level"}


def perform(
    coll: Collection, log_id: int, *, owed: tuple[int, dict[str, Any], str, str] | None = None
) -> WriteOutcome:
    """Do the write a review-log row owes its note, and record the outcome.

    ``owed`` is ``(note_id, values, note path, note sha256)`` when the caller has just
    committed the row (a fresh answer owes ``note_values_after``, which holds
    ``encode_values(values)``); it saves re-reading the row and the note, and decoding
    what the caller encoded.  The file's new state and the row's ``done`` mark are
    committed in one transaction: for a fresh answer, the next answer's
    (:meth:`Collection.defer`), else one of their own.
    """
    if owed is not None:
        note_id, values, rel_path, sha = owed
        undoing = False
        known: tuple[str, str] | None = (rel_path, sha)
    else:
        with coll.session() as session:
            log = session.get(ReviewLog, log_id)
            if log is None or log.writeback not in OWED or log.note_id is None:
                return WriteOutcome("done")
            note_id = log.note_id
            undoing = log.writeback == "undo_pending"
            values = decode_values(log.note_values_before if undoing else log.note_values_after)
        known = None

    def mark_done(conn: sqlite3.Connection, before: bytes, after: bytes) -> None:
        # One UPDATE, no ReviewLog object loaded just to set three columns.
        if undoing:
            conn.exec_driver_sql(
                "UPDATE review_log SET writeback = 'undone' WHERE id = ?", (log_id,)
            )
        else:
            conn.execute(
                "UPDATE review_log SET writeback = 'done', writeback_error = NULL,"
                " fm_before = coalesce(fm_before, ?), fm_after = ? WHERE id = ?",
                (before, after, log_id),
            )

    try:
        # A fresh answer's "done" mark commits with the next answer (or the next session).
        write_values(coll, note_id, values, known=known, then=mark_done, defer=owed is not None)
    except (OSError, WriteConflict, WriteBackError) as exc:
        message = (
            f"note not written ({_describe(exc)}); the review is kept and will be written later"
        )
        with coll.session() as session, session.begin():
            row = session.get(ReviewLog, log_id)
            if row is not None and not undoing:
                row.writeback, row.writeback_error = "deferred", _describe(exc)
            elif row is not None:
                row.writeback_error = _describe(exc)
        return WriteOutcome("deferred", message)
    return WriteOutcome("done")


def finish_pending(coll: Collection) -> list[str]:
    """Roll forward every write-back a crash or a fault left owed; returns messages."""
    return finish_pending_counted(coll)[1]


def finish_pending_counted(coll: Collection) -> tuple[int, list[str]]:
    """:func:`finish_pending`, also saying how many rows were owed (0: nothing touched)."""
    with coll.session() as session:
        owed = list(
            session.scalars(
                select(ReviewLog.id).where(ReviewLog.writeback.in_(OWED)).order_by(ReviewLog.id)
            )
        )
    messages = []
    for log_id in owed:
        outcome = perform(coll, log_id)
        if outcome.message:
            messages.append(outcome.message)
    return len(owed), messages


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        name = getattr(exc, "filename", None)
        return printable(f"{exc.strerror}: {name}" if name else exc.strerror)
    return printable(str(exc))
