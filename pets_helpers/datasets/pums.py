"""Lesson 02's tables: a simulated extract of the ACS Public Use Microdata Sample (PUMS).

:func:`generate_pums_sample` simulates an ACS 5-year PUMS extract (survey years 2018–2022) for
the fictional city of Lakeport — housing records and person records with the public PUMS column
names and codes — so that Lesson 02 can release average household income per area (PUMA). Every
distribution parameter is listed, with its public source, next to its constant here and in
``data/README.md`` ("Lesson 02").

The shipped sample (5,000 housing records, seed 2022) is package data: :func:`load_course_pums`
reads it through ``importlib.resources``, so an installed course finds it outside a clone;
``data/make_pums_sample.py`` (→ :func:`write_pums_sample`) rewrites it byte for byte. The same
reader, :func:`pets_helpers.census.read_pums`, reads the real PUMS files.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..census import PumsTables, read_pums
from ..randomness import data_rng
from ..validation import check_positive_int
from ._shares import choose_rows, normalized

#: Survey years of the simulated 5-year sample and the income adjustment factor (ADJINC, a
#: 7-digit integer with 6 implied decimal places) of each year's records, as published in the
#: ACS 2018–2022 5-year PUMS data dictionary. HINCP × ADJINC / 1,000,000 is in 2022 dollars.
PUMS_ADJINC = {2018: 1_184_371, 2019: 1_159_866, 2020: 1_140_108, 2021: 1_113_261,
               2022: 1_042_311}

#: State code (ST) of the simulated state. FIPS code 07 belongs to no state or territory (codes
#: 03, 07, 14, 43 and 52 are unused), so no one can mistake these rows for a real state.
PUMS_STATE = "07"

#: Name of the fictional city and its county.
PUMS_CITY = "Lakeport"


class PumaProfile(NamedTuple):
    """The parameters of one simulated PUMA (public use microdata area)."""

    code: str                 #: 5-digit PUMA code, as in the PUMS files (leading zero kept)
    name: str                 #: a descriptive name (PUMS files carry only the code)
    share: float              #: share of the housing records in this PUMA
    median_income: float      #: median household income of occupied units, 2022 dollars
    sigma: float              #: residual spread (std. dev.) of log income within the PUMA
    age_tilt: float           #: < 0 younger householders (students), > 0 older ones
    education_tilt: float     #: > 0 more college graduates, < 0 fewer
    vacancy: float            #: share of housing-unit records that are vacant (NP = 0)
    gq_share: float           #: share of records that are group-quarters persons
    gq_institutional: float   #: of those, the share in institutions (TYPEHUGQ = 2)


#: The ten PUMAs of Lakeport. Their median household incomes (2022 dollars) span $36k–$162k,
#: a spread like that between the PUMAs of a large US city (ACS table B19013 by PUMA); the
#: city-wide median of the shipped sample is about $69k, against $74,755 for the US (ACS 2022
#: 1-year). A PUMA has at least 100,000 residents by definition, and PUMAs are drawn with
#: similar populations, so their shares of the records are similar (9–11%). The other fields
#: (age, education tilts, vacancy, group quarters) are illustrative: a university district
#: with dormitories and young, educated, low-income residents; an industrial area with a
#: prison; wealthy suburbs; a rural county with seasonal homes left vacant.
PUMS_PUMAS = (
    PumaProfile("01201", "Lakeport City—Downtown & Harbor", 0.10, 72_000, 0.62, -0.3, 0.4,
                0.12, 0.02, 0.5),
    PumaProfile("01202", "Lakeport City—Northside", 0.11, 41_000, 0.50, 0.0, -0.6,
                0.11, 0.02, 0.7),
    PumaProfile("01203", "Lakeport City—University District", 0.09, 36_000, 0.58, -1.2, 0.5,
                0.06, 0.15, 0.1),
    PumaProfile("01204", "Lakeport City—Eastgate", 0.11, 54_000, 0.50, 0.0, -0.3,
                0.09, 0.01, 0.8),
    PumaProfile("01205", "Lakeport City—Riverside", 0.10, 78_000, 0.50, 0.0, 0.0,
                0.07, 0.01, 0.8),
    PumaProfile("01206", "Lakeport City—West Hills", 0.09, 135_000, 0.52, 0.3, 0.6,
                0.05, 0.01, 0.9),
    PumaProfile("01207", "Oakmont & Lake Shore", 0.09, 162_000, 0.50, 0.3, 0.7,
                0.05, 0.005, 0.9),
    PumaProfile("01208", "Millbrook & Elm Park", 0.11, 92_000, 0.45, 0.1, 0.2,
                0.06, 0.01, 0.9),
    PumaProfile("01209", "Fairview & Port Industrial", 0.10, 47_000, 0.50, 0.1, -0.5,
                0.10, 0.04, 0.9),
    PumaProfile("01210", "Cedar County (rural)", 0.10, 63_000, 0.45, 0.5, -0.3,
                0.14, 0.02, 0.8),
)

#: Householder age bands [low, high) and their shares (rounded from ACS 2022 table B25007,
#: tenure by age of householder; the 15–24 band is drawn as 18–24, the open band as 85–94).
PUMS_HOUSEHOLDER_AGE_BANDS = ((18, 25), (25, 35), (35, 45), (45, 55), (55, 65), (65, 75),
                              (75, 85), (85, 95))
PUMS_HOUSEHOLDER_AGE_SHARES = (0.04, 0.16, 0.17, 0.17, 0.19, 0.16, 0.08, 0.03)

#: Household size (NP = 1, 2, …, 6, 7+) given the householder's age (< 25, 25–64, 65+).
#: Illustrative conditionals chosen so that the mixture over the age shares above gives the
#: published US distribution: about 29% one-person, 35% two-person, 15% three-person, 12%
#: four-person, 6% five-person, 2% six-person and 1% larger households (Census Bureau, CPS ASEC
#: 2022, America's Families and Living Arrangements, table HH-4; average size about 2.5).
PUMS_SIZE_BY_AGE = {
    "under 25": (0.35, 0.35, 0.17, 0.08, 0.03, 0.01, 0.01),
    "25 to 64": (0.24, 0.31, 0.17, 0.16, 0.08, 0.03, 0.01),
    "65 and over": (0.42, 0.46, 0.07, 0.03, 0.01, 0.005, 0.005),
}
#: Size of a "7 or more" household: 7, 8, 9 or 10 persons with these probabilities.
PUMS_LARGE_SIZES = ((7, 8, 9, 10), (0.6, 0.25, 0.1, 0.05))

#: Educational attainment (SCHL code → share) of people aged 25 and over, rounded from ACS 2022
#: 1-year table S1501: about 10% without a high-school diploma, 26.5% high school or GED,
#: 19% some college, 9% associate's, 21.6% bachelor's and 14% graduate or professional degrees.
#: The split within "less than high school" and between codes 16/17 and 18/19 is illustrative.
PUMS_ADULT_SCHL = {
    1: 0.013, 6: 0.007, 9: 0.010, 11: 0.016, 12: 0.010, 13: 0.012, 14: 0.014, 15: 0.018,
    16: 0.225, 17: 0.040, 18: 0.055, 19: 0.135, 20: 0.088, 21: 0.216, 22: 0.101, 23: 0.020,
    24: 0.020,
}
#: Educational attainment of people aged 18–24 (illustrative: most have a diploma and many are
#: in college; bachelor's from age 21, master's from 23).
PUMS_YOUNG_SCHL = {15: 0.06, 16: 0.28, 17: 0.02, 18: 0.10, 19: 0.35, 20: 0.07, 21: 0.11,
                   22: 0.01}

# Education groups of the SCHL codes (used for the income model and the PUMA tilt):
# 0 less than high school (1–15), 1 high school/GED (16–17), 2 some college (18–19),
# 3 associate's (20), 4 bachelor's (21), 5 graduate or professional (22–24).
_SCHL_GROUP = np.array([0] * 16 + [1, 1, 2, 2, 3, 4, 5, 5, 5])  # indexed by SCHL code 0..24
_GROUP_SCORE = np.array([-2.0, -1.0, 0.0, 0.0, 1.0, 2.0])

#: Household income relative to the PUMA's typical household, by the householder's education
#: group (less than high school … graduate degree), household size (1 … 7+) and householder
#: age (< 25, 25–64, 65+). Illustrative, of the order of the ratios between the medians of
#: Census table HINC-01 (CPS ASEC): a bachelor's degree about doubles the median of a high-school
#: householder, one-person households have about half the median of two-person ones, and
#: householders 65 and over have lower incomes than those of working age.
PUMS_INCOME_BY_EDUCATION = (0.50, 0.75, 0.90, 1.00, 1.45, 1.80)
PUMS_INCOME_BY_SIZE = (0.55, 1.00, 1.15, 1.30, 1.25, 1.20, 1.15)
PUMS_INCOME_BY_AGE = (0.70, 1.00, 0.65)

#: Top tail: household incomes above this threshold (2022 dollars) are redrawn from a Pareto
#: law with this exponent, because top incomes follow a Pareto law with α ≈ 1.5–2.5
#: (Atkinson, Piketty & Saez, "Top Incomes in the Long Run of History", J. Econ. Lit. 2011).
PUMS_PARETO_THRESHOLD = 300_000
PUMS_PARETO_ALPHA = 2.0

#: Shares of occupied households with no income (HINCP = 0) and with a net loss (HINCP < 0,
#: e.g. business or rental losses). Illustrative; real PUMS files have a few percent of each
#: kind. Losses are log-normal around $5,000 and bottom-coded at -$59,999 as in the dictionary.
PUMS_ZERO_INCOME_SHARE = 0.015
PUMS_NEGATIVE_INCOME_SHARE = 0.004
PUMS_HINCP_BOTTOM = -59_999
PUMS_HINCP_TOP = 9_999_999

#: Typical housing weight (WGTP) of a 5-year sample: the PUMS keeps about 1% of housing units
#: a year, so a 5-year record stands for about 20 units; weights vary log-normally (σ = 0.45).
PUMS_TYPICAL_WEIGHT = 20

#: Tenure: P(owner) = logistic(0.62 + 0.9 · log(income / $75k) + 0.35 · (age − 50) / 10), giving
#: about 60–65% owners (US homeownership ≈ 65%, ACS 2022 table B25003); owners 65+ are free of a
#: mortgage with probability 0.6, younger owners 0.25; 3% of renters pay no rent (TEN = 4).
_TENURE_COEF = (0.62, 0.9, 0.35)

#: Bounds on the number of housing records.
MIN_PUMS_HOUSEHOLDS = 50
MAX_PUMS_HOUSEHOLDS = 1_000_000

#: Columns of the simulated files, in the order of the real PUMS CSV files (a subset of them).
PUMS_HOUSEHOLD_COLUMNS = ("RT", "SERIALNO", "PUMA", "ST", "ADJINC", "WGTP", "NP", "TYPEHUGQ",
                          "TEN", "HINCP")
PUMS_PERSON_COLUMNS = ("RT", "SERIALNO", "SPORDER", "PUMA", "ST", "ADJINC", "PWGTP", "AGEP",
                       "SEX", "SCHL", "RELSHIPP", "PINCP")

#: File names of the shipped sample (package data of :mod:`pets_helpers.datasets`, in ``data/``).
PUMS_HOUSEHOLDS_FILE = "pums_households.csv"
PUMS_PERSONS_FILE = "pums_persons.csv"
#: Size and seed of the shipped sample (``data/make_pums_sample.py``).
PUMS_SAMPLE_HOUSEHOLDS = 5_000
PUMS_SAMPLE_SEED = 2022


class PumsSample(NamedTuple):
    """A simulated PUMS extract (unpack as ``households, persons = ...``).

    - ``households``: one row per housing record (occupied unit, vacant unit or group-quarters
      person), with the columns of :data:`PUMS_HOUSEHOLD_COLUMNS`; ``HINCP`` and ``TEN`` are
      missing (``<NA>``) for vacant units and group quarters, as in the real files.
    - ``persons``: one row per person, with the columns of :data:`PUMS_PERSON_COLUMNS`;
      ``SCHL`` is missing under age 3 and ``PINCP`` under age 15.
    """

    households: pd.DataFrame
    persons: pd.DataFrame



def _round_sig(x: np.ndarray, digits: int = 3) -> np.ndarray:
    """Round to ``digits`` significant digits (PUMS income components are rounded)."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    nz = x != 0
    scale = 10.0 ** (np.floor(np.log10(np.abs(x[nz]))) - (digits - 1))
    scale = np.maximum(scale, 1.0)
    out[nz] = np.round(x[nz] / scale) * scale
    return out.astype("int64")


