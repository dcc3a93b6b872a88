"""The training settings of a federated run, in one place.

The from-scratch loop (:mod:`.fedavg`), Flower's ServerApp/ClientApp (through the run config,
:meth:`TrainSettings.to_config`) and the benchmarks all read a :class:`TrainSettings`, so a
number changed here changes every run the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..validation import check_positive, check_positive_int, check_real


@dataclass(frozen=True)
class TrainSettings:
    """Settings of one federated (or centralized) training run.

    - ``rounds``: server rounds (each: broadcast, local training, aggregation);
    - ``local_epochs``, ``lr``, ``batch_size``: each client's local SGD (:func:`.task.local_sgd`);
    - ``mu``: FedProx's proximal weight (0 = plain FedAvg);
    - ``hidden``: 0 for multinomial logistic regression, else the MLP's hidden units;
    - ``seed``: seeds the model's initialisation and every client's batches.
    """

    rounds: int = 20
    local_epochs: int = 5
    lr: float = 0.5
    batch_size: int = 16
    mu: float = 0.0
    hidden: int = 0
    seed: int = 0

    def __post_init__(self):
        check_positive_int(self.rounds, "rounds")
        check_positive_int(self.local_epochs, "local_epochs")
        check_positive(self.lr, "lr")
        check_positive_int(self.batch_size, "batch_size")
        check_positive_int(self.hidden, "hidden", minimum=0)
        check_positive_int(self.seed, "seed", minimum=0)
        check_real(self.mu, "mu", low=0, hint="mu is FedProx's proximal weight (0 = FedAvg).")

    def to_config(self) -> dict:
        """The settings as a flat dict of ints and floats (a Flower run config / ConfigRecord)."""
        return asdict(self)

    @classmethod
    def from_config(cls, config) -> "TrainSettings":
        """Read the settings back from a run config (unknown keys are ignored)."""
        names = {f.name: f.type for f in fields(cls)}
        kwargs = {}
        for name in names:
            if name in config:
                value = config[name]
                kwargs[name] = float(value) if name in ("lr", "mu") else int(value)
        return cls(**kwargs)
