"""The Flower-free core of pets_helpers.fl: model, partitioners, FedAvg/FedProx, baselines."""

import math

import numpy as np
import pytest

from pets_helpers.fl import (TrainSettings, dirichlet_partition, flatten, gradients,
                             iid_partition, init_params, label_counts, load_digits_split,
                             local_sgd, run_centralized, run_fedavg, unflatten, weighted_average)
from pets_helpers.fl.partition import dirichlet_share_moments, mean_squared_share
from pets_helpers.fl.task import client_rng, loss, nbytes, proximal_gradient
from pets_helpers.grading.tolerance import z_score


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


def clients_of(split, parts):
    return [(split.x_train[p], split.y_train[p]) for p in parts]


# --- weighted average ------------------------------------------------------------------------
def test_weighted_average_equals_hand_computation():
    a = [np.array([[1.0, 2.0]]), np.array([0.0])]
    b = [np.array([[4.0, -1.0]]), np.array([3.0])]
    got = weighted_average([a, b], [1, 2])
    # (1·a + 2·b) / 3 by hand
    np.testing.assert_allclose(got[0], [[3.0, 0.0]])
    np.testing.assert_allclose(got[1], [2.0])


def test_weighted_average_refuses_bad_updates():
    good = init_params(3, 2)
    with pytest.raises(ValueError, match="shape"):
        weighted_average([good, [np.zeros((2, 2)), np.zeros(2)]], [1, 1])
    bad = [a.copy() for a in good]
    bad[1][0] = np.nan
    with pytest.raises(ValueError, match="nan"):
        weighted_average([good, bad], [1, 1])
    with pytest.raises(ValueError, match="> 0"):
        weighted_average([good, good], [1, 0])
    with pytest.raises(ValueError, match="2 example counts"):
        weighted_average([good], [1, 2])
    with pytest.raises(TypeError):
        weighted_average([np.zeros(3)], [1])
    with pytest.raises(TypeError, match="num_examples"):
        weighted_average([good, good], np.array(["1", "2"]))
    with pytest.raises(ValueError, match="num_examples contains inf"):
        weighted_average([good, good], [1, np.inf])


# --- model -----------------------------------------------------------------------------------
@pytest.mark.parametrize("hidden", [0, 7])
def test_gradients_match_finite_differences(hidden):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(20, 4)), rng.integers(0, 3, 20)
    params = init_params(4, 3, hidden, seed=2)
    params = [p + 0.1 * rng.normal(size=p.shape) for p in params]
    vec, grad = flatten(params), flatten(gradients(params, x, y))
    eps = 1e-6
    for i in rng.choice(vec.size, 15, replace=False):
        up, down = vec.copy(), vec.copy()
        up[i] += eps
        down[i] -= eps
        num = (loss(unflatten(up, params), x, y) - loss(unflatten(down, params), x, y)) / (2 * eps)
        assert math.isclose(num, grad[i], rel_tol=1e-4, abs_tol=1e-7)


def test_flatten_roundtrip_and_bytes():
    params = init_params(64, 10, 32, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(unflatten(flatten(params), params), params))
    assert nbytes(params) == 8 * (64 * 32 + 32 + 32 * 10 + 10)
    with pytest.raises(ValueError):
        unflatten(np.zeros(5), params)


def test_local_sgd_does_not_modify_its_input_and_is_seeded(digits):
    params = init_params(64, 10)
    before = [a.copy() for a in params]
    kw = dict(epochs=2, lr=0.5, batch_size=16)
    one = local_sgd(params, digits.x_train[:100], digits.y_train[:100], rng=client_rng(0, 1, 3), **kw)
    two = local_sgd(params, digits.x_train[:100], digits.y_train[:100], rng=client_rng(0, 1, 3), **kw)
    assert all(np.array_equal(a, b) for a, b in zip(params, before))
    assert all(np.array_equal(a, b) for a, b in zip(one, two))
    assert loss(one, digits.x_train[:100], digits.y_train[:100]) < loss(params, digits.x_train[:100],
                                                                         digits.y_train[:100])