def _distinct_integers(rng, n: int, low: int, high: int) -> np.ndarray:
    """``n`` different integers drawn uniformly from [low, high), in random order."""
    out = np.empty(0, dtype="int64")
    while len(out) < n:
        more = rng.integers(low, high, size=2 * (n - len(out)) + 16)
        out = pd.unique(np.concatenate([out, more]))
    return out[:n]


def _lognormal_weights(rng, n: int) -> np.ndarray:
    return np.maximum(1, np.round(rng.lognormal(np.log(PUMS_TYPICAL_WEIGHT), 0.45, n))
                      ).astype("int64")


def _members(rng, hh_age: int, size: int):
    """RELSHIPP, AGEP and SEX of the persons of one household, the householder first."""
    hh_sex = 1 if rng.random() < 0.5 else 2
    rel, age, sex = [20], [hh_age], [hh_sex]
    slots = size - 1
    if slots == 0:
        return rel, age, sex
    partner = rng.random() < (0.5 if hh_age < 25 else 0.8 if hh_age < 75 else 0.7)
    if partner:
        same_sex = rng.random() < 0.015
        married = rng.random() < (0.6 if hh_age < 30 else 0.88)
        rel.append((23 if married else 24) if same_sex else (21 if married else 22))
        age.append(int(np.clip(round(hh_age + rng.normal(-1.0, 5.0)), 18, 99)))
        sex.append(hh_sex if same_sex else 3 - hh_sex)
        slots -= 1
    for _ in range(slots):
        r = rng.random()
        if hh_age < 30 and not partner and r < 0.7:
            rel.append(34)                                   # roommate or housemate
            age.append(int(rng.integers(18, 35)))
        elif hh_age >= 65:
            if r < 0.45:
                rel.append(25)                               # adult son or daughter
                age.append(int(np.clip(hh_age - rng.integers(20, 41), 18, 99)))
            elif r < 0.75:
                rel.append(30)                               # grandchild
                age.append(int(rng.integers(0, 21)))
            else:
                rel.append(33)                               # other relative
                age.append(int(rng.integers(18, 91)))
        elif r < 0.85:
            rel.append(25 if r < 0.77 else 26 if r < 0.79 else 27)  # own, adopted, stepchild
            oldest = max(0, min(hh_age - 17, 30))
            young = min(oldest, 17)
            age.append(int(rng.integers(0, young + 1) if rng.random() < 0.85
                           else rng.integers(young, oldest + 1)))
        elif r < 0.93:
            rel.append(33)                                   # other relative
            age.append(int(rng.integers(0, 86)))
        else:
            rel.append(34 if r < 0.97 else 36)               # roommate, other nonrelative
            age.append(int(rng.integers(18, 66)))
        sex.append(1 if rng.random() < 0.51 else 2)
    return rel, age, sex


