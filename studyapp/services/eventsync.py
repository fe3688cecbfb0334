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

import contextlib
import gc
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from studyapp.core import events as ev
from studyapp.db.models import ImportProblem
from studyapp.services import eventapply, eventfiles, eventlog
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


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a replay builds its objects.

    A rebuild holds a few hundred thousand live containers (each event's dict and its
    ``before`` snapshot, the replay's rows, the insert tuples), none of them garbage;
    the collector's full passes walked all of them again and again: measured 2.4 s of
    a 7 s rebuild of 100,000 answers.  Reference counting still frees everything; the
    collector runs again (if it was on) as soon as the replay is written.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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
    with _gc_paused(), coll.session() as session, session.begin():
        own, created = eventlog.ensure_device(session)
        if created:
            eventlog.backfill(coll, session)
        eventfiles.heal_own(coll, session, own)
        eventfiles.flush_pending(coll, session)
        tail_notes: set[str] = set()
        fresh = eventfiles.read_new(coll, session, report, tail_notes)
        eventfiles.keep_counter_ahead(session, own, fresh)
        waiting = eventapply.waiting_notes(session)
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
            owed = eventapply.note_ids_of(session, tail_notes)
        eventapply.owe(session, owed)
    if fresh or waiting:
        _refresh_fsrs(coll)
    eventapply.write_notes(coll, report)
    return report


def _refresh_fsrs(coll: Collection) -> None:
    """Under FSRS, recompute the memory states from the (now merged) review log.

    The replay schedules with SM-2 (``core.events`` mirrors the default path); FSRS
    state is derived from the log anyway (``services.scheduler.reschedule_all``), so
    converting after a merge or rebuild gives the same states a live FSRS review would.
    """
    from studyapp.services.scheduler import active_scheduler, reschedule_all

    scheduler = active_scheduler(coll)
    if scheduler.name == "fsrs":
        reschedule_all(coll, scheduler)


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
        note_path, kind, _anchor = eventfiles.scope(session, e)
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
    events, starts, notes, ids, note_ids = eventapply.load_scope(
        session, None if full else paths, calc
    )
    result = ev.replay(ev.follow_moves(events), starts, notes)
    report.unresolved = len(result.unresolved)  # kept as seen; replayed when the note arrives
    owed, _links = eventapply.apply(coll, session, result, ids, note_ids, full=full)
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


def rebuild(coll: Collection, *, timings: dict[str, float] | None = None) -> SyncReport:
    """Drop the scheduling state the log knows and replay every device's log.

    ``timings`` (the benchmark's) receives the seconds spent in each phase.
    """
    lap = _Laps(timings)
    report = SyncReport(rebuilt=True)
    if not eventlog.enabled(coll):
        raise RebuildError(
            "the event log is off (config log_in_notes false): nothing to rebuild from"
        )
    with _gc_paused():
        # in a function of its own: its 100k events and rows are freed on return, before
        # the collector runs again (it would walk them all once more: 0.25 s at 100k)
        _rebuild_transaction(coll, report, lap)
    lap("commit")
    _refresh_fsrs(coll)
    eventapply.write_notes(coll, report)
    lap("notes_files")
    return report


def _rebuild_transaction(coll: Collection, report: SyncReport, lap: _Laps) -> None:
    with coll.session() as session, session.begin(), _bulk_pragmas(session):
        _own, _created = eventlog.ensure_device(session)
        eventlog.backfill(coll, session)  # rows the log lacks would otherwise be lost
        eventfiles.flush_pending(coll, session)
        lap("prepare")
        # every event: the files' (decoded once) and those only the database has
        # (not appended yet); the events table is then written once, with log ids
        pairs = eventfiles.read_files(coll, session, report, from_start=True)
        lap("read_decode")
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
        eventfiles.keep_counter_ahead(session, _own, list(parsed.values()))
        session.connection().exec_driver_sql("DELETE FROM events")
        renamed = {e["id"]: e for e in ev.follow_moves(list(parsed.values()))}
        paths = {e["note"] for e in renamed.values() if e.get("note") is not None}
        _events, starts, notes, ids, note_ids = eventapply.load_scope(
            session, paths, True, skip_events=True
        )
        events = list(renamed.values())
        lap("load_scope")
        result = ev.replay(events, starts, notes)
        lap("replay")
        report.unresolved = len(result.unresolved)
        _refuse_losing_rows(result)
        devices = {e["dev"] for e in events if e["type"] == ev.ANSWER}
        report.other_devices = devices
        report.answers_from_others = sum(1 for e in events if e["type"] == ev.ANSWER)
        owed, links = eventapply.apply(
            coll, session, result, ids, note_ids, full=True, link_events=False
        )
        eventapply.owe(session, owed)
        lap("write_cards_log")
        log_of = {eid: log_id for log_id, eid in links}
        # the rows straight from the events: the card events' scope inline (as
        # eventlog.scope_of), the others (undo, reset, move) through eventfiles.scope
        card_types = (ev.ANSWER, ev.BURY, ev.SUSPEND)
        rows: list[tuple[Any, ...]] = []
        for eid, e in parsed.items():
            r = renamed[eid]
            if r["type"] in card_types:
                scope: tuple[str | None, str | None, str | None] = (
                    r.get("note"),
                    r.get("kind"),
                    r.get("anchor"),
                )
            else:
                scope = eventfiles.scope(session, r, renamed)
            rows.append(
                (
                    eid,
                    e["dev"],
                    e["n"],
                    e["ts"],
                    e["type"],
                    *scope,
                    raw_of[eid].decode("utf-8").rstrip("\r\n"),
                    log_of.get(eid),
                    int(eid in pending),
                )
            )
        eventlog.insert_event_rows(session, rows)
        lap("write_events")


@contextlib.contextmanager
def _bulk_pragmas(session: Session) -> Iterator[None]:
    """This connection only, for the rebuild: a big page cache.

    100k answers write ~100 MB of pages: a 256 MB cache keeps them and the index updates
    in memory until the commit (the 2 MB default thrashes).  Restored even when the
    rebuild fails: the connection goes back to the pool.

    Measured and left out: dropping review_log's and events' plain indexes for the bulk
    insert and building them after (4.27 -> 4.45 s at 100k: each build scans the wide
    rows again, events' bodies are 60 MB), and ``temp_store = MEMORY`` (no sorts left).
    """
    conn = session.connection()
    conn.exec_driver_sql("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        conn.exec_driver_sql("PRAGMA cache_size = -2000")  # SQLite's default


class _Laps:
    """Seconds per phase into ``timings`` (nothing when ``None``): the benchmark's breakdown."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, phase: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
            self.last = now
