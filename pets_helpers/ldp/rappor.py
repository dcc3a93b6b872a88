"""One-time Bloom-filter RAPPOR (Erlingsson, Pihur and Korolova, CCS 2014), without cohorts
and without the instantaneous randomized response (one report per user).

Item v is encoded as an m-bit Bloom filter B(v) with h public hash functions. Each bit goes
through the *permanent randomized response*: set to 1 w.p. f/2, to 0 w.p. f/2, kept w.p. 1-f.
So a report bit is 1 w.p. p = 1 - f/2 where B(v) has a 1 and w.p. q = f/2 where it has a 0.
Two items' filters differ in at most 2h bits, each costing a factor p/q, so choosing
f = 2 / (1 + e^{ε/(2h)}), i.e. ε = 2h·ln((1-f/2)/(f/2)), gives **ε-LDP, privacy unit = one
user's one report** (the exact loss, :attr:`BloomRAPPOR.max_privacy_loss`, is smaller when
no two filters are disjoint).

Estimation (linear, unbiased): with c_j the number of reports with bit j set, t_j =
(c_j - n f/2)/(1-f) is unbiased for (A x)_j, where A is the m×d Bloom membership matrix and x
the item counts. The least-squares solution x̂ = (AᵀA)⁻¹Aᵀt (divided by n) is unbiased if A
has full column rank. The bits are independent, and every bit has the same variance
q(1-q) whatever its true value, so Cov(t) = n q(1-q)/(1-f)² · I and the exact variance is

    Var(x̂_v / n) = q(1-q) / (n (p-q)²) · [(AᵀA)⁻¹]_vv      (whatever the true frequencies).
"""

from __future__ import annotations

import itertools
import math
from typing import Iterator

import numpy as np

from ..randomness import data_rng, resolve_rng
from ..validation import check_domain_values, check_positive_int
from . import hashing
from ._sampling import bernoulli
from .base import (
    FrequencyOracle,
    as_items,
    check_binary_matrix,
    check_frequencies,
    column_counts,
)

_CHUNK_CELLS = 1 << 20  # cells (user × bit) per chunk: a few MB of temporaries
_MAX_ENUMERATED_BITS = 20
_SEED_SEARCH = 1000


