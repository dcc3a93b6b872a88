"""Federated learning: FedAvg from scratch and with Flower (Lessons 04–06).

Layout, as in Flower's own apps:

- :mod:`.task` — model, data, local training and evaluation in plain numpy (no Flower);
- :mod:`.partition` — IID and Dirichlet(α) label-skew partitioners;
- :mod:`.fedavg` — the from-scratch FedAvg/FedProx loop and the centralized baseline;
- :mod:`.settings` — the training settings, in one place;
- :mod:`.client_app`, :mod:`.server_app` — the Flower wiring (Message API);
- :mod:`.deployment` — a real SuperLink and SuperNodes as local processes (TLS, node auth).
"""

from .fedavg import History, run_centralized, run_fedavg, weighted_average
from .partition import dirichlet_partition, iid_partition, label_counts
from .settings import TrainSettings
from .task import (evaluate, flatten, gradients, init_params, load_digits_split, local_sgd,
                   nbytes, proximal_gradient, unflatten)

__all__ = ["History", "TrainSettings", "dirichlet_partition", "evaluate", "flatten",
           "gradients", "iid_partition", "init_params", "label_counts", "load_digits_split",
           "local_sgd", "nbytes", "proximal_gradient", "run_centralized", "run_fedavg",
           "unflatten", "weighted_average"]
