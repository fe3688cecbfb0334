"""A database as an older studyapp left it: the schema migrated only up to a revision.

The migration tests fill such a database with the rows of that time and then upgrade it
the way the app does (:func:`studyapp.db.engine.upgrade_schema`).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from studyapp.db.engine import make_engine, migrations_dir

__all__ = ["engine_at"]


def engine_at(db: Path, revision: str) -> Engine:
    """A new database at ``db`` with the schema of ``revision`` (foreign keys off while
    migrating, as every migration runs)."""
    engine = make_engine(db)
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()
    return engine