def _education(rng, age: np.ndarray, tilt: np.ndarray) -> np.ndarray:
    """SCHL codes for people of the given ages (0 = missing, under 3)."""
    n = len(age)
    schl = np.zeros(n, dtype="int64")
    small = (age >= 3) & (age <= 5)
    schl[small] = np.where(rng.random(int(small.sum())) < 0.6, 2, 1)
    school = (age >= 6) & (age <= 17)
    schl[school] = age[school] - 3                       # last grade completed: K (03) … 11 (14)
    young = (age >= 18) & (age <= 24)
    codes = np.array(list(PUMS_YOUNG_SCHL))
    pick = codes[choose_rows(rng, np.tile(normalized(list(PUMS_YOUNG_SCHL.values())),
                                           (int(young.sum()), 1)))]
    ya = age[young]
    pick = np.where((pick == 22) & (ya < 23), 21, pick)   # master's from 23,
    pick = np.where((pick == 21) & (ya < 21), 19, pick)   # bachelor's from 21
    schl[young] = pick
    adult = age >= 25
    codes = np.array(list(PUMS_ADULT_SCHL))
    base = np.array(list(PUMS_ADULT_SCHL.values()))
    score = _GROUP_SCORE[_SCHL_GROUP[codes]]
    probs = base[None, :] * np.exp(tilt[adult][:, None] * score[None, :])
    probs /= probs.sum(axis=1, keepdims=True)
    schl[adult] = codes[choose_rows(rng, probs)]
    return schl



