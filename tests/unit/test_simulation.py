"""Issue 14's claims on a simulated learner (known forgetting curve, per-card difficulty).

120 simulated days, all seeded.  The learner's memory follows FSRS-6 with parameters
that differ from the defaults (``simulate.TRUE_PARAMS``), so the defaults are wrong for
it and fitting has something to find.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from studyapp.core import exam, fsrs_fit, simulate
from studyapp.core.fsrs_model import DEFAULT_PARAMS
from studyapp.core.metrics import log_loss
from studyapp.core.scheduler import FsrsScheduler, Sm2Scheduler

DAYS = 120


@pytest.fixture(scope="module")
def fsrs_run() -> simulate.SimResult:
    return simulate.run(FsrsScheduler(), simulate.Learner(500, seed=1), days=DAYS)


def test_optimized_parameters_beat_the_defaults_on_held_out_reviews(
    fsrs_run: simulate.SimResult,
) -> None:
    split = fsrs_run.start + timedelta(days=90)
    histories = fsrs_run.histories()
    params, used = fsrs_fit.fit(histories, before=split)  # fitted on days 0-89 only
    assert used >= fsrs_fit.MIN_REVIEWS
    held_out_default = fsrs_fit.predictions(histories, split, DEFAULT_PARAMS)
    held_out_fitted = fsrs_fit.predictions(histories, split, params)
    assert len(held_out_default) == len(held_out_fitted) > 200
    assert log_loss(held_out_fitted) < log_loss(held_out_default)


def test_evaluate_ranks_fsrs_above_sm2_on_its_log(fsrs_run: simulate.SimResult) -> None:
    result = fsrs_fit.evaluate(fsrs_run.histories())
    assert result is not None and result.note is None
    scores = {s.name: s for s in result.scores}
    assert set(scores) == {"SM-2", "FSRS default", "FSRS optimized"}
    assert scores["FSRS optimized"].log_loss < scores["FSRS default"].log_loss
    assert scores["FSRS default"].log_loss < scores["SM-2"].log_loss
    assert scores["FSRS optimized"].rmse_bins < scores["SM-2"].rmse_bins


@pytest.mark.parametrize("seed", [1, 2])
def test_fsrs_at_retention_090_measures_090_within_3_points(seed: int) -> None:
    """With the learner's own parameters (a perfect fit), measured retention is 0.9 +- 0.03.

    Reviews one day after the previous one are left out: one day is the shortest
    interval at day granularity, so after a lapse no scheduler can wait for R to reach
    the target (``SimResult.retention``).
    """
    run = simulate.run(
        FsrsScheduler(params=simulate.TRUE_PARAMS, desired_retention=0.9),
        simulate.Learner(300, seed=seed),
        days=DAYS,
    )
    assert abs(run.retention(min_elapsed=2) - 0.9) <= 0.03


def test_fsrs_with_default_parameters_misses_the_target_for_this_learner(
    fsrs_run: simulate.SimResult,
) -> None:
    """The contrast that makes optimizing worth it: the defaults overestimate this learner."""
    assert fsrs_run.retention(min_elapsed=2) < 0.88


@pytest.mark.parametrize("scheduler", [Sm2Scheduler(), FsrsScheduler()], ids=["sm2", "fsrs"])
def test_exam_mode_reviews_95_percent_in_the_last_3_days_under_the_cap(scheduler) -> None:  # type: ignore[no-untyped-def]
    learner = simulate.Learner(250, seed=4)
    start = simulate.run(scheduler, learner, days=1).start
    exam_date = start + timedelta(days=60)
    cap = 120
    run = simulate.run(
        scheduler, simulate.Learner(250, seed=4), days=DAYS, exam_date=exam_date, daily_cap=cap
    )
    first, last = exam.window(exam_date)
    covered = {r.card for r in run.reviews if first <= r.day <= last}
    assert len(covered) / 250 >= 0.95
    per_day = run.reviews_per_day()
    window_load = per_day[(first - start).days : (last - start).days + 1]
    assert max(window_load) <= cap
    assert max(per_day[: (exam_date - start).days]) <= cap
    # Without exam mode most cards would not be seen in those three days.
    plain = simulate.run(scheduler, simulate.Learner(250, seed=4), days=DAYS)
    assert len({r.card for r in plain.reviews if first <= r.day <= last}) / 250 < 0.6


def test_simulation_is_deterministic() -> None:
    a = simulate.run(Sm2Scheduler(), simulate.Learner(50, seed=9), days=30)
    b = simulate.run(Sm2Scheduler(), simulate.Learner(50, seed=9), days=30)
    assert a.reviews == b.reviews and a.reviews_per_day() == b.reviews_per_day()
