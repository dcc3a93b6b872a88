"""Plots shared by the lessons (matplotlib; each returns the Axes it drew on)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd


def _axes(ax, figsize=(8, 3.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_frequencies(truth, estimate, std=None, labels=None, ax=None, title=None):
    """True vs estimated frequency per item; error bars of ±2 standard deviations if given."""
    ax = _axes(ax)
    truth, estimate = np.asarray(truth), np.asarray(estimate)
    x = np.arange(len(truth))
    ax.bar(x, truth, color="#c6d6ea", label="true frequency")
    yerr = None if std is None else 2 * np.asarray(std)
    ax.errorbar(x, estimate, yerr=yerr, fmt="o", color="#b3261e", ms=4, capsize=2,
                label="estimate" + ("" if std is None else " ± 2σ (theory)"))
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("item")
    ax.set_ylabel("fraction of users")
    if labels is not None:
        ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=8)
    ax.legend(loc="upper right")
    if title:
        ax.set_title(title)
    return ax


def plot_mse_vs_epsilon(results: pd.DataFrame, ax=None, title="Error vs privacy budget"):
    """Measured MSE (dots) against the theoretical variance (lines), per oracle, log–log."""
    ax = _axes(ax, figsize=(7, 4))
    for i, (name, group) in enumerate(results.groupby("oracle", sort=False)):
        color = f"C{i}"
        ax.plot(group["epsilon"], group["theoretical_mse"], "-", color=color,
                label=f"{name} theory")
        ax.plot(group["epsilon"], group["measured_mse"], "o", color=color,
                label=f"{name} measured")
    ax.set_xscale("log")
    ax.set_yscale("log")
    # one plain label per measured ε, no minor labels: log axes otherwise print overlapping
    # "2×10⁻¹, 3×10⁻¹, …" labels when the range spans about a decade
    eps = np.unique(results["epsilon"].to_numpy(dtype=float))
    ax.set_xticks(eps, [f"{e:g}" for e in eps])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("ε (per report: one user's one answer)")
    ax.set_ylabel("mean squared error of a frequency")
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    return ax