def test_proximal_gradient():
    w, anchor = [np.array([1.0, 3.0])], [np.array([0.0, 1.0])]
    np.testing.assert_allclose(proximal_gradient(w, anchor, 0.5)[0], [0.5, 1.0])


# --- partitioners ----------------------------------------------------------------------------
def test_iid_partition_is_a_balanced_partition():
    parts = iid_partition(103, 10, seed=4)
    assert sorted(np.concatenate(parts).tolist()) == list(range(103))
    assert {len(p) for p in parts} == {10, 11}


@pytest.mark.parametrize("alpha", [0.3, 1.0, 3.0])
def test_dirichlet_label_shares_match_theory(alpha):
    """Σ_k s_c,k² averaged over C classes: within z·sd/√C (false-fail 1e-6) plus the rounding
    slack 2/n_c of the theoretical (α+1)/(Kα+1)."""
    n_classes, per_class, k = 200, 500, 5
    labels = np.repeat(np.arange(n_classes), per_class)
    parts = dirichlet_partition(labels, k, alpha, seed=11)
    assert sorted(np.concatenate(parts).tolist()) == list(range(labels.size))
    assert all(len(p) for p in parts)
    observed, _ = mean_squared_share(labels, parts)
    mean, var = dirichlet_share_moments(alpha, k)
    tol = z_score() * math.sqrt(var / n_classes) + 2.0 / per_class
    assert abs(observed - mean) <= tol, (observed, mean, tol)


def test_dirichlet_small_alpha_is_skewed_and_large_is_nearly_iid(digits):
    strong = label_counts(digits.y_train, dirichlet_partition(digits.y_train, 10, 0.1, seed=0))
    flat = label_counts(digits.y_train, dirichlet_partition(digits.y_train, 10, 100, seed=0))
    share = lambda c: (c.max(axis=1) / c.sum(axis=1)).mean()  # noqa: E731
    assert share(strong) > 0.5 > 0.2 > share(flat)
    assert (strong.sum(axis=1) > 0).all()


@pytest.mark.parametrize("alpha,err", [(0, ValueError), (-1.0, ValueError),
                                       (float("nan"), ValueError), ("1", TypeError)])
def test_dirichlet_rejects_bad_alpha(alpha, err):
    with pytest.raises(err, match="alpha"):
        dirichlet_partition(np.arange(10) % 2, 2, alpha)


def test_partitioners_reject_more_clients_than_samples():
    with pytest.raises(ValueError, match="more than the 5 examples"):
        iid_partition(5, 6)
    with pytest.raises(ValueError, match="more than the 5 examples"):
        dirichlet_partition(np.arange(5), 6, 1.0)


def test_nan_in_the_data_is_refused(digits):
    x = digits.x_train[:50].copy()
    x[3, 7] = np.nan
    with pytest.raises(ValueError, match="client 0 features contains nan"):
        run_fedavg([(x, digits.y_train[:50])], digits.x_test, digits.y_test, TrainSettings(rounds=1))
    with pytest.raises(ValueError, match="labels contain nan"):
        dirichlet_partition(np.array([0.0, np.nan, 1.0]), 2, 1.0)


def test_local_sgd_refuses_labels_the_model_has_no_class_for(digits):
    params = init_params(64, 10)
    for bad in (10, -1):
        y = digits.y_train[:20].copy()
        y[4] = bad
        with pytest.raises(ValueError, match=r"labels must lie in 0\.\.9"):
            local_sgd(params, digits.x_train[:20], y, epochs=1, lr=0.1, batch_size=8,
                      rng=client_rng(0, 1, 0))


