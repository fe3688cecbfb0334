"""Merging other devices' events and rebuilding the database from the log.

At every start (and on ``import``) :func:`merge` reads the tail of each device's log
file (offsets in ``event_files``: the files are append-only), indexes the events the
database has not seen and replays the notes (and calc cards) they touch, so both
machines end with the same schedules and history.  :func:`rebuild` replays every
event of every card: a database deleted or lost is rebuilt from the notes folder.

Existing review-log rows are updated in place, never deleted by a merge; the rebuild
deletes only rows it writes again from the log (and backfills unlogged rows into the
log first).  Notes whose schedule changed get their four frontmatter lines written
through :mod:`studyapp.services.writeback` (atomic, only those lines).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from studyapp.core import events as ev
from studyapp.core.srs import SrsState
from studyapp.db.models import ImportProblem
from studyapp.services import eventlog, writeback
from studyapp.services.collection import Collection


@dataclass
class SyncReport:
    answers_from_others: int = 0
    other_devices: set[str] = field(default_factory=set)
    events_read: int = 0
    unresolved: int = 0
    problems: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    rebuilt: bool = False

    def line(self) -> str | None:
        """The one line the dashboard and the CLI show (``None`` when nothing was merged)."""
        if self.rebuilt:
            n = self.answers_from_others
            return (
                f"rebuilt the database from the notes folder's log: {n} "
                f"answer{'s' if n != 1 else ''} from {_devices(len(self.other_devices))}"
            )
        if not self.answers_from_others:
            return None
        n, k = self.answers_from_others, len(self.other_devices)
        return f"merged {n} answer{'s' if n != 1 else ''} from {k} other {_devices(k, bare=True)}"


def _devices(k: int, *, bare: bool = False) -> str:
    word = "device" if k == 1 else "devices"
    return word if bare else f"{k} {word}"


# --- reading the files ---------------------------------------------------------------------


def _flush_pending(coll: Collection, session: Session) -> None:
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


def _last_counter(path: str) -> int:
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


def _heal_own(coll: Collection, session: Session, own: str) -> None:
    """Re-append this device's lines that a power cut took before their fsync."""
    path = eventlog.log_dir(coll) / f"{own}.jsonl"
    last = _last_counter(str(path))
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


