"""The generated data sets (``pets_helpers.datasets``) and the linkage helpers built on them."""

import time

import numpy as np
import pandas as pd
import pytest

from pets_helpers import linkage
from pets_helpers.datasets import (AGE_BANDS, AREAS, DIAGNOSES, FEMALE_SHARE, REFERENCE_DATE,
                                   linkage_tables)
from pets_helpers.grading.tolerance import binomial_acceptance

QIS = list(linkage.QUASI_IDENTIFIERS)
SMALL = dict(n_population=20_000, n_released=2_000, roster_fraction=0.7)


@pytest.fixture(scope="module")
def tables():
    return linkage_tables(**SMALL, seed=7)


# --- linkage_tables -------------------------------------------------------------------------

def test_same_seed_same_tables_and_other_seed_other_tables(tables):
    again = linkage_tables(**SMALL, seed=7)
    for a, b in zip(tables, again):
        pd.testing.assert_frame_equal(a, b)
    other = linkage_tables(**SMALL, seed=8)
    assert not tables.released.equals(other.released)
    assert not tables.roster.equals(other.roster)


def test_a_numpy_generator_works_as_seed():
    a = linkage_tables(n_population=500, n_released=50, seed=np.random.default_rng(3))
    b = linkage_tables(n_population=500, n_released=50, seed=np.random.default_rng(3))
    pd.testing.assert_frame_equal(a.roster, b.roster)


def test_shapes_columns_and_types(tables):
    released, roster, truth = tables
    assert list(released.columns) == ["record_id", "area", "birth_date", "sex", "diagnosis"]
    assert list(roster.columns) == ["voter_id", "name", "area", "birth_date", "sex"]
    assert list(truth.columns) == ["record_id", "name"]
    assert len(released) == len(truth) == SMALL["n_released"]
    assert len(roster) == round(SMALL["roster_fraction"] * SMALL["n_population"])
    for frame in (released, roster):
        assert pd.api.types.is_datetime64_any_dtype(frame["birth_date"])
        assert set(frame["sex"]) <= {"F", "M"}
        assert set(frame["area"]) <= set(AREAS)
        assert all(isinstance(a, str) and len(a) == 5 and a.isdigit() for a in AREAS)
        assert not frame.isna().any().any()
    assert set(released["diagnosis"]) <= set(DIAGNOSES)
    assert sorted(released["record_id"]) == list(range(1, len(released) + 1))
    assert roster["voter_id"].is_unique and roster["name"].is_unique


def test_population_parameters_are_respected(tables):
    roster = tables.roster
    age = (REFERENCE_DATE - roster["birth_date"]).dt.days / 365.2425
    assert age.min() >= AGE_BANDS[0][0] and age.max() < AGE_BANDS[-1][1]
    lo, hi = binomial_acceptance(len(roster), FEMALE_SHARE)
    assert lo <= (roster["sex"] == "F").sum() <= hi
    sizes = roster["area"].value_counts()
    assert len(sizes) == len(AREAS) and sizes.max() > 4 * sizes.min()  # unequal areas


def test_truth_is_consistent_with_both_tables(tables):
    released, roster, truth = tables
    assert truth["name"].is_unique
    assert (truth["record_id"] == released["record_id"]).all()
    joined = (released.merge(truth, on="record_id")
              .merge(roster, on="name", how="inner", suffixes=("", "_roster")))
    assert len(joined) > 0.5 * len(released)  # most patients are on the roster …
    assert len(joined) < len(released)  # … but not all
    for column in QIS:
        assert (joined[column] == joined[f"{column}_roster"]).all(), column


def test_some_records_are_unique_and_some_ambiguous(tables):
    released, roster, _ = tables
    counts = roster.groupby(QIS).size().rename("matches").reset_index()
    matches = released.merge(counts, on=QIS, how="left")["matches"].fillna(0)
    assert (matches == 0).mean() > 0.1  # not on the roster (or no look-alike)
    assert (matches == 1).mean() > 0.5  # the attack's targets
    assert (matches >= 2).sum() > 10  # ambiguous
    unique = linkage.uniqueness(roster, QIS)
    assert 0.5 < unique < 1.0


def test_default_size_is_fast():
    best = float("inf")
    for seed in range(2):
        start = time.perf_counter()
        linkage_tables(seed=seed)
        best = min(best, time.perf_counter() - start)
    assert best < 0.5, f"linkage_tables() took {best:.2f} s"


@pytest.mark.parametrize("kwargs,error,phrase", [
    (dict(n_population=50), ValueError, "n_population must be an integer ≥ 100"),
    (dict(n_population=10**6), ValueError, "at most 200,000"),
    (dict(n_population=1000.0), TypeError, "n_population must be an integer"),
    (dict(n_released=0), ValueError, "n_released must be an integer ≥ 1"),
    (dict(n_population=1000, n_released=2000), ValueError, "cannot exceed n_population"),
    (dict(roster_fraction=0), ValueError, "roster_fraction must be a finite number in (0, 1]"),
    (dict(roster_fraction=1.5), ValueError, "roster_fraction"),
    (dict(roster_fraction="0.7"), TypeError, "roster_fraction must be a real number, got str"),
    (dict(seed=-1), ValueError, "seed must be an integer ≥ 0"),
    (dict(seed="abc"), TypeError, "seed"),
])
def test_bad_arguments_raise_one_clear_error(kwargs, error, phrase):
    with pytest.raises(error, match=None) as info:
        linkage_tables(**kwargs)
    assert phrase in str(info.value)


