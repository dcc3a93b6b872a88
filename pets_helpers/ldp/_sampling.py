"""Exact, fast Bernoulli sampling shared by the LDP mechanisms.

``bernoulli(rng, prob, size)`` has *exactly* the distribution of ``rng.random(size) < prob`` for
a 53-bit uniform float: P[True] = ceil(prob·2^53) / 2^53, i.e. ``prob`` rounded up to the next
multiple of 2^-53 (a change of at most 1.1e-16, far below any privacy-relevant scale).

It is faster because it spends one random *byte* per draw instead of 53 random bits: write the
53-bit uniform integer K as K = K_hi·2^45 + K_lo with K_hi one byte. Then K < Q (Q =
ceil(prob·2^53) = Q_hi·2^45 + Q_lo) holds iff K_hi < Q_hi, or K_hi == Q_hi and K_lo < Q_lo. Only
the 1/256 of draws with K_hi == Q_hi need the 45 extra bits, which are drawn fresh.
"""

from __future__ import annotations

import sys

import numpy as np

from ..validation import check_probability

_LOW_BITS = 45  # 53 = 8 (first byte) + 45
_BYTES_PER_WORD = 7  # rng.integers(0, 2**56) gives 7 uniform bytes per 64-bit word
_LOW7 = slice(0, 7) if sys.byteorder == "little" else slice(1, 8)


def exact_threshold(prob: float) -> int:
    """Q = ceil(prob·2^53) computed exactly (``prob`` is taken as the exact binary float)."""
    num, den = float(prob).as_integer_ratio()
    return -((-num << 53) // den)


def implemented_probability(prob: float) -> float:
    """The probability that :func:`bernoulli` (and ``rng.random() < prob``) really uses."""
    return exact_threshold(prob) / 2.0**53


def random_bytes(rng, count: int) -> np.ndarray:
    """At least ``count`` independent uniform bytes drawn with ``rng.integers``, as a
    (words, 7) uint8 view (not contiguous: use it directly, copying would cost a pass)."""
    words = -(-count // _BYTES_PER_WORD)
    raw = np.asarray(rng.integers(0, 1 << 56, words), dtype=np.int64)
    return raw.view(np.uint8).reshape(words, 8)[:, _LOW7]


def bernoulli_from_bytes(first_bytes: np.ndarray, prob: float, low_bits) -> np.ndarray:
    """Combine one uniform byte per draw with lazily drawn low bits (see module docstring).

    Returns a new contiguous bool array of ``first_bytes``' shape. ``low_bits(k)`` must return
    ``k`` uniform integers in [0, 2^45).
    """
    q = exact_threshold(prob)
    q_hi, q_lo = q >> _LOW_BITS, q & ((1 << _LOW_BITS) - 1)
    if q_hi >= 256:  # prob == 1
        return np.ones(first_bytes.shape, dtype=bool)
    out = np.less(first_bytes, np.uint8(q_hi))
    if q_lo:
        tie = np.flatnonzero(first_bytes == np.uint8(q_hi))
        if tie.size:
            out.reshape(-1)[tie] = np.asarray(low_bits(tie.size)) < q_lo
    return out


def bernoulli(rng, prob: float, size) -> np.ndarray:
    """Boolean array of shape ``size``, each True independently with probability ``prob``.

    Same distribution as ``rng.random(size) < prob``; see the module docstring.
    """
    prob = check_probability(prob, "prob")
    shape = (size,) if np.ndim(size) == 0 else tuple(size)
    count = int(np.prod(shape, dtype=np.int64))
    if count == 0 or prob == 0.0:
        return np.zeros(shape, dtype=bool)
    first = random_bytes(rng, count)
    out = bernoulli_from_bytes(first, prob, lambda k: rng.integers(0, 1 << _LOW_BITS, k))
    return out.reshape(-1)[:count].reshape(shape)