def generate_pums_sample(n_households: int = PUMS_SAMPLE_HOUSEHOLDS,
                         seed=PUMS_SAMPLE_SEED) -> PumsSample:
    """Simulate a PUMS-format extract: housing records and person records of a fictional city.

    The rows imitate an ACS 5-year PUMS file (survey years 2018–2022) for the ten PUMAs of the
    fictional city of Lakeport (:data:`PUMS_PUMAS`) in a fictional state (``ST`` =
    :data:`PUMS_STATE`). Column names and codes are the public ones (ACS PUMS data dictionary):

    - housing records: ``RT`` ("H"), ``SERIALNO`` (e.g. "2019HU0412345"; "GQ" for group
      quarters), ``PUMA`` (5 digits), ``ST`` (2 digits), ``ADJINC`` (income adjustment factor
      of the survey year, 6 implied decimals), ``WGTP`` (housing weight, 0 for group quarters),
      ``NP`` (persons; 0 = vacant), ``TYPEHUGQ`` (1 housing unit, 2 institutional, 3
      noninstitutional group quarters), ``TEN`` (1 owned with mortgage, 2 owned free and clear,
      3 rented, 4 no rent; missing if vacant/GQ), ``HINCP`` (household income in the survey
      year's dollars; missing if vacant/GQ, 0 for no income, negative for a net loss);
    - person records: ``RT`` ("P"), ``SERIALNO``, ``SPORDER`` (1 = householder), ``PUMA``,
      ``ST``, ``ADJINC``, ``PWGTP`` (person weight), ``AGEP`` (0–99), ``SEX`` (1 male,
      2 female), ``SCHL`` (educational attainment 1–24; missing under 3), ``RELSHIPP``
      (20 reference person, 21 spouse, …, 37/38 group quarters), ``PINCP`` (person income;
      missing under 15). A household's ``HINCP`` is the sum of its members' ``PINCP``.

    Household income (in 2022 dollars, before dividing by ``ADJINC / 10**6``) is log-normal
    around the PUMA's median, shifted by the householder's education and age and the household
    size, with a Pareto top tail, a few zero and negative incomes, and missing values for
    vacant units and group quarters. The parameters and their public sources are listed next
    to each constant of this module and in ``data/README.md``. The rows are simulated: no row
    describes a real household.

    Parameters
    ----------
    n_households : int
        Number of housing records (occupied units, vacant units and group-quarters persons),
        between 50 and 1,000,000. The shipped sample has 5,000.
    seed : int ≥ 0 or numpy.random.Generator
        The same seed always gives the same tables.

    Returns
    -------
    PumsSample
        A named tuple ``(households, persons)`` of pandas DataFrames: identifiers and area codes
        as strings (leading zeros kept), every other column as a nullable integer (``Int64``).

    Examples
    --------
    >>> households, persons = generate_pums_sample(500, seed=1)
    >>> households["PUMA"].str.len().unique().tolist()
    [5]
    """
    n = check_positive_int(n_households, "n_households", minimum=MIN_PUMS_HOUSEHOLDS)
    if n > MAX_PUMS_HOUSEHOLDS:
        raise ValueError(f"n_households must be at most {MAX_PUMS_HOUSEHOLDS:,}, got {n:,}.")
    rng = data_rng(seed)
    # The steps draw from ``rng`` in this order; changing it changes the shipped sample.
    housing = _housing_records(rng, n)
    members = _occupied_households(rng, housing)
    income, reported = _household_income(rng, housing, members)
    pincp, hincp_occ = _person_incomes(rng, members, reported)
    ten_occ = _tenure(rng, income, members.hh_age)
    gq = _group_quarters_persons(rng, housing)
    return _assemble(rng, housing, members, pincp, hincp_occ, ten_occ, gq)


