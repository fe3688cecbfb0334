"""srs-benchmark metrics: log loss, RMSE(bins), AUC on hand-checked cases."""

from __future__ import annotations

import math

import pytest

from studyapp.core.metrics import Prediction, auc, log_loss, rmse_bins


def _p(p: float, y: int, t: int = 1, i: int = 2, lapses: int = 0) -> Prediction:
    return Prediction(p, y, t, i, lapses)


def test_log_loss() -> None:
    preds = [_p(0.9, 1), _p(0.9, 0)]
    assert log_loss(preds) == pytest.approx(-(math.log(0.9) + math.log(0.1)) / 2)
    assert log_loss([_p(1.0, 0)]) < 20  # clipped, finite


def test_rmse_bins_groups_then_weights_by_size() -> None:
    # One bin (same elapsed/index/lapses): mean p 0.8 vs mean y 0.5 -> 0.3.
    same = [_p(0.8, 1), _p(0.8, 0)]
    assert rmse_bins(same) == pytest.approx(0.3)
    # Two bins (elapsed 1 vs 30 fall on different grid points): errors 0.3 (n=2) and 0.1 (n=1).
    mixed = [*same, _p(0.9, 1, t=30)]
    assert rmse_bins(mixed) == pytest.approx(math.sqrt((2 * 0.09 + 0.01) / 3))
    # Review positions 2 and 3 share a grid point (round(1.99 * 1.89) = 4): one bin, no error.
    assert rmse_bins([_p(0.5, 1, i=2), _p(0.5, 0, i=3)]) == pytest.approx(0.0)
    # Lapse counts 1 and 2 do not (2 and 3 after rounding): two bins, each off by 0.5.
    assert rmse_bins([_p(0.5, 1, lapses=1), _p(0.5, 0, lapses=2)]) == pytest.approx(0.5)


def test_auc() -> None:
    assert auc([_p(0.9, 1), _p(0.1, 0)]) == 1.0
    assert auc([_p(0.1, 1), _p(0.9, 0)]) == 0.0
    assert auc([_p(0.5, 1), _p(0.5, 0)]) == 0.5
    assert auc([_p(0.5, 1)]) is None
    assert auc([_p(0.2, 0), _p(0.4, 1), _p(0.6, 0), _p(0.8, 1)]) == pytest.approx(0.75)
