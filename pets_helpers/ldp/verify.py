"""Exhaustive, exact verification of ε-local differential privacy on small domains.

ε-LDP means: for all inputs x, x' and every output y, P[y | x] ≤ e^ε · P[y | x']. For a small
input and output space this can be checked exactly by computing every likelihood ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from ..validation import check_epsilon


@dataclass(frozen=True)
class LDPVerdict:
    """Result of :func:`verify_ldp`."""

    satisfied: bool  # every ratio ≤ e^ε (up to rel_tol)
    epsilon: float  # the claimed ε
    max_ratio: float  # max over x, x', y of P[y|x] / P[y|x'] (inf if some P[y|x'] = 0 < P[y|x])
    worst_case: tuple  # (x, x', y) attaining max_ratio

    @property
    def privacy_loss(self) -> float:
        """ln(max_ratio): the mechanism's true ε."""
        return math.log(self.max_ratio) if self.max_ratio > 0 else -math.inf


def verify_ldp(
    report_probability: Callable[[object, object], float],
    inputs: Iterable,
    outputs: Iterable,
    epsilon,
    rel_tol: float = 1e-9,
) -> LDPVerdict:
    """Check P[y|x] ≤ e^ε·P[y|x'] for all x, x' in ``inputs`` and y in ``outputs``.

    ``report_probability(x, y)`` must return the exact P[y | x]. ``rel_tol`` only absorbs
    floating-point rounding. Also checks that each input's probabilities sum to ≤ 1.
    """
    epsilon = check_epsilon(epsilon)
    inputs, outputs = list(inputs), list(outputs)
    if len(inputs) < 2 or not outputs:
        raise ValueError("verify_ldp needs at least two inputs and one output.")
    table = np.array([[report_probability(x, y) for x in inputs] for y in outputs], dtype=float)
    if np.any(table < 0) or np.any(table.sum(axis=0) > 1 + 1e-9):
        raise ValueError("report_probability does not define probability distributions.")
    hi, lo = table.max(axis=1), table.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(hi == 0, 1.0, hi / lo)
    k = int(np.argmax(ratios))
    worst = (inputs[int(np.argmax(table[k]))], inputs[int(np.argmin(table[k]))], outputs[k])
    max_ratio = float(ratios[k])
    satisfied = max_ratio <= math.exp(epsilon) * (1 + rel_tol)
    return LDPVerdict(satisfied, epsilon, max_ratio, worst)


def verify_oracle_ldp(oracle, epsilon=None, outputs=None, rel_tol: float = 1e-9) -> LDPVerdict:
    """:func:`verify_ldp` for a frequency oracle over its whole domain and ``output_space()``.

    ``epsilon`` is the claimed ε (default: the oracle's own); ``outputs`` overrides the
    enumerated reports (e.g. OLH's reports for a chosen hash seed).
    """
    claimed = oracle.epsilon if epsilon is None else epsilon
    outs = oracle.output_space() if outputs is None else outputs
    return verify_ldp(oracle.report_probability, range(oracle.domain_size), outs, claimed, rel_tol)
