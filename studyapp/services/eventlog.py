"""The event log in the notes folder: appending this device's events, reading everyone's.

``<notes>/.studyapp/log/<device-id>.jsonl`` gets one line per answer, undo, bury,
suspend, reset and scheduling setting change (format and replay:
:mod:`studyapp.core.events`).  One file per device, so git or Syncthing never sees two
writers on one file; append-only and fsync'd, so a line that was acknowledged survives
a crash.  The database's ``events`` table indexes every line seen, which makes merging
idempotent (event ids are device id + counter).

Order per answer: the review transaction allocates the event id, appends and fsyncs
the line, then commits with the ``events`` row.  A crash after the append leaves a
line the database has not seen; the next start merges it like another device's.  When
the append fails (read-only folder, disk full) the row is kept ``pending`` and the next
start appends it: the answer itself is never refused because of the log.

``studyapp config log_in_notes false`` turns all of this off.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from studyapp.core import events as ev
from studyapp.core.srs import SrsState
from studyapp.db.models import Card, Note, ReviewLog
from studyapp.services.collection import Collection
from studyapp.services.logsync import SYNCER

#: Where the app keeps what it stores in the notes folder (hidden: the import skips it).
APP_DIR = ".studyapp"
LOG_DIR = f"{APP_DIR}/log"

#: Settings that change what gets scheduled: their changes are events other devices follow.
#: ``scheduler`` and ``desired_retention`` stay per machine: switching converts every card
#: from the log (services/scheduler.py), which a merge must not do behind the user's back.
SCHEDULING_SETTINGS = (
    "new_per_day",
    "rollover_hour",
    "new_per_note",
    "bury_siblings",
    "calc_new_share",
    "relearn_gap",
    "calc_in_review",
    "exam_daily_cap",
)


def enabled(coll: Collection) -> bool:
    return bool(getattr(coll.settings, "log_in_notes", True))


def log_dir(coll: Collection) -> Path:
    return coll.notes_dir / LOG_DIR


def device_id(coll: Collection) -> str | None:
    """This database's device id, or ``None`` before its first event."""
    with coll.session() as session:
        row = session.execute(text("SELECT device_id FROM local_device WHERE id = 1")).first()
    return str(row[0]) if row else None


def ensure_device(session: Session) -> tuple[str, bool]:
    """The device id, created (random, 12 hex digits) on first use; ``(id, created)``."""
    row = session.execute(text("SELECT device_id FROM local_device WHERE id = 1")).first()
    if row:
        return str(row[0]), False
    new_id = secrets.token_hex(6)
    session.execute(
        text("INSERT INTO local_device (id, device_id, counter) VALUES (1, :d, 0)"), {"d": new_id}
    )
    return new_id, True


def _raw(session: Session) -> Any:
    """The session's sqlite3 connection: the answer path's two statements skip the ORM."""
    return session.connection().connection.dbapi_connection


def _next_id(session: Session) -> tuple[str, int]:
    return _next_id_raw(_raw(session))


def _next_id_raw(raw: Any) -> tuple[str, int]:
    sql = "UPDATE local_device SET counter = counter + 1 WHERE id = 1 RETURNING device_id, counter"
    row = raw.execute(sql).fetchone()  # one row: the statement is done when it is read
    if row is None:
        raw.execute(
            "INSERT INTO local_device (id, device_id, counter) VALUES (1, ?, 0)",
            (secrets.token_hex(6),),
        )
        row = raw.execute(sql).fetchone()
    return str(row[0]), int(row[1])


@functools.lru_cache(maxsize=16)
def _log_file(notes_dir: Path, device: str) -> str:
    """The device's log file name, joined once (each answer appends to it)."""
    return os.path.join(notes_dir, LOG_DIR, f"{device}.jsonl")


