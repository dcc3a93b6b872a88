"""Tests for pets_helpers.accounting: composition, zCDP, the accountants and budget allocation.

Reference values come from hand calculation and from Google's ``dp_accounting`` run on the same
sequences of releases.
"""

import math

import dp_accounting
import numpy as np
import pytest
from dp_accounting.rdp.rdp_privacy_accountant import compute_epsilon as rdp_compute_epsilon

from pets_helpers.accounting import (
    BudgetExceeded,
    DashboardQuery,
    InfeasibleBudget,
    LedgerEntry,
    PrivacyAccountant,
    ZCDPAccountant,
    ZCDPEntry,
    advanced_composition,
    allocate_budget,
    best_composition,
    compose_rho,
    epsilon_to_rho,
    gaussian_rho,
    gaussian_sigma_for_rho,
    laplace_epsilon_for_error,
    laplace_epsilon_for_std,
    laplace_rho,
    parallel_composition,
    rho_to_epsilon,
    rho_to_epsilon_simple,
    sequential_composition,
)

# Two-sided normal quantile for a false-fail probability of 1e-6.
Z_1E6 = 4.891638475


# ------------------------------------------------------------------ composition, by hand
def test_sequential_composition_hand_values():
    assert sequential_composition([0.1] * 10) == (1.0, 0.0)  # exactly, thanks to fsum
    eps, delta = sequential_composition([0.5, 0.25, 1.0], [1e-6, 0.0, 2e-6])
    assert eps == pytest.approx(1.75, abs=1e-15)
    assert delta == pytest.approx(3e-6, rel=1e-12)


def test_parallel_composition_takes_the_max():
    assert parallel_composition([0.5, 0.2, 0.5]) == (0.5, 0.0)
    assert parallel_composition([0.1, 0.7], [1e-6, 1e-7]) == (0.7, 1e-6)


def test_advanced_composition_hand_value():
    # ε=0.1, δ=1e-7, k=100, δ'=1e-5:
    # sqrt(2·100·ln(1e5))·0.1 = 4.798525…, 100·0.1·(e^0.1 − 1) = 1.051709…
    eps, delta = advanced_composition(0.1, 1e-7, 100, 1e-5)
    assert eps == pytest.approx(5.850235092944558, rel=1e-12)
    assert delta == pytest.approx(100 * 1e-7 + 1e-5, rel=1e-12)


def test_advanced_beats_sequential_only_for_large_k():
    eps = 0.01
    adv_large, _ = advanced_composition(eps, 0.0, 10_000, 1e-6)
    assert adv_large < 0.5 * 10_000 * eps  # ≈ 6.3 vs 100
    adv_small, _ = advanced_composition(eps, 0.0, 3, 1e-6)
    assert adv_small > 3 * eps  # for a handful of releases kε is better
    assert best_composition(eps, 0.0, 3, 1e-6).method == "sequential"
    best = best_composition(eps, 0.0, 10_000, 1e-6)
    assert best.epsilon <= adv_large and best.method in ("advanced", "zcdp")
    assert best.delta == pytest.approx(1e-6)
    # with δ > 0 per release the zCDP route is not available
    assert best_composition(eps, 1e-9, 10_000, 1e-6).method == "advanced"


@pytest.mark.parametrize(
    "call",
    [
        lambda: sequential_composition([]),
        lambda: sequential_composition([0.1, float("nan")]),
        lambda: sequential_composition([0.1, 0.0]),
        lambda: sequential_composition([0.1, -1.0]),
        lambda: sequential_composition([0.1, math.inf]),
        lambda: sequential_composition([0.1, 0.2], [1e-6]),
        lambda: sequential_composition([0.1], [1.0]),
        lambda: sequential_composition([0.1], [-1e-9]),
        lambda: parallel_composition([0.1], [float("nan")]),
        lambda: advanced_composition(0.1, 0.0, 0, 1e-6),
        lambda: advanced_composition(0.1, 0.0, 10, 0.0),
        lambda: advanced_composition(0.1, 1.5, 10, 1e-6),
    ],
)
def test_composition_rejects_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_composition_rejects_a_bare_number():
    with pytest.raises(TypeError, match="sequence"):
        sequential_composition(0.5)