def _profile(field: str) -> np.ndarray:
    """One field of every PUMA profile, as an array indexed like :data:`PUMS_PUMAS`."""
    return np.array([getattr(p, field) for p in PUMS_PUMAS])


class _Housing(NamedTuple):
    """The housing records before their people: one entry per record."""

    puma: np.ndarray           # index into PUMS_PUMAS
    adjinc: np.ndarray
    gq: np.ndarray             # group-quarters person
    occupied: np.ndarray       # occupied housing unit (neither GQ nor vacant)
    serialno: np.ndarray
    wgtp: np.ndarray
    institutional: np.ndarray
    typehugq: np.ndarray


def _housing_records(rng, n: int) -> _Housing:
    """Area, survey year, kind (occupied / vacant / group quarters), serial number, weight."""
    puma = rng.choice(len(PUMS_PUMAS), size=n, p=normalized(_profile("share")))
    years = np.array(list(PUMS_ADJINC))
    year = years[rng.integers(0, len(years), size=n)]
    adjinc = np.array([PUMS_ADJINC[y] for y in years])[year - years[0]]
    u = rng.random(n)
    gq = u < _profile("gq_share")[puma]
    vacant = ~gq & (rng.random(n) < _profile("vacancy")[puma])
    occupied = ~gq & ~vacant
    number = _distinct_integers(rng, n, 1, 10_000_000)
    serialno = np.array([f"{y}{'GQ' if g else 'HU'}{k:07d}"
                         for y, g, k in zip(year, gq, number)], dtype=object)
    wgtp = np.where(gq, 0, _lognormal_weights(rng, n))
    institutional = gq & (rng.random(n) < _profile("gq_institutional")[puma])
    typehugq = np.where(gq, np.where(institutional, 2, 3), 1)
    return _Housing(puma, adjinc, gq, occupied, serialno, wgtp, institutional, typehugq)


class _Members(NamedTuple):
    """The people of the occupied units: per unit (``occ``) and per person."""

    occ: np.ndarray            # record index of each occupied unit
    hh_age: np.ndarray         # householder's age, per unit
    age_group: np.ndarray      # 0: < 25, 1: 25–64, 2: 65+, per unit
    np_: np.ndarray            # persons, per unit
    rel: np.ndarray            # RELSHIPP, per person
    agep: np.ndarray
    sex: np.ndarray
    schl: np.ndarray
    owner: np.ndarray          # unit (index into occ) of each person
    sporder: np.ndarray
    hh_row: np.ndarray         # person row of each unit's householder


