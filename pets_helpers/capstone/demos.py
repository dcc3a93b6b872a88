"""Lesson 10's figures: recall at a fixed alert rate per stage, and the banks' fraud rates."""

from __future__ import annotations

import pandas as pd

#: Okabe–Ito colours (colour-blind safe).
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def plot_stage_recall(table: pd.DataFrame, ax=None, title=None):
    """Horizontal bars: recall at the alert rate for each stage (first column of ``table``)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1.2), layout="constrained")
    col = table.columns[0]
    colours = [COLOURS[i % len(COLOURS)] for i in range(len(table))]
    ax.barh(range(len(table)), table[col], color=colours)
    for i, (value, caught, total) in enumerate(zip(table[col], table["fraud caught"],
                                                   table["fraud in test"])):
        ax.text(value + 0.01, i, f"{value:.0%} ({caught}/{total})", va="center", fontsize=8)
    ax.set_yticks(range(len(table)), table.index)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"{col} (share of all test fraud caught)")
    ax.set_title(title or "What each stage does to the rare fraud cases")
    return ax


def bank_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Transactions, customers, fraud cases and fraud rate per bank."""
    g = frame.groupby("bank", observed=True)
    out = pd.DataFrame({"transactions": g.size(), "customers": g["customer_id"].nunique(),
                        "fraud cases": g["is_fraud"].sum(), "fraud rate": g["is_fraud"].mean()})
    return out
