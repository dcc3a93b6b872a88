"""The shared validators: one clear error per misuse, naming the bad value."""

import numpy as np
import pytest

import pandas as pd

from pets_helpers.validation import (check_bounds, check_delta, check_domain_values,
                                     check_epsilon, check_finite_array, check_int,
                                     check_not_text, check_positive_delta, check_positive_int,
                                     check_probability, check_real)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_epsilon_must_be_finite_and_positive(bad):
    with pytest.raises(ValueError, match="finite number > 0"):
        check_epsilon(bad)


def test_epsilon_type_and_good_values():
    assert check_epsilon(np.float32(0.5)) == 0.5
    with pytest.raises(TypeError):
        check_epsilon(True)
    with pytest.raises(TypeError):
        check_epsilon("1")


@pytest.mark.parametrize("bad", [-0.1, 1.0, float("nan")])
def test_delta_in_unit_interval(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        check_delta(bad)


def test_positive_delta_refuses_zero_with_the_reason():
    assert check_positive_delta(1e-6, "why") == 1e-6
    with pytest.raises(ValueError, match="delta must be > 0: because zCDP"):
        check_positive_delta(0.0, "because zCDP")
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        check_positive_delta(2.0, "why")


def test_domain_values_name_the_first_bad_entry():
    assert check_domain_values([0, 2, 1.0], 3).tolist() == [0, 2, 1]
    with pytest.raises(ValueError, match=r"values\[1\] = 5 is outside"):
        check_domain_values([0, 5], 3)
    with pytest.raises(ValueError, match="nan at position 1"):
        check_domain_values([0.0, np.nan], 3)
    with pytest.raises(ValueError, match="1-D"):
        check_domain_values([[0]], 3)
    with pytest.raises(ValueError, match=">= 2|≥ 2"):
        check_positive_int(1, "domain_size", minimum=2)


def test_bounds_and_finite_arrays():
    assert check_bounds(0, 10) == (0.0, 10.0)
    with pytest.raises(ValueError):
        check_bounds(10, 0)
    with pytest.raises(ValueError, match=r"contains nan at position 1;"):
        check_finite_array([1.0, np.nan])
    grid = np.zeros((4, 3))
    grid[3, 1] = np.inf
    with pytest.raises(ValueError, match=r"contains inf at position \(3, 1\);"):
        check_finite_array(grid, "grid")


# --- check_real / check_int: wrong type → TypeError, wrong value → ValueError ------------------

@pytest.mark.parametrize("bad", ["0.5", None, True, np.bool_(True), [0.5], np.array([0.5]), 1j])
def test_check_real_refuses_wrong_types_with_a_type_error_naming_the_value(bad):
    with pytest.raises(TypeError, match="x must be a real number, got") as info:
        check_real(bad, "x")
    assert repr(bad)[:10] in str(info.value)


def test_check_real_says_how_to_convert_text():
    with pytest.raises(TypeError, match=r"float\('0.5'\)"):
        check_real("0.5", "x")


@pytest.mark.parametrize("value,kwargs,ok", [
    (0.0, dict(low=0, closed="both"), True),
    (0.0, dict(low=0, closed="neither"), False),
    (0.0, dict(low=0, closed="left"), True),
    (0.0, dict(low=0, closed="right"), False),
    (1.0, dict(low=0, high=1, closed="right"), True),
    (1.0, dict(low=0, high=1, closed="left"), False),
    (-5.0, dict(), True),
    (5.0, dict(high=4), False),
    (np.float32(0.25), dict(low=0, high=1), True),
    (np.int64(3), dict(low=0), True),
    (float("nan"), dict(), False),
    (float("inf"), dict(low=0), False),
])
def test_check_real_intervals(value, kwargs, ok):
    if ok:
        assert check_real(value, "x", **kwargs) == float(value)
        assert type(check_real(value, "x", **kwargs)) is float
    else:
        with pytest.raises(ValueError, match="x must be a finite number") as info:
            check_real(value, "x", **kwargs)
        assert repr(value) in str(info.value) or str(value) in str(info.value)


def test_check_real_messages_show_the_interval_and_the_hint():
    with pytest.raises(ValueError, match=r"in \(0, 1\], got 2\. Share\."):
        check_real(2, "p", low=0, high=1, closed="right", hint="Share.")
    with pytest.raises(ValueError, match="> 0, got 0"):
        check_real(0, "scale", low=0, closed="neither")
    with pytest.raises(ValueError, match="closed must be one of"):
        check_real(1, "x", closed="open")


def test_check_int():
    assert check_int(np.int64(3), "k", low=0) == 3
    for bad in (3.0, "3", True, None):
        with pytest.raises(TypeError, match="k must be an integer"):
            check_int(bad, "k")
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 7\], got 8"):
        check_int(8, "k", low=1, high=7)
    with pytest.raises(ValueError, match="k must be an integer ≥ 0, got -1"):
        check_int(-1, "k", low=0)


