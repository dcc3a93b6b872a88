"""Tests for pets_helpers.he: secure CKKS parameters, depth accounting and measurements."""

import math
import re

import numpy as np
import pytest
import tenseal as ts

from pets_helpers.he import (
    COURSE_PARAMS,
    SECURITY_TABLE_128,
    CKKSParams,
    DepthExhausted,
    InsecureParameters,
    error_vs_depth,
    explain_scale_error,
    guard_depth,
    levels_left,
    make_context,
    measure,
    precision_bits,
    predicted_precision_bits,
    propose_params,
)

SMALL = COURSE_PARAMS["lesson07_small"]  # N=4096, [35, 25, 35], depth 1


# ---- the security table and the course's parameter sets -------------------------------
def test_security_table_is_the_he_standard():
    assert SECURITY_TABLE_128 == {1024: 27, 2048: 54, 4096: 109, 8192: 218, 16384: 438,
                                  32768: 881}


@pytest.mark.parametrize("name", sorted(COURSE_PARAMS))
def test_every_course_parameter_set_is_within_the_128_bit_table(name):
    params = COURSE_PARAMS[name]
    assert params.validate() is params
    assert params.is_secure
    assert params.total_bits <= SECURITY_TABLE_128[params.poly_modulus_degree]


def test_scoring_set_matches_the_course_plan():
    p = COURSE_PARAMS["scoring"]
    assert (p.poly_modulus_degree, p.coeff_mod_bit_sizes, p.scale_bits) == (
        8192, (50, 36, 36, 36, 60), 36)
    assert (p.depth, p.total_bits, p.slots, p.integer_bits) == (3, 218, 4096, 14)


def test_make_context_sets_the_scale_and_holds_the_secret_key():
    ctx = make_context(SMALL)
    assert ctx.global_scale == 2.0 ** 25
    assert ctx.is_private()
    vec = ts.ckks_vector(ctx, [0.5, -0.25])
    assert levels_left(vec) == SMALL.depth == 1
    assert levels_left(vec * vec) == 0
    assert np.allclose(vec.decrypt(), [0.5, -0.25], atol=1e-2)


# ---- validation ------------------------------------------------------------------------
def test_chain_over_the_table_raises_insecure_with_the_numbers():
    params = CKKSParams(8192, [60, 40, 40, 40, 60], 40)
    assert not params.is_secure
    with pytest.raises(InsecureParameters) as err:
        params.validate()
    msg = str(err.value)
    assert "240" in msg and "218" in msg and "8192" in msg
    assert "fewer or smaller primes" in msg and "N=16384" in msg
    with pytest.raises(InsecureParameters):
        make_context(params)  # refused before TenSEAL/SEAL sees it
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("args, pattern", [
    ((3000, [40, 20, 40], 20), "poly_modulus_degree must be one of"),
    ((4096, [40], 20), "at least 2 primes"),
    ((8192, [60, 70, 60], 40), r"coeff_mod_bit_sizes\[1\] = 70.*20–60"),
    ((8192, [60, 30, 60], 40), r"coeff_mod_bit_sizes\[1\] = 30 but scale_bits = 40"),
    ((8192, [60, 40, 50], 40), "special .* must be the largest"),
    ((8192, [40, 40, 40, 60], 40), "first prime has 40 bits but scale_bits = 40"),
    ((8192, [60, 40, 60], 61), "scale_bits must lie in 20–60"),
])
def test_malformed_chains_raise_one_clear_error(args, pattern):
    with pytest.raises(ValueError, match=pattern) as err:
        CKKSParams(*args).validate()
    assert not isinstance(err.value, InsecureParameters)


def test_non_integers_are_refused():
    with pytest.raises(TypeError, match="scale_bits must be an integer"):
        CKKSParams(8192, [60, 40, 60], 40.0).validate()
    with pytest.raises(TypeError, match="list of prime bit sizes"):
        CKKSParams(8192, 60, 40)
    with pytest.raises(TypeError, match="CKKSParams"):
        make_context({"poly_modulus_degree": 8192})


def test_middle_prime_mismatch_really_breaks_tenseal():
    # The reason validate() refuses it: TenSEAL resets the scale after rescaling by a 30-bit
    # prime, so 0.5 * 0.5 decrypts to ~0.25 * 2**10.
    ctx = ts.context(ts.SCHEME_TYPE.CKKS, poly_modulus_degree=8192,
                     coeff_mod_bit_sizes=[60, 30, 60])
    ctx.global_scale = 2.0 ** 40
    vec = ts.ckks_vector(ctx, [0.5])
    assert abs((vec * vec).decrypt()[0] - 0.25 * 2 ** 10) < 1.0


# ---- proposer --------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5, 6])
def test_proposals_are_secure_and_structured(depth):
    params = propose_params(depth, precision_bits=12)
    assert params.is_secure and params.validate() is params
    assert params.depth == depth
    sizes = params.coeff_mod_bit_sizes
    assert sizes[0] == params.scale_bits + 10 and sizes[-1] == max(sizes)
    assert predicted_precision_bits(params) >= 12 + 1


@pytest.mark.parametrize("depth, precision", [(1, 20), (2, 20), (3, 12), (4, 8)])
def test_measured_precision_meets_the_request(depth, precision):
    params = propose_params(depth, precision_bits=precision)
    assert params.poly_modulus_degree <= 8192  # cheapest degree that fits
    result = measure(params, depth, size=512, repeats=2, rng=depth)
    assert result["precision_bits"] >= precision
    assert result["precision_bits"] >= result["predicted_bits"] - 1  # model over-promises < 1 bit