# --- FedAvg ----------------------------------------------------------------------------------
def test_iid_fedavg_reaches_97_percent_of_centralized_within_20_rounds(digits):
    settings = TrainSettings(rounds=20)
    central = run_centralized(digits.x_train, digits.y_train, digits.x_test, digits.y_test,
                              settings)
    fed = run_fedavg(clients_of(digits, iid_partition(len(digits.y_train), 10, seed=0)),
                     digits.x_test, digits.y_test, settings)
    assert fed.accuracy[-1] >= 0.97 * central.accuracy[-1], (fed.accuracy[-1], central.accuracy[-1])
    assert fed.loss[-1] < fed.initial[0]
    assert fed.bytes_round[0] == 2 * 10 * nbytes(fed.params)
    assert fed.bytes_total[-1] == 20 * fed.bytes_round[0]


def test_fedprox_with_mu_zero_is_fedavg_exactly(digits):
    clients = clients_of(digits, dirichlet_partition(digits.y_train, 10, 0.1, seed=3))
    base = dict(rounds=3, local_epochs=2, hidden=8)
    a = run_fedavg(clients, digits.x_test, digits.y_test, TrainSettings(**base))
    b = run_fedavg(clients, digits.x_test, digits.y_test, TrainSettings(**base, mu=0.0))
    c = run_fedavg(clients, digits.x_test, digits.y_test, TrainSettings(**base, mu=0.1))
    assert all(np.array_equal(x, y) for x, y in zip(a.params, b.params))
    assert not all(np.array_equal(x, y) for x, y in zip(a.params, c.params))


def test_fedavg_with_one_client_and_one_epoch_is_centralized_sgd(digits):
    """One client holding everything, one local epoch per round = centralized SGD (same batches
    given the same generator): the averaging is the identity."""
    settings = TrainSettings(rounds=1, local_epochs=1)
    fed = run_fedavg([(digits.x_train, digits.y_train)], digits.x_test, digits.y_test, settings)
    direct = local_sgd(init_params(64, 10), digits.x_train, digits.y_train, epochs=1, lr=0.5,
                       batch_size=16, rng=client_rng(0, 1, 0))
    assert all(np.allclose(x, y, rtol=0, atol=1e-12) for x, y in zip(fed.params, direct))


@pytest.mark.parametrize("kwargs", [dict(rounds=0), dict(lr=-1.0), dict(mu=-0.1), dict(hidden=-1)])
def test_settings_reject_bad_values(kwargs):
    with pytest.raises(ValueError):
        TrainSettings(**kwargs)


def test_settings_roundtrip_through_a_run_config():
    s = TrainSettings(rounds=3, mu=0.01, hidden=16)
    assert TrainSettings.from_config(s.to_config()) == s



# --- demos -----------------------------------------------------------------------------------
def test_digits_runs_and_the_plots_draw_headless(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pets_helpers.fl.demos import (digits_runs, partition_explorer, plot_accuracy_curves,
                                       plot_communication, plot_label_heatmap)

    monkeypatch.setenv("PETS_HEADLESS", "1")
    runs = digits_runs(alphas=(1.0,), settings=TrainSettings(rounds=2))
    assert set(runs) == {"centralized", "IID", "α = 1"}
    assert len(plot_accuracy_curves(runs, centralized=0.9).lines) == 4
    assert plot_communication({"IID": runs["IID"]}, target=0.9).get_xscale() == "log"
    labels = np.repeat(np.arange(3), 5)
    ax = plot_label_heatmap(label_counts(labels, iid_partition(15, 3)))
    assert ax.get_images()
    partition_explorer(labels, n_clients=3)
    plt.close("all")


def test_silo_comparison_shows_who_gains(tmp_path):
    from pets_helpers.datasets.hospitals import write_hospital_silos
    from pets_helpers.fl.demos import silo_comparison
    from pets_helpers.fl.hospital_app import HOSPITAL_SETTINGS

    dirs = write_hospital_silos(tmp_path, seed=0)
    bench = dirs.pop("benchmark")
    table = silo_comparison(dirs, bench, HOSPITAL_SETTINGS)
    assert table.loc["federated", "accuracy"] > table.loc["screening_clinic alone", "accuracy"]
    assert table.loc["federated", "sensitivity"] > table.loc["screening_clinic alone",
                                                             "sensitivity"]
    assert table.loc["centralized (pooled)", "records"] == 427
