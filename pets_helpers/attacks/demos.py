"""Demo of Lesson 03: the Dinur–Nissim reconstruction attack as a noise slider."""

from __future__ import annotations

import math

from ..randomness import data_rng
from .reconstruction import (
    answer_queries,
    make_secret_column,
    noise_std,
    predicted_lstsq_accuracy,
    random_subset_queries,
    reconstruct,
    reconstruction_accuracy,
)


def reconstruction_explorer(n: int = 200, m: int = 800, seed: int = 3):
    """Noise slider → which people the Dinur–Nissim attack unmasks (dark blue) or misses (orange),
    colours that stay distinct for colour-blind readers.

    One secret column and one set of m random subset queries (seeded, so only the noise
    changes); the answers get uniform noise in [−E, E] and least squares is rounded at 1/2.
    The title gives the accuracy, the theory, and the total ε the same noise would buy as
    Laplace noise over m answers (ε = m/b, by sequential composition).
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    from ..widgets import Slider, explore

    gen = data_rng(seed)
    secret = make_secret_column(n, gen)
    queries = random_subset_queries(n, m, gen)
    base = answer_queries(queries, secret, 1.0, gen)  # noise uniform in [−1, 1]
    exact = answer_queries(queries, secret, 0.0)
    unit = base - exact
    cols = 20 if n % 20 == 0 else n
    cmap = ListedColormap(["#e66100", "#1f3f8f"])  # orange = missed, dark blue = recovered

    def draw(noise):
        guess = reconstruct(queries, exact + noise * unit)
        right = (guess == secret).reshape(-1, cols)
        acc = reconstruction_accuracy(secret, guess)
        theory = predicted_lstsq_accuracy(n, m, noise_std(noise, "uniform"))
        laplace_eps = m * math.sqrt(6) / noise
        rows = right.shape[0]
        fig, ax = plt.subplots(figsize=(7, 0.34 * rows * 20 / cols + 0.7), layout="constrained")
        ax.imshow(right, cmap=cmap, vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"noise up to ±{noise:.3g} per answer ({noise / math.sqrt(n):.2g}·√n): "
                     f"{acc:.0%} of secrets recovered (theory {theory:.0%}, guessing 50%)\n"
                     f"dark blue: bit recovered, orange: missed. Laplace noise of the same std on "
                     f"{m} answers would be ε ≈ {laplace_eps:.3g} in total", fontsize=9)

    explore(draw, noise=Slider("noise E per answer", 0.5, 500.0, 10.0, log=True))
