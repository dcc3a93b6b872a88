"""The shared validators: one clear error per misuse, naming the bad value."""

import numpy as np
import pytest

from pets_helpers.validation import (check_bounds, check_delta, check_domain_values,
                                     check_epsilon, check_finite_array, check_positive_delta,
                                     check_positive_int)


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
    with pytest.raises(ValueError):
        check_finite_array([1.0, np.nan])
