"""Interactive demos of Lesson 01: frequency estimation under local differential privacy."""

from __future__ import annotations

import numpy as np

from . import ORACLES
from .experiments import true_frequencies


def frequency_explorer(values, domain_size: int, labels=None, rng=None):
    """ε slider + oracle buttons: estimated vs true feature popularity, ±2σ from theory.

    Privacy unit: one user's one report; ``rng`` as for every mechanism (None = secure).
    """
    from ..plots import plot_frequencies
    from ..widgets import Choice, Slider, explore

    truth = true_frequencies(values, domain_size)

    def draw(epsilon, oracle):
        mechanism = ORACLES[oracle](epsilon, domain_size)
        estimate = mechanism.estimate(mechanism.perturb(values, rng))
        std = np.sqrt(mechanism.variance(len(values), truth))
        plot_frequencies(truth, estimate, std, labels=labels,
                         title=f"{oracle} at ε = {epsilon:.2g} per user, {len(values):,} users")

    explore(draw, epsilon=Slider("ε", 0.1, 10.0, 1.0, log=True),
                   oracle=Choice("oracle", list(ORACLES), "OUE"))
