"""Plots for comparing synthetic tables with the real one (colour-blind-safe Okabe–Ito colours).

- :func:`plot_column`: one column, real vs. each synthetic table (bars of shares for a
  categorical column, histograms for a numeric one).
- :func:`plot_pair_scores`: heatmaps of SDMetrics' column-pair scores, one per synthesizer.
- :func:`category_counts`: how many rows of a (rare) category each table holds.
- :func:`plot_privacy_utility`: quality and membership-inference AUC against ε.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

#: Okabe & Ito (2008) colours, distinguishable with every common colour-vision deficiency.
COLOURS = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7",
           "#F0E442")


def _tables(tables) -> dict:
    if not hasattr(tables, "items") or not tables:
        raise TypeError("tables must be a dict {label: DataFrame}, the real table first.")
    return dict(tables)


def plot_column(tables, column: str, ax=None, bins: int = 30):
    """Distribution of ``column`` in each table of ``tables`` ({label: DataFrame}, real first)."""
    tables = _tables(tables)
    ax = ax or plt.subplots(figsize=(8, 3.2))[1]
    first = next(iter(tables.values()))[column]
    if first.dtype.kind in "iuf":
        values = np.concatenate([t[column].to_numpy(dtype=float) for t in tables.values()])
        edges = np.histogram_bin_edges(np.clip(values, *np.quantile(values, [0.0, 0.99])), bins)
        for (label, t), colour in zip(tables.items(), COLOURS):
            ax.hist(np.clip(t[column].to_numpy(dtype=float), edges[0], edges[-1]), edges,
                    density=True, histtype="step", linewidth=2, color=colour, label=label)
        ax.set_ylabel("density")
        ax.set_xlabel(f"{column} (top 1 % folded into the last bin)")
    else:
        categories = list(pd.unique(first.astype(str)))
        x = np.arange(len(categories))
        width = 0.8 / len(tables)
        for i, ((label, t), colour) in enumerate(zip(tables.items(), COLOURS)):
            shares = t[column].astype(str).value_counts(normalize=True).reindex(categories)
            ax.bar(x + i * width, shares.fillna(0).to_numpy(), width, color=colour, label=label)
        ax.set_xticks(x + 0.4 - width / 2, categories, rotation=30, ha="right")
        ax.set_ylabel("share of rows")
        ax.set_xlabel(column)
    ax.set_title(f"{column}: real vs synthetic")
    ax.legend(frameon=False, fontsize="small")
    return ax


def plot_pair_scores(matrices, vmin: float = 0.5):
    """One heatmap of column-pair scores (0–1, higher = better kept) per synthesizer."""
    matrices = _tables(matrices)
    fig, axes = plt.subplots(1, len(matrices), figsize=(4.2 * len(matrices), 3.8),
                             squeeze=False)
    for ax, (label, m) in zip(axes[0], matrices.items()):
        image = ax.imshow(m.to_numpy(dtype=float), vmin=vmin, vmax=1.0, cmap="viridis")
        ax.set_xticks(range(len(m)), m.columns, rotation=45, ha="right")
        ax.set_yticks(range(len(m)), m.index)
        ax.set_title(label)
        for i, j in zip(*np.nonzero(np.isfinite(m.to_numpy(dtype=float)))):
            ax.text(j, i, f"{m.iat[i, j]:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if m.iat[i, j] < (vmin + 1) / 2 else "black")
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="pair score (1 = kept)")
    return fig


def category_counts(tables, column: str, category) -> pd.Series:
    """Rows with ``column == category`` in each table ({label: DataFrame})."""
    tables = _tables(tables)
    return pd.Series({label: int((t[column].astype(str) == str(category)).sum())
                      for label, t in tables.items()}, name=f"{column} = {category}")


def plot_privacy_utility(curve: pd.DataFrame, references=None, chance_margin=None):
    """Quality score and membership-inference AUC of a DP synthesizer against ε (log axis).

    ``curve``: columns ``epsilon``, ``quality``, ``auc`` (several rows per ε are averaged and
    their spread drawn); ``references``: {label: (quality, auc)} for non-private synthesizers,
    drawn as horizontal lines; ``chance_margin``: shade 0.5 ± margin (a guesser's AUC range).
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    grouped = curve.groupby("epsilon")
    for ax, metric, name in ((left, "quality", "SDMetrics quality (all pairs)"),
                             (right, "auc", "membership-inference AUC")):
        mean, low, high = grouped[metric].mean(), grouped[metric].min(), grouped[metric].max()
        ax.fill_between(mean.index, low, high, color=COLOURS[5], alpha=0.2, linewidth=0)
        ax.plot(mean.index, mean, "o-", color=COLOURS[5], label="DP tree synthesizer")
        for (label, values), colour in zip((references or {}).items(), COLOURS[1:]):
            ax.axhline(values[0 if metric == "quality" else 1], color=colour, linestyle="--",
                       label=f"{label} (no DP)")
        ax.set_xscale("log")
        ax.set_xlabel("ε (privacy unit: one person)")
        ax.set_ylabel(name)
    if chance_margin is not None:
        right.axhspan(0.5 - chance_margin, 0.5 + chance_margin, color="0.85", zorder=0,
                      label="chance (±1e-6 margin)")
    left.legend(frameon=False, fontsize="small")
    right.legend(frameon=False, fontsize="small")
    left.set_title("utility")
    right.set_title("privacy risk")
    fig.tight_layout()
    return fig
