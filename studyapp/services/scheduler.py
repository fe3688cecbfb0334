"""Which scheduler a collection uses, switching between them, optimizing and evaluating FSRS.

The review log is the truth: switching rebuilds every card's schedule from its
rescheduling, not-undone answers (``core.scheduler.convert``), so SM-2 -> FSRS -> SM-2
gives back exactly the SM-2 state.  Fitted parameters are stored with the study day and
the number of reviews they were fitted on; the newest row is the one in use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from studyapp.core import fsrs_fit
from studyapp.core.fsrs_model import FsrsState
from studyapp.core.scheduler import (
    SCHEDULERS,
    CardSchedule,
    LoggedAnswer,
    Scheduler,
    convert,
    make_scheduler,
)
from studyapp.core.srs import SrsState
from studyapp.db.models import Card, FsrsParams, ReviewLog
from studyapp.services.collection import Collection


def card_schedule(card: Any) -> CardSchedule:
    """The schedule of a ``Card`` row (or any row with the same columns)."""
    fsrs = None
    if card.fsrs_stability is not None and card.fsrs_difficulty is not None:
        fsrs = FsrsState(card.fsrs_stability, card.fsrs_difficulty)
    return CardSchedule(
        SrsState(
            ef_milli=card.ef_milli,
            interval=card.interval,
            reps=card.reps,
            lapses=card.lapses,
            due=card.due,
            last_review=card.last_review,
        ),
        fsrs,
    )


def store_schedule(card: Card, schedule: CardSchedule) -> None:
    s = schedule.srs
    card.ef_milli, card.interval, card.reps = s.ef_milli, s.interval, s.reps
    card.lapses, card.due, card.last_review = s.lapses, s.due, s.last_review
    card.fsrs_stability = schedule.fsrs.stability if schedule.fsrs else None
    card.fsrs_difficulty = schedule.fsrs.difficulty if schedule.fsrs else None


@dataclass(frozen=True)
class StoredParams:
    params: list[float]
    fitted_on: str
    review_count: int


def stored_params(coll: Collection) -> StoredParams | None:
    with coll.session() as session:
        row = session.scalars(select(FsrsParams).order_by(FsrsParams.id.desc()).limit(1)).first()
        if row is None:
            return None
        return StoredParams(
            json.loads(row.params_json), row.fitted_on.isoformat(), row.review_count
        )


def active_scheduler(coll: Collection) -> Scheduler:
    """The collection's scheduler, with its fitted parameters when there are any."""
    settings = coll.settings
    params = None
    if settings.scheduler == "fsrs":
        stored = stored_params(coll)
        params = stored.params if stored else None
    return make_scheduler(
        settings.scheduler, params=params, desired_retention=settings.desired_retention
    )


def histories(session: Any, card_ids: list[int] | None = None) -> dict[int, list[LoggedAnswer]]:
    """Each card's rescheduling, not-undone, non-cram answers in order, from the log."""
    query = (
        select(
            ReviewLog.card_id,
            ReviewLog.study_day,
            ReviewLog.grade,
            ReviewLog.ef_before,
            ReviewLog.interval_before,
            ReviewLog.reps_before,
            ReviewLog.lapses_before,
            ReviewLog.due_before,
            ReviewLog.last_review_before,
        )
        .where(
            ReviewLog.rescheduled.is_(True),
            ReviewLog.undone.is_(False),
            ReviewLog.cram.is_(False),
        )
        .order_by(ReviewLog.id)
    )
    if card_ids is not None:
        query = query.where(ReviewLog.card_id.in_(card_ids))
    out: dict[int, list[LoggedAnswer]] = {}
    for r in session.execute(query):
        before = SrsState(
            ef_milli=r.ef_before,
            interval=r.interval_before,
            reps=r.reps_before,
            lapses=r.lapses_before,
            due=r.due_before,
            last_review=r.last_review_before,
        )
        out.setdefault(r.card_id, []).append(LoggedAnswer(r.study_day, r.grade, before))
    return out


