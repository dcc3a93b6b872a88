"""Linkage attacks on "anonymized" tables, and generalization as a (weak) defense.

Removing names does not anonymize a table when the remaining columns, taken together, single
people out. Such columns are *quasi-identifiers* (QIs): each is harmless alone, but area, birth
date and sex together are unique for most people, and the same three columns appear next to
names in public lists such as voter rolls. This module measures that risk and runs the attack:

- :func:`class_sizes`, :func:`uniqueness`, :func:`k_anonymity`: how many rows share each row's
  QI values (its *equivalence class*), the fraction of rows alone in their class, the smallest
  class;
- :func:`match_counts`, :func:`link_unique`, :func:`link_quality`, :func:`attack_outcomes`:
  join a released table with a named roster, keep the records that match exactly one person,
  and score the result against the truth;
- :func:`generalize_birth_date`, :func:`tradeoff`, :func:`plot_tradeoff`: coarsen birth dates
  (month, year, 5-year band) and see re-identification fall while the data lose precision.
"""

from __future__ import annotations

from itertools import combinations
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

#: The quasi-identifiers of Sweeney's attack (column names of
#: :func:`pets_helpers.datasets.linkage_tables`).
QUASI_IDENTIFIERS = ("area", "birth_date", "sex")

#: Generalization levels of a birth date, finest first, and the column each level produces.
BIRTH_COLUMNS = {"day": "birth_date", "month": "birth_month", "year": "birth_year",
                 "5 years": "birth_5y"}
LEVELS = tuple(BIRTH_COLUMNS)


# --- uniqueness -----------------------------------------------------------------------------

def _columns(table, columns, what: str = "table") -> list:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(table).__name__}.")
    if isinstance(columns, str):
        columns = [columns]
    try:
        columns = list(columns)
    except TypeError:
        raise TypeError(f"columns must be a list of column names, got {columns!r}.") from None
    if not columns:
        raise ValueError("columns is empty: name at least one column, e.g. ['area', 'sex'].")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise KeyError(f"{what} has no column(s) {missing}; its columns are "
                       f"{list(table.columns)}.")
    return columns


def class_sizes(table: pd.DataFrame, columns) -> pd.Series:
    """For each row, how many rows of ``table`` share its values in ``columns`` (itself included).

    Missing values count as a value of their own (two rows both missing ``area`` share it).
    """
    columns = _columns(table, columns)
    group = table.groupby(columns, dropna=False, sort=False).ngroup().to_numpy()
    sizes = np.bincount(group, minlength=group.max() + 1 if len(group) else 0)[group]
    return pd.Series(sizes, index=table.index, name="class_size")


def uniqueness(table: pd.DataFrame, columns) -> float:
    """The fraction of rows whose combination of values in ``columns`` occurs exactly once.

    These rows are *singled out* by ``columns``: anyone who knows a person's values and that the
    person is in the table finds their row. ``uniqueness(t, ["area", "birth_date", "sex"])`` is
    the statistic behind Sweeney's "87% of the US population are unique".
    """
    sizes = class_sizes(table, columns)
    if len(sizes) == 0:
        raise ValueError("the table has no rows, so the fraction of unique rows is undefined.")
    return float(np.mean(sizes.to_numpy() == 1))


def k_anonymity(table: pd.DataFrame, columns) -> int:
    """The size of the smallest equivalence class: the table is k-anonymous for this k."""
    sizes = class_sizes(table, columns)
    if len(sizes) == 0:
        raise ValueError("the table has no rows, so k-anonymity is undefined.")
    return int(sizes.min())


def uniqueness_by_columns(table: pd.DataFrame, columns: Sequence = QUASI_IDENTIFIERS,
                          ) -> pd.Series:
    """:func:`uniqueness` for every non-empty combination of ``columns``, smallest first."""
    columns = _columns(table, columns)
    result = {}
    for size in range(1, len(columns) + 1):
        for combo in combinations(columns, size):
            result[" + ".join(combo)] = uniqueness(table, list(combo))
    return pd.Series(result, name="uniqueness")


# --- linking --------------------------------------------------------------------------------

