"""The demo helpers the solution notebooks show (tables, plots, explorer frames), and the small
library helpers the lesson checks share with them."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from pets_helpers.dp import (analytic_gaussian_sigma, classic_gaussian_sigma,  # noqa: E402
                             gaussian_calibration)
from pets_helpers.dp.demos import area_release_table, plot_area_release  # noqa: E402
from pets_helpers.grading.answers import case_rng, is_number  # noqa: E402
from pets_helpers.he import CKKSParams  # noqa: E402
from pets_helpers.he.scoring import logit, sigmoid  # noqa: E402
from pets_helpers.ldp import GeneralizedRR, OptimizedUnaryEncoding, oracle_variances  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_oracle_variances_are_the_oracles_per_user_variances():
    v = oracle_variances(1.0, 16)
    assert set(v) == {"GRR", "OUE", "OLH"}
    assert v["GRR"] == pytest.approx(GeneralizedRR(1.0, 16).variance(1).mean())
    e = math.e
    assert v["OUE"] == pytest.approx(OptimizedUnaryEncoding(1.0, 16).variance(1).mean())
    assert v["OUE"] == pytest.approx(4 * e / (e - 1) ** 2, rel=0.05)   # Wang et al. 2017


def test_gaussian_calibration_compares_classic_and_analytic_sigma():
    table = gaussian_calibration(1.0, 1e-5, [0.1, 0.5, 20.0])
    assert list(table.columns) == ["epsilon", "classic_sigma", "analytic_sigma",
                                   "true_delta_of_classic", "classic_valid"]
    row = table.iloc[1]
    assert row["classic_sigma"] == pytest.approx(classic_gaussian_sigma(1.0, 0.5, 1e-5))
    assert row["analytic_sigma"] == pytest.approx(analytic_gaussian_sigma(1.0, 0.5, 1e-5))
    assert (table["analytic_sigma"].iloc[:2] < table["classic_sigma"].iloc[:2]).all()  # tighter
    assert table["classic_valid"].iloc[0]
    assert not table["classic_valid"].iloc[2]          # the classic formula fails at ε = 20


def _households():
    gen = np.random.default_rng(0)
    return pd.DataFrame({"PUMA": np.repeat(["01201", "01202"], 400),
                         "income_adjusted": gen.lognormal(11, 0.6, 800)})


def test_area_release_table_centres_on_the_clipped_mean_with_the_analytic_sd():
    households = _households()
    table = area_release_table(households, ["01201", "01202"], 0.0, 150_000.0, 1.0, rng=3)
    assert list(table.index) == ["01201", "01202"]
    x = households.loc[households["PUMA"] == "01201", "income_adjusted"]
    assert table.loc["01201", "exact_mean"] == pytest.approx(x.mean())
    assert table.loc["01201", "clipped_mean"] == pytest.approx(np.clip(x, 0, 150_000).mean())
    assert (table["households"] == 400).all()
    # the release is within 40 analytic standard deviations (false-fail far below 1e-6)
    assert (abs(table["dp_release"] - table["clipped_mean"]) < 40 * table["sd"]).all()
    ax = plot_area_release(table, title="t")
    assert ax.get_ylabel() == "mean household income ($)" and ax.get_title() == "t"


def test_ckks_params_plain_data_label_and_ciphertext_bytes():
    p = CKKSParams(8192, (60, 40, 40, 60), 40)
    assert p.as_dict() == {"poly_modulus_degree": 8192, "coeff_mod_bit_sizes": [60, 40, 40, 60],
                           "scale_bits": 40}
    assert CKKSParams(**p.as_dict()) == p
    assert p.label() == "N=8192, chain [60, 40, 40, 60], scale 2**40"
    assert p.ciphertext_bytes == 2 * 8192 * 3 * 8


def test_ckks_demo_frame_refuses_insecure_parameters_with_the_reason():
    from pets_helpers.he.demos import draw_ckks, explorer_params

    assert explorer_params(8192, 40, 2) == CKKSParams(8192, (50, 40, 40, 50), 40)
    fig = draw_ckks(4096, 60, 8)                       # far over the 128-bit budget
    assert fig.axes[0].get_title(loc="left").startswith("Refused")


def test_sigmoid_is_stable_and_exact():
    z = np.array([-800.0, -1.0, 0.0, 2.0, 800.0])
    assert np.all(np.isfinite(sigmoid(z)))
    np.testing.assert_allclose(sigmoid(z)[1:4], 1 / (1 + np.exp(-z[1:4])), rtol=1e-15)
    for p in (0.05, 0.5, 0.9):
        assert float(sigmoid(logit(p))) == pytest.approx(p, rel=1e-14)


def test_is_number_and_case_rng():
    assert all(is_number(v) for v in (1, 2.5, np.float32(1), np.int64(3)))
    assert not any(is_number(v) for v in (True, np.bool_(False), "1", None, [1]))
    assert np.array_equal(case_rng(10, 5).random(3), np.random.default_rng(15).random(3))