# ------------------------------------------------------------------ against dp_accounting
def _pld_laplace(epsilon, k, delta):
    acc = dp_accounting.pld.PLDAccountant()
    acc.compose(dp_accounting.LaplaceDpEvent(noise_multiplier=1.0 / epsilon), k)
    return acc.get_epsilon(delta)


def test_single_laplace_release_matches_pld():
    # One Laplace release of scale Δ/ε is exactly ε-DP; the PLD accountant (tight up to its
    # 1e-4 discretisation) finds the same ε at a tiny δ.
    for eps in (0.5, 1.0):
        ours, _ = sequential_composition([eps])
        assert _pld_laplace(eps, 1, 1e-9) == pytest.approx(ours, rel=1e-6)


@pytest.mark.parametrize("eps, k", [(0.1, 10), (0.1, 100), (0.05, 400)])
def test_laplace_sequences_never_beat_pld(eps, k):
    delta = 1e-6
    theirs = _pld_laplace(eps, k, delta)
    seq, _ = sequential_composition([eps] * k)
    best = best_composition(eps, 0.0, k, delta)
    adv, _ = advanced_composition(eps, 0.0, k, delta)
    # Every valid bound is ≥ the (near-)optimal PLD bound; tiny slack for its discretisation.
    for ours in (seq, best.epsilon, adv):
        assert ours >= theirs * (1 - 1e-6)
    # RDP agrees too: a composition of Laplace releases through their RDP curve.
    rdp = dp_accounting.rdp.RdpAccountant()
    rdp.compose(dp_accounting.SelfComposedDpEvent(
        dp_accounting.LaplaceDpEvent(noise_multiplier=1.0 / eps), k))
    assert seq >= rdp.get_epsilon(delta) * (1 - 1e-9)
    if k >= 100:  # many small releases: zCDP/advanced are far better than kε, as PLD says
        assert best.epsilon < 0.6 * seq


def test_mixed_sequence_composed_event():
    # A ComposedDpEvent of different Laplace releases: our sum is ≥ PLD's and close to it.
    epsilons = [0.3, 0.2, 0.5]
    acc = dp_accounting.pld.PLDAccountant()
    acc.compose(dp_accounting.ComposedDpEvent(
        [dp_accounting.LaplaceDpEvent(noise_multiplier=1.0 / e) for e in epsilons]))
    theirs = acc.get_epsilon(1e-9)
    ours, _ = sequential_composition(epsilons)
    assert theirs <= ours * (1 + 1e-6)
    assert theirs > 0.95 * ours  # at tiny δ nothing beats the plain sum by much


@pytest.mark.parametrize("sigma, k, delta", [(1.0, 1, 1e-5), (3.0, 10, 1e-6), (10.0, 100, 1e-6),
                                             (20.0, 1000, 1e-8)])
def test_gaussian_zcdp_matches_rdp_accountant(sigma, k, delta):
    """k Gaussian releases (sensitivity 1, noise σ): zCDP vs dp_accounting's RdpAccountant.

    The Gaussian mechanism's Rényi divergence is exactly αρ at every order, and both sides
    convert with the same formula (Canonne–Kamath–Steinke 2020 Prop. 12). The only difference:
    RdpAccountant minimises over a fixed grid of orders, we minimise over all α > 1. So ours
    must be ≤ theirs, and close: within 1% here (up to a few % only when the optimal order
    lies beyond their largest order, 1024, i.e. for tiny ρ).
    """
    rdp = dp_accounting.rdp.RdpAccountant()
    rdp.compose(dp_accounting.GaussianDpEvent(noise_multiplier=sigma), k)
    theirs = rdp.get_epsilon(delta)
    rho = compose_rho([gaussian_rho(1.0, sigma)] * k)
    ours = rho_to_epsilon(rho, delta)
    assert ours <= theirs * (1 + 1e-9)
    assert ours >= 0.99 * theirs
    # the simple conversion is valid but looser
    assert rho_to_epsilon_simple(rho, delta) > ours
    # the zCDP accountant gives the same number
    zacc = ZCDPAccountant(10 * rho)
    for _ in range(k):
        zacc.spend_gaussian(1.0, sigma)
    assert zacc.epsilon(delta) == pytest.approx(ours, rel=1e-9)


