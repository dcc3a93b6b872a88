"""Lesson 00's tables: an "anonymized" hospital-discharge extract, a public voter roll, and the
truth that links them.

:func:`linkage_tables` simulates the setting of Latanya Sweeney's re-identification of the
Governor of Massachusetts (1997): a hospital publishes an "anonymized" discharge extract (names
removed, but area, birth date and sex kept), and anyone can buy a public voter roll that lists
the same three attributes next to each name. Joining the two on these *quasi-identifiers* puts
names back on medical records. See ``data/README.md`` for the parameters and their provenance.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ..randomness import data_rng
from ..validation import check_positive_int, check_real
from ._shares import normalized

# --- Parameters of the simulated population ------------------------------------------------

#: The date the tables describe ("as of"); ages are measured on this day.
REFERENCE_DATE = pd.Timestamp("2024-07-01")

#: 5-digit area codes in the style of ACS PUMA / ZIP codes, and each area's share of the
#: population. Sizes are deliberately unequal (from 12% down to 1.5%): people in a small area
#: are easier to single out than people in a crowded one.
AREAS = ("00101", "00102", "00103", "00201", "00202", "00301", "00302", "00303", "00304",
         "00400", "00501", "00502", "00600", "00701", "00702", "00800", "00901", "00902",
         "01000", "01100")
AREA_SHARES = (0.12, 0.10, 0.09, 0.08, 0.07, 0.065, 0.06, 0.055, 0.05, 0.045, 0.04, 0.035,
               0.03, 0.03, 0.025, 0.025, 0.02, 0.02, 0.02, 0.015)

#: Adult age bands [low, high) and their shares, rounded from the age structure of US adults
#: around 2020 (US Census Bureau); the open top band is cut at 90.
AGE_BANDS = ((18, 25), (25, 35), (35, 45), (45, 55), (55, 65), (65, 75), (75, 85), (85, 90))
AGE_SHARES = (0.12, 0.175, 0.165, 0.155, 0.165, 0.13, 0.065, 0.025)

#: Share of women among US adults (about 51%).
FEMALE_SHARE = 0.51

#: The "sensitive" column of the released extract: a principal diagnosis and its share.
DIAGNOSES = ("essential hypertension", "type 2 diabetes", "heart failure", "pneumonia",
             "asthma", "depression", "hip fracture", "chronic kidney disease", "appendicitis",
             "migraine")
DIAGNOSIS_SHARES = (0.20, 0.15, 0.10, 0.10, 0.09, 0.09, 0.07, 0.07, 0.07, 0.06)

# Names are first name + middle initial + last name, drawn *without replacement* from these
# lists, so every simulated person has a different name (50 × 26 × 100 = 130,000 per sex).
FIRST_NAMES_F = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
    "Sarah", "Karen", "Lisa", "Nancy", "Betty", "Sandra", "Margaret", "Ashley", "Kimberly",
    "Emily", "Donna", "Michelle", "Carol", "Amanda", "Melissa", "Deborah", "Stephanie",
    "Dorothy", "Rebecca", "Sharon", "Laura", "Cynthia", "Amy", "Kathleen", "Angela", "Shirley",
    "Brenda", "Emma", "Anna", "Pamela", "Nicole", "Samantha", "Katherine", "Christine", "Helen",
    "Debra", "Rachel", "Carolyn", "Janet", "Maria", "Olivia", "Heather",
)
FIRST_NAMES_M = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Christopher", "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven",
    "Andrew", "Paul", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald",
    "Jason", "Edward", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan",
    "Stephen", "Larry", "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory",
    "Alexander", "Patrick", "Frank", "Raymond", "Jack", "Dennis", "Jerry",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson",
    "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price",
    "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
)
_INITIALS = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Alphabetical ranks, so the roster can be sorted like a printed roll ("Last, First M.") fast.
_LAST_RANK = np.argsort(np.argsort(np.asarray(LAST_NAMES)))
_FIRST_RANK = {name: rank for rank, name in
               enumerate(sorted(set(FIRST_NAMES_F) | set(FIRST_NAMES_M)))}

#: Bounds on the population size: at least enough people to have a few per area, at most as
#: many as there are distinct names per sex allow.
MIN_POPULATION = 100
MAX_POPULATION = 200_000


class LinkageTables(NamedTuple):
    """The three tables of the linkage attack (unpack as ``released, roster, truth = ...``).

    - ``released``: the "anonymized" hospital-discharge extract — ``record_id``, ``area``,
      ``birth_date``, ``sex``, ``diagnosis``; one row per patient, in random order.
    - ``roster``: the public voter roll — ``voter_id``, ``name``, ``area``, ``birth_date``,
      ``sex``; a fraction of the population, sorted by name.
    - ``truth``: ``record_id`` → ``name`` of every released record. Only for measuring an
      attack; an attacker never has it.
    """

    released: pd.DataFrame
    roster: pd.DataFrame
    truth: pd.DataFrame


def _names(rng, n: int, first_names) -> tuple[np.ndarray, np.ndarray]:
    """``n`` different names "First M. Last" for one sex, and their roll order (last, first, M)."""
    n_first, n_init, n_last = len(first_names), len(_INITIALS), len(LAST_NAMES)
    codes = rng.choice(n_first * n_init * n_last, size=n, replace=False)
    first, rest = np.divmod(codes, n_init * n_last)
    initial, last = np.divmod(rest, n_last)
    obj = lambda seq: np.asarray(seq, dtype=object)  # noqa: E731 — object arrays add as str
    names = obj(first_names)[first] + " " + obj(_INITIALS)[initial] + ". " + obj(LAST_NAMES)[last]
    first_rank = np.array([_FIRST_RANK[name] for name in first_names])[first]
    key = (_LAST_RANK[last] * len(_FIRST_RANK) + first_rank) * n_init + initial
    return names, key


def _population(rng, n: int) -> pd.DataFrame:
    area = np.asarray(AREAS, dtype=object)[
        rng.choice(len(AREAS), size=n, p=normalized(AREA_SHARES))]
    band = rng.choice(len(AGE_BANDS), size=n, p=normalized(AGE_SHARES))
    low = np.array([b[0] for b in AGE_BANDS])[band]
    high = np.array([b[1] for b in AGE_BANDS])[band]
    age_years = low + rng.random(n) * (high - low)  # exact age, uniform within the band
    days_old = np.floor(age_years * 365.2425).astype("int64")
    birth_date = REFERENCE_DATE - pd.to_timedelta(days_old, unit="D")
    female = rng.random(n) < FEMALE_SHARE
    name = np.empty(n, dtype=object)
    roll_order = np.empty(n, dtype="int64")
    name[female], roll_order[female] = _names(rng, int(female.sum()), FIRST_NAMES_F)
    name[~female], roll_order[~female] = _names(rng, int((~female).sum()), FIRST_NAMES_M)
    return pd.DataFrame({
        "roll_order": roll_order,
        "name": name,
        "area": area,
        "birth_date": pd.DatetimeIndex(birth_date).normalize(),
        "sex": np.asarray(["M", "F"], dtype=object)[female.astype("int64")],
    })


def linkage_tables(n_population: int = 100_000, n_released: int = 5_000,
                   roster_fraction: float = 0.7, seed=0) -> LinkageTables:
    """Simulate an "anonymized" hospital extract, a public voter roll and the truth behind both.

    A population of ``n_population`` adults is drawn first: each person gets an area (20 areas of
    unequal sizes, 5-digit codes like ACS PUMA or ZIP codes), a birth date (ages 18–89 with the
    rough age structure of US adults, as of :data:`REFERENCE_DATE`), a sex (51% F) and a name
    that no one else has. Then

    - ``n_released`` people, chosen at random, appear in the hospital extract with their area,
      birth date, sex and a diagnosis — but no name (record ids are assigned in random order);
    - a random ``roster_fraction`` of the population (default 0.7: about 7 in 10 US adult
      citizens are registered to vote) appears in the voter roll with their name.

    So some released patients are missing from the roster (they cannot be re-identified), and
    some share their (area, birth date, sex) with another person (an ambiguous match). The
    setting is inspired by Sweeney (2000), who estimated that 87% of the US population is unique
    on (5-digit ZIP, birth date, sex); Golle (2006) found 63% with 2000 census data. Here, with
    about 5,000 people per area, most people are unique on the three attributes too.

    Parameters
    ----------
    n_population : int
        People in the simulated population, between 100 and 200,000.
    n_released : int
        Patients in the released extract, between 1 and ``n_population``.
    roster_fraction : float
        Fraction of the population on the public roster, in (0, 1].
    seed : int ≥ 0 or numpy.random.Generator
        The same seed always gives the same tables.

    Returns
    -------
    LinkageTables
        A named tuple ``(released, roster, truth)`` of pandas DataFrames.

    Examples
    --------
    >>> released, roster, truth = linkage_tables(seed=1)
    >>> list(released.columns)
    ['record_id', 'area', 'birth_date', 'sex', 'diagnosis']
    """
    n_population = check_positive_int(n_population, "n_population", minimum=MIN_POPULATION)
    if n_population > MAX_POPULATION:
        raise ValueError(f"n_population must be at most {MAX_POPULATION:,} (the name lists give "
                         f"each person a different name only up to that size), got "
                         f"{n_population:,}.")
    n_released = check_positive_int(n_released, "n_released")
    if n_released > n_population:
        raise ValueError(f"n_released ({n_released:,}) cannot exceed n_population "
                         f"({n_population:,}): each released record is a different person.")
    roster_fraction = check_real(roster_fraction, "roster_fraction", low=0, high=1,
                                 closed="right",
                                 hint="It is the share of the population on the public roster.")
    rng = data_rng(seed)

    people = _population(rng, n_population)

    patients = people.iloc[rng.choice(n_population, size=n_released, replace=False)]
    record_id = np.arange(1, n_released + 1, dtype="int64")
    diagnosis = np.asarray(DIAGNOSES, dtype=object)[
        rng.choice(len(DIAGNOSES), size=n_released, p=normalized(DIAGNOSIS_SHARES))]
    released = pd.DataFrame({
        "record_id": record_id,
        "area": patients["area"].to_numpy(),
        "birth_date": patients["birth_date"].to_numpy(),
        "sex": patients["sex"].to_numpy(),
        "diagnosis": diagnosis,
    })
    truth = pd.DataFrame({"record_id": record_id, "name": patients["name"].to_numpy()})

    n_roster = max(1, int(round(float(roster_fraction) * n_population)))
    voters = people.iloc[rng.choice(n_population, size=n_roster, replace=False)]
    voters = (voters.sort_values("roll_order", kind="stable").drop(columns="roll_order")
              .reset_index(drop=True))
    voters.insert(0, "voter_id", [f"V{i:07d}" for i in range(1, n_roster + 1)])
    roster = voters
    return LinkageTables(released, roster, truth)