@dataclass(frozen=True)
class SwitchReport:
    scheduler: str
    cards: int
    from_log: int
    converted_from_sm2: int
    new: int

    def line(self) -> str:
        """One sentence for a notification: how many cards came from where."""
        return (
            f"{self.cards} cards rescheduled for {self.scheduler} ({self.from_log} from their "
            f"review log, {self.converted_from_sm2} from SM-2 ease/interval, {self.new} new)"
        )


def reschedule_all(coll: Collection, scheduler: Scheduler) -> SwitchReport:
    """Rebuild every card's schedule for ``scheduler`` from the log (one transaction)."""
    from_log = from_sm2 = new = 0
    with coll.session() as session, session.begin():
        logs = histories(session)
        cards = session.scalars(select(Card).where(Card.retired.is_(False))).all()
        for card in cards:
            current = card_schedule(card)
            history = logs.get(card.id, [])
            converted = convert(current, history, scheduler)
            if history:
                from_log += 1
            elif current.srs.last_review is None and current.srs.reps == 0:
                new += 1
            else:
                from_sm2 += 1
            store_schedule(card, converted)
        count = len(cards)
    return SwitchReport(scheduler.name, count, from_log, from_sm2, new)


def set_scheduler(coll: Collection, name: str) -> SwitchReport:
    """``config scheduler sm2|fsrs``: convert every card, then store the setting."""
    if name not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {name!r}; known: {', '.join(SCHEDULERS)}")
    coll.save_settings(replace(coll.settings, scheduler=name))
    return reschedule_all(coll, active_scheduler(coll))


#: The range ``desired_retention`` may take: below 0.70 FSRS intervals grow so long that most
#: answers are lapses; above 0.97 the daily load explodes for little recall gained.
RETENTION_RANGE = (0.70, 0.97)


def set_desired_retention(coll: Collection, value: float) -> SwitchReport | None:
    """Store ``desired_retention``; under FSRS reschedule every card (the report), else None.

    Validated here so the TUI and the CLI refuse the same values with the same words.
    """
    low, high = RETENTION_RANGE
    if not low <= value <= high:
        raise ValueError(f"desired_retention: expected a value from {low:.2f} to {high:.2f}")
    coll.save_settings(replace(coll.settings, desired_retention=value))
    if coll.settings.scheduler != "fsrs":
        return None
    return reschedule_all(coll, active_scheduler(coll))


@dataclass(frozen=True)
class OptimizeResult:
    ok: bool
    review_count: int
    message: str
    params: list[float] | None = None


def optimize(coll: Collection) -> OptimizeResult:
    """Fit FSRS to the whole log; store the parameters or say why the defaults stay."""
    with coll.session() as session:
        logs = histories(session)
    try:
        params, count = fsrs_fit.fit(logs)
    except ValueError as exc:
        return OptimizeResult(
            False, fsrs_fit.review_count(logs), f"{exc}; keeping the current parameters"
        )
    day = coll.today()
    with coll.session() as session, session.begin():
        session.add(
            FsrsParams(
                params_json=json.dumps(params),
                fitted_on=day,
                review_count=count,
                created_at=coll.now().replace(tzinfo=None),
            )
        )
    if coll.settings.scheduler == "fsrs":
        reschedule_all(coll, active_scheduler(coll))
    return OptimizeResult(True, count, f"fitted on {count} reviews on {day.isoformat()}", params)


def evaluate(coll: Collection) -> dict[str, Any] | None:
    """SM-2 / FSRS default / FSRS optimized on a time-series split of the log (JSON-ready)."""
    with coll.session() as session:
        logs = histories(session)
    result = fsrs_fit.evaluate(logs)
    if result is None:
        return None
    return {
        "split_day": result.split_day.isoformat(),
        "train_reviews": result.train_reviews,
        "test_reviews": result.test_reviews,
        "note": result.note,
        "models": [
            {"model": s.name, "log_loss": s.log_loss, "rmse_bins": s.rmse_bins, "auc": s.auc}
            for s in result.scores
        ],
        "sm2_probability": "R = 0.9 at the SM-2 interval on FSRS-6's default forgetting curve",
    }
