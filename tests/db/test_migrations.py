"""Schema ownership: Alembic creates exactly the ORM's schema, with FK checks intact."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from studyapp.db.engine import (
    SCHEMA_HEAD,
    make_engine,
    migrations_dir,
    open_engine,
    upgrade_schema,
)
from studyapp.db.models import Base
from tests.db.old_schema import engine_at


def test_upgrade_creates_every_table(tmp_path: Path) -> None:
    engine = open_engine(tmp_path / "a.sqlite3")
    names = set(inspect(engine).get_table_names())
    assert {"notes", "cards", "review_log", "tags", "note_tags", "card_links", "settings"} <= names
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
    engine.dispose()


def test_models_match_migrations(tmp_path: Path) -> None:
    engine = open_engine(tmp_path / "b.sqlite3")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_pragmas_on_every_connection(tmp_path: Path) -> None:
    engine = open_engine(tmp_path / "c.sqlite3")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    engine.dispose()


def test_upgrade_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite3"
    engine = open_engine(db)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO notes (path, title, folder, review_count, difficulty, "
                "mastery_level, has_frontmatter, extra_json, warnings_json, body, "
                "body_line_offset, answer_markdown, content_sha256, mtime_ns, size, missing) "
                "VALUES ('a.md','A','',0,'medium',0,1,'{}','[]','',0,'','',0,0,0)"
            )
        )
    engine.dispose()
    engine = make_engine(db)
    upgrade_schema(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notes")).scalar() == 1
    engine.dispose()


def test_migrations_folder_resolves() -> None:
    assert (migrations_dir() / "env.py").is_file()
    assert any((migrations_dir() / "versions").glob("0001_*.py"))


def test_upgrade_from_0001_keeps_review_history(tmp_path: Path) -> None:
    """A database made by the first release migrates with its history intact (FK off)."""

    db = tmp_path / "old.sqlite3"
    engine = engine_at(db, "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cards (id, note_id, kind, anchor, title, payload_json, sibling_key, "
            "ef_milli, interval, reps, lapses, suspended, retired) "
            "VALUES (1, NULL, 'calc', 'x', 'x', '{}', '', 2500, 1, 1, 0, 0, 0)"
        )
        conn.exec_driver_sql(
            "INSERT INTO review_log (card_id, session_id, reviewed_at, study_day, grade, kind, "
            "cram, rescheduled, duration_ms, ef_before, ef_after, interval_before, "
            "interval_after, reps_before, reps_after, lapses_before, lapses_after, writeback, "
            "undone) VALUES (1, 's', '2026-11-25 10:00:00', '2026-11-25', 4, 'calc', 0, 1, 0, "
            "2500, 2500, 0, 1, 0, 1, 0, 0, 'none', 0)"
        )
    engine.dispose()
    engine = make_engine(db)
    upgrade_schema(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM review_log")).scalar() == 1
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
        indexes = {row[1] for row in conn.exec_driver_sql("PRAGMA index_list(cards)")}
        assert "ix_cards_due_cover" in indexes  # 0002's queue index
        # 0010 dropped the two indexes no query read (each answer rewrote them)
        assert not {"ix_cards_first_seen", "ix_cards_last_review"} & indexes
    engine.dispose()


def test_schema_head_constant_matches_the_scripts() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from studyapp.db.engine import SCHEMA_HEAD

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    assert ScriptDirectory.from_config(cfg).get_current_head() == SCHEMA_HEAD
