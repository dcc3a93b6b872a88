"""Generalized (k-ary) randomized response, a.k.a. direct encoding.

Each user reports their item v with probability p = e^ε/(e^ε+d-1) and any one of the d-1
other items with probability q = 1/(e^ε+d-1) each. Guarantee: **ε-LDP, privacy unit = one
user's one report** (p/q = e^ε). Report: one item index (⌈log2 d⌉ bits).

Variance of a frequency estimate (Wang et al. 2017): ≈ (e^ε+d-2) / (n (e^ε-1)²), which grows
linearly in d, so GRR is the best choice only for small domains (d < 3e^ε + 2).
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from ..randomness import resolve_rng
from ..validation import check_domain_values
from .base import FrequencyOracle, as_items, grr_choose


class GeneralizedRR(FrequencyOracle):
    """k-ary randomized response over {0, …, d-1}; reports are int64 item indices."""

    name = "GRR"

    def __init__(self, epsilon, domain_size) -> None:
        super().__init__(epsilon, domain_size)
        # p = e^ε/(e^ε+d-1) and q = p·e^-ε, written to stay finite for large ε
        self._p = 1.0 / (1.0 + (self.domain_size - 1) * math.exp(-self.epsilon))
        self._q = self._p * math.exp(-self.epsilon)

    def perturb(self, values, rng=None) -> np.ndarray:
        """One report per user: an item index (int64), the true one w.p. p."""
        values = as_items(values, self.domain_size, "values")
        return grr_choose(resolve_rng(rng), values, self.domain_size, self.q)

    def _check_reports(self, reports) -> np.ndarray:
        reports = as_items(reports, self.domain_size, "reports")
        if reports.shape[0] == 0:
            raise ValueError("reports is empty: need at least one user's report to estimate.")
        return reports

    def _num_reports(self, reports) -> int:
        return int(reports.shape[0])

    def _support_counts(self, reports) -> np.ndarray:
        return np.bincount(reports, minlength=self.domain_size).astype(np.int64)

    def report_probability(self, value, report) -> float:
        """P[report | value] = p if report == value else q."""
        value = int(check_domain_values([value], self.domain_size, "value")[0])
        report = int(check_domain_values([report], self.domain_size, "report")[0])
        return self.p if report == value else self.q

    def output_space(self) -> Iterator[int]:
        """All reports: the d item indices."""
        return iter(range(self.domain_size))
