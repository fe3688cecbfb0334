"""The new-card shortcut of ``ReviewService._new_items`` gives the same queue as reading all.

At 10k notes the dashboard's queue read every new card's row (1.8 s); now it reads the
first notes of the round-robin order and falls back to the full read when they do not
fill the day in one round.  Both ways must give the same queue, day after day.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from studyapp.services import queue as queue_mod
from studyapp.services.importer import import_notes
from studyapp.services.review import ReviewService, new_session_id

GENERATE = Path(__file__).resolve().parents[2] / "bench" / "generate.py"


def _generate_notes(root: Path, n: int) -> None:
    spec = importlib.util.spec_from_file_location("bench_generate_shortcut", GENERATE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(root, n, 7)


@pytest.mark.parametrize(
    ("per_note", "per_day", "bury"),
    [(5, 20, "row"), (1, 20, "note"), (2, 50, "off"), (3, 200, "row"), (5, 2000, "row")],
)
def test_shortcut_and_full_read_give_the_same_queue(
    open_coll,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    per_note: int,
    per_day: int,
    bury: str,
) -> None:  # type: ignore[no-untyped-def]
    notes = tmp_path / "notes"
    _generate_notes(notes, 60)
    coll = open_coll(notes)
    import_notes(coll)
    settings = coll.settings
    settings.new_per_note, settings.new_per_day, settings.bury_siblings = per_note, per_day, bury
    coll.save_settings(settings)
    svc = ReviewService(coll)
    session_id = new_session_id()
    for _day_round in range(3):
        monkeypatch.setattr(queue_mod, "_HEAD_SLACK", 8)
        quick = svc.due_items()
        monkeypatch.setattr(queue_mod, "_HEAD_SLACK", 10**9)
        assert quick == svc.due_items()
        for item in quick[:7]:
            svc.record(item.card_id, 4, session_id=session_id)
