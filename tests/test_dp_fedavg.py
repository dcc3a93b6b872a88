"""DP-FedAvg: clipping, noise calibration (statistical), accounting against dp-accounting."""

import dp_accounting
import numpy as np
import pytest
from scipy.stats import chi2, norm

from pets_helpers.dp import discrete_gaussian_variance
from pets_helpers.fl.dp_fedavg import (
    clip_update,
    dp_fedavg_aggregate,
    dp_fedavg_epsilon,
    noise_multiplier_for,
    noise_plan,
    run_dp_fedavg,
)
from pets_helpers.fl.task import flatten, load_digits_split

ALPHA = 1e-6
SHAPES = [(8, 3), (3,)]


def _update(rng, scale):
    return [rng.normal(0, scale, s) for s in SHAPES]


def test_clipped_norms_never_exceed_c():
    rng = np.random.default_rng(1)
    for scale in (1e-3, 0.1, 1.0, 100.0):
        for _ in range(50):
            vec = rng.normal(0, scale, 500)
            clipped, norm_ = clip_update(vec, 0.7)
            assert np.linalg.norm(clipped) <= 0.7
            assert norm_ == pytest.approx(np.linalg.norm(vec))
            if norm_ <= 0.7:
                assert np.array_equal(clipped, vec)          # small updates are untouched
            else:
                assert np.allclose(clipped / np.linalg.norm(clipped), vec / norm_)


def test_aggregate_reports_clipping_and_averages_clipped_updates():
    rng = np.random.default_rng(2)
    updates = [_update(rng, 5.0) for _ in range(4)] + [_update(rng, 1e-3) for _ in range(4)]
    res = dp_fedavg_aggregate(updates, clip_norm=1.0, noise_multiplier=1e-6, rng=rng)
    assert res.clipped_fraction == 0.5
    want = np.mean([clip_update(flatten(u), 1.0)[0] for u in updates], axis=0)
    assert np.allclose(flatten(res.mean_update), want, atol=1e-5)
    assert [a.shape for a in res.mean_update] == SHAPES


def test_noise_std_matches_calibration():
    # Zero updates: n·(noisy mean) is pure noise. Σ noise²/Var ~ χ²(m): two-sided test at 1e-6.
    rng = np.random.default_rng(3)
    m, n, clip, z = 40_000, 5, 0.5, 1.3  # m + 1 parameters in all
    res = dp_fedavg_aggregate([[np.zeros((m, 1)), np.zeros(1)]] * n, clip, z, rng=rng)
    noise = flatten(res.mean_update) * n
    plan = res.plan
    assert plan.sigma == pytest.approx(z * clip)
    var = plan.granularity**2 * discrete_gaussian_variance(plan.sigma / plan.granularity)
    stat = float(np.sum(noise**2) / var)
    lo, hi = chi2.ppf(ALPHA / 2, m + 1), chi2.isf(ALPHA / 2, m + 1)
    assert lo < stat < hi
    assert abs(noise.mean()) < norm.isf(ALPHA / 2) * np.sqrt(var / (m + 1))
    # a noise level 5 % off is rejected by the same test (it has power)
    assert not lo < stat / 1.05**2 < hi


@pytest.mark.parametrize("z, rounds, delta", [(1.0, 10, 1e-5), (0.7, 50, 1e-6), (3.0, 200, 1e-5),
                                              (1.1, 1, 1e-5)])
def test_epsilon_after_t_rounds_matches_dp_accounting(z, rounds, delta):
    ours = dp_fedavg_epsilon(z, rounds, delta, n_params=1000)
    rdp = dp_accounting.rdp.RdpAccountant()
    rdp.compose(dp_accounting.GaussianDpEvent(z), rounds)
    assert ours == pytest.approx(rdp.get_epsilon(delta), rel=0.01)
    pld = dp_accounting.pld.PLDAccountant()
    pld.compose(dp_accounting.GaussianDpEvent(z), rounds)
    assert ours >= pld.get_epsilon(delta)  # zCDP is an upper bound on the exact (PLD) curve


def test_noise_multiplier_for_inverts_epsilon():
    z = noise_multiplier_for(2.0, 1e-5, 20)
    assert dp_fedavg_epsilon(z, 20, 1e-5) <= 2.0 < dp_fedavg_epsilon(z / 1.002, 20, 1e-5)