def match_counts(released: pd.DataFrame, roster: pd.DataFrame,
                 on: Sequence = QUASI_IDENTIFIERS) -> pd.Series:
    """For each released row, how many roster rows have the same values in ``on`` (0, 1, 2 …).

    A row with a missing value in ``on`` matches no one.
    """
    on = _columns(released, on, "released")
    _columns(roster, on, "roster")
    counts = roster.dropna(subset=on).groupby(on, sort=False).size().rename("_matches")
    keys = released[on]
    joined = keys.merge(counts, left_on=on, right_index=True, how="left")
    return joined["_matches"].fillna(0).astype("int64").set_axis(released.index).rename("matches")


def link_unique(released: pd.DataFrame, roster: pd.DataFrame, on: Sequence = QUASI_IDENTIFIERS,
                id_column: str = "record_id", name_column: str = "name") -> pd.DataFrame:
    """The linkage attack: name every released record that matches exactly one roster person.

    Returns a DataFrame with columns ``id_column`` and ``name_column``, one row per released record
    whose values in ``on`` match exactly one roster row, sorted by ``id_column``. Records with no
    match (the person is not on the roster) or several matches (ambiguous) are left out.
    """
    on = _columns(released, list(on) + [id_column], "released")[:-1]
    _columns(roster, list(on) + [name_column], "roster")
    singles = roster.dropna(subset=on)
    singles = singles[class_sizes(singles, on).to_numpy() == 1] if len(singles) else singles
    linked = released[[id_column, *on]].dropna(subset=on).merge(
        singles[[*on, name_column]], on=on, how="inner")
    return (linked[[id_column, name_column]].sort_values(id_column, kind="stable")
            .reset_index(drop=True))


def link_quality(links: pd.DataFrame, truth: pd.DataFrame, id_column: str = "record_id",
                 name_column: str = "name") -> dict:
    """Score an attack's ``links`` (record id → claimed name) against ``truth``.

    Returns ``linked`` (rows claimed), ``correct`` (claims that are right), ``precision``
    (correct / linked, 1.0 when nothing is claimed) and ``recall`` (correct / all records in
    ``truth``: the share of the released table that was re-identified).
    """
    for what, frame in (("links", links), ("truth", truth)):
        _columns(frame, [id_column, name_column], what)
    if len(truth) == 0:
        raise ValueError("truth has no rows, so recall is undefined.")
    true_name = truth.set_index(id_column)[name_column]
    claimed = links[[id_column, name_column]]
    right = claimed[name_column].to_numpy() == true_name.reindex(claimed[id_column]).to_numpy()
    correct = int(right.sum())
    return {"linked": len(claimed), "correct": correct,
            "precision": correct / len(claimed) if len(claimed) else 1.0,
            "recall": correct / len(truth)}


def attack_outcomes(released: pd.DataFrame, roster: pd.DataFrame, truth: pd.DataFrame,
                    on: Sequence = QUASI_IDENTIFIERS) -> pd.Series:
    """How the exactly-one linkage attack ends for each released record, counted by outcome:
    no roster match, several matches (ambiguous), one match with the right name, one match
    with the wrong name (the patient is not on the roster but a look-alike is)."""
    counts = match_counts(released, roster, on).to_numpy()
    claimed = link_unique(released, roster, on).set_index("record_id")["name"]
    true_name = truth.set_index("record_id")["name"]
    right = int((claimed == true_name.reindex(claimed.index)).sum())
    return pd.Series({"no match": int((counts == 0).sum()),
                      "several matches": int((counts >= 2).sum()),
                      "one match, right name": right,
                      "one match, wrong name": len(claimed) - right}, name="records")


# --- generalization -------------------------------------------------------------------------

def coarsen_dates(dates, level: str) -> pd.Series:
    """Coarsen dates to ``level``: ``"day"`` (unchanged), ``"month"`` (first day of the month),
    ``"year"`` (the year, an int) or ``"5 years"`` (first year of the 5-year band, an int)."""
    if level not in BIRTH_COLUMNS:
        raise ValueError(f"level must be one of {list(BIRTH_COLUMNS)}, got {level!r}.")
    dates = pd.Series(pd.to_datetime(dates))
    if level == "day":
        return dates.dt.normalize()
    if level == "month":
        return dates.dt.to_period("M").dt.to_timestamp()
    years = dates.dt.year.astype("int64")
    return years if level == "year" else years // 5 * 5


