"""The Flower wiring of pets_helpers.fl: the train step, the checked FedAvg strategy, and one
simulation against the numpy loop (one Ray start-up, ~20–60 s)."""

import numpy as np
import pytest
from flwr.app import ArrayRecord, ConfigRecord, Error, Message, MetricRecord, RecordDict

from pets_helpers.fl import (TrainSettings, dirichlet_partition, init_params, load_digits_split,
                             local_sgd, run_fedavg)
from pets_helpers.fl.client_app import train_step
from pets_helpers.fl.server_app import CheckedFedAvg, FederationError
from pets_helpers.fl.task import client_rng


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


def clients_of(split, parts):
    return [(split.x_train[p], split.y_train[p]) for p in parts]


@pytest.fixture
def messages(monkeypatch):
    """Messages can be built outside a run once Flower's task identity is set."""
    from flwr.supercore.task_identity import TaskIdentity

    monkeypatch.setattr(TaskIdentity, "_run_id", 1)
    monkeypatch.setattr(TaskIdentity, "_task_id", 1)
    monkeypatch.setattr(TaskIdentity, "_node_id", 0)
    params = init_params(3, 2)
    sent = Message(content=RecordDict({"arrays": ArrayRecord(params)}), dst_node_id=7,
                   message_type="train")

    def reply(arrays=None, n=5, error=None):
        if error:
            return Message(Error(code=0, reason=error), reply_to=sent)
        return Message(RecordDict({"arrays": ArrayRecord(arrays if arrays is not None
                                                         else params),
                                   "metrics": MetricRecord({"num-examples": n})}),
                       reply_to=sent)

    strategy = CheckedFedAvg(1)
    strategy._global = params
    return strategy, reply, params


CONFIG = ConfigRecord({"local_epochs": 2, "lr": 0.5, "batch_size": 16, "mu": 0.0, "seed": 3,
                       "server-round": 4})


def test_train_step_is_local_sgd_with_the_round_generator(digits):
    params = init_params(64, 10)
    x, y = digits.x_train[:80], digits.y_train[:80]
    out = train_step(ArrayRecord(params), CONFIG, x, y, 6)
    want = local_sgd(params, x, y, epochs=2, lr=0.5, batch_size=16, rng=client_rng(3, 4, 6))
    got = out["arrays"].to_numpy_ndarrays()
    assert all(np.array_equal(a, b) for a, b in zip(got, want))
    assert out["metrics"]["num-examples"] == 80


def test_checked_fedavg_averages_good_replies(messages):
    strategy, reply, params = messages
    arrays, _ = strategy.aggregate_train(1, [reply([p + 1 for p in params], n=3)])
    assert np.allclose(arrays.to_numpy_ndarrays()[0], params[0] + 1)


@pytest.mark.parametrize("bad,phrase", [
    (dict(arrays=[np.zeros((2, 2)), np.zeros(2)]), "has shape (2, 2)"),
    (dict(arrays=[np.full((3, 2), np.nan), np.zeros(2)]), "nan"),
    (dict(n=0), "num-examples = 0"),
    (dict(error="FileNotFoundError: no data directory"), "client(s) failed"),
])
def test_checked_fedavg_refuses_a_bad_reply_with_one_clear_error(messages, bad, phrase):
    strategy, reply, _ = messages
    with pytest.raises(FederationError, match="round 2") as info:
        strategy.aggregate_train(2, [reply(**bad)])
    assert phrase in str(info.value)


# --- Flower ----------------------------------------------------------------------------------
def test_flower_simulation_matches_the_numpy_loop(digits):
    """Same seed, same partition, same batches: Flower's simulation and run_fedavg reach the
    same model. Stated tolerance: parameters within 1e-9 (only the order of floating-point
    additions in the average differs), hence the same accuracy to within one test example."""
    from pets_helpers.fl.simulation import simulate_digits

    settings = TrainSettings(rounds=3, local_epochs=2)
    try:
        flower, timing = simulate_digits(settings, n_clients=4, alpha=1.0, partition_seed=5,
                                         progress=False)
    except RuntimeError as exc:
        if "Ray did not start" not in str(exc):
            raise
        import os
        pytest.skip(f"Ray could not start on this machine (load {os.getloadavg()[0]:.1f}): "
                    f"{exc}")
    parts = dirichlet_partition(digits.y_train, 4, 1.0, seed=5)
    numpy_run = run_fedavg(clients_of(digits, parts), digits.x_test, digits.y_test, settings)
    assert all(np.allclose(a, b, rtol=0, atol=1e-9) for a, b in zip(flower.params,
                                                                     numpy_run.params))
    assert abs(flower.accuracy[-1] - numpy_run.accuracy[-1]) <= 1 / len(digits.y_test)
    assert len(flower.seconds) == 3 and timing.total >= sum(flower.seconds)
