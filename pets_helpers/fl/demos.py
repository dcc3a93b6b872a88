"""What Lessons 04–05 show: the lesson's runs, label heatmaps, accuracy per round,
communication vs accuracy, and the α explorer.

Colours are the Okabe–Ito palette (safe for the common colour-vision deficiencies); every line
also differs by marker, so no plot relies on colour alone.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

#: Lesson 04's federation: ten clients on the digits, partitions seeded with 0.
DIGITS_CLIENTS = 10
DIGITS_ALPHAS = (100.0, 1.0, 0.1)


def digits_runs(alphas=DIGITS_ALPHAS, settings=None, n_clients: int = DIGITS_CLIENTS,
                partition_seed: int = 0) -> dict:
    """Lesson 04's runs on the digits (``{label: History}``): the centralized baseline
    (``"centralized"``), FedAvg on an IID split (``"IID"``) and on a Dirichlet(α) split for each
    α (``"α = 0.1"`` …), all with ``settings`` (default :class:`.TrainSettings`); ~0.3 s each."""
    from .fedavg import run_centralized, run_fedavg
    from .partition import dirichlet_partition, iid_partition
    from .settings import TrainSettings
    from .task import load_digits_split

    settings = settings or TrainSettings()
    data = load_digits_split()
    runs = {"centralized": run_centralized(data.x_train, data.y_train, data.x_test, data.y_test,
                                           settings)}
    splits = {"IID": iid_partition(len(data.y_train), n_clients, seed=partition_seed)}
    splits.update({f"α = {a:g}": dirichlet_partition(data.y_train, n_clients, a,
                                                     seed=partition_seed) for a in alphas})
    for label, parts in splits.items():
        runs[label] = run_fedavg([(data.x_train[p], data.y_train[p]) for p in parts],
                                 data.x_test, data.y_test, settings)
    return runs


def silo_comparison(site_dirs: dict, benchmark_dir, settings=None):
    """Accuracy and sensitivity on the benchmark of: each site's model trained alone (the same
    SGD for ``rounds × local_epochs`` epochs), FedAvg over all sites (the numpy loop — what the
    deployment computes too) and the centralized model on the pooled records (what no site may
    do). Also each site's records and malignant share."""
    import pandas as pd

    from .fedavg import run_centralized, run_fedavg
    from .settings import TrainSettings
    from .silo import read_silo
    from .task import accuracy, sensitivity

    settings = settings or TrainSettings()
    sites = {name: read_silo(d) for name, d in site_dirs.items()}
    test = read_silo(benchmark_dir)
    rows = []

    def row(name, params, n, share):
        rows.append({"model": name, "records": n, "malignant share": share,
                     "accuracy": accuracy(params, test.x, test.y),
                     "sensitivity": sensitivity(params, test.x, test.y)})

    for name, s in sites.items():
        alone = run_centralized(s.x, s.y, test.x, test.y, settings, n_classes=2)
        row(f"{name} alone", alone.params, len(s.y), float(s.y.mean()))
    fed = run_fedavg([(s.x, s.y) for s in sites.values()], test.x, test.y, settings, n_classes=2)
    x = np.vstack([s.x for s in sites.values()])
    y = np.concatenate([s.y for s in sites.values()])
    row("federated", fed.params, len(y), float(y.mean()))
    central = run_centralized(x, y, test.x, test.y, settings, n_classes=2)
    row("centralized (pooled)", central.params, len(y), float(y.mean()))
    return pd.DataFrame(rows).set_index("model")


OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_label_heatmap(counts, ax=None, title=None, class_names=None):
    """Heatmap of a (clients × classes) count matrix, each cell annotated with its count."""
    counts = np.asarray(counts)
    ax = _axes(ax, (7, 0.35 * counts.shape[0] + 1.5))
    im = ax.imshow(counts, cmap="viridis", aspect="auto")
    for (i, j), v in np.ndenumerate(counts):
        if v:
            ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                    color="white" if v < counts.max() * 0.6 else "black")
    ax.set_xticks(range(counts.shape[1]), class_names or range(counts.shape[1]))
    ax.set_yticks(range(counts.shape[0]), [f"client {i}" for i in range(counts.shape[0])])
    ax.set_xlabel("class (label)")
    ax.set_title(title or "Examples per client and class")
    ax.figure.colorbar(im, ax=ax, label="examples")
    return ax


def plot_accuracy_curves(histories: dict, centralized=None, ax=None,
                         title="Test accuracy of the global model per round"):
    """One line per run (``{label: History}``); a dashed line at the centralized accuracy."""
    ax = _axes(ax, (8, 4))
    for i, (label, h) in enumerate(histories.items()):
        ax.plot(h.rounds, h.accuracy, marker=MARKERS[i % len(MARKERS)], markersize=4,
                color=OKABE_ITO[i % len(OKABE_ITO)], label=label)
    if centralized is not None:
        ax.axhline(centralized, color="black", linestyle="--", linewidth=1,
                   label=f"centralized ({centralized:.3f})")
    ax.set_xlabel("round")
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_communication(histories: dict, ax=None, target=None,
                       title="Accuracy against bytes communicated"):
    """Test accuracy against the cumulative bytes sent (log scale), one line per run; a dotted
    line at ``target`` accuracy if given."""
    ax = _axes(ax, (8, 4))
    for i, (label, h) in enumerate(histories.items()):
        ax.plot(np.asarray(h.bytes_total) / 1e6, h.accuracy, marker=MARKERS[i % len(MARKERS)],
                markersize=4, color=OKABE_ITO[i % len(OKABE_ITO)], label=label)
    if target is not None:
        ax.axhline(target, color="black", linestyle=":", linewidth=1, label=f"target {target:.3f}")
    ax.set_xscale("log")
    ax.set_xlabel("megabytes sent in total (server ↔ clients, both directions)")
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return ax


def plot_bars(values: dict, ax=None, ylabel="test accuracy", title=None, lim=None):
    """Labelled bars (e.g. accuracy of each hospital alone, federated, centralized)."""
    ax = _axes(ax, (8, 3.5))
    labels = list(values)
    heights = [values[k] for k in labels]
    bars = ax.bar(range(len(labels)), heights,
                  color=[OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(labels))])
    for b, v in zip(bars, heights):
        ax.text(b.get_x() + b.get_width() / 2, v, f"{v:.3f}", ha="center", va="bottom",
                fontsize=8)
    ax.set_xticks(range(len(labels)), labels, rotation=15)
    ax.set_ylabel(ylabel)
    if lim:
        ax.set_ylim(*lim)
    if title:
        ax.set_title(title)
    return ax


def partition_explorer(labels, n_clients: int = 10, seed: int = 0):
    """An α slider (log scale, 0.01–1000) that redraws the Dirichlet partition's label heatmap
    (a redraw partitions ~1,300 labels: a few milliseconds)."""
    from ..widgets import Slider, explore
    from .partition import dirichlet_partition, label_counts

    def draw(alpha):
        parts = dirichlet_partition(labels, n_clients, alpha, seed=seed)
        plot_label_heatmap(label_counts(labels, parts),
                           title=f"Dirichlet(α = {alpha:.3g}) label skew over {n_clients} clients")

    explore(draw, alpha=Slider("α", 0.01, 1000.0, 1.0, log=True))
