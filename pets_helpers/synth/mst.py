"""A differentially private synthesizer in the style of MST (McKenna, Miklau & Sheldon 2021).

:class:`DPTreeSynthesizer` models a table as a **tree of two-way marginals**:

1. *Selection* (a share ``selection_share`` of ε): every pair of columns gets a noisy two-way
   marginal (:func:`~.marginals.noisy_marginal`, ε split evenly over the pairs); the mutual
   information of each *noisy* table scores the pair, and the maximum spanning tree of those
   scores is the model's structure. The tree is chosen from noisy counts only — post-processing,
   so choosing it costs nothing beyond the measurements. (MST chooses with the exponential
   mechanism instead; with a handful of columns, measuring every pair is as cheap and the
   measurements are reused below.)
2. *Measurement* (the rest of ε): each tree edge's two-way marginal is measured again (ε split
   evenly over the d − 1 edges).
3. *Estimation* (post-processing): for each tree edge both measurements are averaged with
   inverse-variance weights; every one-way marginal is the inverse-variance average of the
   margins of all measured tables that contain its column, projected onto non-negative counts
   with the estimated total; each edge table is clipped at 0 and raked to its two one-way
   marginals, so all tables agree.
4. *Sampling* (post-processing): the root column from its one-way marginal, then each column
   given its parent in the tree. Binned numeric values are drawn uniformly inside their bin.

Guarantee: ε-DP (pure) for **one person** — one row — under add/remove-one neighbouring
tables, by sequential composition of the measurements (each an ε_i-DP discrete-Laplace
histogram, Σ ε_i = ε); everything after the measurements is post-processing. The recorded
:class:`~pets_helpers.accounting.PrivacyAccountant` (``accountant_``) lists every measurement.
If a person could own several rows, the guarantee holds for one row, not for the person.

Public inputs, never learned from the data: the domain of every column
(:mod:`~.domain`), ε, the budget split. The **row count is not public**: it is estimated from
the noisy marginals (each noisy table's total is an unbiased estimate of n), so it costs no
extra budget and is as noisy as the marginals; ``sample()`` uses that noisy count by default.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections import defaultdict, deque

import numpy as np
import pandas as pd

from ..accounting import PrivacyAccountant
from ..dp import discrete_laplace_variance
from ..randomness import resolve_rng
from ..validation import check_epsilon, check_positive_int
from .domain import check_domain, decode_column, encode_table
from .marginals import (
    fit_margins,
    maximum_spanning_tree,
    mutual_information,
    noisy_marginal,
    project_to_simplex,
)

PRIVACY_UNIT = "one person (one row of the table), add/remove-one neighbouring tables"


def _laplace_variance(epsilon: float) -> float:
    """Per-cell noise variance of :func:`noisy_marginal` at ε (scale 1/ε, discrete Laplace)."""
    return discrete_laplace_variance(1.0 / epsilon)


class DPTreeSynthesizer:
    """ε-DP synthetic tables from a tree of noisy two-way marginals (see the module docstring).

    Parameters
    ----------
    epsilon : float > 0
        Total privacy budget (nats) for one person.
    domain : dict
        Public domain of every column: ``{column: Categorical([...]) or Binned([...])}``.
    selection_share : float in (0, 1)
        Share of ε spent on choosing the tree (all pairs measured once); the rest measures
        the tree's edges again. Default 0.5.

    After :meth:`fit`: ``tree_`` (edges, parent first), ``mutual_information_`` (noisy MI per
    pair), ``measurements_`` (every noisy table, with its ε), ``accountant_``, ``n_estimate_``
    (the noisy row count).
    """

    def __init__(self, epsilon, domain, selection_share=0.5):
        self.epsilon = check_epsilon(epsilon)
        if isinstance(selection_share, bool) or not isinstance(selection_share, numbers.Real) \
                or not 0.0 < float(selection_share) < 1.0:
            raise ValueError(f"selection_share must lie strictly between 0 and 1 (the share of "
                             f"ε spent on choosing the tree), got {selection_share!r}.")
        self.selection_share = float(selection_share)
        self.domain = check_domain(domain)
        self._fitted = False

    # ------------------------------------------------------------------ fitting
    def fit(self, table, rng=None) -> "DPTreeSynthesizer":
        """Measure the noisy marginals of ``table`` and build the tree model (spends ε once).

        ``rng``: None = cryptographically secure noise (real releases); an int seed or numpy
        Generator for reproducible runs. Raises ValueError/TypeError for an empty table, a column
        without a declared domain, a missing value or a value outside its domain.
        """
        domain, codes = encode_table(table, self.domain)
        rng = resolve_rng(rng)
        columns = list(domain)
        sizes = {c: domain[c].size for c in columns}
        index = {c: j for j, c in enumerate(columns)}
        accountant = PrivacyAccountant(self.epsilon)
        measurements = []

        def measure(cols, eps, stage):
            accountant.spend(eps, label=f"{stage}: marginal {' × '.join(cols)}")
            noisy = noisy_marginal(codes[:, [index[c] for c in cols]],
                                   [sizes[c] for c in cols], eps, rng)
            measurements.append({"columns": tuple(cols), "epsilon": eps, "stage": stage,
                                 "counts": noisy})
            return noisy

        if len(columns) == 1:
            measure(columns, self.epsilon, "measurement")
            tree, scores = [], {}
        else:
            pairs = list(itertools.combinations(columns, 2))
            eps_select = self.epsilon * self.selection_share / len(pairs)
            scores = {}
            for pair in pairs:
                scores[pair] = mutual_information(measure(pair, eps_select, "selection"))
            tree = _orient(maximum_spanning_tree(scores, columns), columns[0])
            eps_edge = self.epsilon * (1.0 - self.selection_share) / len(tree)
            for edge in tree:
                measure(edge, eps_edge, "measurement")

        self.columns_ = columns
        self.tree_ = tree
        self.mutual_information_ = scores
        self.measurements_ = measurements
        self.accountant_ = accountant
        self._estimate(domain)
        self._fitted = True
        return self

    def _estimate(self, domain) -> None:
        """Consistent, non-negative one- and two-way tables from the measurements."""
        totals, one_way = [], defaultdict(list)
        for m in self.measurements_:
            var = _laplace_variance(m["epsilon"])
            counts = m["counts"].astype(float)
            totals.append((counts.sum(), counts.size * var))
            for axis, col in enumerate(m["columns"]):
                others = tuple(a for a in range(counts.ndim) if a != axis)
                margin = counts.sum(axis=others) if others else counts
                one_way[col].append((margin, counts.size / counts.shape[axis] * var))
        self.n_estimate_ = max(_weighted(totals), 1.0)
        self.one_way_ = {c: project_to_simplex(_weighted(one_way[c]), self.n_estimate_)
                         for c in self.columns_}
        self.edge_tables_ = {}
        for parent, child in self.tree_:
            both = [(m["counts"] if m["columns"] == (parent, child) else m["counts"].T,
                     _laplace_variance(m["epsilon"]))
                    for m in self.measurements_ if set(m["columns"]) == {parent, child}]
            self.edge_tables_[(parent, child)] = fit_margins(
                _weighted([(t.astype(float), v) for t, v in both]),
                self.one_way_[parent], self.one_way_[child])

    # ------------------------------------------------------------------ sampling
    def sample(self, num_rows=None, rng=None) -> pd.DataFrame:
        """Synthetic rows (post-processing: no privacy cost). Default: the noisy row count.

        ``rng`` as for :meth:`fit` (None = secure; an int seed for reproducible samples).
        """
        if not self._fitted:
            raise RuntimeError("call fit(table) before sample().")
        n = int(round(self.n_estimate_)) if num_rows is None \
            else check_positive_int(num_rows, "num_rows")
        gen = resolve_rng(rng)
        root = self.columns_[0]
        codes = {root: _draw(self.one_way_[root] / self.one_way_[root].sum(), n, gen)}
        for parent, child in self.tree_:
            table = self.edge_tables_[(parent, child)]
            sums = table.sum(1, keepdims=True)
            conditional = np.where(sums > 0, table / np.where(sums > 0, sums, 1.0),
                                   1.0 / table.shape[1])
            codes[child] = _draw_conditional(conditional, codes[parent], gen)
        return pd.DataFrame({c: decode_column(codes[c], self.domain[c], gen)
                             for c in self.columns_})

    def privacy_statement(self) -> str:
        """What is protected, for whom, at what ε, and what is public."""
        return (f"ε = {self.epsilon:g} differential privacy (pure, δ = 0) for {PRIVACY_UNIT}. "
                f"Public: the column domains, ε and its split. The row count is estimated from "
                f"the noisy marginals (no extra budget).")

    def __repr__(self) -> str:
        state = f", tree={self.tree_}" if self._fitted else ""
        return f"DPTreeSynthesizer(epsilon={self.epsilon:g}{state})"


def _weighted(estimates):
    """Inverse-variance weighted average of [(value, variance), ...]."""
    weights = [1.0 / v for _, v in estimates]
    return sum(w * np.asarray(x, dtype=float) for w, (x, _) in zip(weights, estimates)) \
        / math.fsum(weights)


def _orient(edges, root) -> list[tuple]:
    """Tree edges as (parent, child) in breadth-first order from ``root``."""
    neighbours = defaultdict(list)
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    out, seen, queue = [], {root}, deque([root])
    while queue:
        node = queue.popleft()
        for other in neighbours[node]:
            if other not in seen:
                seen.add(other)
                out.append((node, other))
                queue.append(other)
    return out


def _draw(p, n, gen) -> np.ndarray:
    return np.minimum(np.searchsorted(np.cumsum(p), gen.random(n) * p.sum()), p.size - 1)


def _draw_conditional(conditional, parent_codes, gen) -> np.ndarray:
    cdf = np.cumsum(conditional, axis=1)
    u = gen.random(parent_codes.size)[:, None] * cdf[parent_codes, -1:]
    return np.minimum((cdf[parent_codes] < u).sum(1), conditional.shape[1] - 1)