def test_lattice_adds_negligible_sensitivity():
    plan = noise_plan(1.0, 1.0, 10**6)
    assert 1.0 < plan.effective_sensitivity < 1.0 + 2e-6


def test_bad_updates_refused():
    rng = np.random.default_rng(4)
    good = _update(rng, 1.0)
    nan = _update(rng, 1.0)
    nan[1][2] = np.nan
    with pytest.raises(ValueError, match=r"client 1\[1\] contains nan"):
        dp_fedavg_aggregate([good, nan], 1.0, 1.0, rng=rng)
    inf = _update(rng, 1.0)
    inf[0][0, 0] = np.inf
    with pytest.raises(ValueError, match="inf"):
        dp_fedavg_aggregate([good, inf], 1.0, 1.0, rng=rng)
    with pytest.raises(ValueError, match="has 1 arrays"):
        dp_fedavg_aggregate([good, [good[0]]], 1.0, 1.0, rng=rng)
    with pytest.raises(ValueError, match="does not belong to this model"):
        dp_fedavg_aggregate([good, [good[0].T, good[1]]], 1.0, 1.0, rng=rng)
    with pytest.raises(TypeError, match="numbers"):
        dp_fedavg_aggregate([good, [good[0], np.array(["a", "b", "c"])]], 1.0, 1.0, rng=rng)
    with pytest.raises(ValueError, match="clip_norm"):
        dp_fedavg_aggregate([good], 0.0, 1.0)
    with pytest.raises(ValueError, match="noise_multiplier"):
        dp_fedavg_aggregate([good], 1.0, -1.0)
    with pytest.raises(TypeError):
        dp_fedavg_aggregate([], 1.0, 1.0)


def test_dp_fedavg_learns_and_accounts():
    split = load_digits_split()
    parts = np.array_split(np.arange(len(split.y_train)), 20)
    clients = [(split.x_train[p], split.y_train[p]) for p in parts]
    from pets_helpers.fl.settings import TrainSettings

    settings = TrainSettings(rounds=5, local_epochs=1, lr=0.5, batch_size=32)
    hist = run_dp_fedavg(clients, split.x_test, split.y_test, settings, clip_norm=1.0,
                         noise_multiplier=1.0, rng=np.random.default_rng(6))
    assert hist.accuracy[-1] > 0.7
    assert hist.epsilon[-1] == pytest.approx(dp_fedavg_epsilon(1.0, 5, 1e-5, n_params=650))
    assert np.all(np.diff(hist.epsilon) > 0)


# ------------------------------------------------------------------ DP-SGD (Opacus), one client
def test_dp_sgd_reaches_its_epsilon_and_returns_task_parameters():
    from pets_helpers.fl.dp_sgd import train_dp_sgd
    from pets_helpers.fl.task import accuracy, init_params

    split = load_digits_split()
    x, y = split.x_train[:400], split.y_train[:400]
    res = train_dp_sgd(x, y, epsilon=2.0, delta=1e-5, n_classes=10, epochs=3, hidden=16)
    assert 1.8 < res.epsilon <= 2.0 + 1e-9          # record-level ε, Opacus' RDP accountant
    assert res.noise_multiplier > 0.5 and res.steps > 0
    like = init_params(64, 10, 16)
    assert [a.shape for a in res.params] == [a.shape for a in like]
    assert accuracy(res.params, split.x_test, split.y_test) > 0.3   # far above 0.1 chance


def test_dp_sgd_validates_privacy_parameters():
    from pets_helpers.fl.dp_sgd import train_dp_sgd

    x, y = np.zeros((50, 4)), np.arange(50) % 2
    with pytest.raises(ValueError, match="1/n"):
        train_dp_sgd(x, y, epsilon=1.0, delta=0.05, n_classes=2)
    with pytest.raises(ValueError, match="epsilon"):
        train_dp_sgd(x, y, epsilon=0.0, delta=1e-5, n_classes=2)
    with pytest.raises(ValueError, match="δ > 0"):
        train_dp_sgd(x, y, epsilon=1.0, delta=0.0, n_classes=2)