def default_num_bits(domain_size: int) -> int:
    """Default Bloom filter size: max(16, 4d) rounded up to a multiple of 8 (whole bytes)."""
    return -(-max(16, 4 * domain_size) // 8) * 8


class BloomRAPPOR(FrequencyOracle):
    """RAPPOR over {0, …, d-1}; reports are an n×m bool matrix.

    ``num_bits`` m (default :func:`default_num_bits`), ``num_hashes`` h (default 2).
    ``hash_seed`` picks the public hash functions; with None, the first seed 0, 1, 2, … whose
    Bloom matrix has full column rank (public and deterministic). Raises ValueError if the
    matrix is rank deficient (m too small for d), as the estimator would then be undefined.
    """

    name = "RAPPOR"

    def __init__(self, epsilon, domain_size, num_bits=None, num_hashes=2, hash_seed=None):
        super().__init__(epsilon, domain_size)
        d = self.domain_size
        self._h = check_positive_int(num_hashes, "num_hashes")
        m = default_num_bits(d) if num_bits is None else num_bits
        self._m = check_positive_int(m, "num_bits", minimum=2)
        if self._m < d:
            raise ValueError(
                f"num_bits = {self._m} < domain_size = {d}: the Bloom matrix cannot have full "
                "column rank, so the frequencies are not identifiable; use num_bits ≥ 4·d."
            )
        if self._m > hashing.MAX_KEY:
            raise ValueError(f"num_bits must be ≤ 2^32, got {self._m}.")
        ratio = math.exp(self.epsilon / (2 * self._h))  # p/q per bit
        self._q = 1.0 / (1.0 + ratio)
        self._p = 1.0 - self._q
        self._f = 2.0 * self._q

        seeds = range(_SEED_SEARCH) if hash_seed is None else [hash_seed]
        for seed in seeds:
            table = self._bloom_table(seed)
            if np.linalg.matrix_rank(table.astype(float)) == d:
                break
        else:
            which = f"hash_seed={hash_seed}" if hash_seed is not None else "any of 1000 seeds"
            raise ValueError(
                f"The Bloom matrix (num_bits={self._m}, num_hashes={self._h}, domain_size={d}) "
                f"does not have full column rank for {which}: some items are not "
                "distinguishable. Increase num_bits (e.g. to 4·d) or change hash_seed."
            )
        self._hash_seed = seed
        self._table = table  # d×m: row v is the Bloom filter B(v)
        gram = (table.astype(float) @ table.T.astype(float))  # AᵀA (d×d)
        gram_inv = np.linalg.inv(gram)
        self._gram_inv_diag = np.diag(gram_inv).copy()
        self._solve = gram_inv  # applied to Aᵀt, i.e. to the support counts
        self._bits_per_item = table.sum(axis=1).astype(float)  # Aᵀ1

    def _bloom_table(self, seed) -> np.ndarray:
        a, b = hashing.draw_seeds(data_rng(seed, "hash_seed"), self._h)  # public parameters
        items = np.arange(self.domain_size)
        table = np.zeros((self.domain_size, self._m), dtype=bool)
        for k in range(self._h):
            table[items, hashing.bucket(a[k], b[k], items, self._m).astype(np.int64)] = True
        return table

    # --- parameters -----------------------------------------------------------------------
    @property
    def f(self) -> float:
        """RAPPOR's noise parameter f = 2/(1 + e^{ε/(2h)})."""
        return self._f

    @property
    def num_bits(self) -> int:
        return self._m

    @property
    def num_hashes(self) -> int:
        return self._h

    @property
    def hash_seed(self):
        return self._hash_seed

    @property
    def bloom_matrix(self) -> np.ndarray:
        """A: m×d 0/1 matrix, A[j, v] = 1 iff bit j is set in item v's Bloom filter."""
        return self._table.T.astype(np.int8)

    @property
    def max_privacy_loss(self) -> float:
        """Exact ε of this instance: ln(p/q)·max_{v,v'} |B(v) Δ B(v')| ≤ epsilon."""
        t = self._table.astype(np.int64)
        sym_diff = t.sum(1)[:, None] + t.sum(1)[None, :] - 2 * (t @ t.T)
        return math.log(self.p / self.q) * int(sym_diff.max())

    def __repr__(self) -> str:
        return (
            f"BloomRAPPOR(epsilon={self.epsilon!r}, domain_size={self.domain_size}, "
            f"num_bits={self._m}, num_hashes={self._h}, hash_seed={self._hash_seed!r})"
        )

    # --- client ---------------------------------------------------------------------------
    def perturb(self, values, rng=None) -> np.ndarray:
        """n×m bool matrix: each user's Bloom filter with every bit flipped w.p. f/2."""
        values = as_items(values, self.domain_size, "values")
        rng = resolve_rng(rng)
        n, m = values.shape[0], self._m
        out = np.empty((n, m), dtype=bool)
        rows = max(1, _CHUNK_CELLS // m)
        for start in range(0, n, rows):
            stop = min(n, start + rows)
            flips = bernoulli(rng, self.q, (stop - start, m))
            np.not_equal(self._table[values[start:stop]], flips, out=out[start:stop])
        return out

    # --- server ---------------------------------------------------------------------------
    def _check_reports(self, reports) -> np.ndarray:
        return check_binary_matrix(reports, self._m, "BloomRAPPOR")

    def _num_reports(self, reports) -> int:
        return int(reports.shape[0])

    def bit_counts(self, reports) -> np.ndarray:
        """c_j: how many reports have bit j set, shape (m,)."""
        return column_counts(self._check_reports(reports))

    def _support_counts(self, reports) -> np.ndarray:
        bits = column_counts(reports)
        return self._table.astype(np.int64) @ bits

    def support_counts(self, reports) -> np.ndarray:
        """Aᵀc: for each item, the number of set report bits at its Bloom positions, summed
        over users (a user can contribute up to h). Shape (d,)."""
        return super().support_counts(reports)

    def estimate(self, reports) -> np.ndarray:
        """Least-squares unbiased frequencies (AᵀA)⁻¹Aᵀt / n, t_j = (c_j - n f/2)/(1-f)."""
        reports = self._check_reports(reports)
        n = self._num_reports(reports)
        aty = (self._support_counts(reports) - n * self.q * self._bits_per_item) / (1 - self._f)
        return self._solve @ aty / n

    def variance(self, n, true_frequencies=None) -> np.ndarray:
        """Exact: q(1-q)/(n(p-q)²)·diag((AᵀA)⁻¹); it does not depend on the true frequencies
        (which are only validated if given)."""
        n = check_positive_int(n, "n")
        if true_frequencies is not None:
            check_frequencies(true_frequencies, self.domain_size)
        q = self.q
        return q * (1 - q) / (n * (self.p - q) ** 2) * self._gram_inv_diag

    # --- exact distribution ---------------------------------------------------------------
    def report_probability(self, value, report) -> float:
        """P[bits | value] = p^(#bits equal to B(value)) · q^(#bits different)."""
        value = int(check_domain_values([value], self.domain_size, "value")[0])
        bits = check_binary_matrix(np.asarray(report).reshape(1, -1), self._m, "BloomRAPPOR")[0]
        differ = int(np.count_nonzero(bits != self._table[value]))
        return self.p ** (self._m - differ) * self.q**differ

    def output_space(self) -> Iterator[tuple[int, ...]]:
        """All 2^m bit vectors (only for m ≤ 20)."""
        if self._m > _MAX_ENUMERATED_BITS:
            raise ValueError(f"output_space has 2^{self._m} reports; only for num_bits ≤ 20.")
        return itertools.product((0, 1), repeat=self._m)
