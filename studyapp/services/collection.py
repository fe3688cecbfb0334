"""A collection: one notes folder, one database, one clock.

Everything above the core goes through a :class:`Collection`, which owns the engine,
the writer lock and the clock.  The clock is injected (``clock`` returns an aware
UTC ``datetime``) so tests and ``--today`` can pin the study day; nothing below
reads the system time directly.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

from sqlalchemy import Engine, PoolProxiedConnection
from sqlalchemy.orm import Session, sessionmaker

from studyapp.core.studyday import study_day
from studyapp.db.engine import (
    DatabaseError,
    ensure_durable,
    lowered_sync,
    open_engine,
    translate_error,
)
from studyapp.services.checkpoint import Checkpointer
from studyapp.services.lock import WriterLock
from studyapp.services.settings import Settings

Clock = Callable[[], datetime]
#: A deferred bookkeeping write (see :meth:`Collection.defer`), run on a driver connection.
Bookkeeping = Callable[[sqlite3.Connection], None]


@contextmanager
def _migration_lock(db_path: Path) -> Iterator[None]:
    """Hold the writer lock while the schema is migrated (raises :class:`CollectionLocked`).

    Released afterwards: a reader that happened to migrate must not keep writers out,
    and a writer takes the lock again in :meth:`Collection.acquire_writer`.
    """
    if str(db_path) == ":memory:":
        yield
        return
    lock = WriterLock(db_path)
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


#: Test-only: shifts the system clock by this many days, so the suite can be run "a year
#: from now" to prove no test depends on the real date.  Read here and nowhere else.
CLOCK_OFFSET_ENV = "STUDYAPP_TEST_CLOCK_OFFSET_DAYS"


def system_clock() -> datetime:
    """The real time (aware, UTC); the only place studyapp reads the wall clock for dates."""
    offset = os.environ.get(CLOCK_OFFSET_ENV)
    now = datetime.now(UTC)
    return now + timedelta(days=float(offset)) if offset else now


class Collection:
    def __init__(
        self,
        engine: Engine,
        db_path: Path,
        notes_dir: Path,
        *,
        today_override: date | None = None,
        clock: Clock = system_clock,
        tz: tzinfo | None = None,
    ) -> None:
        self.engine = engine
        self.db_path = db_path
        self.notes_dir = notes_dir
        self.today_override = today_override
        self.clock = clock
        self.tz = tz
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock: WriterLock | None = None
        self._settings: Settings | None = None
        self._db_identity: tuple[int, int] | None = None
        #: True when this open created the database file (see ``eventsync.merge``).
        self.created = False
        self._notes_root: str | None = None
        self._notes_root_id: tuple[int, int] | None = None
        #: Bookkeeping writes owed to the database (a write-back's "done" mark); see
        #: :meth:`defer`.  Guarded by ``_owed_lock`` (the TUI reads from worker threads).
        self._owed: list[Bookkeeping] = []
        self._owed_lock = threading.Lock()
        #: The driver connection the hot path's transactions run on, checked out of the
        #: pool once (see :meth:`_driver_transaction`); ``_hot_lock`` marks it in use.
        self._hot: PoolProxiedConnection | None = None
        self._hot_lock = threading.Lock()
        #: In memory, the pool gives each thread its own database: no held connection.
        self._hot_usable = str(db_path) != ":memory:"
        if str(db_path) != ":memory:" and db_path.exists():
            st = os.stat(db_path)
            self._db_identity = (st.st_dev, st.st_ino)
        #: WAL checkpoints off the answer path (see :meth:`answered`); none in memory.
        self.checkpointer: Checkpointer | None = (
            None if str(db_path) == ":memory:" else Checkpointer(db_path)
        )

    @classmethod
    def open(
        cls,
        db_path: Path | str,
        notes_dir: Path | str,
        *,
        today_override: date | None = None,
        clock: Clock = system_clock,
        tz: tzinfo | None = None,
    ) -> Collection:
        db = Path(db_path)
        existed = str(db) == ":memory:" or db.exists()
        coll = cls(
            open_engine(db, migration_lock=lambda: _migration_lock(db)),
            db,
            Path(notes_dir),
            today_override=today_override,
            clock=clock,
            tz=tz,
        )
        coll.created = not existed  # a new (or deleted) database: rebuilt from the event log
        return coll

    # -- plumbing ---------------------------------------------------------------
    def notes_root(self) -> str:
        """The notes folder with symlinks resolved, once per collection (every write-back
        checks its note against it).  If the folder's own link is retargeted meanwhile,
        notes resolve outside the remembered root and are refused, never misplaced."""
        if self._notes_root is None:
            root = os.path.realpath(self.notes_dir)
            try:
                st = os.stat(root)
                self._notes_root_id = (st.st_dev, st.st_ino)
            except OSError:
                self._notes_root_id = None
            self._notes_root = root
        return self._notes_root

    def notes_root_identity(self) -> tuple[int, int] | None:
        """``(st_dev, st_ino)`` of :meth:`notes_root` when it was resolved (``None`` if it
        could not be stat-ed): a folder that still has it is still that folder."""
        self.notes_root()
        return self._notes_root_id

    def session(self) -> Session:
        """A new ORM session; refuses to run on a database file deleted or replaced since open.

        Pooled connections keep the old file open, so without this check answers would be
        "saved" into a deleted database and lost.  One ``stat`` costs microseconds.
        """
        self._check_identity()
        if self._owed:
            self.flush_owed(quiet=True)
        return self._sessions()

    # -- deferred bookkeeping (issue 13) ----------------------------------------------
    def defer(self, write: Bookkeeping) -> None:
        """Owe the database ``write``: it runs first in the next answer's transaction
        (``transaction(fold=True)``), or on its own before any other session or at close.

        Only for writes a crash may lose because start-up redoes them: a write-back's
        "done" mark, whose row stays ``pending`` until then and is rolled forward by
        ``writeback.finish_pending``.  Folding it into the next answer's commit saves a
        commit per answer; everything else reads the database through :meth:`session`,
        which runs the owed writes first, so no reader sees the row still pending.
        """
        with self._owed_lock:
            self._owed.append(write)

    def _take_owed(self) -> list[Bookkeeping]:
        with self._owed_lock:
            owed, self._owed = self._owed, []
        return owed

    def _give_back_owed(self, owed: list[Bookkeeping]) -> None:
        with self._owed_lock:
            self._owed[:0] = owed

    def flush_owed(self, *, quiet: bool = False) -> None:
        """Commit the owed bookkeeping now, in one transaction of its own.

        That commit runs with ``synchronous = NORMAL``: losing it to a power cut leaves
        the rows ``pending`` and start-up redoes them, so the fsync the answer's own
        commit paid is not paid twice.  ``quiet``: a database error (locked by another
        program) keeps them owed instead of failing the caller's unrelated read.
        """
        if not self._owed:
            return
        owed = self._take_owed()
        try:
            with self._driver_transaction() as conn:
                # Before the first write; the engine sets FULL again on the connection's
                # next checkout (``db.engine._durable``).
                lowered_sync.add(id(conn))
                conn.execute("PRAGMA synchronous = NORMAL")
                for write in owed:
                    write(conn)
        except (DatabaseError, sqlite3.Error):
            self._give_back_owed(owed)
            if not quiet:
                raise

    @contextmanager
    def transaction(self, *, fold: bool = False) -> Iterator[sqlite3.Connection]:
        """The driver connection in a transaction (committed on exit), same file check.

        For the few statements of the review hot path: an ORM session's set-up and
        SQLAlchemy's per-statement result handling cost more than SQLite's own work
        (~0.5 ms per answer).  SQLite errors users can act on become the same one-line
        :class:`DatabaseError` as everywhere else.  ``fold``: the owed bookkeeping
        (:meth:`defer`) runs first in this transaction and commits with it; if the
        transaction fails it stays owed.
        """
        owed = self._take_owed() if fold and self._owed else []
        try:
            with self._driver_transaction() as conn:
                for write in owed:
                    write(conn)
                yield conn
        except BaseException:
            if owed:
                self._give_back_owed(owed)
            raise

    @contextmanager
    def _driver_transaction(self) -> Iterator[sqlite3.Connection]:
        """A driver connection in a transaction: the held one when free, else a pooled one.

        The review hot path runs two of these per answer (the answer, the next card);
        a pool checkout with SQLAlchemy's connection and transaction objects around it
        cost ~15-35 us each, so the collection keeps one driver connection checked out
        for them (``_hot``).  A nested call, or another thread's while it is in use,
        takes the pooled path, as every call did before.
        """
        self._check_identity()
        try:
            if self._hot_usable and self._hot_lock.acquire(blocking=False):
                try:
                    with self._hot_transaction() as raw:
                        yield raw
                finally:
                    self._hot_lock.release()
            else:
                with self.engine.begin() as conn:
                    pooled = conn.connection.driver_connection
                    assert pooled is not None
                    yield pooled
        except sqlite3.OperationalError as exc:
            error = translate_error(str(self.db_path), exc)
            if error is None:
                raise
            raise error from exc

    @contextmanager
    def _hot_transaction(self) -> Iterator[sqlite3.Connection]:
        """The held connection's transaction (the caller holds ``_hot_lock``).

        What ``engine.begin()`` does for the driver connection, without it: the driver
        begins on the first write, commit on success, rollback on any error.  It starts
        at ``synchronous = FULL`` like any checkout (:func:`ensure_durable`: the owed
        bookkeeping may have lowered it).  A connection whose rollback fails is dropped,
        and the next transaction checks out a fresh one.
        """
        if self._hot is None:
            self._hot = self.engine.raw_connection()
        raw = self._hot.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        ensure_durable(raw)
        try:
            yield raw
            raw.commit()
        except BaseException:
            try:
                raw.rollback()
            except Exception:
                self._drop_hot()  # the caller's error is the one that propagates
            raise

    def _drop_hot(self) -> None:
        """Discard the held connection (its state is unknown); a new one is checked out next."""
        hot, self._hot = self._hot, None
        if hot is not None:
            with contextlib.suppress(Exception):
                hot.invalidate()

    def _check_identity(self) -> None:
        if self._db_identity is not None:
            try:
                st = os.stat(self.db_path)
                identity: tuple[int, int] | None = (st.st_dev, st.st_ino)
            except FileNotFoundError:
                identity = None
            if identity != self._db_identity:
                raise DatabaseError(
                    f"{self.db_path}: the database file was deleted or replaced while studyapp "
                    "was running; restart studyapp (schedules are restored from your notes)"
                )

    def acquire_writer(self) -> None:
        """Take the single-writer lock (raises :class:`CollectionLocked`)."""
        if self._lock is None:
            lock = WriterLock(self.db_path)
            lock.acquire()
            self._lock = lock

    @property
    def is_writer(self) -> bool:
        return self._lock is not None

    def answered(self) -> None:
        """An answer was committed: the checkpoint thread copies the WAL back now and then,
        so the automatic checkpoint (~9 ms) never lands in an answer."""
        if self.checkpointer is not None:
            self.checkpointer.poke()

    def close(self) -> None:
        self.flush_owed(quiet=True)  # if that fails, start-up rolls the rows forward
        with self._hot_lock:
            self._hot_usable = False  # a late caller takes a pooled connection, as before
            hot, self._hot = self._hot, None
            if hot is not None:
                hot.close()  # back to the pool, which the dispose below closes
        if self.checkpointer is not None:
            self.checkpointer.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        self.engine.dispose()

    # -- settings and time ----------------------------------------------------------
    @property
    def settings(self) -> Settings:
        if self._settings is None:
            with self.session() as session:
                self._settings = Settings.load(session)
        return self._settings

    def save_settings(self, settings: Settings) -> None:
        old = self.settings
        with self.session() as session, session.begin():
            settings.save(session)
            # -- event log (issue 15): scheduling settings follow the notes folder's log --
            from studyapp.services import eventlog

            eventlog.log_settings(self, session, old, settings)
            # -- end event log --
        self._settings = settings

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """The study day: ``--today`` if given, else local date minus the rollover hour."""
        if self.today_override is not None:
            return self.today_override
        return study_day(self.now(), self.tz, self.settings.rollover_hour)
