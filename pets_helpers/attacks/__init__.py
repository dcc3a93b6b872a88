"""Attacks that show why the privacy mechanisms are needed.

- :mod:`.reconstruction`: the Dinur–Nissim reconstruction attack — many subset-sum queries
  answered with too little noise give away a secret column (Lesson 03).
- :mod:`.floating_point`: Mironov's attack on a naive floating-point Laplace release
  (Lesson 02); import it from its module.
"""

from .reconstruction import (
    MECHANISMS,
    METHODS,
    accuracy_vs_noise,
    answer_queries,
    dp_laplace_scale,
    make_secret_column,
    noise_std,
    predicted_lstsq_accuracy,
    random_subset_queries,
    reconstruct,
    reconstruction_accuracy,
)

__all__ = [
    "MECHANISMS",
    "METHODS",
    "accuracy_vs_noise",
    "answer_queries",
    "dp_laplace_scale",
    "make_secret_column",
    "noise_std",
    "predicted_lstsq_accuracy",
    "random_subset_queries",
    "reconstruct",
    "reconstruction_accuracy",
]
