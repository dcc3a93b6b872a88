"""Interactive demos of Lesson 09 (library side: notebooks import them from here)."""

from __future__ import annotations

import pandas as pd

from ..widgets import Choice, Slider, explore
from .census_table import CENSUS_DOMAIN, RARE_GROUP
from .mst import DPTreeSynthesizer
from .plots import category_counts, plot_column


def explore_dp_synthesizer(train: pd.DataFrame) -> None:
    """An ε slider and a column choice: the DP tree synthesizer refitted live (fresh noise)."""
    from .sdv_models import quality_report

    def draw(epsilon, column):
        rows = DPTreeSynthesizer(epsilon, CENSUS_DOMAIN).fit(train).sample(len(train))
        score = quality_report(train, rows).get_score()
        label = f"DP tree, ε = {epsilon:.2g}"
        rare = category_counts({"real": train, label: rows}, *RARE_GROUP)
        ax = plot_column({"real (train)": train, label: rows}, column)
        ax.set_title(f"{column} — ε = {epsilon:.2g} per person: quality {score:.3f}; "
                     f"{RARE_GROUP[1]}: {rare['real']} real, {rare[label]} synthetic rows")

    explore(draw, epsilon=Slider("ε (one person)", 0.03, 30.0, 1.0, log=True),
            column=Choice("column", list(CENSUS_DOMAIN), "relationship"))
