"""Flower's SecAgg+ (legacy API) on the course's model gives FedAvg's result up to its
quantization: one round, 3 hospitals, Flower's simulation engine (Ray; slow to start)."""

import numpy as np

from pets_helpers.fl.fedavg import run_fedavg
from pets_helpers.fl.settings import TrainSettings
from pets_helpers.fl.task import load_digits_split


def test_secaggplus_round_equals_fedavg_up_to_quantization():
    from pets_helpers.fl.secagg_flower import run_flower

    split = load_digits_split()
    parts = np.array_split(np.arange(300), 3)
    clients = [(split.x_train[p], split.y_train[p]) for p in parts]
    settings = TrainSettings(rounds=1, local_epochs=1, batch_size=32)
    params, seconds = run_flower(clients, settings, secagg=True, num_shares=3, threshold=2)
    want = run_fedavg(clients, split.x_test, split.y_test, settings, n_classes=10).params
    # SecAgg+ scales client k's values by r_k = n_k / max_weight (max_weight = 1000), clips to
    # ±8 and rounds stochastically to a grid of step 16 / 2^22; the server divides the sum by
    # Σ r_k. So the error per entry is below (number of clients) · step / Σ r_k.
    step = 16 / 2**22
    bound = len(clients) * step / (sum(len(y) for _, y in clients) / 1000.0)
    assert len(seconds) == 1
    err = max(np.abs(a - b).max() for a, b in zip(params, want))
    assert 0 < err < bound   # > 0: the sum really went through the quantized ring