def test_gaussian_zcdp_is_not_below_pld():
    # PLD accounting is (nearly) exact for Gaussians, so a valid bound cannot be below it.
    for sigma, k in [(3.0, 10), (10.0, 100)]:
        acc = dp_accounting.pld.PLDAccountant()
        acc.compose(dp_accounting.GaussianDpEvent(noise_multiplier=sigma), k)
        theirs = acc.get_epsilon(1e-6)
        ours = rho_to_epsilon(k * gaussian_rho(1.0, sigma), 1e-6)
        assert theirs <= ours <= 1.15 * theirs


def test_rho_to_epsilon_is_the_ckS_infimum():
    # Minimising dp_accounting's conversion over a very fine grid of orders recovers ours.
    orders = np.concatenate([np.linspace(1.02, 50, 20000), np.linspace(50, 5000, 20000)])
    for rho, delta in [(0.5, 1e-5), (0.01, 1e-6), (5.0, 1e-8)]:
        theirs, _ = rdp_compute_epsilon(orders, orders * rho, delta)
        assert rho_to_epsilon(rho, delta) == pytest.approx(theirs, rel=1e-5)
        assert rho_to_epsilon(rho, delta) <= theirs * (1 + 1e-12)


def test_zcdp_hand_values():
    assert gaussian_rho(2.0, 4.0) == pytest.approx(4.0 / 32.0)
    assert gaussian_sigma_for_rho(2.0, 0.125) == pytest.approx(4.0)
    assert laplace_rho(0.5) == pytest.approx(0.125)
    assert compose_rho([0.1, 0.2, 0.3]) == pytest.approx(0.6)
    simple = 0.5 + 2 * math.sqrt(0.5 * math.log(1e5))
    assert rho_to_epsilon_simple(0.5, 1e-5) == pytest.approx(simple)
    assert rho_to_epsilon(0.0, 1e-6) == 0.0


def test_epsilon_to_rho_inverts_rho_to_epsilon():
    for eps, delta in [(1.0, 1e-6), (0.1, 1e-9), (8.0, 1e-5)]:
        rho = epsilon_to_rho(eps, delta)
        assert rho_to_epsilon(rho, delta) <= eps
        assert rho_to_epsilon(rho, delta) == pytest.approx(eps, rel=1e-9)
        # larger than what the simple conversion would allow
        assert rho_to_epsilon_simple(rho, delta) > eps


@pytest.mark.parametrize(
    "call",
    [
        lambda: rho_to_epsilon(0.5, 0.0),  # zCDP never gives pure DP
        lambda: rho_to_epsilon(-0.1, 1e-6),
        lambda: rho_to_epsilon(float("nan"), 1e-6),
        lambda: gaussian_rho(1.0, 0.0),
        lambda: gaussian_rho(-1.0, 1.0),
        lambda: laplace_rho(0.0),
        lambda: compose_rho([]),
        lambda: compose_rho([0.1, -0.1]),
        lambda: epsilon_to_rho(1.0, 0.0),
    ],
)
def test_zcdp_rejects_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_zcdp_delta_zero_message_is_helpful():
    with pytest.raises(ValueError, match="never gives pure"):
        rho_to_epsilon(0.5, 0.0)


# ------------------------------------------------------------------ the accountant
def test_accountant_spends_and_reports_remaining():
    acc = PrivacyAccountant(1.0, 1e-6)
    acc.spend(0.3, label="mean income")
    acc.spend(0.2, 1e-7, label="median age")
    assert acc.spent == (pytest.approx(0.5), pytest.approx(1e-7))
    assert acc.remaining == (pytest.approx(0.5), pytest.approx(9e-7))
    assert acc.ledger == [LedgerEntry("mean income", 0.3, 0.0, "sequential"),
                          LedgerEntry("median age", 0.2, 1e-7, "sequential")]
    label, eps, delta, kind = acc.ledger[0]  # entries unpack into 4 fields
    assert (label, kind) == ("mean income", "sequential")
    assert acc.can_spend(0.5) and not acc.can_spend(0.5000001)
    assert not acc.can_spend(0.1, 1e-6)


