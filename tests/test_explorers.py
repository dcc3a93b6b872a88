"""The Lesson 01/02 explorers: a small population that ε visibly moves, one simulation per
setting (cached), and plots that say the privacy unit."""

import matplotlib.pyplot as plt
import numpy as np

from pets_helpers import ldp, widgets
from pets_helpers.ldp import demos as l01


def capture(monkeypatch, explorer, *args, **kwargs):
    seen = {}
    monkeypatch.setattr(widgets, "explore", lambda draw, **c: seen.update(draw=draw, controls=c))
    explorer(*args, **kwargs)
    return seen["draw"], seen["controls"]


def test_frequency_explorer_simulates_a_small_population_once_per_setting(monkeypatch):
    calls = []
    real = ldp.OptimizedUnaryEncoding.perturb

    def counting(self, values, rng=None):
        calls.append(len(values))
        return real(self, values, rng)

    monkeypatch.setattr(ldp.OptimizedUnaryEncoding, "perturb", counting)
    values = np.random.default_rng(0).integers(0, 8, 100_000)
    draw, controls = capture(monkeypatch, l01.frequency_explorer, values, 8,
                             rng=np.random.default_rng(1))
    assert "per report" in controls["epsilon"].description
    draw(epsilon=1.0, oracle="OUE")
    title = plt.gca().get_title()
    draw(epsilon=1.0, oracle="OUE")   # the same setting again: no new simulation
    draw(epsilon=0.5, oracle="OUE")
    plt.close("all")
    assert calls == [20_000, 20_000]
    assert "per report" in title and "20,000 users" in title


def test_fewer_users_make_epsilon_visible():
    """At 20,000 users the estimation error at ε = 0.3 is several times that at ε = 3 — the
    ratio of the theoretical standard deviations — so the explorer shows the difference."""
    oue = ldp.OptimizedUnaryEncoding
    sd = {e: float(np.sqrt(oue(e, 32).variance(20_000, np.full(32, 1 / 32))).mean())
          for e in (0.3, 3.0)}
    assert sd[0.3] > 5 * sd[3.0]
    assert sd[0.3] > 0.01  # one percentage point: visible on a frequency axis
