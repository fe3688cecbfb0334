"""Fixtures for the database/services layer: a temp notes folder and an open collection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from studyapp.services.collection import Collection

TODAY = date(2026, 11, 25)


def fixed_clock() -> datetime:
    return datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def open_coll(tmp_path: Path):  # type: ignore[no-untyped-def]
    opened: list[Collection] = []

    def _open(notes: Path, day: date = TODAY) -> Collection:
        coll = Collection.open(
            tmp_path / "db.sqlite3", notes, today_override=day, clock=fixed_clock
        )
        coll.acquire_writer()
        opened.append(coll)
        return coll

    yield _open
    for coll in opened:
        coll.close()


@pytest.fixture
def coll(open_coll, notes_dir: Path) -> Iterator[Collection]:  # type: ignore[no-untyped-def]
    yield open_coll(notes_dir)