def test_deepest_proposal_measured_once():
    params = propose_params(6, precision_bits=12)  # needs N=16384
    result = measure(params, 6, size=64, repeats=1, rng=6)
    assert result["precision_bits"] >= 12


def test_proposal_is_the_smallest_degree():
    assert propose_params(1, precision_bits=10).poly_modulus_degree == 4096
    assert propose_params(3, precision_bits=20).poly_modulus_degree == 16384


def test_impossible_depth_names_the_maximum():
    with pytest.raises(ValueError, match="maximum depth at this precision is") as err:
        propose_params(30, precision_bits=20)
    best = int(re.search(r"maximum depth at this precision is (\d+)", str(err.value)).group(1))
    assert 1 <= best < 30
    assert propose_params(best, precision_bits=20).is_secure
    with pytest.raises(ValueError, match="maximum depth"):
        propose_params(best + 1, precision_bits=20)


def test_impossible_precision_and_bad_arguments():
    with pytest.raises(ValueError, match="out of reach even without multiplications"):
        propose_params(0, precision_bits=60)
    with pytest.raises(ValueError, match="depth must be ≥ 0"):
        propose_params(-1)
    with pytest.raises(ValueError, match="precision_bits must be a finite number > 0"):
        propose_params(2, precision_bits=math.nan)
    with pytest.raises(ValueError, match="integer_bits must lie in"):
        propose_params(2, integer_bits=0)
    with pytest.raises(ValueError, match="only the 128-bit table"):
        propose_params(2, security=256)
    with pytest.raises(TypeError, match="depth must be an integer"):
        propose_params(2.0)


# ---- depth: guard before, explain after -------------------------------------------------
def test_guard_depth_raises_before_tenseal_and_names_the_depth():
    assert guard_depth(SMALL, 0) == 1
    assert guard_depth(SMALL, 1) == 0
    with pytest.raises(DepthExhausted) as err:
        guard_depth(SMALL, 2)
    msg = str(err.value)
    assert "allow only depth 1" in msg and "needs 2 multiplications" in msg
    assert "one prime of the modulus chain" in msg and "propose_params(depth=2)" in msg
    assert (err.value.available, err.value.attempted) == (1, 2)
    assert isinstance(err.value, ValueError)
    with pytest.raises(DepthExhausted):
        measure(SMALL, 2)  # measure guards too, no TenSEAL error
    with pytest.raises(ValueError, match="multiplications must be ≥ 0"):
        guard_depth(SMALL, -1)


def test_explain_scale_error_converts_tenseals_real_error():
    ctx = make_context(SMALL)
    vec = ts.ckks_vector(ctx, [0.5, 0.5])
    done = 0
    with pytest.raises(ValueError, match="scale out of bounds") as raw:
        for _ in range(3):
            vec = vec * vec
            done += 1
    assert done == 1
    converted = explain_scale_error(raw.value, SMALL, done)
    assert isinstance(converted, DepthExhausted)
    msg = str(converted)
    assert "scale out of bounds" in msg and "allow only depth 1" in msg
    assert "propose_params(depth=2)" in msg
    other = ValueError("can't multiply vectors of different sizes")
    assert explain_scale_error(other, SMALL, 0) is other


# ---- measurement ------------------------------------------------------------------------
def test_precision_bits_math():
    assert precision_bits([1.0, 2.0], [1.0, 2.0]) == math.inf
    assert precision_bits([0.0, 1.0], [2 ** -10, 1.0]) == pytest.approx(10.0)
    assert precision_bits([0.0], [0.5, 123.0]) == pytest.approx(1.0)  # padding ignored
    with pytest.raises(ValueError, match="decrypted has 1 values"):
        precision_bits([0.0, 1.0], [0.0])
    with pytest.raises(ValueError, match="nan"):
        precision_bits([0.0], [math.nan])
    with pytest.raises(ValueError, match="empty"):
        precision_bits([], [])


def test_measure_returns_sane_numbers():
    small = measure(SMALL, size=128, repeats=2, rng=0)
    big = measure(COURSE_PARAMS["scoring"], size=128, repeats=1, rng=0)
    for result in (small, big):
        assert result["precision_bits"] > 8
        assert result["ciphertext_bytes"] > 0 and result["context_public_bytes"] > 0
        for key in ("encrypt_ms", "add_ms", "multiply_ms", "decrypt_ms"):
            assert result[key] > 0
        assert math.isnan(result["rotate_ms"])
    assert big["ciphertext_bytes"] > small["ciphertext_bytes"]
    assert (small["poly_modulus_degree"], small["depth"], small["size"]) == (4096, 1, 128)
    with_rot = measure(SMALL, size=16, repeats=1, rng=1, galois_keys=True)
    assert with_rot["rotate_ms"] > 0
    with pytest.raises(ValueError, match="size must be in 1..2048"):
        measure(SMALL, size=5000)


def test_error_vs_depth():
    params = COURSE_PARAMS["scoring"]
    table = error_vs_depth(params, rng=3, size=256)
    assert list(table["depth"]) == [0, 1, 2, 3]
    assert list(table["levels_left"]) == [3, 2, 1, 0]
    assert (table["precision_bits"].diff().dropna() < 0.5).all()  # never gains precision
    assert (table["precision_bits"] >= table["predicted_bits"] - 1).all()
    assert (table["precision_bits"] <= table["predicted_bits"] + 2.5).all()  # and is not loose
    assert np.allclose(table["max_abs_error"], 2.0 ** -table["precision_bits"])