def _read_files(
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


def _read_new(
    coll: Collection, session: Session, report: SyncReport, tail_notes: set[str] | None = None
) -> list[dict[str, Any]]:
    """Events in the log files the database has not indexed yet (indexed on return).

    ``tail_notes`` collects the notes named by every event read (seen or not).
    """
    pairs = _read_files(coll, session, report, from_start=False)
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
    scoped = [(e, _scope(session, e, by_id), None, False) for e in fresh]
    eventlog._insert_events(session, scoped, line_of=raw_of)
    return fresh


LOG_REL = eventlog.LOG_DIR


def _scope(
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


def _load_scope(
    session: Session,
    paths: set[str] | None,
    calc: bool,
    parsed: dict[str, dict[str, Any]] | None = None,
    *,
    skip_events: bool = False,
) -> tuple[
    list[dict[str, Any]],
    dict[ev.CardKey, ev.CardStart],
    dict[str, tuple[ev.NoteValues, list[tuple[ev.CardKey, str]]]],
    dict[ev.CardKey, tuple[int, int | None]],
    dict[str, int],
]:
    """Events, card starts, notes and ids for the notes in ``paths`` (all when ``None``)."""
    conn = session.connection()
    decoded: list[dict[str, Any]] = []
    bodies: list[str] = []
    if skip_events:
        pass  # the caller has them
    elif paths is None:
        known = parsed or {}
        bodies = []
        for eid, body in conn.exec_driver_sql("SELECT event_id, body FROM events"):
            event = known.get(eid)
            if event is None:
                bodies.append(body)
            else:
                decoded.append(event)
        paths = {
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT DISTINCT note_path FROM events WHERE note_path IS NOT NULL"
            )
        }
        calc = True
    else:
        bodies = []
        plist = sorted(paths)
        for i in range(0, len(plist), 500):
            chunk = plist[i : i + 500]
            marks = ",".join("?" * len(chunk))
            bodies.extend(
                r[0]
                for r in conn.exec_driver_sql(
                    f"SELECT body FROM events WHERE note_path IN ({marks})", tuple(chunk)
                )
            )
        if calc:
            bodies.extend(
                r[0]
                for r in conn.exec_driver_sql(
                    "SELECT body FROM events WHERE note_path IS NULL AND kind IS NOT NULL"
                )
            )
        bodies.extend(
            r[0] for r in conn.exec_driver_sql("SELECT body FROM events WHERE type = 'setting'")
        )
    events = decoded + [json.loads(b) for b in bodies]
    starts: dict[ev.CardKey, ev.CardStart] = {}
    ids: dict[ev.CardKey, tuple[int, int | None]] = {}
    notes: dict[str, tuple[ev.NoteValues, list[tuple[ev.CardKey, str]]]] = {}
    note_ids: dict[str, int] = {}
    card_sql = (
        "SELECT cards.id, cards.note_id, notes.path, cards.kind, cards.anchor, cards.ef_milli, "
        "cards.interval, cards.reps, cards.lapses, cards.due, cards.last_review, "
        "cards.first_seen, cards.suspended, cards.buried_until, cards.retired FROM cards "
        "LEFT JOIN notes ON notes.id = cards.note_id "
    )
    rows: list[Any] = []
    plist = sorted(paths)
    for i in range(0, len(plist), 500):
        chunk = plist[i : i + 500]
        marks = ",".join("?" * len(chunk))
        rows.extend(
            conn.exec_driver_sql(
                card_sql + f"WHERE notes.path IN ({marks}) ORDER BY cards.id", tuple(chunk)
            )
        )
    if calc:
        rows.extend(conn.exec_driver_sql(card_sql + "WHERE cards.note_id IS NULL"))
    members: dict[str, list[tuple[ev.CardKey, str]]] = {}
    for r in rows:
        key: ev.CardKey = (r[2], r[3], r[4])
        ids[key] = (int(r[0]), r[1])
        starts[key] = ev.CardStart(
            state=SrsState(
                ef_milli=r[5],
                interval=r[6],
                reps=r[7],
                lapses=r[8],
                due=_day(r[9]),
                last_review=_day(r[10]),
            ),
            first_seen=_day(r[11]),
            suspended=bool(r[12]),
            buried_until=_day(r[13]),
        )
        if r[2] is not None and not r[14]:
            members.setdefault(r[2], []).append((key, r[3]))
    for i in range(0, len(plist), 500):
        chunk = plist[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for nid, path, lr, nr, rc, ml in conn.exec_driver_sql(
            "SELECT id, path, last_reviewed, next_review, review_count, mastery_level FROM notes "
            f"WHERE path IN ({marks})",
            tuple(chunk),
        ):
            note_ids[path] = int(nid)
            notes[path] = (
                ev.NoteValues(_day(lr), _day(nr), int(rc), float(ml)),
                members.get(path, []),
            )
    return events, starts, notes, ids, note_ids


def _day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _apply(
    coll: Collection,
    session: Session,
    result: ev.ReplayResult,
    ids: dict[ev.CardKey, tuple[int, int | None]],
    note_ids: dict[str, int],
    *,
    full: bool,
    link_events: bool = True,
) -> tuple[list[int], list[tuple[int, str]]]:
    """Write the replay into the session.

    Returns the notes whose frontmatter lines are owed and ``(log id, event id)`` of the rows
    inserted (already stored in ``events`` unless ``link_events`` is false).
    """
    conn = session.connection()
    card_rows = [
        (
            c.state.ef_milli,
            c.state.interval,
            c.state.reps,
            c.state.lapses,
            _iso(c.state.due),
            _iso(c.state.last_review),
            _iso(c.first_seen),
            int(c.suspended),
            _iso(c.buried_until),
            ids[key][0],
        )
        for key, c in result.cards.items()
    ]
    if card_rows:
        conn.exec_driver_sql(
            "UPDATE cards SET ef_milli = ?, interval = ?, reps = ?, lapses = ?, due = ?, "
            "last_review = ?, first_seen = ?, suspended = ?, buried_until = ? WHERE id = ?",
            card_rows,
        )
    owed: list[int] = []
    for path, values in result.notes.items():
        note_id = note_ids.get(path)
        if note_id is None:
            continue
        # the database first (it is the truth once this commits), the file after (_write_notes)
        conn.exec_driver_sql(
            "UPDATE notes SET last_reviewed = ?, next_review = ?, review_count = ?, "
            "mastery_level = ? WHERE id = ?",
            (
                _iso(values.last_reviewed),
                _iso(values.next_review),
                values.review_count,
                values.mastery_level,
                note_id,
            ),
        )
        owed.append(note_id)
    existing: dict[str, int] = {}
    if full:
        conn.exec_driver_sql("DELETE FROM review_log")
        conn.exec_driver_sql("UPDATE events SET log_id = NULL")
    else:
        wanted = [str(r.event["id"]) for r in result.rows]
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            existing.update(
                (eid, int(lid))
                for eid, lid in conn.exec_driver_sql(
                    f"SELECT event_id, log_id FROM events WHERE log_id IS NOT NULL AND event_id IN ({marks})",
                    tuple(chunk),
                )
            )
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    links: list[tuple[int, str]] = []
    next_id = 1
    if not full:
        next_id = int(
            conn.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM review_log").scalar_one()
        )
    for row in result.rows:
        e = row.event
        card_id, note_id = ids[row.key]
        vb = writeback.encode_values(row.values_before.to_dict()) if row.values_before else None
        va = writeback.encode_values(row.values_after.to_dict()) if row.values_after else None
        computed = (
            row.before.ef_milli,
            row.after.ef_milli,
            row.before.interval,
            row.after.interval,
            row.before.reps,
            row.after.reps,
            row.before.lapses,
            row.after.lapses,
            _iso(row.before.due),
            _iso(row.after.due),
            _iso(row.before.last_review),
            _iso(row.first_seen_before),
            vb,
            va,
            int(row.undone),
        )
        log_id = existing.get(str(e["id"]))
        if log_id is not None:
            updates.append((*computed, log_id))
            continue
        status = "none"
        if va is not None:
            status = "undone" if row.undone else "done"
        inserts.append(
            (
                next_id,
                card_id,
                note_id,
                e.get("session") or "",
                e["ts"].replace("T", " "),  # decode() checked: microseconds, as SQLAlchemy
                e["day"],
                int(e["grade"]),
                row.key[1],
                int(bool(e.get("cram"))),
                int(row.rescheduled),
                int(e.get("dur") or 0),
                e.get("seed"),
                e.get("resp"),
                None if e.get("ok") is None else int(bool(e.get("ok"))),
                *computed,
                status,
            )
        )
        links.append((next_id, str(e["id"])))
        next_id += 1
    if updates:
        conn.exec_driver_sql(
            "UPDATE review_log SET ef_before = ?, ef_after = ?, interval_before = ?, "
            "interval_after = ?, reps_before = ?, reps_after = ?, lapses_before = ?, "
            "lapses_after = ?, due_before = ?, due_after = ?, last_review_before = ?, "
            "first_seen_before = ?, note_values_before = ?, note_values_after = ?, undone = ? "
            "WHERE id = ?",
            updates,
        )
    if inserts:
        conn.exec_driver_sql(
            "INSERT INTO review_log (id, card_id, note_id, session_id, reviewed_at, study_day, "
            "grade, kind, cram, rescheduled, duration_ms, seed, response, correct, ef_before, "
            "ef_after, interval_before, interval_after, reps_before, reps_after, lapses_before, "
            "lapses_after, due_before, due_after, last_review_before, first_seen_before, "
            "note_values_before, note_values_after, undone, writeback) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            inserts,
        )
        if link_events:
            conn.exec_driver_sql("UPDATE events SET log_id = ? WHERE event_id = ?", links)
    if result.settings:
        _adopt_settings(coll, session, result.settings)
    return owed, links


def _adopt_settings(coll: Collection, session: Session, latest: dict[str, Any]) -> None:
    from dataclasses import replace

    current = coll.settings
    changes = {
        k: v
        for k, v in latest.items()
        if k in eventlog.SCHEDULING_SETTINGS and getattr(current, k) != v
    }
    if changes:
        updated = replace(current, **changes)
        updated.save(session)
        coll._settings = updated


def _waiting_notes(session: Session) -> set[str]:
    """Notes with logged answers that never became review-log rows, now imported.

    A sync tool may deliver another device's log before the note it names; those
    answers are seen but unresolved until the note arrives, then replayed.
    """
    return {
        r[0]
        for r in session.connection().exec_driver_sql(
            "SELECT DISTINCT note_path FROM events WHERE type = 'answer' AND log_id IS NULL "
            "AND note_path IN (SELECT path FROM notes WHERE missing = 0)"
        )
    }


def _keep_counter_ahead(session: Session, own: str, events: list[dict[str, Any]]) -> None:
    """A line of ours the database never committed (a crash after the append) keeps its id."""
    ours = [int(e["n"]) for e in events if e["dev"] == own]
    if ours:
        session.execute(
            text("UPDATE local_device SET counter = max(counter, :n) WHERE id = 1"),
            {"n": max(ours)},
        )


def _note_ids(session: Session, paths: set[str]) -> list[int]:
    ids: list[int] = []
    plist = sorted(paths)
    for i in range(0, len(plist), 500):
        chunk = plist[i : i + 500]
        marks = ",".join("?" * len(chunk))
        ids.extend(
            int(r[0])
            for r in session.connection().exec_driver_sql(
                f"SELECT id FROM notes WHERE missing = 0 AND path IN ({marks})", tuple(chunk)
            )
        )
    return ids


def _owe(session: Session, note_ids: Iterable[int]) -> None:
    """Remember, in the merge's own transaction, the lines each note must get."""
    ids = sorted(set(note_ids))
    for k in range(0, len(ids), 500):
        chunk = ids[k : k + 500]
        marks = ",".join("?" * len(chunk))
        rows = [
            (
                int(nid),
                writeback.encode_values(
                    ev.NoteValues(_day(lr), _day(nr), int(rc), float(ml)).to_dict()
                ),
            )
            for nid, lr, nr, rc, ml in session.connection().exec_driver_sql(
                "SELECT id, last_reviewed, next_review, review_count, mastery_level FROM notes "
                f"WHERE id IN ({marks})",
                tuple(chunk),
            )
        ]
        if rows:
            session.connection().exec_driver_sql(
                "INSERT OR REPLACE INTO notes_owed (note_id, values_json) VALUES (?, ?)", rows
            )


def _write_notes(coll: Collection, report: SyncReport) -> None:
    """Write every owed note's four schedule lines from the database, then forget it.

    Runs after the merge committed; a crash or a fault (read-only note, disk full)
    leaves the rows, and the next start writes them.
    """
    with coll.session() as session:
        owed = [
            (int(nid), writeback.decode_values(values))
            for nid, values in session.connection().exec_driver_sql(
                "SELECT notes.id, notes_owed.values_json FROM notes_owed "
                "JOIN notes ON notes.id = notes_owed.note_id WHERE notes.missing = 0"
            )
        ]
    for note_id, values in owed:
        try:
            writeback.write_values(coll, note_id, values)
        except Exception as exc:
            report.messages.append(f"note {note_id} not written ({exc}); written at the next start")
            continue
        with coll.session() as session, session.begin():
            session.execute(text("DELETE FROM notes_owed WHERE note_id = :n"), {"n": note_id})


def _list_conflict_copies(coll: Collection, report: SyncReport) -> None:
    """Syncthing conflict copies become import problems (the import skips them)."""
    from studyapp.services.conflicts import find_conflict_copies

    if not coll.notes_dir.is_dir():
        return
    copies = find_conflict_copies(coll.notes_dir)
    if not copies:
        return
    now = coll.now().replace(tzinfo=None)
    with coll.session() as session, session.begin():
        for copy in copies:
            severity = "warning" if copy.resolvable else "error"
            text_ = copy.problem() + (
                "; studyapp git conflicts removes it" if copy.resolvable else ""
            )
            session.add(
                ImportProblem(path=copy.rel_path, error=text_, severity=severity, seen_at=now)
            )
            report.problems.append(f"{copy.rel_path}: {text_}")


# --- entry points ------------------------------------------------------------------------------


def merge(coll: Collection) -> SyncReport:
    """Index unseen events of every device's file and replay what they touch.

    One transaction: events are marked seen together with the replay they caused, so a
    crash half-way leaves them unseen and the next start does it again.
    """
    report = SyncReport()
    _list_conflict_copies(coll, report)
    if not eventlog.enabled(coll):
        return report
    with coll.session() as session, session.begin():
        own, created = eventlog.ensure_device(session)
        if created:
            eventlog.backfill(coll, session)
        _heal_own(coll, session, own)
        _flush_pending(coll, session)
        tail_notes: set[str] = set()
        fresh = _read_new(coll, session, report, tail_notes)
        _keep_counter_ahead(session, own, fresh)
        waiting = _waiting_notes(session)
        if fresh or waiting:
            owed = _replay_fresh(
                coll,
                session,
                fresh,
                own,
                full=created and coll.created,
                report=report,
                extra_paths=waiting,
            )
        else:
            # only this device's own answers since the last start: table and calc answers
            # move mastery_level in the database alone; bring the notes' lines in line
            owed = _note_ids(session, tail_notes)
        _owe(session, owed)
    _write_notes(coll, report)
    return report


def _replay_fresh(
    coll: Collection,
    session: Session,
    fresh: list[dict[str, Any]],
    own: str,
    *,
    full: bool,
    report: SyncReport,
    extra_paths: set[str] | None = None,
) -> list[int]:
    for e in fresh:
        if e["type"] == ev.ANSWER and e["dev"] != own:
            report.answers_from_others += 1
            report.other_devices.add(e["dev"])
    paths: set[str] = set(extra_paths or ())
    calc = False
    for e in fresh:
        note_path, kind, _anchor = _scope(session, e)
        if note_path is not None:
            paths.add(note_path)
        elif kind is not None:
            calc = True
    for e in fresh:  # another device's rename: its earlier events follow the note
        if e["type"] == ev.MOVE:
            session.execute(
                text("UPDATE events SET note_path = :new WHERE note_path = :old"),
                {"new": e["to"], "old": e["from"]},
            )
            paths.discard(str(e["from"]))
    events, starts, notes, ids, note_ids = _load_scope(session, None if full else paths, calc)
    result = ev.replay(ev.follow_moves(events), starts, notes)
    report.unresolved = len(result.unresolved)  # kept as seen; replayed when the note arrives
    owed, _links = _apply(coll, session, result, ids, note_ids, full=full)
    report.rebuilt = full and bool(result.rows)
    return owed


class RebuildError(RuntimeError):
    """The log cannot give back every review-log row: nothing is changed."""


def _refuse_losing_rows(result: ev.ReplayResult) -> None:
    lost = [e for e in result.unresolved if e["type"] == ev.ANSWER]
    if lost:
        first = lost[0]
        raise RebuildError(
            f"{len(lost)} logged answers name cards this database does not have "
            f"(first: {first.get('note') or 'calc'} {first['kind']} {first['anchor']!r}); "
            "import the notes folder first; nothing was changed"
        )


def rebuild(coll: Collection) -> SyncReport:
    """Drop the scheduling state the log knows and replay every device's log."""
    report = SyncReport(rebuilt=True)
    if not eventlog.enabled(coll):
        raise RebuildError(
            "the event log is off (config log_in_notes false): nothing to rebuild from"
        )
    with coll.session() as session, session.begin():
        # 100k answers write ~100 MB of pages: a bigger page cache for this connection
        # keeps the index updates in memory (the 2 MB default thrashes).
        session.connection().exec_driver_sql("PRAGMA cache_size = -262144")
        _own, _created = eventlog.ensure_device(session)
        eventlog.backfill(coll, session)  # rows the log lacks would otherwise be lost
        _flush_pending(coll, session)
        # every event: the files' (decoded once) and those only the database has
        # (not appended yet); the events table is then written once, with log ids
        pairs = _read_files(coll, session, report, from_start=True)
        raw_of = {e["id"]: line for e, line in pairs}
        parsed = {e["id"]: e for e, _line in pairs}
        pending: set[str] = set()
        for eid, body, is_pending in session.connection().exec_driver_sql(
            "SELECT event_id, body, pending FROM events"
        ):
            if is_pending:
                pending.add(eid)
            if eid not in parsed:
                parsed[eid] = json.loads(body)
                raw_of[eid] = body.encode("utf-8")
        _keep_counter_ahead(session, _own, list(parsed.values()))
        session.connection().exec_driver_sql("DELETE FROM events")
        renamed = {e["id"]: e for e in ev.follow_moves(list(parsed.values()))}
        paths = {e["note"] for e in renamed.values() if e.get("note") is not None}
        _events, starts, notes, ids, note_ids = _load_scope(session, paths, True, skip_events=True)
        events = list(renamed.values())
        result = ev.replay(events, starts, notes)
        report.unresolved = len(result.unresolved)
        _refuse_losing_rows(result)
        devices = {e["dev"] for e in events if e["type"] == ev.ANSWER}
        report.other_devices = devices
        report.answers_from_others = sum(1 for e in events if e["type"] == ev.ANSWER)
        owed, links = _apply(coll, session, result, ids, note_ids, full=True, link_events=False)
        _owe(session, owed)
        log_of = {eid: log_id for log_id, eid in links}
        eventlog._insert_events(
            session,
            [
                (e, _scope(session, renamed[eid], renamed), log_of.get(eid), eid in pending)
                for eid, e in parsed.items()
            ],
            line_of=raw_of,
        )
        session.connection().exec_driver_sql("PRAGMA cache_size = -2000")  # SQLite's default
    _write_notes(coll, report)
    return report
