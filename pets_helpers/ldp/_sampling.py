"""Exact, fast Bernoulli sampling shared by the LDP mechanisms.

``bernoulli(rng, prob, size)`` has *exactly* the distribution of ``rng.random(size) < prob`` for
a 53-bit uniform float: P[True] = ceil(prob·2^53) / 2^53, i.e. ``prob`` rounded up to the next
multiple of 2^-53 (a change of at most 1.1e-16, far below any privacy-relevant scale).

It is faster because it reads the 53-bit uniform integer K lazily, one byte at a time from
the most significant end, and stops as soon as K < Q or K > Q is decided (Q = ceil(prob·2^53)):
a draw costs about one random byte instead of 53 random bits, and the random source
(especially the AES-based secure one) is the bottleneck of the bit-vector oracles.
"""

from __future__ import annotations

import sys

import numpy as np

from ..validation import check_probability

_MIN_STAGE = 64  # fewer draws than this compare all their remaining bits at once
_BYTES_PER_DRAW = 7  # a uniform draw from [0, 2^56) holds 7 uniform bytes
# the 7 low-order bytes of a little- or big-endian 64-bit word, and its (zero) top byte
_BYTE_POSITIONS = range(0, 7) if sys.byteorder == "little" else range(1, 8)
_ZERO_BYTE = 7 if sys.byteorder == "little" else 0


def exact_threshold(prob: float) -> int:
    """Q = ceil(prob·2^53) computed exactly (``prob`` is taken as the exact binary float)."""
    num, den = float(prob).as_integer_ratio()
    return -((-num << 53) // den)


def implemented_probability(prob: float) -> float:
    """The probability that :func:`bernoulli` (and ``rng.random() < prob``) really uses."""
    return exact_threshold(prob) / 2.0**53


def random_bytes(rng, count: int) -> np.ndarray:
    """``count`` independent uniform bytes (contiguous uint8) drawn with ``rng.integers``.

    A draw from [0, 2^56) is a 64-bit word with 7 uniform bytes and one zero byte. The words
    are used in place, 8 bytes each, and the zero bytes (every 8th) are overwritten with
    uniform bytes from a recursive call (1/8 as many). Integers rather than floats, because
    converting floats back to integers costs more than drawing the integers.
    """
    if count <= _BYTES_PER_DRAW:
        word = np.asarray(rng.integers(0, 1 << 56, 1), dtype=np.int64).view(np.uint8)
        return word[_BYTE_POSITIONS.start : _BYTE_POSITIONS.stop][:count].copy()
    words = -(-count // 8)
    out = np.asarray(rng.integers(0, 1 << 56, words), dtype=np.int64).view(np.uint8)
    out[_ZERO_BYTE::8] = random_bytes(rng, words)
    return out[:count]


def random_nibbles(rng, count: int) -> np.ndarray:
    """``count`` independent uniform 4-bit values (uint8 in 0..15): two per random byte."""
    nbytes = -(-count // 2)
    packed = random_bytes(rng, nbytes)
    out = np.empty(2 * nbytes, dtype=np.uint8)
    np.bitwise_and(packed, np.uint8(15), out=out[:nbytes])
    np.right_shift(packed, np.uint8(4), out=out[nbytes:])
    return out[:count]


def below_threshold(rng, count: int, threshold: int, bits: int = 53, stage_bits: int = 8,
                    min_stage: int = _MIN_STAGE) -> np.ndarray:
    """``count`` independent draws of [K < threshold], K uniform on [0, 2^bits) (bool array).

    K is read ``stage_bits`` (8 or 4) bits at a time, most significant first: with
    K = N·2^r + R and threshold = T·2^r + T_R (r = bits - stage_bits), K < threshold iff N < T,
    or N == T and R < T_R. Only the draws with N == T (1/256 for bytes) go on to the next bits,
    recursively; fewer than ``min_stage`` draws compare all their remaining bits at once with
    ``rng.integers``. (Bytes beat nibbles in practice: the tie handling is sparse indexing,
    which costs far more per element at density 1/16 than at 1/256.)
    """
    if bits <= stage_bits or count < min_stage:
        return np.asarray(rng.integers(0, 1 << bits, count)) < threshold
    rest_bits = bits - stage_bits
    t_hi, t_rest = threshold >> rest_bits, threshold & ((1 << rest_bits) - 1)
    if t_hi >= 1 << stage_bits:  # threshold == 2^bits: always below
        return np.ones(count, dtype=bool)
    digits = random_bytes(rng, count) if stage_bits == 8 else random_nibbles(rng, count)
    out = digits < np.uint8(t_hi)
    if t_rest:
        tie = np.flatnonzero(digits == np.uint8(t_hi))
        if tie.size:
            out[tie] = below_threshold(rng, tie.size, t_rest, rest_bits, stage_bits, min_stage)
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
    return below_threshold(rng, count, exact_threshold(prob)).reshape(shape)


def uniform_below(rng, k: int, size: int) -> np.ndarray:
    """``size`` independent uniform integers in {0, …, k-1}.

    For k ≤ 256 from random bytes: a byte below the largest multiple of k under 256 is
    reduced mod k, larger bytes are redrawn (rejection keeps it exactly uniform); returns
    uint8. Otherwise ``rng.integers`` (int64).
    """
    if k > 256:
        return np.asarray(rng.integers(0, k, size), dtype=np.int64)
    out = random_bytes(rng, size)
    limit = 256 - 256 % k
    if limit < 256:
        redo = np.flatnonzero(out >= limit)
        while redo.size:
            fresh = random_bytes(rng, redo.size)
            out[redo] = fresh
            redo = redo[fresh >= limit]
    if k & (k - 1) == 0:  # power of two: a mask is cheaper than the modulo
        np.bitwise_and(out, np.uint8(k - 1), out=out)
    else:
        np.remainder(out, np.uint8(k), out=out)
    return out
