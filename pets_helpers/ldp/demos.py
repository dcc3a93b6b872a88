"""Interactive demos of Lesson 01: frequency estimation under local differential privacy."""

from __future__ import annotations

import numpy as np

from . import ORACLES
from .experiments import true_frequencies


def frequency_explorer(values, domain_size: int, labels=None, rng=None, users: int = 20_000):
    """ε slider + oracle buttons: estimated vs true feature popularity, ±2σ from theory.

    Simulates the first ``users`` users of ``values`` (20,000 by default: few enough that moving
    ε visibly changes the estimates, and a redraw takes well under half a second). Each
    (ε, oracle) setting is simulated once and cached, so moving back is instant. Privacy unit:
    one user's one report; ``rng`` as for every mechanism (None = secure).
    """
    import functools

    from ..plots import plot_frequencies
    from ..widgets import Choice, Slider, explore

    sample = np.asarray(values)[:int(users)]
    truth = true_frequencies(sample, domain_size)

    @functools.lru_cache(maxsize=512)
    def simulate(epsilon, oracle):
        mechanism = ORACLES[oracle](epsilon, domain_size)
        estimate = mechanism.estimate(mechanism.perturb(sample, rng))
        return estimate, np.sqrt(mechanism.variance(len(sample), truth))

    def draw(epsilon, oracle):
        estimate, std = simulate(float(epsilon), oracle)
        plot_frequencies(truth, estimate, std, labels=labels,
                         title=f"{oracle} at ε = {epsilon:.2g} per report (one user's one "
                               f"answer), {len(sample):,} users")

    explore(draw, epsilon=Slider("ε (per report)", 0.1, 10.0, 1.0, log=True),
            oracle=Choice("oracle", list(ORACLES), "OUE"))
