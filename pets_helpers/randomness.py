"""Where randomness comes from: one convention for the whole library.

``seed`` — reproducible data.
    Whatever builds a *data set* or *public parameters* (the tables of
    :mod:`pets_helpers.datasets`, RAPPOR's public hash functions, a demo's fixed population) takes
    ``seed``: an int ≥ 0 (or a ``numpy.random.Generator`` to continue a stream). The same seed
    always gives the same data. :func:`data_rng` turns it into a generator; there is no
    "random" default, because a table that changes on every run cannot be documented or tested.

``rng`` — mechanisms, secure by default.
    Whatever must be private (a DP mechanism, an LDP oracle, noisy query answers) takes
    ``rng=None``, which means a fresh cryptographically secure source
    (:class:`SecureGenerator`: AES-256 in counter mode keyed from the operating system's entropy
    pool, as NIST SP 800-90A's CTR_DRBG). Tests, checks and reproducible demos pass an int seed
    or a seeded ``numpy.random.Generator`` instead. :func:`resolve_rng` turns the argument into a
    sampler. Simulations that run mechanisms on simulated users (``ldp.experiments``,
    ``attacks.reconstruction``) take ``rng`` too: one stream drives both, secure unless seeded.

Every mechanism uses only the two methods both sources share: ``random(size)`` (uniform floats
in [0, 1) with 53 random bits) and ``integers(low, high, size)`` (uniform integers in
[low, high), without modulo bias). The one deliberate exception is
:func:`pets_helpers.attacks.floating_point.naive_laplace_release`, which reproduces the
insecure textbook code (``numpy`` Generator.laplace) in order to attack it.
"""

from __future__ import annotations

import numbers
import os

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .validation import check_int


class SecureGenerator:
    """Cryptographically secure, vectorized uniform sampler (AES-256-CTR keystream).

    The key is 32 bytes from ``os.urandom`` and is re-drawn after 2**32 blocks (64 GiB),
    so the stream is indistinguishable from random to anyone without the key.
    """

    _REKEY_BYTES = 1 << 36

    def __init__(self) -> None:
        self._rekey()

    def _rekey(self) -> None:
        cipher = Cipher(algorithms.AES(os.urandom(32)), modes.CTR(os.urandom(16)))
        self._encryptor = cipher.encryptor()
        self._used = 0

    def _uint64(self, count: int) -> np.ndarray:
        nbytes = 8 * count
        if self._used + nbytes > self._REKEY_BYTES:
            self._rekey()
        self._used += nbytes
        stream = self._encryptor.update(bytes(nbytes))
        return np.frombuffer(stream, dtype=np.uint64)

    def random(self, size=None):
        """Uniform floats in [0, 1) with 53 random bits each (like ``Generator.random``)."""
        count = 1 if size is None else int(np.prod(size))
        out = (self._uint64(count) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
        return float(out[0]) if size is None else out.reshape(size)

    def integers(self, low, high=None, size=None):
        """Uniform integers in [low, high) (or [0, low) when ``high`` is None), unbiased."""
        if high is None:
            low, high = 0, low
        low, high = int(low), int(high)
        span = high - low
        if span <= 0 or span > (1 << 63):
            raise ValueError(f"integers needs 0 < high - low ≤ 2**63, got low={low}, "
                             f"high={high}.")
        count = 1 if size is None else int(np.prod(size))
        if span & (span - 1) == 0:  # a power of two: masking the low bits is exact
            out = self._uint64(count) & np.uint64(span - 1)
        else:
            # Rejection sampling: accept draws below the largest multiple of span (< 2**64).
            limit = np.uint64((1 << 64) - ((1 << 64) % span))
            out = self._uint64(count).copy()
            bad = out >= limit
            while bad.any():
                out[bad] = self._uint64(int(bad.sum()))
                bad = out >= limit
            out %= np.uint64(span)
        out = out.view(np.int64)
        if low:
            out = out + low
        return int(out[0]) if size is None else out.reshape(size)


def resolve_rng(rng=None):
    """Turn the ``rng`` argument of a mechanism into a sampler.

    ``None`` → a fresh :class:`SecureGenerator` (the default for real releases);
    an ``int`` seed → ``numpy.random.default_rng(seed)`` (reproducible, *not* secure);
    a ``numpy.random.Generator`` or ``SecureGenerator`` → itself.
    """
    if rng is None:
        return SecureGenerator()
    if isinstance(rng, (np.random.Generator, SecureGenerator)):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        "rng must be None (secure randomness), an int seed or a numpy.random.Generator, "
        f"got {type(rng).__name__}."
    )


def data_rng(seed, name: str = "seed") -> np.random.Generator:
    """Turn the ``seed`` of a data generator into a ``numpy.random.Generator``.

    An int ≥ 0 → ``numpy.random.default_rng(seed)``; a ``numpy.random.Generator`` → itself (to
    continue a stream). Anything else raises ``TypeError`` (``None`` too: data must be
    reproducible), a negative int ``ValueError``.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_int(seed, name, low=0))
