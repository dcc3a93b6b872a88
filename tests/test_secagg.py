"""Secure aggregation from scratch: secret sharing, fixed point, and the Bonawitz et al. protocol."""

import itertools

import numpy as np
import pytest
from cryptography.exceptions import InvalidTag
from scipy.stats import chisquare

from pets_helpers.fl.secagg import (
    PRIME,
    FixedPoint,
    SecAggAbort,
    SecAggClient,
    SecAggServer,
    UnmaskRefused,
    UnmaskRequest,
    additive_reconstruct,
    additive_share,
    prg_mask,
    secure_sum,
    shamir_reconstruct,
    shamir_share,
)

ALPHA = 1e-6  # false-fail probability of every statistical test here


# ----------------------------------------------------------------------------- secret sharing
def test_shamir_any_t_shares_reconstruct():
    rng = np.random.default_rng(1)
    secret = int.from_bytes(rng.bytes(32), "big")
    shares = shamir_share(secret, 7, 4, rng=rng)
    for subset in itertools.combinations(shares, 4):
        assert shamir_reconstruct(subset) == secret
    assert shamir_reconstruct(shares) == secret


def test_shamir_t_minus_one_shares_are_uniform():
    # Over GF(101) with t = 2, one share of a fixed secret is uniform on the field.
    rng = np.random.default_rng(2)
    p = 101
    counts = np.zeros(p)
    for _ in range(20_200):
        counts[shamir_share(42, 3, 2, prime=p, rng=rng)[0][1]] += 1
    assert chisquare(counts).pvalue > ALPHA


def test_additive_sharing_round_trip_and_validation():
    rng = np.random.default_rng(3)
    shares = additive_share(123456789, 5, rng=rng)
    assert additive_reconstruct(shares) == 123456789
    assert additive_reconstruct(shares[:4]) != 123456789
    with pytest.raises(ValueError, match="secret must lie"):
        additive_share(PRIME, 3)
    with pytest.raises(TypeError):
        shamir_share(1.5, 3, 2)
    with pytest.raises(ValueError, match="exceeds"):
        shamir_share(1, 3, 4)


# -------------------------------------------------------------------------------- fixed point
@pytest.mark.parametrize("bound, n, bits", [(1.0, 10, 64), (0.5, 100, 64), (3.0, 4, 32)])
def test_fixed_point_sum_error_within_stated_bound(bound, n, bits):
    rng = np.random.default_rng(4)
    codec = FixedPoint(bound, n, ring_bits=bits)
    xs = rng.uniform(-bound, bound, size=(n, 5000))
    xs[0, :3] = [bound, -bound, 0.0]
    ring = np.zeros(5000, dtype=np.uint64)
    for x in xs:
        ring += codec.encode(x)
    err = np.abs(codec.decode_sum(ring) - xs.sum(axis=0))
    assert err.max() <= codec.max_sum_error
    assert codec.max_sum_error == n * 2.0 ** -(codec.fractional_bits + 1)


def test_fixed_point_extremes_decode_exactly():
    codec = FixedPoint(1.0, 3, ring_bits=16)
    ring = sum(codec.encode([-1.0, 1.0, 0.25]) for _ in range(3)) & codec.modulus_mask
    assert np.allclose(codec.decode_sum(ring), [-3.0, 3.0, 0.75], atol=codec.max_sum_error)


def test_overflow_detected_not_wrapped():
    codec = FixedPoint(1.0, 10)
    with pytest.raises(ValueError, match="exceeds the fixed-point bound"):
        codec.encode([0.5, 1.0000001])
    with pytest.raises(ValueError, match="values contains nan at position 0"):
        codec.encode([np.nan])
    with pytest.raises(TypeError, match="values"):
        codec.encode(np.array(["0.5", "0.25"]))   # numbers as text are never parsed
    with pytest.raises(ValueError, match="wrap around"):
        FixedPoint(1.0, 10, ring_bits=16, frac_bits=12)   # 10·2^12 > 2^15
    with pytest.raises(ValueError, match="wrap around"):
        FixedPoint(1000.0, 1000, ring_bits=16)            # no fractional bits fit at all
    with pytest.raises(ValueError, match="sized for"):
        codec.decode_sum(np.zeros(3, dtype=np.uint64), n_summands=11)


# ----------------------------------------------------------------------------------- protocol
N, T, M = 10, 6, 40


def _setup(rng, ring_bits=64):
    clients = {i: SecAggClient(i, T, ring_bits, rng=rng) for i in range(1, N + 1)}
    server = SecAggServer(T, ring_bits)
    roster = server.collect_keys({i: c.advertise_keys() for i, c in clients.items()})
    inbox = server.route_shares({i: c.share_keys(roster) for i, c in clients.items()})
    for v, boxes in inbox.items():
        clients[v].receive_shares(boxes)
    return clients, server


