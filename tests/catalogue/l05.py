"""Right and typical wrong answers to Lesson 05's exercises.

The check passes hospital directories relative to the learner's working folder, where the
notebook wrote them; here every answer runs inside a temporary folder holding the same data
(``in_workspace``)."""

import contextlib
import functools
import tempfile
from pathlib import Path

import numpy as np
from flwr.app import ArrayRecord, MetricRecord, RecordDict

from pets_helpers.fl.silo import read_silo
from pets_helpers.datasets.hospitals import write_hospital_silos
from pets_helpers.fl.task import accuracy, client_rng, local_sgd, loss
from pets_helpers.lessons.l05_cross_silo import DATA_DIR

WORKSPACE = Path(tempfile.mkdtemp(prefix="catalogue-l05-"))
write_hospital_silos(WORKSPACE / DATA_DIR, seed=0)


def in_workspace(func):
    """Run ``func`` with the working folder a learner's notebook would have."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with contextlib.chdir(WORKSPACE):
            return func(*args, **kwargs)
    return wrapper


def _train(arrays, config, x, y, rng):
    return local_sgd(arrays.to_numpy_ndarrays(), x, y, epochs=config["local_epochs"],
                     lr=config["lr"], batch_size=config["batch_size"], mu=config["mu"], rng=rng)


def _reply(new, x, y, **extra):
    metrics = {"num-examples": len(y), "train_loss": loss(new, x, y),
               "train_accuracy": accuracy(new, x, y), **extra}
    return RecordDict({"arrays": ArrayRecord(new), "metrics": MetricRecord(metrics)})


# --- right answers ---------------------------------------------------------------------------
def hospital_train(arrays, config, data_dir, site_id):
    site = read_silo(data_dir)
    rng = client_rng(config["seed"], config["server-round"], site_id)
    return _reply(_train(arrays, config, site.x, site.y, rng), site.x, site.y)


def hospital_train_extra_metric(arrays, config, data_dir, site_id):
    site = read_silo(data_dir)
    new = _train(arrays, config, site.x, site.y,
                 client_rng(config["seed"], config["server-round"], site_id))
    return _reply(new, site.x, site.y, malignant_share=float(site.y.mean()))


def biggest_gain(alone, federated):
    return max(alone, key=lambda site: federated - alone[site])


def biggest_gain_sorted(alone, federated):
    return sorted(alone, key=alone.get)[0]


RIGHT = {
    "L05.E1": {"hospital_train": in_workspace(hospital_train)},
    "L05.E2": {"biggest_gain": biggest_gain, "most_gaining": "screening_clinic"},
}
ALSO_RIGHT = [
    ("L05.E1", {"hospital_train": in_workspace(hospital_train_extra_metric)}),
    ("L05.E2", {"biggest_gain": biggest_gain_sorted, "most_gaining": "screening_clinic"}),
]


# --- wrong answers ---------------------------------------------------------------------------
def train_pooled(arrays, config, data_dir, site_id):
    from pathlib import Path

    sites = [read_silo(d) for d in Path(data_dir).parent.iterdir()
             if d.name != "benchmark" and d.is_dir()]
    x = np.vstack([s.x for s in sites])
    y = np.concatenate([s.y for s in sites])
    rng = client_rng(config["seed"], config["server-round"], site_id)
    return _reply(_train(arrays, config, x, y, rng), x, y)


def train_ignores_site(arrays, config, data_dir, site_id):
    site = read_silo(data_dir)
    rng = client_rng(config["seed"], config["server-round"], 0)
    return _reply(_train(arrays, config, site.x, site.y, rng), site.x, site.y)


def train_no_num_examples(arrays, config, data_dir, site_id):
    out = hospital_train(arrays, config, data_dir, site_id)
    return RecordDict({"arrays": out["arrays"], "metrics": MetricRecord({"train_loss": 0.0})})


def train_swallows_errors(arrays, config, data_dir, site_id):
    try:
        return hospital_train(arrays, config, data_dir, site_id)
    except FileNotFoundError:
        return RecordDict({"arrays": arrays,
                           "metrics": MetricRecord({"num-examples": 0, "train_accuracy": 0.0})})


def train_stale_accuracy(arrays, config, data_dir, site_id):
    site = read_silo(data_dir)
    rng = client_rng(config["seed"], config["server-round"], site_id)
    new = _train(arrays, config, site.x, site.y, rng)
    return _reply(new, site.x, site.y,
                  train_accuracy=accuracy(arrays.to_numpy_ndarrays(), site.x, site.y))


def train_untrained(arrays, config, data_dir, site_id):
    site = read_silo(data_dir)
    return _reply(arrays.to_numpy_ndarrays(), site.x, site.y)


def gain_best_alone(alone, federated):
    return max(alone, key=alone.get)


def gain_value(alone, federated):
    return max(federated - v for v in alone.values())


WRONG = [
    ("L05.E1", "pooled", {"hospital_train": in_workspace(train_pooled)}, "other hospitals' data"),
    ("L05.E1", "ignores-site", {"hospital_train": in_workspace(train_ignores_site)}, "ignores site_id"),
    ("L05.E1", "no-num-examples", {"hospital_train": in_workspace(train_no_num_examples)}, "num-examples"),
    ("L05.E1", "swallows-errors", {"hospital_train": in_workspace(train_swallows_errors)}, "fail loudly"),
    ("L05.E1", "stale-accuracy", {"hospital_train": in_workspace(train_stale_accuracy)}, "received model"),
    ("L05.E1", "untrained", {"hospital_train": in_workspace(train_untrained)}, "train it first"),
    ("L05.E2", "best-alone", {"biggest_gain": gain_best_alone}, "best *alone*"),
    ("L05.E2", "value", {"biggest_gain": gain_value}, "name"),
]