# --- the wrong-error-kind cases of issue 7, fixed ------------------------------------------------

def test_probability_as_text_is_a_type_error():
    with pytest.raises(TypeError, match="p must be a real number, got str '0.5'"):
        check_probability("0.5", "p")
    with pytest.raises(ValueError, match=r"p must be a finite number in \[0, 1\], got 1.5"):
        check_probability(1.5, "p")


def test_dp_mean_sum_fraction_as_text_is_a_type_error():
    from pets_helpers.dp import dp_mean

    with pytest.raises(TypeError, match="sum_fraction must be a real number, got str 'x'"):
        dp_mean([1.0], 0, 1, 1.0, sum_fraction="x", rng=0)


def test_linkage_roster_fraction_as_text_is_a_type_error():
    from pets_helpers.datasets import linkage_tables

    with pytest.raises(TypeError, match="roster_fraction must be a real number, got str 'x'"):
        linkage_tables(roster_fraction="x")


def test_credit_applicants_negative_seed_is_a_value_error():
    from pets_helpers.datasets import credit_applicants

    with pytest.raises(ValueError, match="seed must be an integer ≥ 0, got -1"):
        credit_applicants(10, seed=-1)
    with pytest.raises(TypeError, match="seed must be an integer"):
        credit_applicants(10, seed=1.5)


# --- numbers written as text: one rule, whatever container they come in -----------------------

@pytest.mark.parametrize("make", [
    lambda: np.array(["1.5", "2"]),                       # numpy strings
    lambda: pd.Series(["1.5", "2"]),                      # pandas object column of str
    lambda: pd.Series(["1.5", "2"], dtype="string"),      # pandas string dtype
    lambda: pd.Series([1.5, "2"], dtype=object),          # mixed
    lambda: ["1.5", "2"],                                 # a plain list
])
def test_text_is_refused_with_the_way_to_convert(make):
    with pytest.raises(TypeError, match=r"holds text .*pandas\.to_numeric"):
        check_not_text(make(), "values")
    with pytest.raises(TypeError, match="holds text"):
        check_finite_array(make(), "values")


def test_dp_mean_refuses_a_pandas_column_of_numeric_strings_like_numpy_strings():
    from pets_helpers.dp import dp_grouped_mean, dp_mean

    for values in (pd.Series(["10", "20"]), np.array(["10", "20"])):
        with pytest.raises(TypeError, match=r"'10' at position 0.*pandas\.to_numeric"):
            dp_mean(values, 0, 100, 1.0, rng=0)
    frame = pd.DataFrame({"g": ["a", "b"], "x": ["10", "20"]})
    with pytest.raises(TypeError, match="holds text"):
        dp_grouped_mean(frame, "g", "x", 0, 100, 1.0, rng=0, groups=["a", "b"])
    # converted as the message says, the same data is released
    assert np.isfinite(dp_mean(pd.to_numeric(pd.Series(["10", "20"])), 0, 100, 1.0, rng=0).estimate)


def test_numbers_and_missing_values_in_object_columns_are_not_text():
    assert check_not_text(pd.Series([1.0, None], dtype=object).to_numpy()).dtype == object
    with pytest.raises(ValueError, match="nan at position 1"):
        check_finite_array(pd.Series([1.0, None], dtype=object))