def test_exact_sum_under_every_dropout_pattern_up_to_n_minus_t():
    rng = np.random.default_rng(5)
    inputs = {i: rng.integers(0, 2**63, M, dtype=np.uint64) * np.uint64(2) + np.uint64(i % 2)
              for i in range(1, N + 1)}
    clients, server = _setup(rng)
    masked = {i: c.masked_input(inputs[i]) for i, c in clients.items()}
    patterns = 0
    for k in range(N - T + 1):
        for dropped in itertools.combinations(range(1, N + 1), k):
            alive = [i for i in range(1, N + 1) if i not in dropped]
            request = server.collect_masked({i: masked[i] for i in alive})
            assert request.dropped == dropped
            # clients answer once per round: fresh copies of their state for each pattern
            responses = {}
            for i in alive:
                clients[i]._answered = False
                responses[i] = clients[i].unmask(request)
            total = server.unmask(responses)
            want = np.zeros(M, dtype=np.uint64)
            for i in alive:
                want += inputs[i]
            assert np.array_equal(total, want), dropped
            patterns += 1
    assert patterns == sum(len(list(itertools.combinations(range(N), k))) for k in range(5))


def test_late_dropouts_stay_in_the_sum_and_small_ring():
    rng = np.random.default_rng(6)
    codec = FixedPoint(1.0, N, ring_bits=32)
    xs = rng.uniform(-1, 1, size=(N, 100))
    res = secure_sum([codec.encode(x) for x in xs], T, drop_before_masking=[1, 9],
                     drop_before_unmasking=[2, 3], ring_bits=32, rng=rng)
    keep = [i for i in range(N) if i + 1 not in (1, 9)]
    assert res.dropped == (1, 9)
    assert np.abs(codec.decode_sum(res.total) - xs[keep].sum(axis=0)).max() <= codec.max_sum_error


def test_abort_below_threshold():
    enc = [np.zeros(5, dtype=np.uint64)] * N
    with pytest.raises(SecAggAbort, match="fewer than the threshold"):
        secure_sum(enc, T, drop_before_masking=[1, 2, 3, 4, 5])
    with pytest.raises(SecAggAbort, match="unmasking"):
        secure_sum(enc, T, drop_before_masking=[1, 2], drop_before_unmasking=[3, 4, 5])
    with pytest.raises(ValueError, match="must exceed n/2"):
        secure_sum(enc, 5)


def test_inconsistent_unmask_request_refused():
    rng = np.random.default_rng(7)
    clients, server = _setup(rng)
    x = np.arange(M, dtype=np.uint64)
    server.collect_masked({i: c.masked_input(x) for i, c in clients.items()})
    bad = UnmaskRequest(survivors=tuple(range(1, N + 1)), dropped=(4,))
    for c in clients.values():
        with pytest.raises(UnmaskRefused, match=r"both surviving\s+and dropped"):
            c.unmask(bad)
    good = UnmaskRequest(tuple(range(1, N + 1)), ())
    clients[1].unmask(good)
    with pytest.raises(UnmaskRefused, match="already answered"):
        clients[1].unmask(UnmaskRequest(tuple(range(2, N + 1)), (1,)))
    with pytest.raises(UnmaskRefused, match="fewer than t"):
        clients[2].unmask(UnmaskRequest((2, 3, 4), ()))


def test_tampered_share_ciphertext_rejected():
    rng = np.random.default_rng(8)
    clients = {i: SecAggClient(i, 3, rng=rng) for i in (1, 2, 3, 4)}
    roster = {i: c.advertise_keys() for i, c in clients.items()}
    out = {i: c.share_keys(roster) for i, c in clients.items()}
    blob = bytearray(out[1][2])
    blob[-1] ^= 1
    with pytest.raises(InvalidTag):
        clients[2].receive_shares({1: bytes(blob)})
    # the server cannot read the shares: ciphertexts for different receivers differ
    assert out[1][2] != out[1][3]


def _chi2_top_and_low_bits(values):
    top = (values >> np.uint64(56)).astype(np.int64)
    low = (values & np.uint64(255)).astype(np.int64)
    return (chisquare(np.bincount(top, minlength=256)).pvalue,
            chisquare(np.bincount(low, minlength=256)).pvalue)


def test_masked_updates_look_uniform_to_the_server():
    rng = np.random.default_rng(9)
    codec = FixedPoint(1.0, 5)
    update = codec.encode(rng.normal(0, 0.01, 2**15))  # a realistic, very non-uniform update
    res = secure_sum([update] * 5, 3, rng=rng)
    for y in res.server_view.values():
        p_top, p_low = _chi2_top_and_low_bits(y)
        assert p_top > ALPHA and p_low > ALPHA
    # the test has power: the unmasked encoding fails it (all top bits 0x00 or 0xff)
    assert _chi2_top_and_low_bits(update)[0] < ALPHA


def test_prg_mask_is_deterministic_and_validates_seed():
    seed = bytes(range(32))
    assert np.array_equal(prg_mask(seed, 10), prg_mask(seed, 10))
    assert not np.array_equal(prg_mask(seed, 10), prg_mask(bytes(32), 10))
    assert prg_mask(seed, 10, 16).max() < 2**16
    with pytest.raises(ValueError, match="32 bytes"):
        prg_mask(b"short", 10)


def test_flower_secaggplus_refuses_an_even_num_shares_before_starting():
    from pets_helpers.fl.secagg_flower import run_flower

    clients = [(np.zeros((4, 3)), np.array([0, 1, 0, 1]))] * 4
    with pytest.raises(ValueError, match="must be odd"):
        run_flower(clients, secagg=True, num_shares=4)
