"""Optimized local hashing (OLH, Wang et al. USENIX Security 2017).

Each user draws a fresh random hash function h: {0, …, d-1} → {0, …, g-1} with
g = round(e^ε) + 1 buckets (a 128-bit seed (a, b) of the multiply-add-shift family in
:mod:`pets_helpers.ldp.hashing`), hashes their item and applies g-ary randomized response to
the bucket: report h(v) w.p. p = e^ε/(e^ε+g-1), any other bucket w.p. 1/(e^ε+g-1). The report
is (seed, bucket). Guarantee: **ε-LDP, privacy unit = one user's one report**: the seed is
drawn independently of the item, and given the seed the bucket is g-ary RR (ratio ≤ e^ε).

A report supports item v if h(v) equals the reported bucket: w.p. p for users holding v, and
w.p. q = 1/g for the others (a collision, then RR). Estimator (c_v/n - 1/g)/(p - 1/g);
variance ≈ q(1-q)/(n (p-q)²) = 4e^ε/(n (e^ε-1)²) when e^ε+1 is an integer (Wang et al. 2017).

The hash family's collision probability is 1/g only up to a relative error of ≈ g/2^32
(see :mod:`pets_helpers.ldp.hashing`), which the estimator ignores (bias ≲ 1e-9).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..randomness import resolve_rng
from ..validation import check_domain_values
from . import hashing
from .base import FrequencyOracle, as_items, grr_choose

_CHUNK_USERS = 1 << 14  # users per aggregation chunk: a few uint64 arrays that stay in cache
_DEFAULT_SEED = (0x9E3779B97F4A7C15, 0xD1B54A32D192ED03)  # fixed example seed for output_space


@dataclass(frozen=True)
class OLHReports:
    """OLH reports of n users: hash seeds ``a``, ``b`` (uint64) and reported ``bucket``."""

    a: np.ndarray
    b: np.ndarray
    bucket: np.ndarray

    def __len__(self) -> int:
        return int(self.bucket.shape[0])

    def __getitem__(self, index) -> "OLHReports":
        """Reports of a subset of users (``index``: slice, int array or bool mask)."""
        if isinstance(index, (int, np.integer)):
            index = np.array([int(index)])
        return OLHReports(self.a[index], self.b[index], self.bucket[index])


class OptimizedLocalHashing(FrequencyOracle):
    """OLH over {0, …, d-1}; reports are an :class:`OLHReports`."""

    name = "OLH"

    def __init__(self, epsilon, domain_size) -> None:
        super().__init__(epsilon, domain_size)
        if self.domain_size > hashing.MAX_KEY:
            raise ValueError(f"domain_size must be ≤ 2^32 for OLH, got {self.domain_size}.")
        if self.epsilon > 21:
            raise ValueError(
                f"epsilon = {self.epsilon} would need g = round(e^ε)+1 > 2^30 hash buckets; "
                "OLH supports ε ≤ 21 (use GeneralizedRR for such weak privacy)."
            )
        self._g = int(round(math.exp(self.epsilon))) + 1
        self._p = math.exp(self.epsilon) / (math.exp(self.epsilon) + self._g - 1)
        self._q_bucket = 1.0 / (math.exp(self.epsilon) + self._g - 1)
        self._q = 1.0 / self._g  # a user with another item hashes to the reported bucket

    @property
    def g(self) -> int:
        """Number of hash buckets, round(e^ε) + 1."""
        return self._g

    @property
    def bucket_q(self) -> float:
        """1/(e^ε+g-1): probability of reporting one particular wrong bucket."""
        return self._q_bucket

    def perturb(self, values, rng=None) -> OLHReports:
        """Per user: a fresh random hash seed and the g-ary-RR'd bucket of their item."""
        values = as_items(values, self.domain_size, "values")
        rng = resolve_rng(rng)
        a, b = hashing.draw_seeds(rng, values.shape[0])
        true_bucket = hashing.bucket(a, b, values, self.g).astype(np.int64)
        return OLHReports(a, b, grr_choose(rng, true_bucket, self.g, self.bucket_q))

    def _check_reports(self, reports) -> OLHReports:
        if not isinstance(reports, OLHReports):
            raise TypeError(
                "reports must be the OLHReports returned by OptimizedLocalHashing.perturb, "
                f"got {type(reports).__name__}."
            )
        a, b = np.asarray(reports.a), np.asarray(reports.b)
        y = np.asarray(reports.bucket)
        if a.dtype != np.uint64 or b.dtype != np.uint64:
            raise TypeError(f"OLH seeds must be uint64 arrays, got {a.dtype} and {b.dtype}.")
        if not a.ndim == b.ndim == y.ndim == 1 or not a.shape == b.shape == y.shape:
            raise ValueError(
                "OLH reports need 1-D arrays a, b, bucket of equal length, got shapes "
                f"{a.shape}, {b.shape}, {y.shape}."
            )
        y = as_items(y, self.g, "reports.bucket")
        if y.shape[0] == 0:
            raise ValueError("reports is empty: need at least one user's report to estimate.")
        return OLHReports(a, b, y)

    def _num_reports(self, reports) -> int:
        return len(reports)

    def _support_counts(self, reports) -> np.ndarray:
        """c_v = #{users i : h_i(v) = bucket_i}, in O(n·d) with a Python loop over items.

        Per user, t_i(v) = a_i·v + b_i (mod 2^64) grows by a_i from item to item, and
        h_i(v) = bucket_i  ⇔  (t_i(v) - start_i) mod 2^64 < width_i (hashing.bucket_bounds).
        """
        d = self.domain_size
        counts = np.zeros(d, dtype=np.int64)
        start, width = hashing.bucket_bounds(reports.bucket, self.g)
        n = len(reports)
        hit = np.empty(min(n, _CHUNK_USERS), dtype=bool)
        for lo in range(0, n, _CHUNK_USERS):
            hi = min(n, lo + _CHUNK_USERS)
            a = reports.a[lo:hi]
            w = width[lo:hi]
            s = reports.b[lo:hi] - start[lo:hi]  # t(0) - start
            h = hit[: hi - lo]
            for v in range(d):
                np.less(s, w, out=h)
                counts[v] += np.count_nonzero(h)
                s += a
        return counts

    def report_probability(self, value, report) -> float:
        """P[bucket | value, seed] for a report (a, b, bucket): p if h_{a,b}(value) == bucket,
        else 1/(e^ε+g-1). The seed's own probability does not depend on the value and
        cancels in every likelihood ratio, so it is left out."""
        value = int(check_domain_values([value], self.domain_size, "value")[0])
        if isinstance(report, OLHReports):
            if len(report) != 1:
                raise ValueError(f"report_probability takes one report, got {len(report)}.")
            report = (int(report.a[0]), int(report.b[0]), int(report.bucket[0]))
        a, b, y = (int(x) for x in report)
        y = int(check_domain_values([y], self.g, "bucket")[0])
        return self.p if hashing.bucket_scalar(a, b, value, self.g) == y else self.bucket_q

    def output_space(self, seed=None) -> Iterator[tuple[int, int, int]]:
        """The g reports (a, b, y) possible with one hash seed (a, b) (a fixed one if None)."""
        a, b = _DEFAULT_SEED if seed is None else (int(seed[0]), int(seed[1]))
        return ((a, b, y) for y in range(self.g))
