"""pets_helpers.synth: domains, marginals, the DP tree synthesizer, SDV wrappers and attacks."""

import math

import numpy as np
import pandas as pd
import pytest

from pets_helpers.accounting import BudgetExceeded
from pets_helpers.dp import discrete_laplace_variance
from pets_helpers.grading.tolerance import z_score
from pets_helpers.synth import (
    Binned,
    Categorical,
    DPTreeSynthesizer,
    closer_to_train_share,
    copy_synthesizer,
    dcr_comparison,
    GowerEncoder,
    distance_membership_attack,
    encode_table,
    fit_margins,
    marginal_counts,
    maximum_spanning_tree,
    mutual_information,
    nearest_distances,
    noisy_marginal,
    project_to_simplex,
)
from pets_helpers.synth.census_table import (
    CENSUS_DOMAIN,
    RARE_GROUP,
    census_people,
    split_train_holdout,
)

SMALL_DOMAIN = {"colour": Categorical(["red", "green", "blue"]),
                "size": Binned([0, 10, 20, 30], integer=True)}


def small_table():
    return pd.DataFrame({"colour": ["red", "green", "blue", "red"], "size": [1, 15, 29, 30]})


@pytest.fixture(scope="module")
def census():
    return census_people()


@pytest.fixture(scope="module")
def split(census):
    return split_train_holdout(census, 1500, seed=3)


# --------------------------------------------------------------------------- domains
def test_encode_table_codes_categories_and_bins():
    domain, codes = encode_table(small_table(), SMALL_DOMAIN)
    assert list(domain) == ["colour", "size"]
    assert codes.tolist() == [[0, 0], [1, 1], [2, 2], [0, 2]]   # 30 falls in the closed last bin


@pytest.mark.parametrize("table,error,phrase", [
    (small_table().assign(extra=1), ValueError, "no declared domain"),
    (small_table().drop(columns="size"), ValueError, "not in the table"),
    (small_table().assign(size=[1.0, np.nan, 3.0, 4.0]), ValueError, "missing value"),
    (small_table().assign(colour=["red", "pink", "red", "red"]), ValueError, "'pink'"),
    (small_table().assign(size=[1, 2, 3, 31]), ValueError, "outside its declared bins"),
    (small_table().iloc[:0], ValueError, "empty"),
    (small_table().to_numpy(), TypeError, "DataFrame"),
])
def test_encode_table_refuses_bad_tables_with_one_clear_error(table, error, phrase):
    with pytest.raises(error, match=phrase):
        encode_table(table, SMALL_DOMAIN)


@pytest.mark.parametrize("make,error", [
    (lambda: Categorical([]), ValueError),
    (lambda: Categorical(["a", "a"]), ValueError),
    (lambda: Categorical("abc"), TypeError),
    (lambda: Binned([3, 1]), ValueError),
    (lambda: Binned([0, math.inf]), ValueError),
    (lambda: Binned([0.5, 2], integer=True), ValueError),
    (lambda: Binned([1]), ValueError),
])
def test_domain_specs_validate(make, error):
    with pytest.raises(error):
        make()


def test_census_table_fits_its_public_domain(census):
    assert list(census.columns) == list(CENSUS_DOMAIN)
    assert len(census) == 8223 and not census.isna().any().any()
    encode_table(census, CENSUS_DOMAIN)      # every value inside the declared domain
    column, category = RARE_GROUP
    assert 0 < (census[column] == category).sum() < 0.01 * len(census)


# --------------------------------------------------------------------------- marginals
def test_marginal_counts_include_empty_cells():
    counts = marginal_counts(np.array([[0, 1], [0, 1], [2, 0]]), (3, 2))
    assert counts.tolist() == [[0, 2], [0, 0], [1, 0]]


def test_noisy_marginal_noise_has_the_discrete_laplace_variance_for_sensitivity_one():
    # 40,000 cells: sample variance within z·sd, sd from the discrete Laplace's 4th moment
    codes = np.zeros((10, 2), dtype=np.int64)
    eps = 0.5
    noisy = noisy_marginal(codes, (200, 200), eps, rng=np.random.default_rng(1))
    noise = (noisy - marginal_counts(codes, (200, 200))).ravel().astype(float)
    var = discrete_laplace_variance(1 / eps)
    sd_of_var = var * math.sqrt(5.0 / noise.size)    # Laplace kurtosis 6: Var(s²) ≈ 5σ⁴/N
    assert abs(noise.var() - var) < z_score() * sd_of_var
    assert abs(noise.mean()) < z_score() * math.sqrt(var / noise.size)


@pytest.mark.parametrize("eps", [0, -1, math.nan, math.inf])
def test_noisy_marginal_refuses_bad_epsilon(eps):
    with pytest.raises(ValueError, match="epsilon"):
        noisy_marginal(np.zeros((3, 1), dtype=np.int64), (2,), eps)


