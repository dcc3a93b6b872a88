"""The person-level census table of Lesson 09 and its public domain.

:func:`census_people` derives, from the course's simulated ACS PUMS sample (persons of the
fictional city of Lakeport), one row per **adult** (age ≥ 18) with six columns:

============  ===========  ==============================================================
column        type         from the PUMS person record
============  ===========  ==============================================================
area          categorical  ``PUMA`` (10 public area codes)
sex           categorical  ``SEX`` (1 male, 2 female)
age           integer      ``AGEP``
education     categorical  ``SCHL`` grouped into 6 levels (:data:`EDUCATION_LEVELS`)
relationship  categorical  ``RELSHIPP`` grouped into 8 roles (:data:`RELATIONSHIPS`)
income        integer      ``PINCP`` (person's income, US dollars, may be negative)
============  ===========  ==============================================================

Adults only, because PUMS leaves income empty below 15 and education below 3: the table then
has no missing values. Household identifiers are dropped; the privacy unit of every release in
Lesson 09 is **one person** (one row).

:data:`CENSUS_DOMAIN` is the public domain a DP synthesizer needs: the category lists come from
the PUMS data dictionary, the bins of age and income are round numbers chosen without looking at
the data (the dictionary's top codes bound them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..datasets import PUMS_PUMAS, load_course_pums
from ..randomness import data_rng
from .domain import Binned, Categorical

#: Education levels grouped from PUMS SCHL codes (1–24): (label, lowest code, highest code).
EDUCATION_LEVELS = (
    ("no diploma", 1, 15),
    ("high school", 16, 17),
    ("some college", 18, 19),
    ("associate", 20, 20),
    ("bachelor", 21, 21),
    ("graduate", 22, 24),
)
#: Relationship to the householder grouped from PUMS RELSHIPP codes (20–38).
RELATIONSHIPS = (
    ("householder", (20,)),
    ("spouse", (21,)),
    ("unmarried partner", (22,)),
    ("same-sex spouse/partner", (23, 24)),
    ("child", (25, 26, 27)),
    ("other relative", (28, 29, 30, 31, 32, 33)),
    ("non-relative", (34, 35, 36)),
    ("group quarters", (37, 38)),
)
#: The rare but important group Lesson 09 follows through each synthesizer.
RARE_GROUP = ("relationship", "same-sex spouse/partner")

AGE_EDGES = (18, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 100)
INCOME_EDGES = (-20_000, 0, 1, 5_000, 10_000, 15_000, 20_000, 30_000, 40_000, 50_000, 65_000,
                80_000, 100_000, 150_000, 250_000, 5_000_000)

#: The public domain of :func:`census_people` (declared, never read off the data).
CENSUS_DOMAIN = {
    "area": Categorical([p.code for p in PUMS_PUMAS]),
    "sex": Categorical(["male", "female"]),
    "age": Binned(AGE_EDGES, integer=True),
    "education": Categorical([label for label, _, _ in EDUCATION_LEVELS]),
    "relationship": Categorical([label for label, _ in RELATIONSHIPS]),
    "income": Binned(INCOME_EDGES, integer=True),
}
CATEGORICAL_COLUMNS = ("area", "sex", "education", "relationship")


def categorical_domain() -> dict:
    """The public categories of the categorical columns, as plain lists {column: [...]}."""
    return {c: list(CENSUS_DOMAIN[c].categories) for c in CATEGORICAL_COLUMNS}
NUMERIC_COLUMNS = ("age", "income")


def people_from_pums(persons: pd.DataFrame) -> pd.DataFrame:
    """The six-column adult table from PUMS person records (as read by ``read_pums``)."""
    adults = persons[persons["AGEP"] >= 18]
    schl = adults["SCHL"].to_numpy(dtype=float)
    education = np.full(len(adults), None, dtype=object)
    for label, low, high in EDUCATION_LEVELS:
        education[(schl >= low) & (schl <= high)] = label
    rel = adults["RELSHIPP"].to_numpy(dtype=float)
    relationship = np.full(len(adults), None, dtype=object)
    for label, codes in RELATIONSHIPS:
        relationship[np.isin(rel, codes)] = label
    table = pd.DataFrame({
        "area": adults["PUMA"].astype(str).to_numpy(),
        "sex": np.where(adults["SEX"].to_numpy() == 1, "male", "female").astype(object),
        "age": adults["AGEP"].to_numpy(dtype=np.int64),
        "education": education,
        "relationship": relationship,
        "income": adults["PINCP"].to_numpy(dtype=np.int64),
    })
    return table.reset_index(drop=True)


def census_people() -> pd.DataFrame:
    """Lesson 09's table: one row per adult of the course's PUMS sample (8,223 rows)."""
    _, persons = load_course_pums()
    return people_from_pums(persons)


def split_train_holdout(table: pd.DataFrame, train_size: int, seed: int):
    """A seeded random split into a training part and an equally large holdout part.

    The holdout plays the real-data baseline of the privacy metrics: people the synthesizer
    never saw, drawn from the same population. Equal sizes keep the distance comparisons fair.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}.")
    if isinstance(train_size, bool) or not isinstance(train_size, (int, np.integer)) \
            or not 1 <= train_size <= len(table) // 2:
        raise ValueError(f"train_size must be an integer in [1, {len(table) // 2}] (half the "
                         f"table at most, for an equally large holdout), got {train_size!r}.")
    order = data_rng(seed).permutation(len(table))
    train = table.iloc[order[:train_size]].reset_index(drop=True)
    holdout = table.iloc[order[train_size:2 * train_size]].reset_index(drop=True)
    return train, holdout
