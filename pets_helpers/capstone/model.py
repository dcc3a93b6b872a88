"""The consortium's fraud model: a logistic regression on the public-scaled transaction features.

Trained by :mod:`pets_helpers.fl` (its parameters are ``[W (d × 2), b (2)]``, softmax over
{legitimate, fraud}), scored in the clear with :func:`fraud_logits` and under CKKS after
:func:`to_scoring_model` turns it into Lesson 08's :class:`~pets_helpers.he.scoring.ScoringModel`.
"""

from __future__ import annotations

import math

import numpy as np

from ..datasets.transactions import FEATURE_CENTRE, FEATURE_SCALE, FRAUD_FEATURES
from ..fl.task import check_params
from ..he.scoring import SCORE_MARGIN, ScoringModel, fit_sigmoid_polynomial
from ..validation import check_finite_array


def fraud_logits(params, x_scaled) -> np.ndarray:
    """log-odds of fraud, z = x·(W₁ − W₀) + (b₁ − b₀), for public-scaled features."""
    w, b = _logistic(params)
    x = check_finite_array(x_scaled, "x_scaled")
    if x.ndim != 2 or x.shape[1] != w.size:
        raise ValueError(f"x_scaled must have shape (n, {w.size}), got {x.shape}.")
    return x @ w + b


def _logistic(params) -> tuple[np.ndarray, float]:
    params = check_params(params)
    if len(params) != 2 or params[0].ndim != 2 or params[0].shape[1] != 2:
        raise ValueError("the fraud model must be a two-class logistic regression "
                         "[W (d × 2), b (2)] (TrainSettings(hidden=0)); an MLP cannot be "
                         "scored by the course's CKKS circuit.")
    w, b = params
    return w[:, 1] - w[:, 0], float(b[1] - b[0])


def to_scoring_model(params, reference_x_scaled, degree: int = 3,
                     threshold: float = 0.5) -> ScoringModel:
    """Lesson 08's ScoringModel for the fraud model (raw features in, fraud score out).

    Standardization is the public :data:`FEATURE_CENTRE` / :data:`FEATURE_SCALE`; the score
    bound A = SCORE_MARGIN × max |z| over ``reference_x_scaled`` (a public or synthetic
    reference table — never the transactions to be scored), rounded up to 0.5.
    """
    w, b = _logistic(params)
    z = fraud_logits(params, reference_x_scaled)
    bound = math.ceil(2.0 * SCORE_MARGIN * float(np.max(np.abs(z)))) / 2.0
    model = ScoringModel(FRAUD_FEATURES, np.array(FEATURE_CENTRE), np.array(FEATURE_SCALE), w, b,
                         fit_sigmoid_polynomial(bound, degree), float(threshold))
    model.guard_depth()
    return model