def _occupied_households(rng, housing: _Housing) -> _Members:
    """Householder age, household size, and each member's relationship, age, sex, education."""
    occ = np.flatnonzero(housing.occupied)
    m = len(occ)
    bands = np.array(PUMS_HOUSEHOLDER_AGE_BANDS)
    centers = bands.mean(axis=1)
    band_p = (np.asarray(PUMS_HOUSEHOLDER_AGE_SHARES)[None, :]
              * np.exp(_profile("age_tilt")[:, None] * (centers[None, :] - 50.0) / 20.0))
    band_p /= band_p.sum(axis=1, keepdims=True)
    band = choose_rows(rng, band_p[housing.puma[occ]])
    hh_age = rng.integers(bands[band, 0], bands[band, 1])
    age_group = np.where(hh_age < 25, 0, np.where(hh_age < 65, 1, 2))
    size_p = np.array([normalized(v) for v in PUMS_SIZE_BY_AGE.values()])
    size_class = choose_rows(rng, size_p[age_group])          # 0..6 for 1..7+
    large_sizes, large_p = PUMS_LARGE_SIZES
    np_ = np.where(size_class < 6, size_class + 1,
                   np.asarray(large_sizes)[rng.choice(len(large_sizes), size=m,
                                                      p=normalized(large_p))])

    rel, agep, sex, owner, sporder = [], [], [], [], []
    for i, (a, s) in enumerate(zip(hh_age, np_)):
        r, ag, sx = _members(rng, int(a), int(s))
        rel += r
        agep += ag
        sex += sx
        owner += [i] * len(r)
        sporder += list(range(1, len(r) + 1))
    rel, agep, sex = np.array(rel), np.array(agep), np.array(sex)
    owner, sporder = np.array(owner), np.array(sporder)
    schl = _education(rng, agep, _profile("education_tilt")[housing.puma[occ][owner]])
    # Partners share the householder's education one time in three (assortative mating).
    hh_row = np.flatnonzero(sporder == 1)
    partner = np.isin(rel, (21, 22, 23, 24)) & (agep >= 25) & (rng.random(len(rel)) < 1 / 3)
    hh_schl = schl[hh_row][owner]
    schl = np.where(partner & (hh_schl >= 16), hh_schl, schl)
    return _Members(occ, hh_age, age_group, np_, rel, agep, sex, schl, owner, sporder, hh_row)


def _household_income(rng, housing: _Housing, members: _Members):
    """Income of each occupied unit in 2022 dollars, and as reported (survey-year dollars)."""
    occ, np_ = members.occ, members.np_
    m = len(occ)
    hh_group = _SCHL_GROUP[members.schl[members.hh_row]]
    effect = (np.log(np.asarray(PUMS_INCOME_BY_EDUCATION))[hh_group]
              + np.log(np.asarray(PUMS_INCOME_BY_SIZE))[np.minimum(np_, 7) - 1]
              + np.log(np.asarray(PUMS_INCOME_BY_AGE))[members.age_group])
    occ_puma = housing.puma[occ]
    k = len(PUMS_PUMAS)
    mean_effect = (np.bincount(occ_puma, weights=effect, minlength=k)
                   / np.maximum(np.bincount(occ_puma, minlength=k), 1))
    log_y = (np.log(_profile("median_income"))[occ_puma] + effect - mean_effect[occ_puma]
             + _profile("sigma")[occ_puma] * rng.standard_normal(m))
    income = np.exp(log_y)
    top = income > PUMS_PARETO_THRESHOLD
    income[top] = PUMS_PARETO_THRESHOLD * rng.random(int(top.sum())) ** (-1 / PUMS_PARETO_ALPHA)
    kind = rng.random(m)
    zero = kind < PUMS_ZERO_INCOME_SHARE
    loss = (kind >= PUMS_ZERO_INCOME_SHARE) & (
        kind < PUMS_ZERO_INCOME_SHARE + PUMS_NEGATIVE_INCOME_SHARE)
    income[zero] = 0.0
    income[loss] = -np.minimum(rng.lognormal(np.log(5_000), 1.0, int(loss.sum())),
                               -PUMS_HINCP_BOTTOM)
    # Survey-year dollars, as in the file: 2022 dollars divided by the year's ADJINC factor.
    reported = income / (housing.adjinc[occ] / 1e6)
    return income, reported


