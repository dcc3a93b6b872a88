"""Lesson 05 — Cross-silo deployment: exercises, checks and hints.

E1: the notebook writes the hospital silos (``write_hospital_silos(DATA_DIR, seed=0)``) into
its working folder; the check calls the learner's train step on ``DATA_DIR/<site>`` (a path
relative to the learner's kernel — in the grader's sandbox only that folder is shared) and
computes the reference from its *own* copy, written by the same seeded generator in a private
directory, with :func:`pets_helpers.fl.client_app.train_step`. Files the learner altered can
therefore only make the answer differ, never pass it. Only paths, records and numbers cross.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ..grading import Exercise, Lesson, Mistake
from ..grading.answers import as_array, as_float
from ..grading.namespace import LearnerError

#: Where the notebook writes the silos, relative to its working folder.
DATA_DIR = "hospital_federation/data"
SITE_CASES = [("screening_clinic", 2, 3, 0.0), ("referral_centre", 0, 1, 0.0)]


def _silos(root: Path) -> dict:
    from ..datasets.hospitals import write_hospital_silos

    return write_hospital_silos(root, seed=0)


def _config(server_round: int, mu: float):
    from flwr.app import ConfigRecord

    return ConfigRecord({"local_epochs": 3, "lr": 1.0, "batch_size": 16, "mu": mu, "seed": 7,
                         "server-round": server_round})


def _needs_data(ns, params, config, site, site_id) -> None:
    """A clear message when the notebook's data folder is missing (not the learner's fault)."""
    from flwr.app import ArrayRecord

    try:
        ns.call("hospital_train", ArrayRecord(params), config, f"{DATA_DIR}/{site}", site_id)
    except LearnerError as exc:
        if exc.ename == "FileNotFoundError" and site in exc.evalue and "NotDoneYet" not in exc.ename:
            raise Mistake(f"{DATA_DIR}/{site} does not exist next to your notebook: run the "
                          f"cell that writes the hospitals' directories "
                          f"(write_hospital_silos(...)) first, then check again.") from None
        raise


def check_hospital_train(ns):
    from flwr.app import ArrayRecord

    from ..fl.client_app import train_step
    from ..fl.silo import read_silo
    from ..fl.task import accuracy, client_rng, init_params, local_sgd

    with tempfile.TemporaryDirectory(prefix="pets-l05-") as tmp:
        dirs = _silos(Path(tmp))
        for number, (site, site_id, server_round, mu) in enumerate(SITE_CASES):
            params = [p + 0.05 for p in init_params(30, 2)]
            config = _config(server_round, mu)
            case = f"({site}, site-id {site_id}, server-round {server_round})"
            if number == 0:
                _needs_data(ns, params, config, site, site_id)
            raw = ns.call("hospital_train", ArrayRecord(params), config, f"{DATA_DIR}/{site}",
                          site_id)
            if type(raw).__name__ != "RecordDict":
                raise Mistake(f"hospital_train should return the reply's content, a "
                              f"RecordDict with 'arrays' and 'metrics', got "
                              f"{type(raw).__name__}.")
            arrays = [r for r in raw.values() if type(r).__name__ == "ArrayRecord"]
            metrics = [r for r in raw.values() if type(r).__name__ == "MetricRecord"]
            if len(arrays) != 1 or len(metrics) != 1:
                raise Mistake(f"The reply needs one ArrayRecord and one MetricRecord; yours has "
                              f"{len(arrays)} and {len(metrics)}. {case}")
            site_data = read_silo(dirs[site])
            n = len(site_data.y)
            m = dict(metrics[0])
            if "num-examples" not in m:
                raise Mistake(f"Report 'num-examples': the server's FedAvg weighs each hospital "
                              f"by it. {case}")
            pooled = sum(len(read_silo(d).y) for k, d in dirs.items() if k != "benchmark")
            if m["num-examples"] == pooled or m["num-examples"] > n:
                raise Mistake(f"'num-examples' is {m['num-examples']}, but {site} holds {n} "
                              f"records: your step read other hospitals' data. A SuperNode "
                              f"reads only its own data_dir — read_silo(data_dir). {case}")
            if m["num-examples"] != n:
                raise Mistake(f"'num-examples' is {m['num-examples']}; {site} trained on {n} "
                              f"records. {case}")
            got = [as_array(a, p.shape, "hospital_train's ArrayRecord", "the model's shapes")
                   for a, p in zip(arrays[0].to_numpy_ndarrays(), params)] \
                if len(arrays[0]) == len(params) else None
            if got is None:
                raise Mistake(f"The ArrayRecord should hold the model's {len(params)} arrays. "
                              f"{case}")
            want = train_step(ArrayRecord(params), config, site_data.x, site_data.y, site_id)
            want = want["arrays"].to_numpy_ndarrays()
            close = lambda ref, got=got: all(np.allclose(g, w, rtol=0, atol=1e-8)  # noqa: E731
                                             for g, w in zip(got, ref))
            if not close(want):
                kw = dict(epochs=3, lr=1.0, batch_size=16, mu=mu)
                if close(local_sgd(params, site_data.x, site_data.y,
                                   rng=client_rng(7, server_round, 0), **kw)) and site_id:
                    raise Mistake(f"Your generator ignores site_id: every hospital would draw "
                                  f"the same batch order. Use client_rng(seed, server-round, "
                                  f"site_id). {case}")
                if close(local_sgd(params, site_data.x, site_data.y,
                                   rng=np.random.default_rng(7), **kw)):
                    raise Mistake(f"Your generator depends on the seed alone: use "
                                  f"client_rng(config['seed'], config['server-round'], site_id). "
                                  f"{case}")
                if close(params):
                    raise Mistake(f"You returned the model you received: train it first. {case}")
                raise Mistake(f"The new model is not local_sgd on this hospital's records with "
                              f"the config's settings. {case}")
            if "train_accuracy" not in m:
                raise Mistake(f"Report the hospital's 'train_accuracy' (accuracy of the new "
                              f"model on its own records) too: the server logs it. {case}")
            acc = as_float(m["train_accuracy"], "train_accuracy")
            if abs(acc - accuracy(want, site_data.x, site_data.y)) > 1e-9:
                if abs(acc - accuracy(params, site_data.x, site_data.y)) <= 1e-9:
                    raise Mistake(f"train_accuracy is the received model's; report the trained "
                                  f"model's accuracy. {case}")
                right = accuracy(want, site_data.x, site_data.y)
                raise Mistake(f"train_accuracy should be the new model's accuracy on the "
                              f"hospital's records, {right:.4f}; you report {acc:.4f}. {case}")
        try:
            raw = ns.call("hospital_train", ArrayRecord(params), _config(1, 0.0),
                          f"{DATA_DIR}/no_such_site", 0)
        except LearnerError:
            raw = None
        if raw is not None:
            raise Mistake("Pointed at a directory that does not exist, hospital_train returned "
                          "an answer. A node without its data must fail loudly (let read_silo's "
                          "error through), or the server would average in a model trained on "
                          "nothing.")
    return ("Your step is a whole hospital's ClientApp: it touches one directory, and only "
            "parameters and three numbers leave the site.")


# --- L05.E2: who gains most ------------------------------------------------------------------
GAIN_CASES = [({"a": 0.90, "b": 0.95, "c": 0.70}, 0.96, "c"),
              ({"a": 0.60, "b": 0.95}, 0.93, "a"),
              ({"x": 0.99, "y": 0.97, "z": 0.98}, 0.985, "y")]


def check_biggest_gain(ns):
    for alone, federated, want in GAIN_CASES:
        got = ns.call("biggest_gain", dict(alone), federated)
        case = f"(alone {alone}, federated {federated}: expected {want!r})"
        if got == want:
            continue
        best = max(alone, key=alone.get)
        if got == best:
            raise Mistake(f"You picked the hospital that does best *alone*; the gain is "
                          f"federated − alone, largest where alone is worst. {case}")
        if isinstance(got, (int, float)) and not isinstance(got, bool):
            raise Mistake(f"Return the hospital's name, not the gain. {case}")
        raise Mistake(f"Return the name of the site with the largest federated − alone. {case}")
    if not ns.has("most_gaining"):
        raise Mistake("Define most_gaining: biggest_gain on the lesson's sensitivities.")
    got = ns.get("most_gaining")
    if got != "screening_clinic":
        raise Mistake(f"most_gaining is {got!r}. Apply biggest_gain to each hospital's "
                      f"sensitivity alone and the federated model's sensitivity.")
    return ("The screening clinic had seen 9 cancers: alone, it misses many; federated, it "
            "borrows the referral centre's hundred without seeing one of its records.")


HINT_TRAIN = (
    "Three steps: read this hospital's records (read_silo(data_dir) gives x, y), train from "
    "the received arrays, build the reply.",
    "new = local_sgd(arrays.to_numpy_ndarrays(), x, y, epochs=config['local_epochs'], "
    "lr=config['lr'], batch_size=config['batch_size'], mu=config['mu'], "
    "rng=client_rng(config['seed'], config['server-round'], site_id)).",
    "return RecordDict({'arrays': ArrayRecord(new), 'metrics': MetricRecord({'num-examples': "
    "len(y), 'train_loss': loss(new, x, y), 'train_accuracy': accuracy(new, x, y)})})",
)
HINT_GAIN = (
    "The gain of a site is the federated model's score minus the score of the site's own "
    "model.",
    "Compute federated − alone[site] for each site and take the site where it is largest.",
    "return max(alone, key=lambda site: federated - alone[site])",
)

LESSON = Lesson("L05", "Cross-silo deployment", "05_cross_silo", (
    Exercise("L05.E1", "A hospital's ClientApp", 4, check_hospital_train, HINT_TRAIN,
             shortcuts=("pets_helpers.fl.client_app:train_step",
                        "pets_helpers.fl.client_app:silo_records")),
    Exercise("L05.E2", "Who gains most from federating", 2, check_biggest_gain, HINT_GAIN),
), cell_timeout=300)  # the deployment cell: start-up + 2 rounds of ~10–30 s each, more when loaded