def append_lines(coll: Collection, device: str, data: bytes, *, wait: bool = True) -> None:
    """Append and fsync; raises ``OSError``.  The folder is fsync'd when the file is new.

    ``wait=False`` (the answer path) leaves the fsync to :data:`SYNCER`.
    """
    if not wait:
        # The answer path: the device's log file almost always exists already; opening
        # it without O_CREAT is the same append as below without the folder and file
        # look-ups.  Any failure (no file yet, folder gone) takes the full path below.
        name = _log_file(coll.notes_dir, device)
        try:
            fd = os.open(name, os.O_WRONLY | os.O_APPEND | getattr(os, "O_BINARY", 0))
        except OSError:
            pass
        else:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            SYNCER.request(name)
            return
    folder = log_dir(coll)
    path = folder / f"{device}.jsonl"
    created = False
    if not folder.is_dir():
        # never parents=True: a notes folder that is gone (unmounted) must not reappear
        folder.parent.mkdir(exist_ok=True)
        folder.mkdir(exist_ok=True)
        created = True
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
    if not created and not path.exists():
        created = True
    fd = os.open(path, flags, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if wait or created:
            (getattr(os, "fdatasync", None) or os.fsync)(fd)
    finally:
        os.close(fd)
    if not wait and not created:
        SYNCER.request(str(path))
    if created and hasattr(os, "O_DIRECTORY"):
        with contextlib.suppress(OSError):
            dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)


def _emit(
    coll: Collection,
    session: Session,
    body: dict[str, Any],
    *,
    scope: tuple[str | None, str | None, str | None],
    log_id: int | None = None,
) -> str:
    """Give ``body`` its id and time stamp, append it, index it in ``session``."""
    return _emit_raw(coll, _raw(session), body, scope=scope, log_id=log_id)


def _emit_raw(
    coll: Collection,
    raw: Any,
    body: dict[str, Any],
    *,
    scope: tuple[str | None, str | None, str | None],
    log_id: int | None = None,
) -> str:
    """:func:`_emit` on the driver connection of the answer's own transaction."""
    device, counter = _next_id_raw(raw)
    event = {"id": ev.event_id(device, counter), "dev": device, "n": counter, **body}
    event.setdefault("ts", coll.now().replace(tzinfo=None).isoformat(timespec="microseconds"))
    line = ev.encode(event)
    pending = False
    try:
        append_lines(coll, device, line, wait=False)
    except OSError:
        pending = True  # appended at the next start (flush_pending)
    _insert_events_raw(raw, [(event, scope, log_id, pending)], line_of={event["id"]: line})
    return str(event["id"])


_EventRow = tuple[dict[str, Any], tuple[str | None, str | None, str | None], int | None, bool]


def _insert_events(
    session: Session, rows: list[_EventRow], *, line_of: dict[str, bytes] | None = None
) -> None:
    _insert_events_raw(_raw(session), rows, line_of=line_of)


def _insert_events_raw(
    raw: Any, rows: list[_EventRow], *, line_of: dict[str, bytes] | None = None
) -> None:
    params = [
        (
            e["id"],
            e["dev"],
            e["n"],
            e["ts"],
            e["type"],
            scope[0],
            scope[1],
            scope[2],
            (
                line_of[e["id"]].decode("utf-8").rstrip("\r\n")
                if line_of
                else json.dumps(e, ensure_ascii=False, separators=(",", ":"))
            ),
            log_id,
            int(pending),
        )
        for e, scope, log_id, pending in rows
    ]
    insert_event_rows_raw(raw, params)


def insert_event_rows(session: Session, params: list[tuple[Any, ...]]) -> None:
    """``events`` rows as tuples: event id, device, counter, ts, type, note path, kind,
    anchor, body (the line as in the file), log id, pending."""
    insert_event_rows_raw(_raw(session), params)


def insert_event_rows_raw(raw: Any, params: list[tuple[Any, ...]]) -> None:
    """:func:`insert_event_rows` on a driver connection (the answer's own transaction)."""
    if not params:
        return
    raw.executemany(
        "INSERT OR IGNORE INTO events (event_id, device, counter, ts, type, note_path, kind, "
        "anchor, body, log_id, pending) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params,
    )


