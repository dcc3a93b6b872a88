"""Splitting one data set across federated clients: IID and Dirichlet(α) label skew.

Both partitioners return a list of index arrays, one per client: disjoint, together covering
every example exactly once, each sorted, and **every client non-empty**. Both are seeded
(``seed`` is anything ``numpy.random.default_rng`` accepts), so a run is reproducible.

Dirichlet label skew (Yurochkin et al., 2019; Hsu et al., 2019)
---------------------------------------------------------------
For each class c independently, draw the shares ``p_c ~ Dirichlet(α, …, α)`` over the K
clients and give client k a share ``p_c,k`` of class c's examples (shuffled, then cut at the
cumulative shares). Each share is Beta(α, (K−1)α): mean 1/K, and

    E[Σ_k p_c,k²] = (α + 1) / (Kα + 1),

which goes from 1/K (every client holds the same label mix: IID) as α → ∞ to 1 (each class
sits on one client) as α → 0. α = 100 is practically IID, α = 1 is moderate skew, α = 0.1 is
strong skew (most clients see two or three classes). :func:`dirichlet_share_moments` gives the
mean and variance of that statistic, which the tests and the lesson's check use.

A draw that leaves a client empty is redrawn (at most ``max_tries`` times), as in the reference
implementations; with the data sizes of the lessons this almost never happens, so the shares
stay Dirichlet-distributed.
"""

from __future__ import annotations

import numpy as np

from ..validation import check_positive_int, check_real


def _check_labels(labels) -> np.ndarray:
    y = np.asarray(labels)
    if y.ndim != 1:
        raise ValueError(f"labels must be 1-D (one label per example), got shape {y.shape}.")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        i = int(np.flatnonzero(~np.isfinite(y))[0])
        raise ValueError(f"labels contain {y[i]} at position {i}; remove or impute it first.")
    return y


def _check_clients(n_clients, n_examples: int) -> int:
    k = check_positive_int(n_clients, "n_clients")
    if k > n_examples:
        raise ValueError(f"n_clients = {k} is more than the {n_examples} examples: some client "
                         f"would hold no data. Use at most {n_examples} clients, or more data.")
    return k


def check_alpha(alpha) -> float:
    """α as a float, or one clear error unless it is a finite number > 0."""
    return check_real(alpha, "alpha", low=0, closed="neither",
                      hint="α is the Dirichlet concentration: small α (0.1) is strong label "
                           "skew, large α (100) nearly IID. For an exactly IID split use "
                           "iid_partition.")


def iid_partition(n_examples: int, n_clients: int, seed=0) -> list[np.ndarray]:
    """Shuffle the indices 0..n_examples−1 and cut them into ``n_clients`` parts of equal size
    (sizes differ by at most one)."""
    n = check_positive_int(n_examples, "n_examples")
    k = _check_clients(n_clients, n)
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(part) for part in np.array_split(order, k)]


def dirichlet_partition(labels, n_clients: int, alpha: float, seed=0,
                        max_tries: int = 1000) -> list[np.ndarray]:
    """Label-skewed split of the examples with ``labels`` across ``n_clients`` clients:
    each class is divided among the clients in Dirichlet(α) shares (see the module docstring).

    Raises ValueError for α ≤ 0, more clients than examples, NaN labels, or when no draw in
    ``max_tries`` gives every client at least one example (α too small for this many clients).
    """
    y = _check_labels(labels)
    k = _check_clients(n_clients, len(y))
    a = check_alpha(alpha)
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    for _ in range(check_positive_int(max_tries, "max_tries")):
        parts: list[list[np.ndarray]] = [[] for _ in range(k)]
        for c in classes:
            idx = rng.permutation(np.flatnonzero(y == c))
            shares = rng.dirichlet(np.full(k, a))
            cuts = np.round(np.cumsum(shares)[:-1] * len(idx)).astype(int)
            for client, chunk in enumerate(np.split(idx, cuts)):
                parts[client].append(chunk)
        out = [np.sort(np.concatenate(p)) for p in parts]
        if all(len(p) for p in out):
            return out
    raise ValueError(f"no Dirichlet(α={a}) draw in {max_tries} tries gave all {k} clients at "
                     f"least one example: α is too small for this many clients. Use a larger "
                     f"alpha or fewer clients.")


def label_counts(labels, partition: list[np.ndarray], n_classes: int | None = None) -> np.ndarray:
    """Matrix (clients × classes) of how many examples of each class each client holds."""
    y = np.asarray(labels).astype(np.int64)
    k = int(n_classes if n_classes is not None else y.max() + 1)
    return np.stack([np.bincount(y[np.asarray(p, dtype=np.int64)], minlength=k)
                     for p in partition])


def check_partition(partition, n_examples: int) -> list[np.ndarray]:
    """``partition`` as index arrays, or one clear error unless they are disjoint, cover
    0..n_examples−1 exactly once and leave no client empty."""
    if not isinstance(partition, (list, tuple)) or not partition:
        raise TypeError(f"a partition is a non-empty list of index arrays, got "
                        f"{type(partition).__name__}.")
    parts = [np.asarray(p).reshape(-1) for p in partition]
    for i, p in enumerate(parts):
        if p.size == 0:
            raise ValueError(f"client {i} holds no example; every client needs data.")
        if p.dtype.kind not in "iu":
            raise TypeError(f"client {i}'s indices must be integers, got dtype {p.dtype}.")
    allidx = np.concatenate(parts)
    counts = np.bincount(allidx, minlength=n_examples) if allidx.min() >= 0 else None
    if counts is None or counts.size != n_examples or not np.all(counts == 1):
        raise ValueError("the parts must be disjoint and cover every index 0..n−1 exactly once.")
    return parts


def dirichlet_share_moments(alpha: float, n_clients: int) -> tuple[float, float]:
    """Mean and variance of ``S = Σ_k p_k²`` for ``p ~ Dirichlet(α·1_K)`` (exact, from the
    Dirichlet moments E[∏ p_i^{n_i}] = Γ(Kα)/Γ(Kα+Σn) · ∏ Γ(α+n_i)/Γ(α))."""
    a = check_alpha(alpha)
    k = check_positive_int(n_clients, "n_clients", minimum=2)
    big = k * a
    mean = (a + 1) / (big + 1)
    denom = big * (big + 1) * (big + 2) * (big + 3)
    p4 = a * (a + 1) * (a + 2) * (a + 3) / denom
    p2p2 = (a * (a + 1)) ** 2 / denom
    second = k * p4 + k * (k - 1) * p2p2
    return mean, second - mean ** 2


def mean_squared_share(labels, partition: list[np.ndarray]) -> tuple[float, np.ndarray]:
    """The observed ``Σ_k s_c,k²`` averaged over classes c (``s_c,k``: client k's share of class
    c), and the per-class shares matrix (classes × clients)."""
    counts = label_counts(labels, partition).T.astype(float)  # classes × clients
    counts = counts[counts.sum(axis=1) > 0]
    shares = counts / counts.sum(axis=1, keepdims=True)
    return float(np.mean(np.sum(shares ** 2, axis=1))), shares
