"""Marginals: the statistics a marginal-based DP synthesizer measures, and what it does with them.

- :func:`marginal_counts`: the exact contingency table of some columns (over their full public
  domain, empty cells included).
- :func:`noisy_marginal`: the same table released with ε-DP. Privacy unit: one person (one row),
  add/remove-one neighbours. Adding or removing a person changes exactly **one** cell by 1,
  however many columns the marginal has, so the L1 sensitivity is 1 and every cell gets discrete
  Laplace noise of scale 1/ε (:func:`pets_helpers.dp.dp_histogram`, the course's lattice-safe
  mechanism).
- :func:`mutual_information`: I(A; B) in nats from a (noisy) two-way table — negative noisy
  counts are clipped to 0 first (post-processing, no privacy cost).
- :func:`maximum_spanning_tree`: Kruskal's algorithm on edge weights.
- :func:`project_to_simplex` and :func:`fit_margins`: make noisy tables non-negative and
  consistent with agreed one-way marginals.
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

from ..dp import dp_histogram
from ..validation import check_epsilon


def _shape(shape) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    out = tuple(int(s) for s in shape)
    if not out or any(s < 1 for s in out):
        raise ValueError(f"shape must list positive domain sizes, got {shape!r}.")
    return out


def _flat_codes(codes, shape) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.ndim == 1:
        codes = codes[:, None]
    if codes.ndim != 2 or codes.shape[1] != len(shape):
        raise ValueError(f"codes must have one column per domain size {shape}, got shape "
                         f"{codes.shape}.")
    if codes.dtype.kind not in "iu":
        raise TypeError(f"codes must be integer category codes, got dtype {codes.dtype}.")
    if codes.size and ((codes < 0).any() or (codes >= np.asarray(shape)).any()):
        raise ValueError("codes lie outside their domain sizes; encode the table with "
                         "encode_table first.")
    return np.ravel_multi_index(tuple(codes.T), shape) if len(codes) else np.zeros(0, np.int64)


def marginal_counts(codes, shape) -> np.ndarray:
    """Exact counts of each combination of codes (an array of the given shape, zeros included)."""
    shape = _shape(shape)
    flat = _flat_codes(codes, shape)
    return np.bincount(flat, minlength=math.prod(shape)).reshape(shape)


def noisy_marginal(codes, shape, epsilon, rng=None) -> np.ndarray:
    """ε-DP counts of every cell of the public domain ``shape`` (privacy unit: one person).

    L1 sensitivity 1 under add/remove-one (one person, one cell), so each cell gets discrete
    Laplace noise of scale 1/ε; counts can be negative (clip afterwards if needed).
    """
    shape = _shape(shape)
    epsilon = check_epsilon(epsilon)
    flat = _flat_codes(codes, shape)
    noisy = dp_histogram(flat, range(math.prod(shape)), epsilon, rng=rng)
    return noisy.to_numpy().reshape(shape)


def mutual_information(counts) -> float:
    """Mutual information I(A; B) in nats of a two-way table of (possibly noisy) counts.

    Negative cells are set to 0 (noise can make them negative); a table with no positive mass
    has I = 0. I = Σ p(a,b) ln[p(a,b) / (p(a) p(b))], with p the normalised clipped table.
    """
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2:
        raise ValueError(f"counts must be a two-way table (2-D), got shape {table.shape}.")
    if not np.all(np.isfinite(table)):
        raise ValueError("counts contains NaN or infinite values.")
    table = np.clip(table, 0.0, None)
    total = table.sum()
    if total <= 0:
        return 0.0
    p = table / total
    outer = p.sum(1, keepdims=True) * p.sum(0, keepdims=True)
    nz = p > 0
    return float(max(np.sum(p[nz] * np.log(p[nz] / outer[nz])), 0.0))


def maximum_spanning_tree(weights, nodes=None) -> list[tuple]:
    """Edges of a maximum-weight spanning tree (Kruskal), heaviest first.

    ``weights`` maps a pair ``(a, b)`` to its weight; ``nodes`` (default: every node named in a
    pair) are the vertices. Ties are broken by the order of ``weights``. Raises ValueError if
    the pairs do not connect every node.
    """
    if not hasattr(weights, "items"):
        raise TypeError(f"weights must be a dict {{(a, b): weight}}, got {type(weights).__name__}.")
    edges = []
    for pair, w in weights.items():
        if not isinstance(pair, tuple) or len(pair) != 2 or pair[0] == pair[1]:
            raise ValueError(f"each key of weights must be a pair of two nodes, got {pair!r}.")
        if isinstance(w, bool) or not isinstance(w, numbers.Real) or not math.isfinite(w):
            raise ValueError(f"weight of {pair!r} must be a finite number, got {w!r}.")
        edges.append((float(w), pair))
    nodes = list(dict.fromkeys(itertools.chain.from_iterable(p for _, p in edges))) \
        if nodes is None else list(nodes)
    parent = {n: n for n in nodes}

    def root(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    tree = []
    for _, (a, b) in sorted(edges, key=lambda e: -e[0]):   # stable: ties keep their order
        if a not in parent or b not in parent:
            raise ValueError(f"edge {(a, b)!r} names a node outside nodes={nodes!r}.")
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
            tree.append((a, b))
    if len(tree) != len(nodes) - 1:
        raise ValueError("the pairs in weights do not connect every node: no spanning tree.")
    return tree


def project_to_simplex(values, total: float) -> np.ndarray:
    """The closest (Euclidean) vector x ≥ 0 with Σx = total (Duchi et al. 2008)."""
    v = np.asarray(values, dtype=float).ravel()
    if total <= 0:
        return np.zeros_like(v)
    u = np.sort(v)[::-1]
    cumulative = np.cumsum(u) - total
    k = np.arange(1, v.size + 1)
    rho = np.flatnonzero(u - cumulative / k > 0)[-1]
    theta = cumulative[rho] / (rho + 1)
    return np.clip(v - theta, 0.0, None)


def fit_margins(table, rows, cols, floor: float = 1e-3, iterations: int = 100) -> np.ndarray:
    """Adjust a non-negative two-way table to the row sums ``rows`` and column sums ``cols``.

    Iterative proportional fitting (raking) from ``max(table, 0) + floor`` — the floor keeps
    every combination possible, so the fit exists whenever Σrows = Σcols. The result keeps the
    table's associations (its odds ratios) as far as the margins allow.
    """
    t = np.clip(np.asarray(table, dtype=float), 0.0, None) + floor
    rows, cols = np.asarray(rows, dtype=float), np.asarray(cols, dtype=float)
    for _ in range(iterations):
        t *= (rows / np.maximum(t.sum(1), 1e-300))[:, None]
        t *= (cols / np.maximum(t.sum(0), 1e-300))[None, :]
        if np.allclose(t.sum(1), rows, rtol=1e-9, atol=1e-9):
            break
    return t