def test_mutual_information_of_independent_and_identical_columns():
    assert mutual_information(np.full((3, 4), 5.0)) == pytest.approx(0.0, abs=1e-12)
    assert mutual_information(np.eye(4) * 10) == pytest.approx(math.log(4))
    # negative noisy counts are clipped before normalising
    assert mutual_information([[10, -3], [-2, 10]]) == pytest.approx(math.log(2))
    assert mutual_information(np.zeros((2, 2))) == 0.0


def test_maximum_spanning_tree_avoids_cycles_and_prefers_heavy_edges():
    weights = {("a", "b"): 3.0, ("b", "c"): 2.0, ("a", "c"): 2.5, ("c", "d"): 0.1}
    tree = maximum_spanning_tree(weights)
    assert tree == [("a", "b"), ("a", "c"), ("c", "d")]
    with pytest.raises(ValueError, match="connect"):
        maximum_spanning_tree({("a", "b"): 1.0, ("c", "d"): 1.0})


def test_project_to_simplex_and_fit_margins_give_consistent_non_negative_tables():
    x = project_to_simplex([5.0, -2.0, 1.0, 0.5], 4.0)
    assert (x >= 0).all() and x.sum() == pytest.approx(4.0)
    t = fit_margins([[4.0, -1.0], [2.0, 3.0]], [3.0, 5.0], [6.0, 2.0])
    assert (t >= 0).all()
    np.testing.assert_allclose(t.sum(1), [3.0, 5.0], rtol=1e-6)
    np.testing.assert_allclose(t.sum(0), [6.0, 2.0], rtol=1e-6)


# --------------------------------------------------------------------------- DP synthesizer
@pytest.mark.parametrize("eps", [0, -0.5, math.nan, math.inf])
def test_dp_synthesizer_refuses_bad_epsilon(eps):
    with pytest.raises(ValueError, match="epsilon"):
        DPTreeSynthesizer(eps, SMALL_DOMAIN)


def test_dp_synthesizer_refuses_bad_share_domain_and_tables():
    with pytest.raises(ValueError, match="selection_share"):
        DPTreeSynthesizer(1.0, SMALL_DOMAIN, selection_share=1.0)
    with pytest.raises(TypeError, match="domain"):
        DPTreeSynthesizer(1.0, ["colour", "size"])
    synth = DPTreeSynthesizer(1.0, SMALL_DOMAIN)
    with pytest.raises(ValueError, match="no declared domain"):
        synth.fit(small_table().assign(secret=1))
    with pytest.raises(ValueError, match="empty"):
        synth.fit(small_table().iloc[:0])
    with pytest.raises(RuntimeError, match="fit"):
        synth.sample()


def test_dp_synthesizer_spends_exactly_epsilon_on_one_person(split):
    train, _ = split
    synth = DPTreeSynthesizer(1.0, CENSUS_DOMAIN).fit(train, rng=5)
    eps_spent, delta_spent = synth.accountant_.spent
    assert eps_spent == pytest.approx(1.0, rel=1e-12) and delta_spent == 0.0
    d = len(CENSUS_DOMAIN)
    assert len(synth.measurements_) == d * (d - 1) // 2 + (d - 1)
    assert len(synth.tree_) == d - 1
    with pytest.raises(BudgetExceeded):                # the budget is used up
        synth.accountant_.spend(1e-3)
    assert "one person" in synth.privacy_statement()


def test_dp_synthesizer_samples_inside_the_domain_with_a_noisy_row_count(split):
    train, _ = split
    synth = DPTreeSynthesizer(1.0, CENSUS_DOMAIN).fit(train, rng=6)
    rows = synth.sample(rng=7)
    encode_table(rows, CENSUS_DOMAIN)                  # every value in its public domain
    assert list(rows.columns) == list(CENSUS_DOMAIN)
    assert rows["age"].dtype.kind == "i" and rows["area"].dtype == object
    # the row count is the inverse-variance average of the noisy totals: its sd is < 20 here
    assert abs(synth.n_estimate_ - len(train)) < z_score() * 20
    assert len(synth.sample(123, rng=1)) == 123


def test_dp_synthesizer_finds_a_strong_dependence_at_large_epsilon():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, 3000)
    table = pd.DataFrame({"a": a, "copy_of_a": (a + (rng.random(3000) < 0.05)) % 3,
                          "noise": rng.integers(0, 3, 3000)})
    domain = {c: Categorical([0, 1, 2]) for c in table}
    synth = DPTreeSynthesizer(20.0, domain).fit(table, rng=1)
    assert {("a", "copy_of_a")} <= {tuple(e) for e in synth.tree_} | {("copy_of_a", "a")}
    rows = synth.sample(rng=2)
    agreement = (rows["a"] == rows["copy_of_a"]).mean()
    assert agreement > 0.85


# --------------------------------------------------------------------------- attacks
def test_copying_synthesizer_is_caught_by_dcr_and_membership_inference(split):
    train, holdout = split
    copied = copy_synthesizer(train, seed=1)
    dcr = dcr_comparison(copied, train, holdout)
    assert dcr.share_closer_to_train > 0.95
    assert dcr.synthetic_median < 0.1 * dcr.holdout_median
    attack = distance_membership_attack(copied, train, holdout)
    assert attack.auc > 0.5 + attack.chance_margin + 0.3
    assert attack.tpr_at_1pct_fpr > 0.5