def test_accountant_refuses_overspend_and_keeps_ledger():
    acc = PrivacyAccountant(1.0)
    acc.spend(0.7, label="first")
    before = acc.ledger
    with pytest.raises(BudgetExceeded) as info:
        acc.spend(0.5, label="too much")
    msg = str(info.value)
    assert "0.5" in msg and "0.3" in msg and "too much" in msg and "fix" in msg.lower()
    assert isinstance(info.value, ValueError)
    assert acc.ledger == before and acc.remaining == (pytest.approx(0.3), 0.0)
    # δ > 0 on a pure-ε budget is refused too
    with pytest.raises(BudgetExceeded, match="δ"):
        acc.spend(0.1, 1e-9)
    assert acc.ledger == before


def test_exact_budget_in_small_pieces_is_allowed():
    acc = PrivacyAccountant(1.0)
    for i in range(10):
        acc.spend(0.1, label=f"query {i}")
    assert acc.remaining == (0.0, 0.0)
    with pytest.raises(BudgetExceeded):
        acc.spend(1e-6)
    # the same with thirds, whose float sum is not exactly 1
    acc = PrivacyAccountant(1.0)
    for _ in range(3):
        acc.spend(1 / 3)
    assert acc.remaining[0] == 0.0
    acc = PrivacyAccountant(0.7, 3e-6)
    for _ in range(7):
        acc.spend(0.1, 3e-6 / 7)
    assert acc.remaining == (0.0, 0.0)


def test_parallel_charges_the_max():
    acc = PrivacyAccountant(1.0, 1e-6)
    acc.spend_parallel({"area A": 0.5, "area B": 0.5, "area C": (0.3, 1e-7)}, label="counts")
    assert acc.spent == (pytest.approx(0.5), pytest.approx(1e-7))
    assert acc.ledger[-1] == LedgerEntry("counts", 0.5, 1e-7, "parallel")
    assert "area A" in acc.to_frame()["partitions"].iloc[0]
    with pytest.raises(BudgetExceeded):
        acc.spend_parallel({"x": 0.2, "y": 0.6})
    assert len(acc) == 1


def test_parallel_context_manager_checks_each_partition():
    acc = PrivacyAccountant(1.0)
    acc.spend(0.4)
    with acc.parallel("heatmap") as group:
        group.spend("cell 1", 0.3)
        group.spend("cell 2", 0.5)
        group.spend("cell 1", 0.1)  # same partition twice: 0.4, still below 0.5
        assert group.cost == (pytest.approx(0.5), 0.0)
        assert acc.remaining[0] == pytest.approx(0.1)
        with pytest.raises(BudgetExceeded):
            group.spend("cell 3", 0.7)  # group cost would be 0.7 > 0.6 available
        with pytest.raises(BudgetExceeded):
            acc.spend(0.2)  # a sequential spend sees the open group's cost
    assert acc.ledger[-1] == LedgerEntry("heatmap", pytest.approx(0.5), 0.0, "parallel")
    assert acc.remaining[0] == pytest.approx(0.1)


def test_parallel_group_is_recorded_even_if_the_block_fails():
    acc = PrivacyAccountant(1.0)
    with pytest.raises(RuntimeError):
        with acc.parallel("cells") as group:
            group.spend("a", 0.2)
            raise RuntimeError("crash after a release")
    assert acc.spent[0] == pytest.approx(0.2)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: PrivacyAccountant(0.0), ValueError),
        (lambda: PrivacyAccountant(-1.0), ValueError),
        (lambda: PrivacyAccountant(float("nan")), ValueError),
        (lambda: PrivacyAccountant(1.0, 1.0), ValueError),
        (lambda: PrivacyAccountant(1.0, -1e-9), ValueError),
        (lambda: PrivacyAccountant("1.0"), TypeError),
        (lambda: PrivacyAccountant(1.0).spend(0.0), ValueError),
        (lambda: PrivacyAccountant(1.0).spend(-0.1), ValueError),
        (lambda: PrivacyAccountant(1.0).spend(float("nan")), ValueError),
        (lambda: PrivacyAccountant(1.0).spend(0.1, float("nan")), ValueError),
        (lambda: PrivacyAccountant(1.0).spend(0.1, 1.0), ValueError),
        (lambda: PrivacyAccountant(1.0).spend(0.1, label=3), TypeError),
        (lambda: PrivacyAccountant(1.0).spend_parallel({}), TypeError),
        (lambda: PrivacyAccountant(1.0).spend_parallel([0.1, 0.2]), TypeError),
        (lambda: PrivacyAccountant(1.0).spend_parallel({"a": -0.1}), ValueError),
        (lambda: PrivacyAccountant(1.0).can_spend(float("inf")), ValueError),
    ],
)
def test_accountant_validation(call, error):
    with pytest.raises(error):
        call()


