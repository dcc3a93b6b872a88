"""Statistical DP test of DPTreeSynthesizer's release (its noisy marginals), and its teeth.

Everything the synthesizer learns from the data is in ``measurements_`` (the model and the
samples are post-processing of it), so testing the measurements tests the synthesizer. With two
columns the release is the pair's two-way marginal measured twice (selection and measurement
stage, ε split between them), i.e. per cell a pair of noisy counts.

Neighbouring tables differ by one person, who changes one cell of each measurement. As in
``test_dp_privacy`` for histograms, a table holding every one of K cells once versus twice gives,
in each cell, K independent samples of the law of the changing cell's pair (count 1 vs count 2):
the held-out test on the 2-D cells and quadrants (``proves_violation``, false alarm ≤ 1e-6)
must find no violation of ε-DP, and must find one for a synthesizer calibrated for 2ε (half the
noise) that claims ε.
"""

import numpy as np
import pandas as pd
from test_dp_privacy import fails_all_3, passes_best_of_3, proves_violation, set_counts_2d

from pets_helpers.synth import Categorical, DPTreeSynthesizer

ROWS, COLS = 400, 500                                  # K = 200,000 cells
DOMAIN = {"a": Categorical(range(ROWS)), "b": Categorical(range(COLS))}
EDGES = np.arange(-5.0, 9.01, 1.0)
EPSILON = 1.0


def table(copies: int) -> pd.DataFrame:
    a, b = np.meshgrid(np.arange(ROWS), np.arange(COLS), indexing="ij")
    return pd.DataFrame({"a": np.repeat(a.ravel(), copies), "b": np.repeat(b.ravel(), copies)})


TABLES = {1: table(1), 2: table(2)}


def released_pairs(copies: int, claimed_epsilon: float, noise_factor: float, seed: int):
    """(selection count, measurement count) of every cell, for a synthesizer whose noise is
    ``noise_factor`` times what ``claimed_epsilon`` needs."""
    synth = DPTreeSynthesizer(claimed_epsilon / noise_factor, DOMAIN, selection_share=0.5)
    synth.fit(TABLES[copies], rng=np.random.default_rng([seed, copies]))
    stages = {m["stage"]: m["counts"].ravel().astype(float) for m in synth.measurements_}
    assert set(stages) == {"selection", "measurement"} and len(synth.measurements_) == 2
    return stages["selection"], stages["measurement"]


def run(noise_factor: float):
    def one(seed):
        x = released_pairs(1, EPSILON, noise_factor, seed)
        y = released_pairs(2, EPSILON, noise_factor, seed)
        return not proves_violation(set_counts_2d(*x, EDGES, EDGES),
                                    set_counts_2d(*y, EDGES, EDGES), x[0].size, EPSILON)
    return one


def test_dp_synthesizer_release_is_epsilon_dp():
    assert passes_best_of_3(run(1.0))


def test_dp_synthesizer_test_has_teeth():
    assert fails_all_3(run(0.5))


def test_each_measurement_spends_what_the_ledger_says():
    synth = DPTreeSynthesizer(EPSILON, DOMAIN, selection_share=0.25).fit(TABLES[1], rng=9)
    ledger = synth.accountant_.ledger
    assert [e.epsilon for e in ledger] == [m["epsilon"] for m in synth.measurements_]
    assert sum(e.epsilon for e in ledger) == EPSILON
    for entry, m in zip(ledger, synth.measurements_):
        assert m["stage"] in entry.label and " × ".join(m["columns"]) in entry.label
