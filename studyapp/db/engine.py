"""Engine factory and start-up migration.

No engine exists at import time: :func:`open_engine` builds one for a path, sets the
connection pragmas through an event listener and brings the schema to the newest
revision with Alembic, run with foreign keys OFF (a batch table copy with foreign keys
ON would cascade-delete the review history).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.pool import NullPool, QueuePool

BUSY_TIMEOUT_MS = 5000


#: The newest migration.  When the database is already there, start-up skips loading
#: Alembic at all (~0.3 s); ``tests/db/test_migrations.py`` keeps this equal to the
#: head of ``migrations/versions``.
SCHEMA_HEAD = "0010"


class DatabaseError(Exception):
    """A database problem the user can act on (locked, unreadable, newer schema)."""


def migrations_dir() -> Path:
    """The Alembic script folder: inside the installed package, else the repo's ``migrations/``."""
    packaged = resources.files("studyapp") / "_migrations"
    packaged_path = Path(str(packaged))
    if (packaged_path / "env.py").is_file():
        return packaged_path
    return Path(__file__).resolve().parent.parent.parent / "migrations"


def _set_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    # FULL: a commit is on disk when it returns (WAL fsync per commit), as Anki does on
    # every answer; NORMAL in WAL mode can lose the last commits on power loss.  The one
    # commit that may be lost - a write-back's bookkeeping, which the start-up
    # roll-forward redoes - lowers it for itself (``writeback._store_file_state``).
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


#: ``id()`` of the driver connections whose user lowered ``synchronous`` (see
#: :func:`_durable`).  A stale id reused by a new connection only costs one extra PRAGMA.
lowered_sync: set[int] = set()


def _durable(dbapi_connection: sqlite3.Connection, _record: Any, _proxy: Any) -> None:
    """Every checkout starts at ``synchronous = FULL``, whatever its last user set.

    The write-back's bookkeeping commit lowers it for itself (a lost one is redone at
    start-up) and marks the connection; a pooled connection must never carry that into
    an answer's commit.  Unmarked checkouts cost a dict lookup, not a statement.
    """
    ensure_durable(dbapi_connection)


def ensure_durable(dbapi_connection: sqlite3.Connection) -> None:
    """Put ``synchronous = FULL`` back if the connection's last user lowered it.

    Run at every pool checkout (:func:`_durable`) and at the start of every
    transaction on the collection's held connection (which is never checked out
    again, see ``Collection._driver_transaction``).
    """
    if id(dbapi_connection) in lowered_sync:
        lowered_sync.discard(id(dbapi_connection))
        dbapi_connection.execute("PRAGMA synchronous = FULL")


def make_engine(db_path: Path | str, *, create: bool = True) -> Engine:
    """An engine with WAL, foreign keys and a busy timeout on every connection.

    With ``create=False`` a connection never creates the file: if the database is
    deleted while the app runs, the next statement fails with a clear message instead
    of silently starting an empty database.  SQLite errors users can act on (locked,
    deleted) become one-line :class:`DatabaseError` messages.
    """
    if str(db_path) == ":memory:":
        engine = create_engine("sqlite://")
    else:
        path = Path(db_path).resolve()
        uri = f"file:{quote(str(path))}?mode={'rwc' if create else 'rw'}"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, check_same_thread=False)

        # A small pool keeps connections open between sessions: opening one costs the
        # pragmas, and closing the last one checkpoints the WAL with an fsync (several
        # ms per answer).  ``create=True`` engines only migrate, so they do not pool.
        if create:
            engine = create_engine("sqlite://", creator=connect, poolclass=NullPool)
        else:
            engine = create_engine(
                "sqlite://", creator=connect, poolclass=QueuePool, pool_size=4, max_overflow=4
            )
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "checkout", _durable)
    event.listen(engine, "handle_error", _translator(str(db_path)))
    return engine


def translate_error(db_path: str, original: BaseException) -> DatabaseError | None:
    """The one-line :class:`DatabaseError` for an SQLite error users can act on, else None.

    Shared by the engine's ``handle_error`` hook and the few statements of the review
    hot path that run on the driver connection directly.
    """
    if not isinstance(original, sqlite3.OperationalError):
        return None
    message = str(original)
    if "locked" in message or "busy" in message:
        return DatabaseError(
            f"{db_path}: database is locked by another program "
            f"(waited {BUSY_TIMEOUT_MS // 1000} s); nothing was saved"
        )
    if "unable to open" in message or "no such table" in message or "disk I/O" in message:
        return DatabaseError(
            f"{db_path}: the database file was deleted or replaced while studyapp was "
            "running; restart studyapp (schedules are restored from your notes)"
        )
    return None


def _translator(db_path: str) -> Any:
    def translate(context: Any) -> None:
        original = context.original_exception
        error = translate_error(db_path, original)
        if error is not None:
            raise error from original

    return translate


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, read without importing Alembic."""
    with engine.connect() as connection:
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).first()
        if not exists:
            return None
        row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return str(row[0]) if row else None


def upgrade_schema(engine: Engine) -> None:
    """Apply every pending migration (FK off while migrating, checked afterwards)."""
    if current_revision(engine) == SCHEMA_HEAD:
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        connection.commit()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
        connection.commit()
        problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        connection.exec_driver_sql("PRAGMA foreign_keys = ON")
        connection.commit()
    if problems:
        raise DatabaseError(f"foreign key check failed after migration: {problems[:5]}")


def open_engine(
    db_path: Path | str,
    migration_lock: Callable[[], AbstractContextManager[object]] | None = None,
) -> Engine:
    """Create the folder, the engine and the newest schema.

    ``migration_lock`` is entered only when the schema must change: two processes
    migrating a new database at once would fail with a raw ``table … already exists``,
    so the loser must meet the writer lock (and its one-line message) first.  What the
    lock raises when it is held propagates unchanged.
    """
    if str(db_path) != ":memory:":
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(db_path)
    guard: AbstractContextManager[object] = nullcontext()
    try:
        if migration_lock is not None and current_revision(engine) != SCHEMA_HEAD:
            guard = migration_lock()
    except Exception as exc:
        engine.dispose()
        raise DatabaseError(f"{db_path}: cannot open database ({exc})") from exc
    try:
        guard.__enter__()
    except BaseException:
        engine.dispose()
        raise
    try:
        upgrade_schema(engine)
        engine.dispose()
        engine = make_engine(db_path, create=False)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        if "locked" in str(exc):
            raise DatabaseError(f"{db_path}: database is locked by another studyapp") from exc
        if isinstance(exc, DatabaseError):
            raise
        raise DatabaseError(f"{db_path}: cannot open database ({exc})") from exc
    finally:
        guard.__exit__(None, None, None)
    return engine
