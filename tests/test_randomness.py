"""Tests of pets_helpers.randomness: the secure generator's uniformity and resolve_rng.

Statistical tests are at level ALPHA = 1e-6 each (a correct generator fails one with
probability ≤ 1e-6). SecureGenerator cannot be seeded, so these are the only tests of it that
are not exact.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pets_helpers.randomness import SecureGenerator, data_rng, resolve_rng

ALPHA = 1e-6


def test_random_is_uniform_on_unit_interval():
    u = SecureGenerator().random(200_000)
    assert u.dtype == np.float64 and u.shape == (200_000,)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > ALPHA
    # 53 random bits: u·2^53 is an integer, and its lowest bit is a fair coin
    k = u * 2.0**53
    assert np.array_equal(k, np.floor(k))
    odd = int(np.count_nonzero(k.astype(np.int64) & 1))
    assert stats.binomtest(odd, u.size, 0.5).pvalue > ALPHA


@pytest.mark.parametrize("low, high", [(0, 7), (-3, 2), (0, 2**32), (10, 10 + 3 * 2**40)])
def test_integers_are_unbiased(low, high):
    n, bins = 140_000, 7
    x = SecureGenerator().integers(low, high, n)
    assert x.dtype == np.int64 and x.min() >= low and x.max() < high
    span = high - low
    if span <= 16:
        counts = np.bincount(x - low, minlength=span)
        expected = np.full(span, n / span)
    else:  # 7 near-equal classes of the range, expected counts by their exact widths
        edges = low + (np.arange(bins + 1) * span) // bins
        counts = np.histogram(x, bins=edges)[0]
        expected = n * np.diff(edges) / span
    assert stats.chisquare(counts, expected).pvalue > ALPHA


def test_scalar_and_shaped_draws():
    g = SecureGenerator()
    assert isinstance(g.random(), float)
    assert isinstance(g.integers(5), int) and 0 <= g.integers(5) < 5
    assert g.integers(3, 4) == 3
    assert g.random((3, 4)).shape == (3, 4)
    assert g.integers(0, 10, (2, 5)).shape == (2, 5)
    with pytest.raises(ValueError, match="0 < high - low"):
        g.integers(5, 5)
    # two generators draw from independent keys
    assert not np.array_equal(SecureGenerator().random(8), SecureGenerator().random(8))


def test_resolve_rng():
    assert isinstance(resolve_rng(None), SecureGenerator)
    assert resolve_rng(None) is not resolve_rng(None)
    secure = SecureGenerator()
    assert resolve_rng(secure) is secure
    gen = np.random.default_rng(0)
    assert resolve_rng(gen) is gen
    a, b = resolve_rng(42), resolve_rng(np.int64(42))
    assert isinstance(a, np.random.Generator)
    assert np.array_equal(a.random(5), b.random(5))
    same = np.random.default_rng(7).integers(0, 100, 5)
    assert np.array_equal(resolve_rng(7).integers(0, 100, 5), same)
    for bad in (True, 1.5, "seed", [1, 2]):
        with pytest.raises(TypeError, match="rng"):
            resolve_rng(bad)


# --- data_rng: the seed of a data generator ---------------------------------------------------

def test_data_rng_is_reproducible_and_continues_a_generator():
    assert np.array_equal(data_rng(5).random(4), np.random.default_rng(5).random(4))
    gen = np.random.default_rng(1)
    assert data_rng(gen) is gen
    assert isinstance(data_rng(np.int64(3)), np.random.Generator)


@pytest.mark.parametrize("seed,error,phrase", [
    (None, TypeError, "seed must be an integer"),      # data must be reproducible
    ("1", TypeError, "str '1'"),
    (True, TypeError, "bool"),
    (1.0, TypeError, "float"),
    (SecureGenerator(), TypeError, "SecureGenerator"),
    (-1, ValueError, "got -1"),
])
def test_data_rng_refuses_what_is_not_a_seed(seed, error, phrase):
    with pytest.raises(error) as info:
        data_rng(seed)
    assert phrase in str(info.value)


def test_data_rng_names_the_argument():
    with pytest.raises(ValueError, match="hash_seed must be"):
        data_rng(-2, "hash_seed")
