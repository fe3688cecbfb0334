"""User settings stored in the database, with documented defaults.

Settings live in the collection (not in a config file) so that a database copied to
another machine keeps its behaviour.  Every field says why it exists.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from studyapp.db.models import Setting


@dataclass
class Settings:
    #: New cards introduced per study day (Anki's default is 20 too): keeps the review
    #: load of the following weeks bounded when a big folder is imported.
    new_per_day: int = 20
    #: The study day starts at this local hour: a review at 00:30 still counts for the
    #: evening before (Anki: "next day starts at 4").
    rollover_hour: int = 4
    #: At most this many new cards (note card included) per note per study day, counted
    #: from the review log, so one big comparison note does not flood the queue and a
    #: second session the same day does not get a fresh allowance.
    new_per_note: int = 6
    #: Siblings shown at most once per study day (relearning excepted): ``row`` (cards
    #: of one table row), ``note`` (cards of one note, as Anki's "bury siblings") or
    #: ``off``.  New siblings are spread over the following days.
    bury_siblings: str = "row"
    #: Share of the day's new places given to calc cards (1 in 5) when calc cards are
    #: in the review; the rest goes round-robin over folders and notes.
    calc_new_share: float = 0.2
    #: Ask table cells as typed answers instead of multiple choice.
    typed_recall: bool = False
    #: Auto-grading: an answer faster than this (ms) proposes grade 5.
    fast_ms: int = 8000
    #: Auto-grading: an answer slower than this (ms) proposes grade 3.
    slow_ms: int = 30000
    #: Cards graded below 4 come back after this many other cards in the same session.
    relearn_gap: int = 3
    #: Include calc (sizing) cards in the daily review.
    calc_in_review: bool = True
    # --- FSRS and exams (issue 14) ---
    #: ``sm2`` (default, what the user asked for) or ``fsrs``; changing it with
    #: ``studyapp config scheduler`` converts every card from its review log.
    scheduler: str = "sm2"
    #: FSRS schedules each card for when its predicted recall falls to this (0.70-0.97).
    desired_retention: float = 0.9
    #: Exam mode moves at most this many cards onto one day (the reviews already due that
    #: day count too), so the last days before an interview stay doable.
    exam_daily_cap: int = 150

    #: The TUI's theme (ctrl+t or the command palette), kept across restarts.
    theme: str = "textual-dark"
    #: "Study more today": extra new cards allowed on the study day ``extra_new_day``
    #: only (see services/custom_study.py); any other day it is ignored.
    extra_new: int = 0
    extra_new_day: str = ""
    #: Re-import notes edited while the TUI is open (watchfiles), with a notification.
    watch_notes: bool = False

    #: Append every answer, undo, bury, suspend, reset and scheduling setting change to
    #: ``<notes>/.studyapp/log/<device>.jsonl``, so another machine syncing the folder
    #: (git, Syncthing) merges the history and ``studyapp rebuild`` restores a lost database.
    log_in_notes: bool = True

    def problems(self) -> list[str]:
        """Values the queue cannot work with (empty when all are fine)."""
        from studyapp.core.session import SIBLING_MODES

        out = []
        if self.bury_siblings not in SIBLING_MODES:
            out.append(f"bury_siblings: expected one of {', '.join(SIBLING_MODES)}")
        if not 0.0 <= self.calc_new_share <= 1.0:
            out.append("calc_new_share: expected a share from 0 to 1")
        return out

    @classmethod
    def load(cls, session: Session) -> Settings:
        stored = {row.key: row.value_json for row in session.scalars(select(Setting))}
        values: dict[str, Any] = {}
        for field in fields(cls):
            if field.name in stored:
                try:
                    values[field.name] = json.loads(stored[field.name])
                except ValueError:
                    continue
        return cls(**values)

    def save(self, session: Session) -> None:
        for key, value in asdict(self).items():
            session.merge(Setting(key=key, value_json=json.dumps(value)))

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