def generalize_birth_date(table: pd.DataFrame, level: str = "year") -> pd.DataFrame:
    """A copy of ``table`` whose ``birth_date`` is replaced by a coarser column in its place.

    The new column is named after the level (:data:`BIRTH_COLUMNS`: ``birth_month``,
    ``birth_year``, ``birth_5y``); every other column is kept as it is.
    """
    _columns(table, ["birth_date"])
    coarse = coarsen_dates(table["birth_date"], level).set_axis(table.index)
    out = table.copy()
    position = list(out.columns).index("birth_date")
    out = out.drop(columns="birth_date")
    out.insert(position, BIRTH_COLUMNS[level], coarse)
    return out


def quasi_identifiers(level: str = "day") -> tuple:
    """The quasi-identifiers of a table generalized to ``level`` (area, birth column, sex)."""
    if level not in BIRTH_COLUMNS:
        raise ValueError(f"level must be one of {list(BIRTH_COLUMNS)}, got {level!r}.")
    return ("area", BIRTH_COLUMNS[level], "sex")


def _age_error_years(dates: pd.Series, level: str) -> float:
    """Mean absolute error (years) of a birth date guessed as the middle of its coarse interval."""
    dates = pd.Series(pd.to_datetime(dates))
    start = coarsen_dates(dates, level)
    if level == "day":
        return 0.0
    if level == "month":
        end = start + pd.offsets.MonthBegin(1)
    else:
        width = 1 if level == "year" else 5
        start = pd.to_datetime(start.astype(str) + "-01-01")
        end = pd.to_datetime((start.dt.year + width).astype(str) + "-01-01")
    middle = start + (end - start) / 2
    return float((dates - middle).abs().dt.total_seconds().mean() / (365.2425 * 86400))


def tradeoff(released: pd.DataFrame, roster: pd.DataFrame, truth: pd.DataFrame,
             levels: Iterable[str] = LEVELS) -> pd.DataFrame:
    """Privacy and utility of the released table at each generalization level of birth dates.

    Columns: ``unique_in_roster`` (share of roster people alone in their class),
    ``reidentified`` (share of released records the attack names correctly), ``precision`` of
    the attack, and ``age_error_years`` (mean error of a patient's age read off the released
    column — the utility lost).
    """
    rows = []
    for level in levels:
        rel, ros = generalize_birth_date(released, level), generalize_birth_date(roster, level)
        qis = quasi_identifiers(level)
        quality = link_quality(link_unique(rel, ros, on=qis), truth)
        rows.append({"level": level,
                     "unique_in_roster": uniqueness(ros, qis),
                     "reidentified": quality["recall"],
                     "precision": quality["precision"],
                     "age_error_years": _age_error_years(released["birth_date"], level)})
    return pd.DataFrame(rows).set_index("level")


# --- plots ----------------------------------------------------------------------------------

def plot_uniqueness(values: pd.Series, title: str = "Who is unique?", ax=None):
    """A horizontal bar chart of uniqueness per column combination (e.g. from
    :func:`uniqueness_by_columns`), labelled in percent."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * len(values) + 1.2))
    percent = 100 * values.to_numpy(dtype=float)
    bars = ax.barh(list(values.index), percent, color="#4c72b0")
    ax.bar_label(bars, labels=[f"{p:.1f}%" for p in percent], padding=3)
    ax.set_xlim(0, 112)
    ax.invert_yaxis()
    ax.set_xlabel("rows whose values are unique (%)")
    ax.set_title(title)
    ax.figure.tight_layout()
    return ax


def plot_tradeoff(table: pd.DataFrame, axes=None):
    """Two panels from :func:`tradeoff`: re-identification risk and the age error, per level."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    levels = list(table.index)
    x = np.arange(len(levels))
    risk, utility = axes
    risk.plot(x, 100 * table["unique_in_roster"], "o-", label="roster people who are unique")
    risk.plot(x, 100 * table["reidentified"], "s-", label="released records re-identified")
    risk.set_ylabel("%")
    risk.set_ylim(0, 105)
    risk.set_title("Privacy risk")
    risk.legend(loc="upper right", fontsize="small")
    utility.bar(x, table["age_error_years"], color="#dd8452")
    utility.set_ylabel("mean error of a patient's age (years)")
    utility.set_title("Utility lost")
    for ax in axes:
        ax.set_xticks(x, levels)
        ax.set_xlabel("birth date released to the nearest …")
    axes[0].figure.tight_layout()
    return axes