def _person_incomes(rng, members: _Members, reported: np.ndarray):
    """Split each unit's reported income among its members aged 15+ (PINCP); HINCP is their sum."""
    rel, agep, sporder, owner = members.rel, members.agep, members.sporder, members.owner
    share = np.zeros(len(rel))
    share[sporder == 1] = 1.0
    is_partner = np.isin(rel, (21, 22, 23, 24))
    other_adult = (sporder > 1) & ~is_partner & (agep >= 18)
    teen = (sporder > 1) & (agep >= 15) & (agep < 18)
    share[is_partner] = np.where(rng.random(int(is_partner.sum())) < 0.25, 0.0,
                                 rng.lognormal(np.log(0.6), 0.5, int(is_partner.sum())))
    share[other_adult] = np.where(rng.random(int(other_adult.sum())) < 0.4, 0.0,
                                  rng.lognormal(np.log(0.35), 0.6, int(other_adult.sum())))
    share[teen] = np.where(rng.random(int(teen.sum())) < 0.7, 0.0, 0.03)
    m = len(members.occ)
    total_share = np.bincount(owner, weights=share, minlength=m)
    hh_reported = reported[owner]
    pincp = np.where(hh_reported > 0, hh_reported * share / total_share[owner], 0.0)
    pincp[members.hh_row] = np.where(reported < 0, reported, pincp[members.hh_row])  # losses
    pincp = _round_sig(pincp, 3)
    pincp = np.minimum(pincp, PUMS_HINCP_TOP)
    hincp_occ = np.clip(np.bincount(owner, weights=pincp, minlength=m).round().astype("int64"),
                        PUMS_HINCP_BOTTOM, PUMS_HINCP_TOP)
    return pincp, hincp_occ


def _tenure(rng, income: np.ndarray, hh_age: np.ndarray) -> np.ndarray:
    """TEN of each occupied unit, from its income and householder age (:data:`_TENURE_COEF`)."""
    a0, a1, a2 = _TENURE_COEF
    logit = (a0 + a1 * np.log(np.maximum(income, 10_000) / 75_000)
             + a2 * (hh_age - 50) / 10)
    m = len(income)
    own = rng.random(m) < 1 / (1 + np.exp(-logit))
    free_clear = rng.random(m) < np.where(hh_age >= 65, 0.6, 0.25)
    no_rent = rng.random(m) < 0.03
    return np.where(own, np.where(free_clear, 2, 1), np.where(no_rent, 4, 3))


class _GroupQuarters(NamedTuple):
    """The persons of the group-quarters records (one per record)."""

    g: np.ndarray              # record index
    age: np.ndarray
    sex: np.ndarray
    schl: np.ndarray
    pincp: np.ndarray
    rel: np.ndarray


def _group_quarters_persons(rng, housing: _Housing) -> _GroupQuarters:
    """Nursing-home residents, prisoners, students in dormitories and other GQ residents."""
    g = np.flatnonzero(housing.gq)
    ng = len(g)
    inst = housing.institutional[g]
    nursing = inst & (rng.random(ng) < 0.6)
    prison = inst & ~nursing
    dorm = ~inst & (rng.random(ng) < 0.8)
    age = np.select([nursing, prison, dorm],
                    [rng.integers(70, 100, ng), rng.integers(20, 61, ng),
                     rng.integers(18, 23, ng)], rng.integers(20, 71, ng))
    female = rng.random(ng) < np.select([nursing, prison, dorm], [0.65, 0.1, 0.55], 0.45)
    sex = np.where(female, 2, 1)
    schl = _education(rng, age, np.zeros(ng))
    dorm_schl = np.array([16, 19, 21])[rng.choice(3, size=ng, p=[0.4, 0.55, 0.05])]
    schl = np.where(dorm, dorm_schl, schl)
    income = np.select(
        [nursing, prison, dorm],
        [rng.lognormal(np.log(18_000), 0.5, ng),
         np.where(rng.random(ng) < 0.7, 0.0, rng.lognormal(np.log(2_000), 1.0, ng)),
         np.where(rng.random(ng) < 0.4, 0.0, rng.lognormal(np.log(6_000), 0.8, ng))],
        np.where(rng.random(ng) < 0.3, 0.0, rng.lognormal(np.log(15_000), 0.8, ng)))
    pincp = _round_sig(income / (housing.adjinc[g] / 1e6), 3)
    rel = np.where(inst, 37, 38)
    return _GroupQuarters(g, age, sex, schl, pincp, rel)


