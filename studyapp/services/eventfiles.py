"""Reading and healing the event log files: tails past stored offsets, torn lines, lost lines.

Each device's file is append-only, so ``event_files`` keeps how far each was read and
a start reads only what is new.  This device's own lines that a crash or a power cut
left out of its file are appended again from the database (:func:`heal_own`,
:func:`flush_pending`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from studyapp.core import events as ev
from studyapp.services import eventlog
from studyapp.services.collection import Collection

if TYPE_CHECKING:
    from studyapp.services.eventsync import SyncReport


def flush_pending(coll: Collection, session: Session) -> None:
    rows = session.execute(
        text("SELECT event_id, device, body FROM events WHERE pending = 1 ORDER BY device, counter")
    ).all()
    by_device: dict[str, list[str]] = {}
    for _eid, device, body in rows:
        by_device.setdefault(device, []).append(body)
    for device, bodies in by_device.items():
        try:
            eventlog.append_lines(coll, device, "".join(b + "\n" for b in bodies).encode("utf-8"))
        except OSError:
            continue
        session.execute(text("UPDATE events SET pending = 0 WHERE device = :d"), {"d": device})


def last_counter(path: str) -> int:
    """The counter of a log file's last complete line (0 for none)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 65536))
            tail = handle.read()
    except OSError:
        return 0
    for line in reversed(tail[: tail.rfind(b"\n") + 1].splitlines()):
        try:
            return int(ev.decode(line)["n"])
        except ev.EventFormatError:
            continue
    return 0


def heal_own(coll: Collection, session: Session, own: str) -> None:
    """Re-append this device's lines that a power cut took before their fsync."""
    path = eventlog.log_dir(coll) / f"{own}.jsonl"
    last = last_counter(str(path))
    rows = session.execute(
        text(
            "SELECT body FROM events WHERE device = :d AND counter > :n AND pending = 0 "
            "ORDER BY counter"
        ),
        {"d": own, "n": last},
    ).all()
    if rows:
        try:
            eventlog.append_lines(coll, own, "".join(r[0] + "\n" for r in rows).encode("utf-8"))
        except OSError:
            session.execute(
                text("UPDATE events SET pending = 1 WHERE device = :d AND counter > :n"),
                {"d": own, "n": last},
            )


def read_files(
    coll: Collection, session: Session, report: SyncReport, *, from_start: bool
) -> list[tuple[dict[str, Any], bytes]]:
    """Events (with their raw lines) past each file's stored offset; offsets advanced."""
    folder = eventlog.log_dir(coll)
    if not folder.is_dir():
        return []
    offsets = {
        name: int(off)
        for name, off in session.execute(text('SELECT name, "offset" FROM event_files'))
    }
    out: list[tuple[dict[str, Any], bytes]] = []
    for path in sorted(folder.glob("*.jsonl")):
        name = path.name
        try:
            size = path.stat().st_size
            start = 0 if from_start else offsets.get(name, 0)
            if start > size:
                start = 0  # the file was replaced (a sync tool's copy): read it all again
            if start == size:
                continue
            with open(path, "rb") as handle:
                handle.seek(start)
                data = handle.read()
        except OSError as exc:
            report.problems.append(f"{LOG_REL}/{name}: cannot read ({exc.strerror})")
            continue
        pairs, errors, used = ev.parse_lines_raw(data)
        report.problems.extend(f"{LOG_REL}/{name}: {e}" for e in errors)
        report.events_read += len(pairs)
        out.extend(pairs)
        session.execute(
            text(
                'INSERT INTO event_files (name, "offset") VALUES (:n, :o) '
                'ON CONFLICT(name) DO UPDATE SET "offset" = :o'
            ),
            {"n": name, "o": start + used},
        )
    return out


def read_new(
    coll: Collection, session: Session, report: SyncReport, tail_notes: set[str] | None = None
) -> list[dict[str, Any]]:
    """Events in the log files the database has not indexed yet (indexed on return).

    ``tail_notes`` collects the notes named by every event read (seen or not).
    """
    pairs = read_files(coll, session, report, from_start=False)
    if tail_notes is not None:
        tail_notes.update(e["note"] for e, _line in pairs if e.get("note"))
    raw_of = {e["id"]: line for e, line in pairs}  # a file copied twice: each event once
    known: set[str] = set()
    ids = list(raw_of)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        known.update(
            r[0]
            for r in session.connection().exec_driver_sql(
                f"SELECT event_id FROM events WHERE event_id IN ({marks})", tuple(chunk)
            )
        )
    fresh = list({e["id"]: e for e, _line in pairs if e["id"] not in known}.values())
    by_id = {e["id"]: e for e in fresh}
    scoped: list[tuple[dict[str, Any], tuple[str | None, str | None, str | None], int | None, bool]]
    scoped = [(e, scope(session, e, by_id), None, False) for e in fresh]
    eventlog._insert_events(session, scoped, line_of=raw_of)
    return fresh


LOG_REL = eventlog.LOG_DIR


def scope(
    session: Session, event: dict[str, Any], by_id: dict[str, dict[str, Any]] | None = None
) -> tuple[str | None, str | None, str | None]:
    if event["type"] == ev.UNDO:
        target = (by_id or {}).get(str(event.get("target")))
        if target is not None:
            return eventlog.scope_of(target)
        row = session.execute(
            text("SELECT note_path, kind, anchor FROM events WHERE event_id = :t"),
            {"t": event.get("target")},
        ).first()
        if row is not None:
            return row[0], row[1], row[2]
    return eventlog.scope_of(event)


# --- replaying into the database -------------------------------------------------------------


def keep_counter_ahead(session: Session, own: str, events: list[dict[str, Any]]) -> None:
    """A line of ours the database never committed (a crash after the append) keeps its id."""
    ours = [int(e["n"]) for e in events if e["dev"] == own]
    if ours:
        session.execute(
            text("UPDATE local_device SET counter = max(counter, :n) WHERE id = 1"),
            {"n": max(ours)},
        )
