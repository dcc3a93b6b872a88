"""Optimized unary encoding (OUE, Wang et al. USENIX Security 2017).

The user one-hot encodes their item v as d bits and randomizes every bit independently: the
1 at position v stays 1 with probability p = 1/2; each 0 becomes 1 with probability
q = 1/(e^ε+1). Guarantee: **ε-LDP, privacy unit = one user's one report**: two items differ
in two bit positions, and the likelihood ratio is at most (p/q)·((1-q)/(1-p)) = e^ε.
Report: d bits (an n×d bool matrix for n users).

Variance of a frequency estimate: ≈ 4e^ε / (n (e^ε-1)²), independent of d.
"""

from __future__ import annotations

import itertools
import math
from typing import Iterator

import numpy as np

from ..randomness import resolve_rng
from ..validation import check_domain_values
from ._sampling import bernoulli
from .base import FrequencyOracle, as_items, check_binary_matrix, column_counts

_CHUNK_CELLS = 1 << 20  # cells (user × bit) per chunk: a few MB of temporaries
_MAX_ENUMERATED_BITS = 20


class OptimizedUnaryEncoding(FrequencyOracle):
    """OUE over {0, …, d-1}; reports are an n×d bool matrix (row = one user's bits)."""

    name = "OUE"

    def __init__(self, epsilon, domain_size) -> None:
        super().__init__(epsilon, domain_size)
        self._p = 0.5
        self._q = 1.0 / (math.exp(self.epsilon) + 1.0)

    def perturb(self, values, rng=None) -> np.ndarray:
        """n×d bool matrix: bit v of a user holding v is 1 w.p. 1/2, every other bit w.p. q.

        Processed in chunks of users, so temporaries stay at a few MB; the output itself
        takes n·d bytes (64 MB for 10^6 users and d = 64).
        """
        values = as_items(values, self.domain_size, "values")
        rng = resolve_rng(rng)
        n, d = values.shape[0], self.domain_size
        out = np.empty((n, d), dtype=bool)
        rows = max(1, _CHUNK_CELLS // d)
        for start in range(0, n, rows):
            stop = min(n, start + rows)
            block = out[start:stop]
            block[...] = bernoulli(rng, self.q, (stop - start, d))
            block[np.arange(stop - start), values[start:stop]] = bernoulli(rng, 0.5, stop - start)
        return out

    def _check_reports(self, reports) -> np.ndarray:
        return check_binary_matrix(reports, self.domain_size, "OptimizedUnaryEncoding")

    def _num_reports(self, reports) -> int:
        return int(reports.shape[0])

    def _support_counts(self, reports) -> np.ndarray:
        return column_counts(reports)

    def report_probability(self, value, report) -> float:
        """P[bits | value] = Π_j P[bit_j | value] (bits independent given the value)."""
        value = int(check_domain_values([value], self.domain_size, "value")[0])
        bits = check_binary_matrix(np.asarray(report).reshape(1, -1), self.domain_size, "OUE")[0]
        probs = np.where(bits, self.q, 1.0 - self.q)
        probs[value] = self.p  # p = 1 - p = 1/2 for either bit value
        return float(np.prod(probs))

    def output_space(self) -> Iterator[tuple[int, ...]]:
        """All 2^d bit vectors (only for d ≤ 20)."""
        if self.domain_size > _MAX_ENUMERATED_BITS:
            raise ValueError(f"output_space has 2^{self.domain_size} reports; only for d ≤ 20.")
        return itertools.product((0, 1), repeat=self.domain_size)
