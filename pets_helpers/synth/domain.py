"""Public domains of table columns: what values a column *may* take, declared before any data.

A differentially private synthesizer must not learn its domain from the data: a category seen
only because one person has it (a rare occupation, a tiny area) would be revealed without any
noise, and bin edges at the data's minimum and maximum reveal the extreme records. So every
column is given a public domain up front:

- :class:`Categorical` — the full list of categories (also those nobody in the data has);
- :class:`Binned` — numeric values cut into public bins ``[e_0, e_1), …, [e_{k-1}, e_k]``;
  values are modelled by their bin and sampled uniformly inside it (whole numbers if
  ``integer=True``).

:func:`check_domain` validates a mapping ``{column: Categorical | Binned}``;
:func:`encode_table` turns a table into bin/category codes and refuses — with one clear error —
a column without a declared domain, a declared column that is missing, a missing value (NaN) or
a value outside its domain. Nothing is clipped or dropped silently.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Categorical:
    """A column whose values are one of ``categories`` (a public list fixed in advance)."""

    categories: tuple

    def __init__(self, categories):
        if isinstance(categories, (str, bytes)) or not hasattr(categories, "__iter__"):
            raise TypeError(f"categories must be a list of the possible values, got "
                            f"{categories!r}.")
        cats = tuple(categories)
        if not cats:
            raise ValueError("categories is empty: list every value the column may take.")
        index = pd.Index(cats)
        if index.has_duplicates:
            raise ValueError(f"categories lists {index[index.duplicated()][0]!r} more than once.")
        if pd.isna(index).any():
            raise ValueError("categories contains a missing value (NaN/None): name a real "
                             "category instead (e.g. 'unknown').")
        object.__setattr__(self, "categories", cats)

    @property
    def size(self) -> int:
        return len(self.categories)

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.categories]


@dataclass(frozen=True)
class Binned:
    """A numeric column cut into public bins with increasing ``edges`` (k + 1 edges, k bins).

    Bin j is ``[edges[j], edges[j+1])``, the last one closed. With ``integer=True`` the values
    are whole numbers and samples are drawn uniformly from the integers of a bin.
    """

    edges: tuple
    integer: bool = False

    def __init__(self, edges, integer: bool = False):
        if isinstance(edges, (str, bytes)) or not hasattr(edges, "__iter__"):
            raise TypeError(f"edges must be a list of increasing numbers, got {edges!r}.")
        values = []
        for e in edges:
            if isinstance(e, bool) or not isinstance(e, numbers.Real) or not math.isfinite(e):
                raise ValueError(f"edges must be finite numbers, got {e!r} in {list(edges)!r}.")
            values.append(float(e))
        if len(values) < 2:
            raise ValueError(f"edges needs at least two values (one bin), got {values!r}.")
        if any(b <= a for a, b in zip(values, values[1:])):
            raise ValueError(f"edges must be strictly increasing, got {values!r}.")
        if not isinstance(integer, bool):
            raise TypeError(f"integer must be True or False, got {integer!r}.")
        if integer and any(e != round(e) for e in values):
            raise ValueError(f"integer bins need whole-number edges, got {values!r}.")
        object.__setattr__(self, "edges", tuple(values))
        object.__setattr__(self, "integer", integer)

    @property
    def size(self) -> int:
        return len(self.edges) - 1

    @property
    def labels(self) -> list[str]:
        fmt = (lambda v: f"{v:,.0f}") if self.integer else (lambda v: f"{v:,.6g}")
        return [f"[{fmt(a)}, {fmt(b)}{']' if j == self.size - 1 else ')'}"
                for j, (a, b) in enumerate(zip(self.edges, self.edges[1:]))]


def check_domain(domain) -> dict:
    """Return ``domain`` as a dict {column: Categorical | Binned}, or raise naming the problem."""
    if not hasattr(domain, "items"):
        raise TypeError(f"domain must be a dict {{column: Categorical(...) or Binned(...)}}, "
                        f"got {type(domain).__name__}.")
    if not domain:
        raise ValueError("domain is empty: declare a Categorical or Binned domain per column.")
    out = {}
    for name, spec in domain.items():
        if not isinstance(spec, (Categorical, Binned)):
            raise TypeError(f"domain[{name!r}] must be Categorical([...]) or Binned([...]), got "
                            f"{type(spec).__name__} {spec!r}.")
        out[name] = spec
    return out


def _check_table(table) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}.")
    if len(table) == 0:
        raise ValueError("table is empty (0 rows): there is nothing to synthesize from.")
    if table.columns.has_duplicates:
        dup = table.columns[table.columns.duplicated()][0]
        raise ValueError(f"table has two columns named {dup!r}; rename one.")
    return table


def encode_column(values: pd.Series, spec, name: str) -> np.ndarray:
    """Codes 0..size-1 of one column under its public domain (ValueError on NaN or outsiders)."""
    missing = pd.isna(values).to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(f"column {name!r} has a missing value (NaN) in row {i}: drop or impute "
                         f"it first, or declare an explicit category such as 'unknown'.")
    if isinstance(spec, Categorical):
        codes = pd.Index(spec.categories).get_indexer(values.to_numpy())
        bad = codes < 0
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"column {name!r} has the value {values.iloc[i]!r} (row {i}), which "
                             f"is not among its declared categories {list(spec.categories)!r}. "
                             f"Add it to the public domain (or map it to an existing category); "
                             f"a category must never be taken from the data.")
        return codes.astype(np.int64)
    try:
        x = values.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"column {name!r} is declared Binned but holds non-numbers "
                        f"(dtype {values.dtype}).") from None
    lo, hi = spec.edges[0], spec.edges[-1]
    outside = (x < lo) | (x > hi)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise ValueError(f"column {name!r} has {x[i]:g} (row {i}), outside its declared bins "
                         f"[{lo:g}, {hi:g}]. Widen the public edges (or clip the column to them "
                         f"yourself, a public rule); bins are never stretched to fit the data.")
    codes = np.searchsorted(np.asarray(spec.edges), x, side="right") - 1
    return np.minimum(codes, spec.size - 1).astype(np.int64)


def encode_table(table, domain) -> tuple[dict, np.ndarray]:
    """Check ``table`` against ``domain``; return (domain, codes) with codes[:, j] for column j.

    Raises TypeError/ValueError for a non-DataFrame, an empty table, a column without a declared
    domain, a declared column missing from the table, a NaN, or a value outside its domain.
    """
    domain = check_domain(domain)
    table = _check_table(table)
    undeclared = [c for c in table.columns if c not in domain]
    if undeclared:
        raise ValueError(f"column(s) {undeclared!r} have no declared domain. Declare each as "
                         f"Categorical([...]) or Binned([...]) from public knowledge (e.g. the "
                         f"survey's code list), or drop them: a domain read off the data would "
                         f"leak rare values without noise.")
    absent = [c for c in domain if c not in table.columns]
    if absent:
        raise ValueError(f"declared column(s) {absent!r} are not in the table (its columns: "
                         f"{list(table.columns)!r}).")
    codes = np.column_stack([encode_column(table[c], spec, c) for c, spec in domain.items()])
    return domain, codes


def decode_column(codes: np.ndarray, spec, rng: np.random.Generator):
    """Values of one column from its codes: the category, or a uniform draw inside the bin."""
    if isinstance(spec, Categorical):
        return np.asarray(spec.categories, dtype=object)[codes]
    edges = np.asarray(spec.edges)
    lo, hi = edges[codes], edges[codes + 1]
    if spec.integer:
        # integers of [lo, hi) — of [lo, hi] for the last, closed bin
        top = hi - 1 + (codes == spec.size - 1)
        return np.floor(lo + rng.random(codes.size) * (top - lo + 1)).astype(np.int64)
    return lo + rng.random(codes.size) * (hi - lo)