def scope_of(event: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    if event["type"] in (ev.ANSWER, ev.BURY, ev.SUSPEND):
        return event.get("note"), event.get("kind"), event.get("anchor")
    if event["type"] == ev.RESET:
        return event.get("note"), None, None
    if event["type"] == ev.MOVE:
        return event.get("to"), None, None
    return None, None, None


# --- the hooks called by services/review.py and Collection.save_settings -----------------------


def _state_json(log: ReviewLog) -> dict[str, Any]:
    before = SrsState(
        ef_milli=log.ef_before,
        interval=log.interval_before,
        reps=log.reps_before,
        lapses=log.lapses_before,
        due=log.due_before,
        last_review=log.last_review_before,
    )
    return ev.state_to_json(before, log.first_seen_before)


def _answer_body(log: ReviewLog, note_path: str | None, anchor: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ts": log.reviewed_at.isoformat(timespec="microseconds"),
        "type": ev.ANSWER,
        "note": note_path,
        "kind": log.kind,
        "anchor": anchor,
        "day": log.study_day.isoformat(),
        "grade": log.grade,
        "cram": bool(log.cram),
        "resched": bool(log.rescheduled),
        "session": log.session_id,
        "dur": log.duration_ms,
        "seed": log.seed,
        "resp": log.response,
        "ok": log.correct,
        "before": _state_json(log),
    }
    if log.note_values_before:
        body["nv"] = json.loads(log.note_values_before)
    return body


def log_answer(coll: Collection, session: Session, card: Card, log: ReviewLog) -> None:
    """An answer (review or cram) was flushed as ``log``: append its event."""
    if not enabled(coll):
        return
    note_path = card.note.path if card.note is not None else None
    body = _answer_body(log, note_path, card.anchor)
    _emit(coll, session, body, scope=(note_path, card.kind, card.anchor), log_id=log.id)


def log_answer_raw(coll: Collection, raw: Any, log_id: int, card_id: int) -> None:
    """:func:`log_answer` for the review hot path, inside its driver-level transaction.

    Reads back the review-log row the answer just inserted (the one truth of what was
    logged) and the card's note path and anchor, so the event is the same as the ORM
    path's.
    """
    if not enabled(coll):
        return
    row = raw.execute(_ANSWER_ROW_SQL, (log_id, card_id)).fetchone()
    (
        reviewed_at, study_day, kind, grade, cram, rescheduled, session_id, duration_ms,
        seed, response, correct, ef, interval, reps, lapses, due, last_review, first_seen,
        note_values_before, anchor, note_path,
    ) = row  # fmt: skip
    before = SrsState(
        ef_milli=ef,
        interval=interval,
        reps=reps,
        lapses=lapses,
        due=date.fromisoformat(due) if due else None,
        last_review=date.fromisoformat(last_review) if last_review else None,
    )
    body: dict[str, Any] = {
        "ts": datetime.fromisoformat(reviewed_at).isoformat(timespec="microseconds"),
        "type": ev.ANSWER,
        "note": note_path,
        "kind": kind,
        "anchor": anchor,
        "day": study_day,
        "grade": grade,
        "cram": bool(cram),
        "resched": bool(rescheduled),
        "session": session_id,
        "dur": duration_ms,
        "seed": seed,
        "resp": response,
        "ok": None if correct is None else bool(correct),
        "before": ev.state_to_json(before, date.fromisoformat(first_seen) if first_seen else None),
    }
    if note_values_before:
        body["nv"] = json.loads(note_values_before)
    _emit_raw(coll, raw, body, scope=(note_path, kind, anchor), log_id=log_id)


_ANSWER_ROW_SQL = (
    "SELECT l.reviewed_at, l.study_day, l.kind, l.grade, l.cram, l.rescheduled, l.session_id,"
    " l.duration_ms, l.seed, l.response, l.correct, l.ef_before, l.interval_before,"
    " l.reps_before, l.lapses_before, l.due_before, l.last_review_before,"
    " l.first_seen_before, l.note_values_before, c.anchor, n.path"
    " FROM review_log l JOIN cards c ON c.id = ?2 LEFT JOIN notes n ON n.id = c.note_id"
    " WHERE l.id = ?1"
)


def log_undo(coll: Collection, session: Session, log: ReviewLog) -> None:
    """``log`` was undone: an event naming the answer's event (none if it was never logged)."""
    if not enabled(coll):
        return
    row = session.execute(
        text(
            "SELECT event_id, note_path, kind, anchor FROM events "
            "WHERE log_id = :id AND type = 'answer'"
        ),
        {"id": log.id},
    ).first()
    if row is None:
        return
    _emit(
        coll,
        session,
        {"type": ev.UNDO, "target": row[0]},
        scope=(row[1], row[2], row[3]),
    )


def _card_scope(session: Session, card_id: int) -> tuple[str | None, str, str] | None:
    row = session.execute(
        text(
            "SELECT notes.path, cards.kind, cards.anchor FROM cards "
            "LEFT JOIN notes ON notes.id = cards.note_id WHERE cards.id = :id"
        ),
        {"id": card_id},
    ).first()
    return (row[0], row[1], row[2]) if row else None


def log_card_flag(coll: Collection, session: Session, card_id: int, **change: Any) -> None:
    """A bury (``until=date``) or suspend (``on=bool``) of one card."""
    if not enabled(coll):
        return
    scope = _card_scope(session, card_id)
    if scope is None:
        return
    if "until" in change:
        until = change["until"]
        body = {"type": ev.BURY, "until": until.isoformat() if until else None}
    else:
        body = {"type": ev.SUSPEND, "on": bool(change["on"])}
    body.update({"note": scope[0], "kind": scope[1], "anchor": scope[2]})
    _emit(coll, session, body, scope=scope)


def log_reset(coll: Collection, session: Session, note: Note, ef_milli: int) -> None:
    if not enabled(coll):
        return
    _emit(
        coll,
        session,
        {"type": ev.RESET, "note": note.path, "ef": ef_milli},
        scope=(note.path, None, None),
    )


def log_move(coll: Collection, session: Session, old: str, new: str) -> None:
    """The import found a note under a new path: earlier events follow it there."""
    if not enabled(coll) or old == new:
        return
    session.execute(
        text("UPDATE events SET note_path = :new WHERE note_path = :old"), {"new": new, "old": old}
    )
    _emit(coll, session, {"type": ev.MOVE, "from": old, "to": new}, scope=(new, None, None))


def log_settings(coll: Collection, session: Session, old: Any, new: Any) -> None:
    """Scheduling settings that changed; turning the log back on backfills what it missed."""
    if not getattr(new, "log_in_notes", True):
        return
    for key in SCHEDULING_SETTINGS:
        if getattr(old, key) != getattr(new, key):
            _emit(
                coll,
                session,
                {"type": ev.SETTING, "key": key, "value": getattr(new, key)},
                scope=(None, None, None),
            )
    if not getattr(old, "log_in_notes", True):
        backfill(coll, session)


def backfill(coll: Collection, session: Session) -> int:
    """Append events for review-log rows the log does not have (older databases, log off).

    Without this, a rebuild would drop answers recorded before the log existed.  One
    append and one insert for all of them: an upgraded database may hold a million rows.
    """
    rows = session.execute(
        text(
            "SELECT review_log.id FROM review_log WHERE NOT EXISTS "
            "(SELECT 1 FROM events WHERE events.log_id = review_log.id) ORDER BY review_log.id"
        )
    ).all()
    bodies: list[tuple[dict[str, Any], tuple[str | None, str | None, str | None], int | None]] = []
    for (log_id,) in rows:
        log = session.get(ReviewLog, log_id)
        card = session.get(Card, log.card_id) if log is not None else None
        if log is None or card is None:
            continue
        note_path = card.note.path if card.note is not None else None
        scope = (note_path, card.kind, card.anchor)
        bodies.append((_answer_body(log, note_path, card.anchor), scope, log.id))
        if log.undone:  # right after its answer: the time of the undo was not kept
            ts = log.reviewed_at.isoformat(timespec="microseconds")
            bodies.append(({"type": ev.UNDO, "target": len(bodies) - 1, "ts": ts}, scope, None))
    if not bodies:
        return 0
    device, _created = ensure_device(session)
    last = int(
        session.execute(
            text("UPDATE local_device SET counter = counter + :k WHERE id = 1 RETURNING counter"),
            {"k": len(bodies)},
        ).scalar_one()
    )
    first = last - len(bodies) + 1
    events: list[dict[str, Any]] = []
    for offset, (body, _scope, _log_id) in enumerate(bodies):
        n = first + offset
        event = {"id": ev.event_id(device, n), "dev": device, "n": n, **body}
        if event["type"] == ev.UNDO:
            event["target"] = events[int(body["target"])]["id"]
        events.append(event)
    lines = {e["id"]: ev.encode(e) for e in events}
    pending = False
    try:
        append_lines(coll, device, b"".join(lines.values()))
    except OSError:
        pending = True
    _insert_events(
        session,
        [
            (e, scope, log_id, pending)
            for e, (_b, scope, log_id) in zip(events, bodies, strict=True)
        ],
        line_of=lines,
    )
    return sum(1 for e in events if e["type"] == ev.ANSWER)
