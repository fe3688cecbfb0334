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
    #: At most this many table cards per note per day, so one big comparison note
    #: does not flood the queue.
    table_cards_per_note: int = 6
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
    #: Append every answer, undo, bury, suspend, reset and scheduling setting change to
    #: ``<notes>/.studyapp/log/<device>.jsonl``, so another machine syncing the folder
    #: (git, Syncthing) merges the history and ``studyapp rebuild`` restores a lost database.
    log_in_notes: bool = True

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
