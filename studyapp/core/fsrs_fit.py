"""Fitting FSRS to a review log and comparing schedulers on it (fsrs-rs does the fitting).

Why a time-series split: fitting and testing on the same reviews flatters the fitted
model; srs-benchmark trains on earlier reviews and tests on later ones, and so do we.
Only long-term reviews count (the first rescheduling answer of a card on a study day):
same-day repeats are not test points, as in the benchmark.

SM-2's prediction is srs-benchmark's assumption: R = 0.9 at the interval SM-2 had
scheduled, along FSRS-6's default forgetting curve
(:func:`studyapp.core.scheduler.sm2_recall_probability`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import fsrs_rs_python as fsrs_rs

from studyapp.core import fsrs_model, srs
from studyapp.core.fsrs_model import DEFAULT_PARAMS
from studyapp.core.metrics import Prediction, auc, log_loss, rmse_bins
from studyapp.core.scheduler import LoggedAnswer, sm2_recall_probability

__all__ = [
    "MIN_REVIEWS",
    "Evaluation",
    "ModelScore",
    "evaluate",
    "fit",
    "long_term",
    "review_count",
]

#: Fewest long-term reviews (reviews of a card seen on an earlier day) ``optimize`` fits on.
#: Below this the 21 parameters overfit and the defaults (fitted on ~10k users) predict better.
MIN_REVIEWS = 400
#: Share of review days used for training in ``evaluate``; the later rest is the test set.
TRAIN_SHARE = 0.7

History = Sequence[LoggedAnswer]


def long_term(history: History) -> list[LoggedAnswer]:
    """The first rescheduling answer of each study day, in order."""
    out: list[LoggedAnswer] = []
    for answer in history:
        if not out or answer.day > out[-1].day:
            out.append(answer)
    return out


def _reviews(history: Sequence[LoggedAnswer]) -> list[fsrs_rs.FSRSReview]:
    out = []
    previous: date | None = None
    for answer in history:
        delta = 0 if previous is None else (answer.day - previous).days
        out.append(fsrs_rs.FSRSReview(fsrs_model.rating_for(answer.grade), delta))
        previous = answer.day
    return out


def _items(histories: Mapping[int, History], before: date | None = None) -> list[fsrs_rs.FSRSItem]:
    """One training item per long-term review with a history (targets before ``before``)."""
    items = []
    for history in histories.values():
        answers = long_term(history)
        if answers and answers[0].before.reps > 0:
            continue  # the log starts mid-life: the first rating is not a first review
        reviews = _reviews(answers)
        for k in range(1, len(answers)):
            if before is not None and answers[k].day >= before:
                break
            items.append(fsrs_rs.FSRSItem(reviews[: k + 1]))
    return items


def review_count(histories: Mapping[int, History]) -> int:
    """Long-term reviews usable for fitting (what :data:`MIN_REVIEWS` counts)."""
    return len(_items(histories))


def fit(histories: Mapping[int, History], before: date | None = None) -> tuple[list[float], int]:
    """FSRS parameters fitted by fsrs-rs and the number of reviews used.

    Raises ``ValueError`` below :data:`MIN_REVIEWS` (callers keep the defaults).
    """
    items = _items(histories, before)
    if len(items) < MIN_REVIEWS:
        raise ValueError(
            f"{len(items)} long-term reviews; FSRS needs at least {MIN_REVIEWS} to fit parameters"
        )
    model = fsrs_rs.FSRS(list(DEFAULT_PARAMS))
    params = model.compute_parameters(items, enable_short_term=False)
    return [float(w) for w in params], len(items)


@dataclass(frozen=True)
class ModelScore:
    name: str
    log_loss: float
    rmse_bins: float
    auc: float | None


@dataclass(frozen=True)
class Evaluation:
    split_day: date
    train_reviews: int
    test_reviews: int
    scores: tuple[ModelScore, ...]
    note: str | None = None


def _score(name: str, preds: Sequence[Prediction]) -> ModelScore:
    return ModelScore(name, log_loss(preds), rmse_bins(preds), auc(preds))


def _split_day(histories: Mapping[int, History]) -> date | None:
    days = sorted({a.day for h in histories.values() for a in long_term(h)})
    if len(days) < 2:
        return None
    return days[min(len(days) - 1, max(1, int(len(days) * TRAIN_SHARE)))]


def predictions(
    histories: Mapping[int, History], since: date, params: Sequence[float] | None
) -> list[Prediction]:
    """Predictions for the long-term reviews on or after ``since`` (SM-2 when ``params`` is None)."""
    targets: list[tuple[list[LoggedAnswer], int]] = []
    for history in histories.values():
        answers = long_term(history)
        if answers and answers[0].before.reps > 0:
            continue
        targets.extend((answers, k) for k in range(1, len(answers)) if answers[k].day >= since)
    if not targets:
        return []
    if params is None:
        probs = []
        for answers, k in targets:
            state = answers[0].before
            for answer in answers[:k]:
                state = srs.review(state, answer.grade, answer.day)
            probs.append(
                sm2_recall_probability(state.interval, (answers[k].day - answers[k - 1].day).days)
            )
    else:
        model = fsrs_rs.FSRS(list(params))
        states = model.memory_state_batch([fsrs_rs.FSRSItem(_reviews(a[:k])) for a, k in targets])
        probs = [
            fsrs_model.forgetting_curve((a[k].day - a[k - 1].day).days, s.stability, params)
            for (a, k), s in zip(targets, states, strict=True)
        ]
    out = []
    for (answers, k), p in zip(targets, probs, strict=True):
        lapses = sum(1 for a in answers[1:k] if a.grade < srs.PASS_GRADE)
        out.append(
            Prediction(
                p=p,
                y=int(answers[k].grade >= srs.PASS_GRADE),
                elapsed_days=(answers[k].day - answers[k - 1].day).days,
                index=k + 1,
                lapses=lapses,
            )
        )
    return out


def evaluate(histories: Mapping[int, History]) -> Evaluation | None:
    """SM-2, FSRS defaults and FSRS fitted on the earlier reviews, scored on the later ones.

    ``None`` when the log spans fewer than two study days or has no test review.  The
    fitted model is left out (with a note) when the training part is below
    :data:`MIN_REVIEWS`.
    """
    split = _split_day(histories)
    if split is None:
        return None
    sm2 = predictions(histories, split, None)
    if not sm2:
        return None
    default = predictions(histories, split, DEFAULT_PARAMS)
    scores = [_score("SM-2", sm2), _score("FSRS default", default)]
    train = len(_items(histories, split))
    note = None
    try:
        params, train = fit(histories, before=split)
    except ValueError as exc:
        note = str(exc)
    else:
        scores.append(_score("FSRS optimized", predictions(histories, split, params)))
    return Evaluation(split, train, len(sm2), tuple(scores), note)
