"""Multiply-add-shift hashing of item indices into buckets, vectorized with numpy uint64.

For a 64-bit seed (a, b) and an item index x < 2^32,

    z = ((a·x + b) mod 2^64) >> 32        (a 32-bit value)
    h_{a,b}(x) = (z · g) >> 32            (a bucket in {0, …, g-1})

With a and b uniform 64-bit integers, x ↦ z is 2-independent (strongly universal) on 32-bit
keys (Dietzfelbinger 1996; Thorup 2015, "High speed hashing for integers and strings"), so for
x ≠ x' the values z(x), z(x') are independent and uniform. The final scaling to g buckets puts
either ⌊2^32/g⌋ or ⌈2^32/g⌉ of the 2^32 values of z in each bucket, so bucket probabilities and
the collision rate P[h(x) = h(x')] equal 1/g only up to a relative error of about g/2^32
(≈ 1e-9 for the small g used by OLH): "≈ 1/g", not exactly 1/g.

All arithmetic wraps modulo 2^64 on numpy uint64 arrays; scalar helpers use Python ints.
"""

from __future__ import annotations

import numpy as np

from ._sampling import random_bytes

_MASK64 = (1 << 64) - 1
_U32 = np.uint64(32)
MAX_KEY = 1 << 32  # item indices must be below this


def draw_seeds(rng, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` independent uniform 64-bit seeds (a, b), as two uint64 arrays (16 random
    bytes per seed, from ``rng.integers``)."""
    words = random_bytes(rng, 16 * count).view(np.uint64)
    return words[:count], words[count:]


def hash32(a: np.ndarray, b: np.ndarray, x) -> np.ndarray:
    """z = ((a·x + b) mod 2^64) >> 32, elementwise (uint64 arrays; ``x`` int array or scalar)."""
    x = np.asarray(x).astype(np.uint64)
    return (a * x + b) >> _U32


def bucket(a: np.ndarray, b: np.ndarray, x, buckets: int) -> np.ndarray:
    """h_{a,b}(x) in {0, …, buckets-1} (uint64 array)."""
    return (hash32(a, b, x) * np.uint64(buckets)) >> _U32


def bucket_scalar(a: int, b: int, x: int, buckets: int) -> int:
    """Same as :func:`bucket` for one seed and one item, in exact Python integer arithmetic."""
    z = ((int(a) * int(x) + int(b)) & _MASK64) >> 32
    return (z * int(buckets)) >> 32


def bucket_bounds(y: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """For buckets ``y``: (start, width) with h(x) == y  ⇔  (t - start) mod 2^64 < width.

    Here t = (a·x + b) mod 2^64. Bucket y holds z in [⌈y·2^32/g⌉, ⌈(y+1)·2^32/g⌉), i.e. t in
    [start, start + width) with start = ⌈y·2^32/g⌉·2^32. This turns the per-item support test of
    OLH into one subtraction and one comparison.
    """
    g = np.uint64(buckets)
    y = np.asarray(y).astype(np.uint64)
    lo = ((y << _U32) + (g - np.uint64(1))) // g
    hi = (((y + np.uint64(1)) << _U32) + (g - np.uint64(1))) // g
    return lo << _U32, (hi - lo) << _U32
