"""Prediction metrics as srs-benchmark defines them: log loss, RMSE(bins), AUC.

Why our own few lines instead of scikit-learn: the app does not depend on it, and the
definitions are short enough to state exactly.

* log loss: mean binary cross-entropy of the predicted recall ``p`` against the outcome
  ``y`` (1 = recalled, i.e. not Again / SM-2 grade >= 3); ``p`` clipped to [1e-7, 1-1e-7].
* RMSE(bins), srs-benchmark's ``rmse_matrix``: each review falls in a bin keyed by its
  elapsed days, its position in the card's history and its number of earlier lapses,
  each rounded onto a geometric grid (3.62, 1.89, 1.73); per bin the mean prediction is
  compared with the mean outcome, and the squared errors are weighted by bin size.
* AUC: the probability that a recalled review was given a higher ``p`` than a forgotten
  one (ties count half), from the rank-sum (Mann-Whitney) statistic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Prediction", "auc", "log_loss", "rmse_bins"]

_EPS = 1e-7


@dataclass(frozen=True)
class Prediction:
    """One test review: prediction, outcome and the features RMSE(bins) groups by."""

    p: float
    y: int  # 1 recalled, 0 forgotten
    elapsed_days: int
    index: int  # 1-based position of this review in the card's long-term history
    lapses: int  # failed long-term reviews before this one


def log_loss(predictions: Sequence[Prediction]) -> float:
    if not predictions:
        raise ValueError("no predictions")
    total = 0.0
    for pr in predictions:
        p = min(1.0 - _EPS, max(_EPS, pr.p))
        total -= math.log(p) if pr.y else math.log(1.0 - p)
    return total / len(predictions)


def _grid(x: float, base: float, scale: float, digits: int) -> float:
    return round(scale * base ** math.floor(math.log(max(x, 1e-6)) / math.log(base)), digits)


def rmse_bins(predictions: Sequence[Prediction]) -> float:
    if not predictions:
        raise ValueError("no predictions")
    bins: dict[tuple[float, float, float], list[float]] = {}
    for pr in predictions:
        key = (
            _grid(pr.elapsed_days, 3.62, 2.48, 2),
            _grid(pr.index, 1.89, 1.99, 0),
            _grid(pr.lapses, 1.73, 1.65, 0) if pr.lapses else 0.0,
        )
        acc = bins.setdefault(key, [0.0, 0.0, 0.0])
        acc[0] += pr.p
        acc[1] += pr.y
        acc[2] += 1
    squared = sum(n * (sp / n - sy / n) ** 2 for sp, sy, n in bins.values())
    return math.sqrt(squared / len(predictions))


def auc(predictions: Sequence[Prediction]) -> float | None:
    """``None`` when only one outcome occurs (AUC is undefined)."""
    ordered = sorted(predictions, key=lambda pr: pr.p)
    positives = sum(pr.y for pr in ordered)
    negatives = len(ordered) - positives
    if positives == 0 or negatives == 0:
        return None
    rank_sum = 0.0
    i = 0
    while i < len(ordered):  # average ranks over ties
        j = i
        while j + 1 < len(ordered) and ordered[j + 1].p == ordered[i].p:
            j += 1
        mean_rank = (i + j) / 2 + 1
        rank_sum += mean_rank * sum(pr.y for pr in ordered[i : j + 1])
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