def test_dp_synthesizer_at_epsilon_one_leaves_membership_at_chance(split):
    # ε = 1 with a seeded generator; the margin is the 1e-6 quantile of a chance attack's AUC
    train, holdout = split
    rows = DPTreeSynthesizer(1.0, CENSUS_DOMAIN).fit(train, rng=11).sample(rng=12)
    attack = distance_membership_attack(rows, train, holdout)
    assert abs(attack.auc - 0.5) < attack.chance_margin
    dcr = dcr_comparison(rows, train, holdout)
    # under the null each synthetic row is ≈ a coin flip between train and holdout: sd ≈ 1/(2√n)
    assert abs(dcr.share_closer_to_train - 0.5) < z_score() * math.sqrt(0.25 / len(rows))


def test_dcr_needs_equal_sizes_and_counts_ties_as_half(split):
    train, holdout = split
    with pytest.raises(ValueError, match="equally large"):
        dcr_comparison(train.iloc[:10], train, holdout.iloc[:100])
    assert closer_to_train_share([0.0, 1.0, 2.0, 0.5], [1.0, 0.5, 2.0, 0.5]) == 0.5
    assert nearest_distances(train.iloc[:5], train).tolist() == [0.0] * 5


def test_nearest_distances_do_not_depend_on_the_block_size(split):
    train, holdout = split
    encoder = GowerEncoder(train)
    q, r = encoder.transform(holdout.iloc[:40]), encoder.transform(train.iloc[:300])
    brute = np.abs(q[:, None, :] - r[None, :, :]).sum(-1).min(1) / len(encoder.columns)
    for block_mib in (1e-6, 0.05, 32):   # one row per block, a few blocks, one block
        got = nearest_distances(holdout.iloc[:40], train.iloc[:300], encoder, block_mib=block_mib)
        np.testing.assert_array_equal(got, brute)
    for bad, error in [(0, ValueError), (-1, ValueError), ("32", TypeError)]:
        with pytest.raises(error, match="block_mib"):
            nearest_distances(holdout.iloc[:4], train.iloc[:4], block_mib=bad)


# --------------------------------------------------------------------------- SDV / SDMetrics
def test_sdv_wrappers_refuse_bad_tables_with_one_clear_error():
    from pets_helpers.synth.sdv_models import fit_gaussian_copula, quality_report

    table = small_table()
    with pytest.raises(TypeError, match="cannot be modelled by SDV"):
        fit_gaussian_copula(table.assign(tags=[["a"], ["b"], [], ["c"]]))
    with pytest.raises(ValueError, match="missing value"):
        fit_gaussian_copula(table.assign(size=[1.0, None, 3.0, 4.0]))
    with pytest.raises(ValueError, match="empty"):
        fit_gaussian_copula(table.iloc[:0])
    with pytest.raises(TypeError, match="DataFrame"):
        quality_report(table.to_numpy(), table)


def test_quality_report_scores_every_column_pair(split):
    from pets_helpers.synth.sdv_models import pair_score_matrix, quality_report

    train, holdout = split
    report = quality_report(train, holdout)
    details = report.get_details("Column Pair Trends")
    d = train.shape[1]
    assert len(details) == d * (d - 1) // 2
    assert details["Score"].notna().all() and details["Meets Threshold?"].all()
    matrix = pair_score_matrix(report)
    assert matrix.shape == (d, d) and np.allclose(matrix, matrix.T, equal_nan=True)
    assert 0.9 < report.get_score() <= 1.0                 # two real samples look alike
    copied = report.get_score() < quality_report(train, copy_synthesizer(train)).get_score()
    assert copied                                          # copying scores even higher


def test_gaussian_copula_fits_and_samples_the_census_table(split):
    from pets_helpers.synth.sdv_models import fit_gaussian_copula, sample_rows

    train, _ = split
    model = fit_gaussian_copula(train.iloc[:500])
    rows = sample_rows(model, 300, seed=1)
    assert list(rows.columns) == list(train.columns) and len(rows) == 300
    assert rows.equals(sample_rows(model, 300, seed=1))     # seeded


def test_ctgan_fits_with_a_progress_bar_and_refuses_bad_epochs(split, capsys):
    from pets_helpers.synth.sdv_models import fit_ctgan, sample_rows

    train, _ = split
    model = fit_ctgan(train.iloc[:200], epochs=1, seed=0, batch_size=100)
    assert "1/1" in capsys.readouterr().err                  # tqdm's bar, one epoch
    rows = sample_rows(model, 50, seed=2)
    assert list(rows.columns) == list(train.columns) and len(rows) == 50
    with pytest.raises(ValueError, match="epochs"):
        fit_ctgan(train.iloc[:200], epochs=0)
