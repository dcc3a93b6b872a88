"""Flower's side of the server: the ServerApp (Message API, flwr 1.41), built on :mod:`.task`.

The ServerApp runs Flower's own ``flwr.serverapp.strategy.FedAvg`` — sample-weighted by each
reply's ``"num-examples"`` — through :class:`CheckedFedAvg`, which adds what a cross-silo
federation needs and Flower's FedAvg does not do: a round in which a client failed, or sent a
model of the wrong shape or with NaN/inf, stops the run with one clear error instead of being
silently averaged without it (or broadcast into the model).

After every round the global model is evaluated on the server's test set (centralized
evaluation, ``evaluate_fn``); the results go to a :class:`~.fedavg.History`, to a progress
bar, and — in deployment, where the ServerApp runs in its own process — to a JSON file the
notebook reads (run config ``history-file``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Iterable

from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from .fedavg import History
from .settings import TrainSettings
from .task import check_params, evaluate, init_params, nbytes


class FederationError(RuntimeError):
    """A round could not be aggregated: a client failed or sent a malformed update."""


class CheckedFedAvg(FedAvg):
    """Flower's FedAvg, every node in every round, refusing failed or malformed replies.

    ``n_nodes`` nodes must all train each round (cross-silo: every hospital counts); federated
    evaluation on the clients is off (the server evaluates centrally)."""

    def __init__(self, n_nodes: int, **kwargs):
        super().__init__(fraction_train=1.0, fraction_evaluate=0.0, min_train_nodes=n_nodes,
                         min_available_nodes=n_nodes, **kwargs)
        self.n_nodes = n_nodes
        self._global: list | None = None

    def configure_train(self, server_round: int, arrays: ArrayRecord, config: ConfigRecord,
                        grid: Grid) -> Iterable[Message]:
        self._global = arrays.to_numpy_ndarrays()
        return super().configure_train(server_round, arrays, config, grid)

    def aggregate_train(self, server_round: int, replies: Iterable[Message]):
        replies = list(replies)
        failed = [m for m in replies if m.has_error()]
        if failed:
            why = "; ".join(f"node {m.metadata.src_node_id}: {m.error.reason}" for m in failed)
            raise FederationError(f"round {server_round}: {len(failed)} client(s) failed — {why}")
        if len(replies) < self.n_nodes:
            raise FederationError(f"round {server_round}: only {len(replies)} of {self.n_nodes} "
                                  f"clients answered in time.")
        for m in replies:
            who = f"node {m.metadata.src_node_id}'s update"
            try:
                check_params(m.content["arrays"].to_numpy_ndarrays(), like=self._global, name=who)
                weight = float(m.content["metrics"]["num-examples"])
            except (KeyError, TypeError, ValueError) as exc:
                raise FederationError(f"round {server_round}: {exc}") from None
            if not weight > 0:
                raise FederationError(f"round {server_round}: {who} reports num-examples = "
                                      f"{weight}; it must be > 0.")
        return super().aggregate_train(server_round, replies)


def make_server_app(settings: TrainSettings, test_data: Callable[[dict], tuple], n_classes: int,
                    n_nodes: int | None = None, extra_config: dict | None = None,
                    history: History | None = None, progress: bool = False) -> ServerApp:
    """A ServerApp running :class:`CheckedFedAvg` for ``settings.rounds`` rounds on all
    ``n_nodes`` nodes (it waits until that many are connected, then every one trains in every
    round).

    ``test_data(run_config)`` returns the server's ``(x_test, y_test)``; ``extra_config`` is added to each
    round's train config (e.g. how simulated clients partition the data). A non-empty run config
    (``flwr run``/deployment) overrides ``settings`` key by key and may set ``num-nodes`` and a
    ``history-file``; one of ``n_nodes`` or ``num-nodes`` is required. The per-round results are appended to ``history`` when given.
    """

    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        run_config = dict(context.run_config)
        run = TrainSettings.from_config({**settings.to_config(), **run_config})
        nodes = int(run_config.get("num-nodes", 0)) or n_nodes
        if not nodes:
            raise ValueError("the ServerApp needs the number of nodes to wait for: pass n_nodes "
                             "or set num-nodes in the run config.")
        x_test, y_test = test_data(run_config)
        params = init_params(x_test.shape[1], n_classes, run.hidden, run.seed)
        record = history if history is not None else History()
        record.initial = evaluate(params, x_test, y_test)
        per_round = 2 * nodes * nbytes(params)
        out = Path(run_config["history-file"]) if run_config.get("history-file") else None
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=run.rounds, desc="Flower rounds (round 1 includes start-up)")
        stamps = [time.perf_counter()]

        def evaluate_fn(server_round: int, arrays: ArrayRecord) -> MetricRecord:
            test_loss, test_acc = evaluate(arrays.to_numpy_ndarrays(), x_test, y_test)
            if server_round == 0:
                stamps[0] = time.perf_counter()
            else:
                stamps.append(time.perf_counter())
                record.seconds.append(stamps[-1] - stamps[-2])
                record.loss.append(test_loss)
                record.accuracy.append(test_acc)
                record.bytes_round.append(per_round)
                record.bytes_total.append(per_round * server_round)
                record.params = arrays.to_numpy_ndarrays()
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(accuracy=f"{test_acc:.3f}")
                if out is not None:
                    out.write_text(json.dumps({
                        "accuracy": record.accuracy, "loss": record.loss,
                        "initial": list(record.initial), "bytes_round": record.bytes_round,
                        "seconds": record.seconds,
                        "params": [p.tolist() for p in record.params]}))
            return MetricRecord({"accuracy": test_acc, "loss": test_loss})

        try:
            CheckedFedAvg(nodes).start(
                grid=grid, initial_arrays=ArrayRecord(params), num_rounds=run.rounds,
                train_config=ConfigRecord({**run.to_config(), **(extra_config or {})}),
                evaluate_fn=evaluate_fn)
        finally:
            if bar is not None:
                bar.close()

    return app
