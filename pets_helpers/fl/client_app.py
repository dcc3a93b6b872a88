"""Flower's side of a client: the ClientApp (Message API, flwr 1.41), built on :mod:`.task`.

A ClientApp receives a ``Message`` whose content holds the global model (``ArrayRecord`` under
``"arrays"``) and the round's settings (``ConfigRecord`` under ``"config"``, including
``"server-round"``, which Flower's strategies add). Its *train step* — :func:`train_step` here,
the function learners write in Lesson 04 — turns that into a reply holding the new local model
and a ``MetricRecord`` with ``"num-examples"``, the weight Flower's FedAvg averages by.

Where a client's data comes from is a separate *data loader* ``load(context, config)``
returning ``(x, y, client_id)``:

- :func:`digits_partition` (simulation): the node's ``partition-id`` out of ``num-partitions``
  (set by Flower's simulation engine) of the digits training set, split IID or Dirichlet(α) as
  the config says — every simulated client rebuilds the same split from the same seed;
- :func:`silo_records` (deployment): only the node's own ``data-dir``
  (``--node-config 'data-dir="…"'`` on the SuperNode's command line).
"""

from __future__ import annotations

from typing import Callable

from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from .partition import dirichlet_partition, iid_partition
from .task import accuracy, check_params, client_rng, load_digits_split, local_sgd, loss

#: Keys of the train config a ClientApp reads (besides Flower's own ``server-round``).
TRAIN_KEYS = ("local_epochs", "lr", "batch_size", "mu", "seed")


def train_step(arrays: ArrayRecord, config: ConfigRecord, x, y, client_id: int) -> RecordDict:
    """One client's work in one round, as a Flower reply's content.

    Local SGD (:func:`.task.local_sgd`) from the received model with the round's settings and
    the generator :func:`.task.client_rng` ``(seed, server-round, client_id)`` — the very batches
    the from-scratch loop draws — then a reply with the new parameters under ``"arrays"`` and
    ``{"num-examples": n_k, "train_loss": …, "train_accuracy": …}`` under ``"metrics"`` (loss and
    accuracy of the new model on the client's own data).
    """
    params = check_params(arrays.to_numpy_ndarrays(), name="the received model")
    new = local_sgd(params, x, y, epochs=int(config["local_epochs"]), lr=float(config["lr"]),
                    batch_size=int(config["batch_size"]), mu=float(config["mu"]),
                    rng=client_rng(int(config["seed"]), int(config["server-round"]), client_id))
    metrics = MetricRecord({"num-examples": int(len(y)), "train_loss": loss(new, x, y),
                            "train_accuracy": accuracy(new, x, y)})
    return RecordDict({"arrays": ArrayRecord(new), "metrics": metrics})


def digits_partition(context: Context, config) -> tuple:
    """This simulated node's share of the digits training set: partition ``partition-id`` of
    ``num-partitions``, IID when ``config["alpha"]`` is 0, else Dirichlet(α), with
    ``config["partition-seed"]``."""
    cid = int(context.node_config["partition-id"])
    k = int(context.node_config["num-partitions"])
    data = load_digits_split()
    alpha, seed = float(config["alpha"]), int(config["partition-seed"])
    parts = (iid_partition(len(data.y_train), k, seed=seed) if alpha == 0
             else dirichlet_partition(data.y_train, k, alpha, seed=seed))
    return data.x_train[parts[cid]], data.y_train[parts[cid]], cid


def silo_records(context: Context, config) -> tuple:
    """This site's own records: only the SuperNode's ``data-dir`` (:func:`.silo.read_silo`);
    ``site-id`` (node config, default 0) is the client id in the seed."""
    from .silo import read_silo

    site = read_silo(context.node_config.get("data-dir", ""))
    return site.x, site.y, int(context.node_config.get("site-id", 0))


def make_client_app(load: Callable = digits_partition, step: Callable = train_step) -> ClientApp:
    """A ClientApp whose train function loads this node's data with ``load`` and answers with
    ``step`` (signature of :func:`train_step`)."""
    app = ClientApp()

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        config = msg.content["config"]
        x, y, cid = load(context, config)
        return Message(content=step(msg.content["arrays"], config, x, y, cid), reply_to=msg)

    return app


#: The digits ClientApp of Lesson 04's simulation.
app = make_client_app()
