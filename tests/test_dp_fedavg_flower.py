"""DP-FedAvg against Flower's own DP strategy wrapper (server-side fixed clipping), same settings.

Flower's wrapper clips each update (local − global) to L2 ≤ C, lets FedAvg average, then adds
N(0, (z·C/n)²) to every parameter. Ours must give the same clipped mean and the same noise level.
Flower does no accounting; ε comes from our accountant (tested in test_dp_fedavg.py).
"""

import logging
import warnings

import numpy as np
from scipy.stats import chi2

from pets_helpers.fl.dp_fedavg import clip_update, dp_fedavg_aggregate
from pets_helpers.fl.task import flatten

ALPHA = 1e-6


def _flower_round(global_params, locals_, clip, z):
    from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays
    from flwr.server.strategy import DifferentialPrivacyServerSideFixedClipping, FedAvg

    logging.getLogger("flwr").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wrapper = DifferentialPrivacyServerSideFixedClipping(
            FedAvg(), noise_multiplier=z, clipping_norm=clip, num_sampled_clients=len(locals_))
    wrapper.current_round_params = [a.copy() for a in global_params]
    results = [(None, FitRes(Status(Code.OK, ""), ndarrays_to_parameters(p), 10, {}))
               for p in locals_]
    params, _ = wrapper.aggregate_fit(1, results, [])
    return parameters_to_ndarrays(params)


def _setup(rng, m=2000, n=6):
    glob = [rng.normal(size=(m, 1)), rng.normal(size=1)]
    locals_ = [[g + rng.normal(0, s, g.shape) for g in glob]
               for s in (0.001, 0.01, 0.05, 0.1, 1.0, 3.0)[:n]]
    return glob, locals_


def test_same_clipped_mean_as_flower():
    rng = np.random.default_rng(1)
    glob, locals_ = _setup(rng)
    flower = flatten(_flower_round(glob, locals_, clip=1.0, z=0.0)) - flatten(glob)
    updates = [[a - b for a, b in zip(loc, glob)] for loc in locals_]
    ours = np.mean([clip_update(flatten(u), 1.0)[0] for u in updates], axis=0)
    assert np.allclose(flower, ours, atol=1e-12)
    # and our aggregate (with negligible noise) is that mean
    res = dp_fedavg_aggregate(updates, 1.0, 1e-9, rng=rng)
    assert np.allclose(flatten(res.mean_update), ours, atol=1e-6)


def test_same_noise_level_as_flower():
    rng = np.random.default_rng(2)
    m, n, clip, z = 40_000, 5, 0.5, 1.3
    glob = [np.zeros((m, 1)), np.zeros(1)]
    # (tiny, not zero: Flower 1.41's clipping divides by the norm and fails on a zero update,
    # which ours accepts)
    locals_ = [[rng.normal(0, 1e-9, (m, 1)), np.zeros(1)] for _ in range(n)]
    np.random.seed(3)  # Flower draws its noise from numpy's global generator
    flower_noise = flatten(_flower_round(glob, locals_, clip, z))
    ours = flatten(dp_fedavg_aggregate(
        [[a - b for a, b in zip(loc, glob)] for loc in locals_], clip, z, rng=rng).mean_update)
    sd = z * clip / n                      # the std both should add to the mean
    lo, hi = chi2.ppf(ALPHA / 2, m + 1), chi2.isf(ALPHA / 2, m + 1)
    for noise in (flower_noise, ours):
        assert lo < np.sum(noise**2) / sd**2 < hi
    # the same test rejects a noise level 5 % off: it tells the two calibrations apart
    assert not lo < np.sum(ours**2) / (1.05 * sd) ** 2 < hi


def test_flower_clipping_fails_on_a_zero_update_ours_does_not():
    import pytest

    glob = [np.zeros((3, 1)), np.zeros(1)]
    with pytest.raises(ZeroDivisionError):
        _flower_round(glob, [[a.copy() for a in glob]] * 2, clip=1.0, z=1.0)
    res = dp_fedavg_aggregate([[np.zeros((3, 1)), np.zeros(1)]] * 2, 1.0, 1.0, rng=0)
    assert res.update_norms.tolist() == [0.0, 0.0]
