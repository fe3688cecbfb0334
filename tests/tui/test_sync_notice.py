"""The dashboard tells what the start-up merge brought from other devices (issue 15)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from studyapp.services import eventsync
from studyapp.services.collection import Collection
from studyapp.services.importer import import_notes
from studyapp.services.review import ReviewService, new_session_id
from tests.tui.conftest import settle


async def test_start_up_merge_names_the_other_devices_answers(  # type: ignore[no-untyped-def]
    make_app, coll: Collection, notes_dir: Path, tmp_path: Path
) -> None:
    eventsync.merge(coll)  # this machine has started before
    other = Collection.open(
        tmp_path / "other.sqlite3", notes_dir, today_override=date(2026, 11, 25)
    )
    other.acquire_writer()
    import_notes(other)
    service = ReviewService(other)
    for item in service.due_items()[:2]:
        service.record(item.card_id, 4, session_id=new_session_id())
    other.close()
    app = make_app(startup_import=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, rounds=6)
        messages = [str(n.message) for n in app._notifications]
        assert "merged 2 answers from 1 other device" in messages