# --- pets_helpers.linkage -------------------------------------------------------------------

HAND = pd.DataFrame({"area": list("AAABBBBCDDE"), "sex": list("FFMFFFMMFMF")})


def test_uniqueness_class_sizes_and_k_anonymity_on_a_hand_made_table():
    assert linkage.class_sizes(HAND, ["area", "sex"]).tolist() == [2, 2, 1, 3, 3, 3, 1, 1, 1, 1, 1]
    assert linkage.uniqueness(HAND, ["area", "sex"]) == pytest.approx(6 / 11)
    assert linkage.uniqueness(HAND, "area") == pytest.approx(2 / 11)
    assert linkage.uniqueness(HAND.iloc[:1], ["area"]) == 1.0
    assert linkage.k_anonymity(HAND, ["area"]) == 1
    assert linkage.k_anonymity(HAND.iloc[3:6], ["area", "sex"]) == 3
    by = linkage.uniqueness_by_columns(HAND, ["area", "sex"])
    assert list(by.index) == ["area", "sex", "area + sex"]


def test_missing_values_count_as_a_value():
    table = pd.DataFrame({"a": [1.0, np.nan, np.nan, 2.0]})
    assert linkage.uniqueness(table, ["a"]) == 0.5


@pytest.mark.parametrize("table,columns,error", [
    (HAND, ["zip"], KeyError),
    (HAND, [], ValueError),
    (HAND.iloc[:0], ["area"], ValueError),
    ([1, 2], ["area"], TypeError),
])
def test_uniqueness_rejects_bad_input(table, columns, error):
    with pytest.raises(error):
        linkage.uniqueness(table, columns)


def _day(text):
    return pd.Timestamp(text)


def test_link_unique_keeps_exactly_one_matches_only():
    released = pd.DataFrame({
        "record_id": [1, 2, 3, 4],
        "area": ["A", "A", "B", "C"],
        "birth_date": [_day("1980-01-01"), _day("1990-05-05"), _day("1970-02-02"),
                       _day("1960-03-03")],
        "sex": ["F", "M", "F", "M"],
    })
    roster = pd.DataFrame({
        "name": ["Ann", "Bob", "Bill", "Cat"],
        "area": ["A", "A", "A", "B"],
        "birth_date": [_day("1980-01-01"), _day("1990-05-05"), _day("1990-05-05"),
                       _day("1970-02-02")],
        "sex": ["F", "M", "M", "F"],
    })
    links = linkage.link_unique(released, roster)
    assert links.to_dict("list") == {"record_id": [1, 3], "name": ["Ann", "Cat"]}
    assert linkage.match_counts(released, roster).tolist() == [1, 2, 1, 0]
    truth = pd.DataFrame({"record_id": [1, 2, 3, 4], "name": ["Ann", "Bob", "Dan", "Eve"]})
    quality = linkage.link_quality(links, truth)
    assert quality == {"linked": 2, "correct": 1, "precision": 0.5, "recall": 0.25}


def test_link_unique_on_generated_tables_matches_the_truth_mostly(tables):
    released, roster, truth = tables
    quality = linkage.link_quality(linkage.link_unique(released, roster), truth)
    assert quality["precision"] > 0.9
    assert 0.5 < quality["recall"] <= SMALL["roster_fraction"]


def test_coarsen_and_generalize():
    dates = pd.Series(pd.to_datetime(["1987-06-15", "1984-12-31"]))
    assert linkage.coarsen_dates(dates, "month").tolist() == [_day("1987-06-01"),
                                                              _day("1984-12-01")]
    assert linkage.coarsen_dates(dates, "year").tolist() == [1987, 1984]
    assert linkage.coarsen_dates(dates, "5 years").tolist() == [1985, 1980]
    table = pd.DataFrame({"id": [1, 2], "birth_date": dates, "sex": ["F", "M"]})
    out = linkage.generalize_birth_date(table, "year")
    assert list(out.columns) == ["id", "birth_year", "sex"]
    assert "birth_date" in table.columns  # the input is untouched
    with pytest.raises(ValueError, match="level must be one of"):
        linkage.coarsen_dates(dates, "week")


def test_tradeoff_coarser_dates_mean_less_risk_and_less_precision(tables):
    result = linkage.tradeoff(*tables)
    assert list(result.index) == list(linkage.LEVELS)
    assert result["unique_in_roster"].is_monotonic_decreasing
    assert result["reidentified"].is_monotonic_decreasing
    assert result["age_error_years"].is_monotonic_increasing
    assert result.loc["year", "age_error_years"] == pytest.approx(0.25, abs=0.02)
