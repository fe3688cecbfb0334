"""Writing a replay into the database, and the notes' schedule lines after it.

The scope of a merge (the notes its new events touch) is loaded with each card's
current state and each note's cards in id order (mastery's inputs); the replay's
result updates cards, notes and the review log in place (never deleting a row in a
merge), and the notes whose lines changed are owed (``notes_owed``) in the same
transaction and written by :func:`write_notes` afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from studyapp.core import events as ev
from studyapp.core.srs import SrsState
from studyapp.services import eventlog, writeback
from studyapp.services.collection import Collection

if TYPE_CHECKING:
    from studyapp.services.eventsync import SyncReport


def load_scope(
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
    if skip_events and paths is None:
        raise ValueError("skip_events needs the paths")
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
    assert paths is not None  # set above when it was None
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


class _IsoDays(dict[date | None, str | None]):
    """``_iso`` memoised: a log's 100,000 rows carry six dates each over a few hundred days."""

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, day: date | None) -> str | None:
        text_ = self[day] = _iso(day)
        return text_


class _Encoded:
    """``writeback.encode_values`` memoised (most rows repeat a mastery level or values).

    Keyed on ``repr`` of the mastery level, not the float: ``1 == 1.0`` and
    ``0.0 == -0.0``, but JSON writes them apart.
    """

    def __init__(self) -> None:
        self._memo: dict[tuple[Any, ...], str] = {}

    def values(self, v: ev.NoteValues) -> str:
        key = (v.last_reviewed, v.next_review, v.review_count, repr(v.mastery_level))
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = writeback.encode_values(v.to_dict())
        return found

    def mastery(self, level: float | None) -> str:
        key = (repr(level),)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = writeback.encode_values({"mastery_level": level})
        return found


def apply(
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
        # the database first (it is the truth once this commits), the file after (write_notes)
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
    iso = _IsoDays()
    encoded = _Encoded()
    for row in result.rows:
        e = row.event
        card_id, note_id = ids[row.key]
        vb = encoded.values(row.values_before) if row.values_before else None
        va = encoded.values(row.values_after) if row.values_after else None
        if row.mastery_after is not None:  # a table/calc answer owed only mastery_level
            vb = encoded.mastery(row.mastery_before)
            va = encoded.mastery(row.mastery_after)
        before, after = row.before, row.after
        computed = (
            before.ef_milli,
            after.ef_milli,
            before.interval,
            after.interval,
            before.reps,
            after.reps,
            before.lapses,
            after.lapses,
            iso[before.due],
            iso[after.due],
            iso[before.last_review],
            iso[row.first_seen_before],
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
        adopt_settings(coll, session, result.settings)
    return owed, links


def adopt_settings(coll: Collection, session: Session, latest: dict[str, Any]) -> None:
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


def waiting_notes(session: Session) -> set[str]:
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


def note_ids_of(session: Session, paths: set[str]) -> list[int]:
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


def owe(session: Session, note_ids: Iterable[int]) -> None:
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


def write_notes(coll: Collection, report: SyncReport) -> None:
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
