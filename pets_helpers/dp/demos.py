"""Demos of Lesson 02: per-area DP releases of mean household income, as a table, a plot and a
widget. Privacy unit: one household's record (add/remove-one neighbours)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .statistics import dp_grouped_mean, dp_mean_mse


def area_release_table(households, groups, lower, upper, epsilon, rng=None,
                       income="income_adjusted", by="PUMA") -> pd.DataFrame:
    """Per-area DP mean (:func:`~pets_helpers.dp.dp_grouped_mean`), exact and clipped means, analytic sd.

    Privacy unit: one household's record; every area gets the full ε (parallel composition).
    ``sd`` is the analytic standard deviation of the noise (bias-free part of
    :func:`dp_mean_mse`); ``clipped_mean`` is what the noise is centred on.
    """
    known = households.dropna(subset=[income])
    release = dp_grouped_mean(known, by, income, lower, upper, epsilon, rng=rng, groups=groups)
    rows = []
    for g in groups:
        x = known.loc[known[by] == g, income].to_numpy(dtype=float)
        clipped = float(np.clip(x, lower, upper).mean())
        sd = math.sqrt(dp_mean_mse(len(x), clipped, lower, upper, epsilon))
        rows.append((g, len(x), float(x.mean()), clipped, sd))
    table = pd.DataFrame(rows, columns=[by, "households", "exact_mean", "clipped_mean", "sd"])
    table = table.set_index(by)
    table["dp_release"] = release["estimate"]
    return table


def plot_area_release(table, title=None, ax=None):
    """Exact mean (bars), clipped mean (ticks) and DP release ± 2 analytic sd, per area."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
    x = np.arange(len(table))
    ax.bar(x, table["exact_mean"], color="#c6d6ea", label="exact mean (SQL)")
    ax.plot(x, table["clipped_mean"], "_", color="k", ms=18, mew=2, label="clipped mean")
    ax.errorbar(x, table["dp_release"], yerr=2 * table["sd"], fmt="o", color="#b3261e", ms=5,
                capsize=3, label="DP release ± 2 sd (theory)")
    ax.set_xticks(x, table.index, rotation=45)
    ax.set_xlabel(table.index.name or "area")
    ax.set_ylabel("mean household income ($)")
    ax.legend(loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def release_explorer(households, groups, lower=-59_999.0, rng=None,
                     privacy_unit: str = "one household's record"):
    """ε slider (log) + upper-bound slider: per-area DP release with ± 2 sd error bars."""
    import functools

    from ..widgets import Slider, explore

    @functools.lru_cache(maxsize=512)  # each (ε, bound) is released once: moving back is instant
    def release(epsilon, upper):
        return area_release_table(households, groups, lower, upper, epsilon, rng=rng)

    def draw(epsilon, upper):
        table = release(float(epsilon), float(upper))
        plot_area_release(table, title=f"ε = {epsilon:.2g} per household (privacy unit: "
                                       f"{privacy_unit}), bounds [{lower:,.0f}, {upper:,.0f}]")

    explore(draw, epsilon=Slider("ε (one household)", 0.01, 10.0, 1.0, log=True),
            upper=Slider("upper bound ($)", 60_000.0, 1_000_000.0, 300_000.0, step=10_000.0))
