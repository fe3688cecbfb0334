"""Write a simulated learner's 90 days as ordinary review_log rows (db, TUI tests)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from studyapp.core import simulate
from studyapp.core.scheduler import FsrsScheduler
from studyapp.db.models import Card, ReviewLog


def write_simulated_log(coll: Any, today: date, cards: int = 120) -> int:
    """FSRS-scheduled answers of ``simulate.Learner`` ending the day before ``today``."""
    run = simulate.run(
        FsrsScheduler(), simulate.Learner(cards, seed=3), days=90, start=today - timedelta(days=90)
    )
    with coll.session() as s, s.begin():
        ids = list(s.scalars(select(Card.id).order_by(Card.id).limit(cards)))
        assert len(ids) == cards
        for r in run.reviews:
            s.add(
                ReviewLog(
                    card_id=ids[r.card],
                    session_id="sim",
                    reviewed_at=r.day,
                    study_day=r.day,
                    grade=r.grade,
                    kind="table",
                    cram=False,
                    rescheduled=True,
                    duration_ms=0,
                    ef_before=2500,
                    ef_after=2500,
                    interval_before=0,
                    interval_after=1,
                    reps_before=0,
                    reps_after=1,
                    lapses_before=0,
                    lapses_after=0,
                    writeback="none",
                )
            )
    return len(run.reviews)