def _assemble(rng, housing: _Housing, members: _Members, pincp, hincp_occ, ten_occ,
              gq: _GroupQuarters) -> PumsSample:
    """Person weights, then the two tables with PUMS types, sorted by SERIALNO as the files are."""
    occ, owner = members.occ, members.owner
    pwgtp_hu = np.maximum(1, np.round(housing.wgtp[occ][owner]
                                      * rng.lognormal(0.0, 0.2, len(members.rel)))
                          ).astype("int64")
    pwgtp_gq = _lognormal_weights(rng, len(gq.g))

    n = len(housing.puma)
    NP = np.where(housing.gq, 1, 0)
    NP[occ] = members.np_
    ten = np.zeros(n, dtype="int64")
    ten[occ] = ten_occ
    hincp = np.zeros(n, dtype="int64")
    hincp[occ] = hincp_occ
    households = pd.DataFrame({
        "RT": "H",
        "SERIALNO": housing.serialno,
        "PUMA": np.array([p.code for p in PUMS_PUMAS], dtype=object)[housing.puma],
        "ST": PUMS_STATE,
        "ADJINC": pd.array(housing.adjinc, dtype="Int64"),
        "WGTP": pd.array(housing.wgtp, dtype="Int64"),
        "NP": pd.array(NP, dtype="Int64"),
        "TYPEHUGQ": pd.array(housing.typehugq, dtype="Int64"),
        "TEN": pd.array(ten, dtype="Int64"),
        "HINCP": pd.array(hincp, dtype="Int64"),
    })
    households.loc[~housing.occupied, ["TEN", "HINCP"]] = pd.NA

    rec = np.concatenate([occ[owner], gq.g])
    ng = len(gq.g)
    persons = pd.DataFrame({
        "RT": "P",
        "SERIALNO": housing.serialno[rec],
        "SPORDER": pd.array(np.concatenate([members.sporder, np.ones(ng, dtype="int64")]),
                            dtype="Int64"),
        "PUMA": households["PUMA"].to_numpy()[rec],
        "ST": PUMS_STATE,
        "ADJINC": pd.array(housing.adjinc[rec], dtype="Int64"),
        "PWGTP": pd.array(np.concatenate([pwgtp_hu, pwgtp_gq]), dtype="Int64"),
        "AGEP": pd.array(np.concatenate([members.agep, gq.age]), dtype="Int64"),
        "SEX": pd.array(np.concatenate([members.sex, gq.sex]), dtype="Int64"),
        "SCHL": pd.array(np.concatenate([members.schl, gq.schl]), dtype="Int64"),
        "RELSHIPP": pd.array(np.concatenate([members.rel, gq.rel]), dtype="Int64"),
        "PINCP": pd.array(np.concatenate([pincp, gq.pincp]), dtype="Int64"),
    })
    persons.loc[persons["SCHL"] == 0, "SCHL"] = pd.NA
    persons.loc[np.concatenate([members.agep < 15, gq.age < 15]), "PINCP"] = pd.NA

    households = households.sort_values("SERIALNO", kind="stable").reset_index(drop=True)
    persons = (persons.sort_values(["SERIALNO", "SPORDER"], kind="stable")
               .reset_index(drop=True))
    return PumsSample(households, persons)


def write_pums_sample(directory, n_households: int = PUMS_SAMPLE_HOUSEHOLDS,
                      seed=PUMS_SAMPLE_SEED):
    """Generate a sample with :func:`generate_pums_sample` and write it as two PUMS-style CSVs.

    Writes ``pums_households.csv`` and ``pums_persons.csv`` in ``directory`` (created if
    needed): a header with the public column names, one record per line, ``\\n`` line endings,
    empty fields for missing values — the layout of the Census Bureau's PUMS CSV files. The
    same arguments always write the same bytes. Returns the two paths.
    """
    households, persons = generate_pums_sample(n_households, seed)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = directory / PUMS_HOUSEHOLDS_FILE, directory / PUMS_PERSONS_FILE
    for frame, path in zip((households, persons), paths):
        frame.to_csv(path, index=False, lineterminator="\n", na_rep="")
    return paths



def course_sample_files():
    """The two files of the shipped sample, as ``importlib.resources`` traversables
    ``(households, persons)`` (readable with ``open()``; real paths for an unzipped install)."""
    folder = resources.files(__package__) / "data"
    return folder / PUMS_HOUSEHOLDS_FILE, folder / PUMS_PERSONS_FILE


def load_course_pums() -> PumsTables:
    """Read the simulated PUMS sample shipped with the course (package data ``pums_*.csv``).

    The files are produced by ``data/make_pums_sample.py`` (see ``data/README.md``): 5,000
    housing records of the fictional city of Lakeport and their persons. The rows are simulated;
    the same reader, :func:`pets_helpers.census.read_pums`, reads the real files.
    """
    files = course_sample_files()
    for file in files:
        if not file.is_file():
            raise FileNotFoundError(
                f"The course sample {file.name} is missing from the installed pets_helpers "
                f"package ({file}). Reinstall the course (pip install .), regenerate the files "
                f"with 'python data/make_pums_sample.py', or read your own files with "
                f"pets_helpers.census.read_pums().")
    with resources.as_file(files[0]) as households, resources.as_file(files[1]) as persons:
        return read_pums(households, persons)
