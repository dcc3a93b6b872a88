"""DP-SGD (Abadi et al., CCS 2016) for one client's local training, with Opacus.

Privacy unit: **one record** (one patient of this hospital). Opacus samples each record into
a batch independently (Poisson sampling, rate ``batch_size / n``), clips every *per-example*
gradient to L2 norm ≤ ``max_grad_norm`` and adds Gaussian noise to the batch sum; its RDP
accountant turns the noise multiplier it calibrated, the sampling rate and the number of steps
into (ε, δ). Compare DP-FedAvg (:mod:`.dp_fedavg`), whose unit is a whole client.

The model is the same as :mod:`.task`'s (multinomial logistic regression ``[W (d×k), b (k)]`` or
the one-hidden-layer ReLU MLP), trained in torch and returned as a list of numpy arrays, so
:func:`.task.predict_proba` and the membership attacks evaluate it like any other model.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..validation import check_epsilon, check_positive, check_positive_delta, check_positive_int


@dataclass
class DPSGDResult:
    params: list[np.ndarray]
    epsilon: float
    delta: float
    noise_multiplier: float
    steps: int


def _torch_model(n_features: int, n_classes: int, hidden: int):
    import torch

    if hidden == 0:
        return torch.nn.Linear(n_features, n_classes)
    return torch.nn.Sequential(torch.nn.Linear(n_features, hidden), torch.nn.ReLU(),
                               torch.nn.Linear(hidden, n_classes))


def _to_params(model, hidden: int) -> list[np.ndarray]:
    layers = [model] if hidden == 0 else [model[0], model[2]]
    out = []
    for layer in layers:
        out += [layer.weight.detach().numpy().T.astype(np.float64).copy(),
                layer.bias.detach().numpy().astype(np.float64).copy()]
    return out


def train_dp_sgd(x, y, *, epsilon, delta, n_classes: int, epochs: int = 20,
                 batch_size: int = 32, lr: float = 0.5, max_grad_norm: float = 1.0,
                 hidden: int = 0, seed: int = 0) -> DPSGDResult:
    """Train on (x, y) with DP-SGD to (ε, δ)-DP for one record; returns numpy parameters.

    ``epsilon`` must be finite and > 0 (use :func:`.task.local_sgd` for the non-private model).
    Opacus picks the noise multiplier that reaches ε after ``epochs`` epochs.
    """
    import torch
    from opacus import PrivacyEngine

    epsilon = check_epsilon(epsilon)
    delta = check_positive_delta(delta, "DP-SGD (Gaussian noise) needs δ > 0, e.g. 1e-5.")
    check_positive_int(epochs, "epochs")
    check_positive_int(batch_size, "batch_size")
    check_positive(lr, "lr")
    check_positive(max_grad_norm, "max_grad_norm")
    x = np.array(x, dtype=np.float32)  # copies: torch wants writable arrays
    y = np.array(y, dtype=np.int64)
    if delta >= 1.0 / len(y):
        raise ValueError(f"delta = {delta} is not below 1/n = {1 / len(y):.3g}: with δ ≥ 1/n a "
                         f"mechanism may publish a whole record. Pick δ ≪ 1/n.")
    torch.manual_seed(seed)
    model = _torch_model(x.shape[1], n_classes, hidden)
    if hidden == 0:
        torch.nn.init.zeros_(model.weight)
        torch.nn.init.zeros_(model.bias)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    data = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size,
                                         generator=torch.Generator().manual_seed(seed))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ff]ull backward hook.*")
        warnings.filterwarnings("ignore", message=".*[Ss]ecure RNG turned off.*")
        warnings.filterwarnings("ignore", message=".*[Oo]ptimal order is the.*")
        # secure_mode=False: the course's runs are seeded demos; production needs secure_mode.
        engine = PrivacyEngine(accountant="rdp", secure_mode=False)
        model, optimizer, loader = engine.make_private_with_epsilon(
            module=model, optimizer=optimizer, data_loader=loader, target_epsilon=epsilon,
            target_delta=delta, epochs=epochs, max_grad_norm=max_grad_norm)
        loss_fn = torch.nn.CrossEntropyLoss()
        steps = 0
        for _ in range(epochs):
            for xb, yb in loader:
                if len(yb) == 0:
                    continue
                optimizer.zero_grad()
                loss_fn(model(xb), yb).backward()
                optimizer.step()
                steps += 1
        spent = engine.get_epsilon(delta)
    inner = model._module if hasattr(model, "_module") else model
    return DPSGDResult(_to_params(inner, hidden), float(spent), delta,
                       float(optimizer.noise_multiplier), steps)


__all__ = ["DPSGDResult", "train_dp_sgd"]