def test_failed_validation_leaves_ledger_unchanged():
    acc = PrivacyAccountant(1.0)
    with pytest.raises(ValueError):
        acc.spend_parallel({"a": 0.1, "b": float("nan")})
    assert acc.ledger == [] and acc.remaining == (1.0, 0.0)


def test_accountant_reprs():
    acc = PrivacyAccountant(2.0, 1e-6)
    assert "No releases" in acc._repr_html_()
    acc.spend(0.5, label="<script>")
    acc.spend_parallel({"A": 1.0, "B": 0.5}, label="areas")
    text = repr(acc)
    assert "total_epsilon=2" in text and "remaining ε=0.5" in text and "2 releases" in text
    page = acc._repr_html_()
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert "75.0%" in page and "areas" in page and "A: ε=1" in page


def test_zcdp_accountant():
    acc = ZCDPAccountant.from_epsilon_delta(1.0, 1e-6)
    assert rho_to_epsilon(acc.total_rho, 1e-6) <= 1.0
    rho = acc.spend_gaussian(1.0, 10.0, label="mean")
    assert rho == pytest.approx(0.005)
    acc.spend_pure(0.1, label="count")
    assert acc.spent_rho == pytest.approx(0.005 + 0.005)
    with pytest.raises(BudgetExceeded):
        acc.spend_gaussian(1.0, 1.0)
    assert len(acc) == 2
    assert acc.ledger[0] == ZCDPEntry("mean", pytest.approx(0.005), "gaussian")
    assert acc.ledger[1].rho == pytest.approx(0.005) and acc.ledger[1].kind == "pure"
    assert not hasattr(acc.ledger[0], "epsilon")          # ρ is not stored under the name ε
    while acc.can_spend_rho(0.001):
        acc.spend_rho(0.001)
    assert acc.epsilon(1e-6) <= 1.0
    assert "ZCDPAccountant" in repr(acc) and "ρ" in acc._repr_html_()
    with pytest.raises(ValueError):
        ZCDPAccountant(0.0)


# ------------------------------------------------------------------ budget allocation
def test_laplace_epsilon_formulas():
    assert laplace_epsilon_for_std(1.0, math.sqrt(2)) == pytest.approx(1.0)
    assert laplace_epsilon_for_error(2.0, 10.0, 0.95) == pytest.approx(2.0 * math.log(20.0) / 10.0)
    for bad in [lambda: laplace_epsilon_for_error(1, 1, 1.0),
                lambda: laplace_epsilon_for_error(1, 0, 0.9),
                lambda: laplace_epsilon_for_std(0, 1)]:
        with pytest.raises(ValueError):
            bad()


def test_laplace_epsilon_for_error_by_simulation():
    # With ε = Δ ln(1/(1−c))/t, P[|Lap(Δ/ε)| ≤ t] is exactly c. Check with 200 000 draws:
    # the empirical fraction is Binomial(N, c)/N, so |fraction − c| ≤ z·sqrt(c(1−c)/N) with
    # false-fail probability ≤ 1e-6 (z = 4.89).
    sensitivity, error, confidence, n = 3.0, 5.0, 0.9, 200_000
    eps = laplace_epsilon_for_error(sensitivity, error, confidence)
    noise = np.random.default_rng(7).laplace(0.0, sensitivity / eps, n)  # test-only sampler
    frac = np.mean(np.abs(noise) <= error)
    assert abs(frac - confidence) <= Z_1E6 * math.sqrt(confidence * (1 - confidence) / n)


