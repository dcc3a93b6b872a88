"""Flower's SecAgg+ on the course's model, for comparison with :mod:`.secagg`.

Flower 1.41 runs SecAgg+ (Bell et al., CCS 2020: Bonawitz et al.'s protocol with each client
masked only by ``num_shares`` − 1 random neighbours) only through its *legacy* API: a
``NumPyClient`` behind ``secaggplus_mod`` on the client side, and ``DefaultWorkflow(fit_workflow=
SecAggPlusWorkflow(...))`` in a legacy ``ServerApp`` (``LegacyContext`` + the classic
``FedAvg`` strategy). ``num_shares`` must be odd (an even value breaks silently in 1.41).

The model, data and local training are :mod:`.task`'s, exactly as in the from-scratch loop, so
the two aggregate the same updates. :func:`run_flower` runs the simulation engine (Ray) and
returns the final parameters and the wall-clock seconds of every round (from the strategy's
``configure_fit`` to its ``aggregate_fit``), so SecAgg+'s overhead per round can be measured
against plain FedAvg in the same engine.

Note on Flower's SecAgg+ internals (1.41, read from its source): it quantizes updates into
[0, 2^22) after clipping to ±8, sums mod 2^32, and expands masks with
``numpy.random.RandomState`` seeded by the 32-bit XOR of the seed — a fast but not a
cryptographic PRG. :mod:`.secagg` uses AES-256-CTR keyed with 256-bit seeds instead.
"""

from __future__ import annotations

import time

import numpy as np

from .settings import TrainSettings
from .task import client_rng, init_params, local_sgd


def _client_app(clients, settings: TrainSettings, secagg: bool):
    from flwr.client import ClientApp, NumPyClient
    from flwr.client.mod import secaggplus_mod

    class HospitalClient(NumPyClient):
        def __init__(self, cid: int):
            self.cid = cid

        def fit(self, parameters, config):
            x, y = clients[self.cid]
            server_round = int(config.get("server_round", 1))
            new = local_sgd(list(parameters), x, y, epochs=settings.local_epochs, lr=settings.lr,
                            batch_size=settings.batch_size, mu=settings.mu,
                            rng=client_rng(settings.seed, server_round, self.cid))
            return new, len(y), {}

    def client_fn(context):
        return HospitalClient(int(context.node_config["partition-id"])).to_client()

    return ClientApp(client_fn=client_fn, mods=[secaggplus_mod] if secagg else [])


def _server_app(initial, settings: TrainSettings, n_clients: int, secagg: bool,
                num_shares: int, threshold: int, record: dict):
    from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays
    from flwr.server import LegacyContext, ServerApp, ServerConfig
    from flwr.server.strategy import FedAvg
    from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow

    class TimedFedAvg(FedAvg):
        def configure_fit(self, server_round, parameters, client_manager):
            record["start"].append(time.perf_counter())
            return super().configure_fit(server_round, parameters, client_manager)

        def aggregate_fit(self, server_round, results, failures):
            out = super().aggregate_fit(server_round, results, failures)
            record["end"].append(time.perf_counter())
            if out[0] is not None:
                record["params"] = parameters_to_ndarrays(out[0])
            return out

    strategy = TimedFedAvg(
        fraction_fit=1.0, fraction_evaluate=0.0, min_fit_clients=n_clients,
        min_available_clients=n_clients, initial_parameters=ndarrays_to_parameters(initial),
        on_fit_config_fn=lambda r: {"server_round": r})
    app = ServerApp()

    @app.main()
    def main(grid, context) -> None:
        context = LegacyContext(context=context, config=ServerConfig(num_rounds=settings.rounds),
                                strategy=strategy)
        fit = SecAggPlusWorkflow(num_shares=num_shares, reconstruction_threshold=threshold) \
            if secagg else None
        DefaultWorkflow(fit_workflow=fit)(grid, context)

    return app


def run_flower(clients, settings: TrainSettings | None = None, *, secagg: bool = True,
               num_shares: int | None = None, threshold: int | None = None,
               n_classes: int = 10) -> tuple[list[np.ndarray], list[float]]:
    """FedAvg over ``clients`` (a list of ``(x, y)``) in Flower's simulation engine, with
    SecAgg+ (``secagg=True``) or without. Returns (final parameters, seconds per round)."""
    import logging

    from flwr.simulation import run_simulation

    settings = settings or TrainSettings()
    n = len(clients)
    if secagg:
        num_shares = num_shares or (n if n % 2 else n - 1)
        if num_shares % 2 == 0:
            raise ValueError(f"num_shares must be odd (Flower 1.41's SecAgg+ breaks silently "
                             f"with an even value), got {num_shares}.")
        threshold = threshold or num_shares // 2 + 1
    initial = init_params(clients[0][0].shape[1], n_classes, settings.hidden, settings.seed)
    record = {"start": [], "end": [], "params": None}
    logging.getLogger("flwr").setLevel(logging.WARNING)
    run_simulation(server_app=_server_app(initial, settings, n, secagg, num_shares or 0,
                                          threshold or 0, record),
                   client_app=_client_app(clients, settings, secagg), num_supernodes=n,
                   backend_config={"client_resources": {"num_cpus": 1},
                                   "init_args": {"include_dashboard": False,
                                                 "object_store_memory": 256 * 2**20}})
    seconds = [e - s for s, e in zip(record["start"], record["end"])]
    return record["params"], seconds


__all__ = ["run_flower"]
