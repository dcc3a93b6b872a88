"""Widgets degrade to a static figure headless and build real controls in Jupyter; plots draw."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from pets_helpers import widgets  # noqa: E402
from pets_helpers.plots import plot_frequencies, plot_mse_vs_epsilon  # noqa: E402


def test_headless_explore_draws_once_with_defaults(monkeypatch):
    monkeypatch.setenv("PETS_HEADLESS", "1")
    calls = []
    out = widgets.explore(lambda epsilon, oracle: calls.append((epsilon, oracle)),
                          epsilon=widgets.Slider("ε", 0.1, 10, 1.0, log=True),
                          oracle=widgets.Choice("oracle", ["GRR", "OUE"], "OUE"))
    assert out is None and calls == [(1.0, "OUE")]


def test_interactive_explore_displays_the_controls_once(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(widgets, "is_headless", lambda: False)
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    result = widgets.explore(lambda epsilon: None, epsilon=widgets.Slider("ε", 0.1, 10, 1.0))
    assert result is None and len(shown) == 1 and type(shown[0]).__name__ == "VBox"


def test_explorer_builds_sliders_and_redraws():
    calls = []
    box = widgets.build_explorer(lambda epsilon, k: calls.append((epsilon, k)),
                          epsilon=widgets.Slider("ε", 0.1, 10, 1.0, log=True),
                          k=widgets.Slider("k", 1, 9, 3, integer=True))
    slider, int_slider = box.children[0].children
    assert type(slider).__name__ == "FloatLogSlider" and slider.value == pytest.approx(1.0)
    assert type(int_slider).__name__ == "IntSlider" and int_slider.value == 3
    int_slider.value = 5
    assert calls[-1] == (pytest.approx(1.0), 5)


def test_controls_are_validated():
    with pytest.raises(ValueError, match="outside"):
        widgets.Slider("ε", 0.1, 1, 5)
    with pytest.raises(ValueError, match="min > 0"):
        widgets.Slider("ε", 0, 1, 0.5, log=True)
    with pytest.raises(ValueError, match="not one of"):
        widgets.Choice("o", ["a"], "b")
    with pytest.raises(TypeError, match="Slider or a Choice"):
        widgets.explore(lambda x: None, x=3)


def test_plots_draw_what_they_are_given():
    ax = plot_frequencies([0.5, 0.3, 0.2], [0.45, 0.35, 0.2], std=[0.01] * 3,
                          labels=["a", "b", "c"], title="t")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    df = pd.DataFrame({"oracle": ["A", "A"], "epsilon": [1, 2], "measured_mse": [1e-3, 3e-4],
                       "theoretical_mse": [1e-3, 2.5e-4]})
    ax = plot_mse_vs_epsilon(df)
    assert ax.get_xscale() == "log" and len(ax.get_lines()) == 2
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1e-3, 2.5e-4])
    plt.close("all")