def test_feasible_allocation_spreads_leftover():
    queries = [
        ("total trips", 1.0, 10.0),  # needs √2/10 = 0.1414
        DashboardQuery("mean duration", 2.0, target_error=20.0, confidence=0.95),  # 2·ln20/20
        {"name": "peak hour", "sensitivity": 1.0, "target_std": 5.0},  # 0.2828
    ]
    need = math.sqrt(2) / 10 + 2 * math.log(20) / 20 + math.sqrt(2) / 5
    res = allocate_budget(1.0, queries)
    assert res.feasible and res.shortfall == 0.0
    assert res.required_epsilon == pytest.approx(need)
    assert sum(res.epsilons.values()) == pytest.approx(1.0)
    assert res.leftover == pytest.approx(0.0, abs=1e-12)
    assert res.epsilons["total trips"] == pytest.approx(math.sqrt(2) / 10 / need)
    assert res.table["meets_target"].all()
    assert (res.table["noise_std"][[0, 2]] <= np.array([10.0, 5.0])).all()
    lean = allocate_budget(1.0, queries, spread="none")
    assert lean.epsilons["peak hour"] == pytest.approx(math.sqrt(2) / 5)
    assert lean.leftover == pytest.approx(1.0 - need)
    assert "Feasible" in repr(lean) and "<table" in lean._repr_html_()


def test_infeasible_allocation_names_the_shortfall():
    queries = [("a", 1.0, 1.0), ("b", 1.0, 1.0)]  # 2·√2 ≈ 2.83 needed
    res = allocate_budget(1.0, queries)
    assert not res.feasible and res.epsilons == {}
    assert res.shortfall == pytest.approx(2 * math.sqrt(2) - 1.0)
    assert f"{2 * math.sqrt(2) - 1.0:.4g}" in res.message
    with pytest.raises(InfeasibleBudget) as info:
        allocate_budget(1.0, queries, strict=True)
    assert info.value.shortfall == pytest.approx(2 * math.sqrt(2) - 1.0)


def test_parallel_group_counts_once():
    cells = [DashboardQuery(f"cell {i}", 1.0, target_std=2.0, group="heatmap") for i in range(50)]
    res = allocate_budget(1.0, cells + [("total", 1.0, 4.0)])
    # 50 cells on disjoint partitions cost √2/2, the total √2/4: 1.06 > 1 → infeasible ...
    assert res.required_epsilon == pytest.approx(math.sqrt(2) / 2 + math.sqrt(2) / 4)
    assert res.group_costs["heatmap"] == pytest.approx(math.sqrt(2) / 2)
    assert not res.feasible
    # ... but without the grouping it would need 50× as much
    ungrouped = allocate_budget(1.0, [(c.name, 1.0, 2.0) for c in cells])
    assert ungrouped.required_epsilon == pytest.approx(50 * math.sqrt(2) / 2)
    # loosening the total's target makes the grouped design feasible; every cell gets the group ε
    ok = allocate_budget(1.0, cells + [("total", 1.0, 8.0)])
    assert ok.feasible
    assert len({round(ok.epsilons[c.name], 12) for c in cells}) == 1
    assert ok.epsilons["cell 0"] + ok.epsilons["total"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "queries",
    [
        [],
        [("a", 1.0, 1.0), ("a", 1.0, 2.0)],
        [{"name": "a", "sensitivity": 1.0}],
        [{"name": "a", "sensitivity": 1.0, "target_std": 1.0, "target_error": 1.0}],
        [{"name": "a", "sensitivity": 1.0, "target_std": 1.0, "mechanism": "gaussian"}],
        [{"name": "a", "sensitivity": 0.0, "target_std": 1.0}],
        [{"name": "a", "sensitivity": 1.0, "target_std": 1.0, "colour": "red"}],
        [("x", 1.0, 1.0, "extra")],
    ],
)
def test_allocation_validation(queries):
    with pytest.raises((ValueError, TypeError)):
        allocate_budget(1.0, queries)
