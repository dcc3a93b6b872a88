"""Demo of Lesson 07: a CKKS explorer — precision vs depth and latency per operation for a
chosen ring degree, scale and depth."""

from __future__ import annotations

import math

from .ckks import error_vs_depth, measure
from .params import CKKSParams, InsecureParameters

#: Seed of the explorer's inputs (reproducible frames: only the sliders change the figure).
DEMO_SEED = 20260707


def explorer_params(degree: int, scale_bits: int, depth: int) -> CKKSParams:
    """The explorer's chain: first and special prime = min(scale + 10, 60), depth × scale."""
    outer = min(int(scale_bits) + 10, 60)
    return CKKSParams(int(degree), (outer,) + (int(scale_bits),) * int(depth) + (outer,),
                      int(scale_bits))


def draw_ckks(degree: int, scale_bits: int, depth: int, size: int = 256):
    """One explorer frame: error vs depth (measured and predicted) and per-operation latency.

    Insecure or malformed parameters are not built: the figure shows why instead.
    """
    import textwrap

    import matplotlib.pyplot as plt

    params = explorer_params(degree, scale_bits, depth)
    try:
        params.validate()
    except (InsecureParameters, ValueError) as exc:
        fig, ax = plt.subplots(figsize=(10, 3.2))
        ax.axis("off")
        kind = "Refused: insecure" if isinstance(exc, InsecureParameters) else "Refused"
        ax.set_title(f"{kind} — {params.label()}", color="#b3261e", loc="left")
        ax.text(0, 0.95, textwrap.fill(str(exc), 110), va="top", family="monospace",
                fontsize=9, transform=ax.transAxes)
        return fig
    rotate = degree <= 8192  # Galois keys at N=16384 take seconds to generate
    m = measure(params, depth=depth, size=size, repeats=1, rng=DEMO_SEED,
                galois_keys=rotate)
    curve = error_vs_depth(params, rng=DEMO_SEED + 1, size=size)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    left.plot(curve["depth"], curve["precision_bits"], "o-", label="measured")
    left.plot(curve["depth"], curve["predicted_bits"], "s--", label="model")
    left.set_xlabel("ciphertext multiplications (levels used)")
    left.set_ylabel("bits of absolute precision")
    left.set_xticks(list(curve["depth"]))
    left.legend(loc="lower left", fontsize=8)  # precision falls to the right: keep clear of it
    left.grid(alpha=0.3)
    left.set_title("Precision vs depth")
    ops = ["encrypt", "add", "multiply", "rotate", "decrypt"]
    values = [m[f"{op}_ms"] for op in ops]
    bars = right.bar(ops, [0 if math.isnan(v) else v for v in values], color="#8250df")
    for bar, v in zip(bars, values):
        right.annotate("n/a" if math.isnan(v) else f"{v:.2g}",
                       (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                       ha="center", va="bottom", fontsize=8)
    right.set_ylabel("milliseconds (one run)")
    right.set_title("Latency per operation")
    fig.suptitle(f"{params.label()} — {params.total_bits}/{params.max_total_bits} modulus bits, "
                 f"{m['precision_bits']:.1f} bits measured after {depth} products, ciphertext "
                 f"{m['ciphertext_bytes'] / 1024:.0f} KiB serialized", fontsize=9)
    fig.tight_layout()
    return fig


def ckks_explorer():
    """Sliders for N, scale bits and depth: precision, ciphertext size and latencies."""
    from ..widgets import Choice, Slider, explore

    explore(lambda degree, scale_bits, depth: draw_ckks(degree, scale_bits, depth),
            degree=Choice("N", [4096, 8192, 16384], 8192),
            scale_bits=Slider("scale bits", 20, 60, 40, integer=True),
            depth=Slider("depth", 0, 8, 2, integer=True))
